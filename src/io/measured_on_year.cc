#include "io/measured_on_year.h"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <optional>
#include <vector>

#include "core/time.h"

namespace meg {

using std::chrono::sys_days;

Result<PowerSeries> HourlyEnergyToPower(const IntervalSeries<KilowattHours>& hourly) {
  if (hourly.step() != std::chrono::hours(1)) {
    return InvalidInput(fmt::format("hourly energy expected, the series has a {} s step", hourly.step().count()));
  }
  std::vector<std::optional<Kilowatts>> kw;
  kw.reserve(hourly.size() * 4);
  for (const auto& e : hourly.values()) {
    // kWh over one hour is the hour's mean kW; held for four quarter-hours it keeps the energy.
    const std::optional<Kilowatts> p = e ? std::optional<Kilowatts>(Kilowatts(e->value())) : std::nullopt;
    for (int q = 0; q < 4; ++q) kw.push_back(p);
  }
  return PowerSeries(hourly.start(), kInterval, std::move(kw));
}

namespace {

// 0..6 = Sunday..Saturday; a holiday (other than temporary) is a Sunday.
int DayType(Date date, const HolidayCalendar& calendar) {
  const Holiday* h = calendar.Find(date);
  if (h != nullptr && h->kind != HolidayKind::kTemporary) return 0;
  return static_cast<int>(std::chrono::weekday{sys_days{date}}.c_encoding());
}

int DayOfYear(Date date) {
  const Date jan1 = date.year() / std::chrono::January / 1;
  return static_cast<int>((sys_days{date} - sys_days{jan1}).count());
}

constexpr size_t kPerDay = kIntervalsPerDay;

constexpr std::array<const char*, 7> kTypeNames = {"Sunday or holiday", "Monday", "Tuesday", "Wednesday",
                                                   "Thursday",          "Friday", "Saturday"};

}  // namespace

Result<PowerSeries> MeasuredOnYear(const PowerSeries& measured, int year, const HolidayCalendar& calendar) {
  if (year < 1900 || year > 2999) return InvalidInput(fmt::format("year {} is outside 1900..2999", year));
  if (measured.step() != kInterval) {
    return InvalidInput(fmt::format("15-minute power expected, the series has a {} s step", measured.step().count()));
  }
  const Date first = std::chrono::year{year} / std::chrono::January / 1;
  const Date last = std::chrono::year{year} / std::chrono::December / 31;
  if (!calendar.Covers(first) || !calendar.Covers(last)) {
    return NotFound(fmt::format("the holiday calendar covers {}..{}, not the year {}", FormatDate(calendar.first()),
                                FormatDate(calendar.last()), year));
  }
  // The measured days with no gap, by day type: (first index, day of year).
  struct Candidate {
    size_t index;
    int day_of_year;
  };
  std::array<std::vector<Candidate>, 7> by_type;
  if (!measured.empty()) {
    Date day = ToKst(measured.start()).date;
    for (;; day = Date{sys_days{day} + std::chrono::days{1}}) {
      const Timestamp from = FromKst(day);
      if (from >= measured.end()) break;
      const auto i0 = measured.IndexOf(from);
      if (!i0 || *i0 + kPerDay > measured.size()) continue;
      bool whole = true;
      for (size_t k = 0; k < kPerDay && whole; ++k) whole = measured.at(*i0 + k).has_value();
      if (!whole) continue;
      if (!calendar.Covers(day)) {
        return NotFound(fmt::format("the holiday calendar covers {}..{}, not the measured day {}",
                                    FormatDate(calendar.first()), FormatDate(calendar.last()), FormatDate(day)));
      }
      by_type[static_cast<size_t>(DayType(day, calendar))].push_back({*i0, DayOfYear(day)});
    }
  }
  const int days = static_cast<int>((sys_days{last} - sys_days{first}).count()) + 1;
  std::vector<std::optional<Kilowatts>> kw;
  kw.reserve(static_cast<size_t>(days) * kPerDay);
  for (int j = 0; j < days; ++j) {
    const Date date{sys_days{first} + std::chrono::days{j}};
    const auto type = static_cast<size_t>(DayType(date, calendar));
    const auto& candidates = by_type[type];
    if (candidates.empty()) {
      return InvalidInput(
          fmt::format("the measured load has no whole day (96 quarter-hours without a gap) of type {}, "
                      "which {} needs on {}",
                      kTypeNames[type], year, FormatDate(date)));
    }
    const Candidate* best = nullptr;
    int best_distance = 1000;
    for (const auto& c : candidates) {
      const int d = std::abs(c.day_of_year - j);
      const int around = std::min(d, 365 - d);
      if (around < best_distance) {
        best = &c;
        best_distance = around;
      }
    }
    for (size_t k = 0; k < kPerDay; ++k) kw.push_back(measured.at(best->index + k));
  }
  return PowerSeries(FromKst(first), kInterval, std::move(kw));
}

}  // namespace meg
