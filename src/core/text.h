// Text helpers shared by every parser of outside data: UTF-8 validation, line splitting with
// line numbers, CSV field splitting and strict number parsing. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace meg {

struct Line {
  int number = 0;         // 1-based line number in the file
  std::string_view text;  // without the line ending
};

// Splits text into lines (LF or CRLF). Fails, naming `source` and the line, if the bytes are not
// UTF-8 (e.g. a CP949, UTF-16 or UTF-32 file) or contain NUL. A leading UTF-8 byte-order mark is
// skipped; a UTF-16 or UTF-32 byte-order mark is named in the message.
// The returned views point into `text`.
Result<std::vector<Line>> SplitLines(std::string_view text, std::string_view source);

// The offset of the first byte of `text` that does not begin or continue a valid UTF-8 sequence,
// or std::string_view::npos when all of it is UTF-8 (pure ASCII included).
size_t FirstNonUtf8Byte(std::string_view text);

// The index of the first line that is not blank (the header of a CSV file); fails with
// "source: the file is empty" when there is none.
Result<size_t> FirstNonBlankLine(const std::vector<Line>& lines, std::string_view source);

// Splits one CSV line on `sep`, honouring double quotes ("a,b" is one field; "" is a quote).
// Fails on an unterminated quote.
Result<std::vector<std::string>> SplitCsv(std::string_view line, char sep = ',');

// Parses a finite decimal number (no NaN, no inf, no trailing text). Whitespace around is allowed.
Result<double> ParseFiniteDouble(std::string_view text);

// Terminal columns of a UTF-8 string: Hangul and CJK characters take two.
size_t DisplayWidth(std::string_view s);
// Pads `s` with spaces to `width` terminal columns.
std::string PadToWidth(std::string_view s, size_t width);

// Formats an integer with thousands separators: 15225120 -> "15,225,120".
std::string WithThousands(long long value);

// Whether `s` can name a thing in a URL path, a users file and a log line: 1-64 of
// A-Z a-z 0-9 . _ - (user names, site ids).
bool ValidName(std::string_view s);

// Trims ASCII spaces and tabs.
std::string_view Trim(std::string_view s);

// `s` with ASCII A-Z lowered (other bytes, UTF-8 included, unchanged): header names, units, hosts.
std::string Lower(std::string_view s);

// The longest text a parser's message echoes from outside input: a field, a header, a value.
inline constexpr size_t kMaxEchoChars = 60;

// `s` as a message may echo it: unchanged up to kMaxEchoChars bytes, else its first
// kMaxEchoChars bytes (cut at a UTF-8 character boundary) and "... (N bytes)", so that a 1 MB
// bad field makes a one-line message: "kW 'xxxx... (1048576 bytes)' is not a number".
std::string Excerpt(std::string_view s, size_t max = kMaxEchoChars);

}  // namespace meg
