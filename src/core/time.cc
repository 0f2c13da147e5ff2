#include "core/time.h"
#include "core/text.h"

#include <charconv>

#include <fmt/format.h>

namespace meg {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

KstDateTime ToKst(Timestamp t) {
  const auto local = t + kKstOffset;
  const auto day = std::chrono::floor<days>(local);
  const auto secs = (local - day).count();
  return KstDateTime{Date{day}, static_cast<int>(secs / 60)};
}

Timestamp FromKst(Date date, int minute_of_day) {
  return Timestamp{sys_days{date}} + std::chrono::minutes{minute_of_day} - kKstOffset;
}

Month KstMonthOf(Timestamp t) {
  const Date d = ToKst(t).date;
  return d.year() / d.month();
}

Timestamp StartOfKstMonth(Month m) { return FromKst(m / std::chrono::day{1}); }

int DaysInMonth(Month m) { return static_cast<int>(unsigned{(m / std::chrono::last).day()}); }

Result<Date> ParseDate(std::string_view text) {
  int y = 0, mo = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !ParseInt(text.substr(0, 4), y) ||
      !ParseInt(text.substr(5, 2), mo) || !ParseInt(text.substr(8, 2), d)) {
    return InvalidInput(fmt::format("'{}' is not a date YYYY-MM-DD", Excerpt(text)));
  }
  const Date date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok()) return InvalidInput(fmt::format("'{}' is not a calendar date", Excerpt(text)));
  return date;
}

Result<Month> ParseMonth(std::string_view text) {
  int y = 0, mo = 0;
  if (text.size() != 7 || text[4] != '-' || !ParseInt(text.substr(0, 4), y) || !ParseInt(text.substr(5, 2), mo) ||
      mo < 1 || mo > 12) {
    return InvalidInput(fmt::format("'{}' is not a month YYYY-MM", Excerpt(text)));
  }
  return Month{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)}};
}

Result<Timestamp> ParseIso8601(std::string_view text) {
  const std::string original(text);
  auto bad = [&](const char* why) {
    return InvalidInput(fmt::format("timestamp '{}' {} (expected ISO 8601 with offset, e.g. 2024-08-12T14:00:00+09:00)",
                                    Excerpt(original), why));
  };
  if (text.size() < 16) return bad("is too short");
  auto date = ParseDate(text.substr(0, 10));
  if (!date) return bad("has no valid date");
  if (text[10] != 'T' && text[10] != ' ') return bad("has no 'T' between date and time");
  text.remove_prefix(11);
  int hh = 0, mm = 0, ss = 0;
  if (text.size() < 5 || text[2] != ':' || !ParseInt(text.substr(0, 2), hh) || !ParseInt(text.substr(3, 2), mm)) {
    return bad("has no valid time HH:MM");
  }
  text.remove_prefix(5);
  if (!text.empty() && text[0] == ':') {
    if (text.size() < 3 || !ParseInt(text.substr(1, 2), ss)) return bad("has bad seconds");
    text.remove_prefix(3);
  }
  if (hh > 23 || mm > 59 || ss > 59) return bad("has a time out of range");
  int offset_minutes = 0;
  if (text == "Z") {
    offset_minutes = 0;
  } else if (text.size() == 6 && (text[0] == '+' || text[0] == '-') && text[3] == ':') {
    int oh = 0, om = 0;
    if (!ParseInt(text.substr(1, 2), oh) || !ParseInt(text.substr(4, 2), om) || oh > 14 || om > 59) {
      return bad("has a bad offset");
    }
    offset_minutes = (text[0] == '-' ? -1 : 1) * (oh * 60 + om);
  } else if (text.empty()) {
    return bad("has no UTC offset");
  } else {
    return bad("has trailing text or a bad offset");
  }
  const auto local =
      Timestamp{sys_days{*date}} + std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss};
  return local - std::chrono::minutes{offset_minutes};
}

std::string FormatDate(Date d) {
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                     static_cast<unsigned>(d.day()));
}

std::string FormatMonth(Month m) {
  return fmt::format("{:04d}-{:02d}", static_cast<int>(m.year()), static_cast<unsigned>(m.month()));
}

std::string FormatKst(Timestamp t) {
  const auto k = ToKst(t);
  const auto secs = (t + kKstOffset).time_since_epoch().count() % 60;
  return fmt::format("{}T{:02d}:{:02d}:{:02d}+09:00", FormatDate(k.date), k.minute_of_day / 60, k.minute_of_day % 60,
                     (secs + 60) % 60);
}

}  // namespace meg
