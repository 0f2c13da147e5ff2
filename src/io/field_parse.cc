#include "io/field_parse.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <string>

#include "core/text.h"

namespace meg {
namespace {

constexpr std::array<std::string_view, 7> kWeekdayAbbrevs = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

bool ParseDigits(std::string_view s, int& out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

void ParseProblems::Add(int line, std::string_view what) {
  ++count_;
  if (shown_.size() < max_shown_) shown_.push_back(fmt::format("{}:{}: {}", source_, line, what));
}

void ParseProblems::AddFile(std::string_view what) {
  ++count_;
  if (shown_.size() < max_shown_) shown_.push_back(fmt::format("{}: {}", source_, what));
}

Error ParseProblems::ToError() const {
  MEG_CHECK(!empty());
  std::string all;
  for (const auto& p : shown_) all += (all.empty() ? "" : "\n") + p;
  if (count_ > shown_.size()) {
    all += fmt::format("\n({} further problems not shown)", count_ - shown_.size());
  }
  return InvalidInput(std::move(all));
}

Result<double> ParseNumberField(std::string_view field, std::string_view what) {
  const auto trimmed = Trim(field);
  const auto lower = Lower(trimmed);
  if (lower == "nan" || lower == "-nan" || lower == "inf" || lower == "-inf" || lower == "null" || lower == "na") {
    return InvalidInput(fmt::format("{} is '{}', not a finite number", what, Excerpt(trimmed)));
  }
  if (trimmed.empty()) return InvalidInput(fmt::format("{} is empty, not a number", what));
  auto v = ParseFiniteDouble(trimmed);
  if (!v) return InvalidInput(fmt::format("{} {}", what, v.error().message));
  return *v;
}

Result<int> ParseIntField(std::string_view field, std::string_view what) {
  auto s = Trim(field);
  const bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  int v = 0;
  if (!ParseDigits(s, v)) {
    return InvalidInput(fmt::format("{} '{}' is not an integer", what, Excerpt(Trim(field))));
  }
  return negative ? -v : v;
}

Result<LocalDateTime> ParseLocalDateTime(std::string_view text) {
  const std::string original(text);
  auto bad = [&](std::string_view why) {
    return InvalidInput(fmt::format("date-time '{}' {} (expected YYYY-MM-DD HH:MM[:SS])", Excerpt(original), why));
  };
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return bad("has no space between date and time");
  auto date = ParseDate(text.substr(0, space));
  if (!date) return bad("has no valid date");
  auto time = text.substr(space + 1);
  const auto colon = time.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2) return bad("has no time H:MM");
  int hh = 0, mm = 0, ss = 0;
  if (!ParseDigits(time.substr(0, colon), hh)) return bad("has a bad hour");
  time.remove_prefix(colon + 1);
  if (time.size() < 2 || !ParseDigits(time.substr(0, 2), mm)) return bad("has bad minutes");
  time.remove_prefix(2);
  if (!time.empty()) {
    if (time.size() != 3 || time[0] != ':' || !ParseDigits(time.substr(1), ss)) {
      return bad("has bad seconds or trailing text");
    }
  }
  if (hh > 23 || mm > 59 || ss > 59) return bad("has a time out of range");
  return LocalDateTime{*date, hh * 60 + mm, ss};
}

Result<std::chrono::weekday> ParseWeekdayAbbrev(std::string_view text) {
  const auto t = Trim(text);
  for (unsigned i = 0; i < kWeekdayAbbrevs.size(); ++i) {
    if (t == kWeekdayAbbrevs[i]) return std::chrono::weekday{i};
  }
  return InvalidInput(fmt::format("'{}' is not a weekday (Mon..Sun)", Excerpt(t)));
}

std::string_view WeekdayAbbrev(std::chrono::weekday w) { return kWeekdayAbbrevs[w.c_encoding()]; }

}  // namespace meg
