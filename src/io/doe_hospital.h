// The US DOE commercial reference building load profile "Hospital, new construction 2004"
// (EnergyPlus, OpenEI CSV, 8760 hourly rows), and its mapping onto a Korean calendar year at
// 15-minute steps, for a realistic site load in demos and year simulations.
// Pure functions and value types; thread-safe.
//
//   auto text = ReadTextFile(path);
//   auto doe = ParseDoeHospitalCsv(*text, path);
//   auto load = DoeHospitalOnYear(*doe, 2024, calendar);   // 35136 intervals of mean kW
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/units.h"

namespace meg {

inline constexpr int kDoeDaysPerYear = 365;
inline constexpr int kDoeHoursPerYear = 24 * kDoeDaysPerYear;  // 8760
// The DOE typical year has no calendar year; its day 0 (Jan 1) is a Sunday.
inline constexpr std::chrono::weekday kDoeFirstWeekday = std::chrono::Sunday;

// One column of the file other than the whole-facility electricity, e.g. "Cooling:Electricity"
// or "Heating:Gas". Gas columns are gas power (thermal kW), not electricity.
struct DoeColumn {
  std::string name;           // the header without " [kW](Hourly)"
  std::vector<Kilowatts> kw;  // kDoeHoursPerYear hourly means, indexed as DoeHospitalLoad
};

// DoeHospitalLoad: one typical non-leap year of hourly mean power; consumption is positive.
// Index h = 24 * day + hour covers local clock time [hour:00, hour+1:00) of DOE day `day`
// (0 = Jan 1, a Sunday). The file labels hours by their END ("hour-ending" 01..24), so the row
// " 01/01  01:00:00" is index 0 (Jan 1 00:00-01:00) and " 12/31  24:00:00" is index 8759.
// Invariant (as parsed): every vector has kDoeHoursPerYear values, all finite and >= 0.
struct DoeHospitalLoad {
  std::vector<Kilowatts> facility_kw;  // "Electricity:Facility": the whole-facility electricity
  std::vector<DoeColumn> end_uses;     // the other columns, in file order

  // Mean facility power of hour [hour:00, hour+1:00) of DOE day `day`.
  // REQUIRES: 0 <= day < 365, 0 <= hour < 24.
  Kilowatts FacilityAt(int day, int hour) const;
  // The end-use column named `name` (e.g. "Cooling:Electricity"), or nullptr.
  const DoeColumn* FindEndUse(std::string_view name) const;
};

// Parses the OpenEI CSV: the header
//   Date/Time,Electricity:Facility [kW](Hourly),<name> [kW](Hourly),...
// then 8760 rows " MM/DD  HH:MM:SS" (hour-ending, 01:00:00..24:00:00) of a non-leap year, in
// order, each hour once. Every value must be a finite number >= 0. `source` names the file in
// errors ("hospital.csv:17: Electricity:Facility 'abc' is not a number"); up to 20 problems are
// reported together.
Result<DoeHospitalLoad> ParseDoeHospitalCsv(std::string_view text, std::string_view source);

// The end use `name` (e.g. "Cooling:Electricity") laid on `year` as DoeHospitalOnYear lays the
// facility's electricity. Errors: no such end use (the message lists those the file has).
Result<PowerSeries> DoeEndUseOnYear(const DoeHospitalLoad& load, std::string_view name, int year,
                                    const HolidayCalendar& holidays);

// The DOE day (0..364) that stands in for each day of `year` (index 0 = Jan 1):
//  - an ordinary day takes the DOE day of the same weekday whose day-of-year (0-based) is
//    closest to its own, so seasons line up: at most 3 days away, except within 6 days of
//    Jan 1 or Dec 31, where the nearest same weekday inside the DOE year can be up to 6 days
//    away (both ends are midwinter). Feb 29 follows the same rule.
//  - a public holiday of any kind except HolidayKind::kTemporary (statutory, substitute,
//    election) takes the nearest DOE Sunday, as a hospital runs a Sunday schedule on holidays.
// Fails (kNotFound) if `holidays` does not cover the whole year, and for years outside
// 1900..2999.
Result<std::vector<int>> DoeDaysForYear(int year, const HolidayCalendar& holidays);

// The DOE facility load laid on calendar year `year` at 15-minute steps: starts at
// FromKst(year-01-01) with step kInterval, 35040 values (35136 in a leap year), no gaps.
// Day d of the year takes the 24 hours of DOE day DoeDaysForYear(year)[d]; each hour's mean kW
// is held for its four 15-minute intervals, so the energy of every hour (and of the year:
// the sum of the picked DOE days' hourly kWh) is preserved exactly; the 15-minute peak equals
// the hourly peak (DOE data has no sub-hourly variation to offer).
// Fails if `load` does not hold kDoeHoursPerYear facility values, and as DoeDaysForYear.
Result<PowerSeries> DoeHospitalOnYear(const DoeHospitalLoad& load, int year, const HolidayCalendar& holidays);

}  // namespace meg
