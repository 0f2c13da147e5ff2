// Time: instants are UTC inside (Timestamp), civil dates and clock times are KST at the edges.
// Korea keeps UTC+9 all year (no daylight saving), so KST conversion is a fixed offset.
// Intervals are half-open [start, end) and a 15-minute interval is named by its start.
// Pure functions and value types; thread-safe. Nothing here reads the wall clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/units.h"

namespace meg {

using Timestamp = std::chrono::sys_seconds;  // an instant, UTC
using Date = std::chrono::year_month_day;    // a civil date (in KST where it names a local day)
using Month = std::chrono::year_month;       // a calendar month (billing month)

inline constexpr std::chrono::seconds kKstOffset{9 * 3600};
inline constexpr std::chrono::minutes kInterval{15};  // the metering interval
inline constexpr int kIntervalsPerDay = 96;
inline constexpr Hours kIntervalHours{0.25};

// A local (KST) civil date and time of day.
struct KstDateTime {
  Date date;
  int minute_of_day = 0;  // 0..1439
  std::chrono::weekday weekday() const { return std::chrono::weekday{std::chrono::sys_days{date}}; }
};

KstDateTime ToKst(Timestamp t);
// The instant at which the KST civil time `minute_of_day` on `date` begins.
Timestamp FromKst(Date date, int minute_of_day = 0);
// The instant a KST month begins (00:00 on its 1st day).
Timestamp StartOfKstMonth(Month m);
// Number of days in a month.
int DaysInMonth(Month m);
// The civil date `days` days after `d` (before it when negative).
inline Date AddDays(Date d, int days) { return Date{std::chrono::sys_days{d} + std::chrono::days{days}}; }

// Parses ISO 8601 with an explicit offset, e.g. "2024-08-12T14:00:00+09:00" or "...Z".
// A timestamp without an offset is rejected: the reader must not guess the zone.
Result<Timestamp> ParseIso8601(std::string_view text);
// Parses "YYYY-MM-DD".
Result<Date> ParseDate(std::string_view text);
// Parses "YYYY-MM".
Result<Month> ParseMonth(std::string_view text);

// Formats as "2024-08-12T14:00:00+09:00" (KST).
std::string FormatKst(Timestamp t);
std::string FormatDate(Date d);
std::string FormatMonth(Month m);

inline bool IsIntervalAligned(Timestamp t) {
  return t.time_since_epoch().count() % (15 * 60) == 0;
}

// The start of the 15-minute interval that holds `t`.
inline Timestamp IntervalStart(Timestamp t) { return t - t.time_since_epoch() % std::chrono::seconds(kInterval); }

// The KST calendar month that holds `t` (the billing month).
Month KstMonthOf(Timestamp t);

}  // namespace meg
