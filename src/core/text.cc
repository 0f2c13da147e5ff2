#include "core/text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace meg {
namespace {

// Returns the length of the UTF-8 sequence at s[i], or 0 if it is not valid UTF-8.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    if (c < 0xC2) return 0;  // overlong
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    if (c > 0xF4) return 0;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// The Unicode encoding a byte-order mark at the start of `text` names, or "" for none other
// than UTF-8's. UTF-32 LE (FF FE 00 00) starts with UTF-16 LE's mark (FF FE): test it first.
std::string_view ForeignByteOrderMark(std::string_view text) {
  if (text.starts_with(std::string_view("\xFF\xFE\x00\x00", 4))) return "UTF-32LE";
  if (text.starts_with(std::string_view("\x00\x00\xFE\xFF", 4))) return "UTF-32BE";
  if (text.starts_with("\xFF\xFE")) return "UTF-16LE";
  if (text.starts_with("\xFE\xFF")) return "UTF-16BE";
  return "";
}

}  // namespace

size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++width;
      ++i;
      continue;
    }
    const size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    unsigned cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFF00 && cp <= 0xFF60);
    width += wide ? 2 : 1;
    i += n;
  }
  return width;
}

std::string PadToWidth(std::string_view s, size_t width) {
  std::string out(s);
  const size_t w = DisplayWidth(s);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::string WithThousands(long long value) {
  std::string digits =
      std::to_string(value < 0 ? -static_cast<unsigned long long>(value) : static_cast<unsigned long long>(value));
  std::string out;
  const size_t n = digits.size();
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[i]);
    if ((n - i - 1) % 3 == 0 && i + 1 < n) out.push_back(',');
  }
  return value < 0 ? "-" + out : out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Excerpt(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("{}... ({} bytes)", s.substr(0, cut), s.size());
}

size_t FirstNonUtf8Byte(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

Result<std::vector<Line>> SplitLines(std::string_view text, std::string_view source) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (const auto encoding = ForeignByteOrderMark(text); !encoding.empty()) {
    return InvalidInput(
        fmt::format("{}:1: the file is {}; save it as UTF-8 (e.g. iconv -f {} -t UTF-8)", source, encoding, encoding));
  }
  std::vector<Line> lines;
  int number = 1;
  size_t start = 0;
  for (size_t i = 0; i <= text.size();) {
    if (i == text.size() || text[i] == '\n') {
      auto line = text.substr(start, i - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (i < text.size() || !line.empty()) lines.push_back(Line{number, line});
      ++number;
      start = i + 1;
      ++i;
      continue;
    }
    if (text[i] == '\0') {
      return InvalidInput(
          fmt::format("{}:{}: NUL byte in text (UTF-16 or binary file?); save it as UTF-8 text", source, number));
    }
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      return InvalidInput(
          fmt::format("{}:{}: bytes are not UTF-8 (CP949/EUC-KR?); convert with iconv -f CP949 -t UTF-8", source,
                      number));
    }
    i += n;
  }
  return lines;
}

Result<size_t> FirstNonBlankLine(const std::vector<Line>& lines, std::string_view source) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!Trim(lines[i].text).empty()) return i;
  }
  return InvalidInput(fmt::format("{}: the file is empty", source));
}

Result<std::vector<std::string>> SplitCsv(std::string_view line, char sep) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  if (quoted) return InvalidInput("unterminated quote");
  fields.push_back(std::move(field));
  return fields;
}

Result<double> ParseFiniteDouble(std::string_view text) {
  const auto t = Trim(text);
  const std::string s(t);
  if (s.empty()) return InvalidInput("empty value where a number is expected");
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    if (!ok) return InvalidInput(fmt::format("'{}' is not a number", Excerpt(s)));
  }
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return InvalidInput(fmt::format("'{}' is not a number", Excerpt(s)));
  if (!std::isfinite(v)) return InvalidInput(fmt::format("'{}' is not a finite number", Excerpt(s)));
  return v;
}

bool ValidName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace meg
