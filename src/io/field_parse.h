// Field parsing and problem collection shared by the data-set loaders in io/ (DOE, EPW,
// Open-Meteo, CNU, Torino): strict numbers, local date-times, and a list of "file:line: what"
// problems reported together. Pure functions and value types; thread-compatible.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace meg {

// ParseProblems collects the problems of one file, each prefixed with the file and line
// ("hospital.csv:17: kW 'abc' is not a number"), and turns them into one Error. Only the first
// `max_shown` are kept; the error says when more were found.
class ParseProblems {
 public:
  explicit ParseProblems(std::string_view source, size_t max_shown = 20)
      : source_(source), max_shown_(max_shown) {}

  void Add(int line, std::string_view what);
  // A problem of the whole file (no line), e.g. a wrong row count.
  void AddFile(std::string_view what);
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  // All problems, one per line. REQUIRES: !empty().
  Error ToError() const;

 private:
  std::string source_;
  size_t max_shown_;
  size_t count_ = 0;
  std::vector<std::string> shown_;
};

// Parses a finite number from a CSV field; `what` names the field in the message:
// "kW 'abc' is not a number", "kW is 'NaN', not a finite number".
Result<double> ParseNumberField(std::string_view field, std::string_view what);

// Parses a decimal integer (optional leading '-'), nothing else.
Result<int> ParseIntField(std::string_view field, std::string_view what);

// A civil date and time of day as written in a file, zone not implied.
struct LocalDateTime {
  Date date;
  int minute_of_day = 0;  // 0..1439
  int second = 0;         // 0..59
};

// Parses "YYYY-MM-DD H:MM", "YYYY-MM-DD HH:MM" or the same with ":SS".
Result<LocalDateTime> ParseLocalDateTime(std::string_view text);

// Parses an English three-letter weekday ("Mon".."Sun").
Result<std::chrono::weekday> ParseWeekdayAbbrev(std::string_view text);

// "Mon".."Sun".
std::string_view WeekdayAbbrev(std::chrono::weekday w);

}  // namespace meg
