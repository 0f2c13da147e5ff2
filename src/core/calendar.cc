#include "core/calendar.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/text.h"

namespace meg {

HolidayCalendar::HolidayCalendar(std::vector<Holiday> holidays, Date first, Date last)
    : holidays_(std::move(holidays)), first_(first), last_(last) {}

Result<HolidayCalendar> HolidayCalendar::Parse(std::string_view csv_text, std::string_view source) {
  auto lines = SplitLines(csv_text, source);
  if (!lines) return lines.error();
  std::vector<Holiday> out;
  bool header_seen = false;
  for (const auto& line : *lines) {
    if (line.text.empty()) continue;
    if (!header_seen) {
      if (line.text != "date,name") {
        return InvalidInput(
            fmt::format("{}:{}: expected header 'date,name', found '{}'", source, line.number, Excerpt(line.text)));
      }
      header_seen = true;
      continue;
    }
    const auto comma = line.text.find(',');
    if (comma == std::string_view::npos) {
      return InvalidInput(fmt::format("{}:{}: expected 'date,name'", source, line.number));
    }
    auto date = ParseDate(line.text.substr(0, comma));
    if (!date) {
      return InvalidInput(fmt::format("{}:{}: {}", source, line.number, date.error().message));
    }
    std::string name(line.text.substr(comma + 1));
    HolidayKind kind = HolidayKind::kStatutory;
    if (name.starts_with("임시공휴일")) {
      kind = HolidayKind::kTemporary;
    } else if (name.starts_with("대체공휴일")) {
      kind = HolidayKind::kSubstitute;
    } else if (name.ends_with("선거")) {
      kind = HolidayKind::kElection;
    }
    if (!out.empty() && std::chrono::sys_days{out.back().date} >= std::chrono::sys_days{*date}) {
      return InvalidInput(
          fmt::format("{}:{}: date {} is not after the previous row", source, line.number, FormatDate(*date)));
    }
    out.push_back(Holiday{*date, kind, std::move(name)});
  }
  if (out.empty()) return InvalidInput(fmt::format("{}: no holidays listed", source));
  const auto first_year = out.front().date.year();
  const auto last_year = out.back().date.year();
  return HolidayCalendar(std::move(out), first_year / std::chrono::January / 1, last_year / std::chrono::December / 31);
}

const Holiday* HolidayCalendar::Find(Date date) const {
  const auto it = std::lower_bound(holidays_.begin(), holidays_.end(), date, [](const Holiday& h, Date d) {
    return std::chrono::sys_days{h.date} < std::chrono::sys_days{d};
  });
  if (it == holidays_.end() || it->date != date) return nullptr;
  return &*it;
}

bool HolidayCalendar::Covers(Date date) const {
  const auto d = std::chrono::sys_days{date};
  return d >= std::chrono::sys_days{first_} && d <= std::chrono::sys_days{last_};
}

}  // namespace meg
