// A measured load of another year laid on a calendar year, day by day, for a site twin whose
// weather and tariff are of that year (e.g. the CNU campus buildings, measured 2021-2022, laid
// on 2024 beside the Jeonju hospital). Pure functions; thread-safe.
//
//   auto cnu = ParseCnuBuildingCsv(text, path, {.anomalies_to_gaps = true});
//   auto kw = HourlyEnergyToPower(cnu->energy_kwh);          // 15-minute kW
//   auto on2024 = MeasuredOnYear(*kw, 2024, calendar);       // 35136 intervals, no gaps
#pragma once

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/units.h"

namespace meg {

// Hourly energy (kWh of the hour starting at each label) as 15-minute mean power: each hour's
// kWh / 1 h held for its four quarter-hours, so every hour's energy is kept. A gap stays a gap.
// Fails unless the step is 1 h.
Result<PowerSeries> HourlyEnergyToPower(const IntervalSeries<KilowattHours>& hourly);

// `measured` (15-minute mean kW, any span, gaps allowed) laid on calendar `year` at 15-minute
// steps from FromKst(year-01-01): each day of the year takes a whole measured day (its 96
// quarter-hours, in Korean time) that has no gap and the same day type, and, among those, the
// one whose day of the year is nearest (distance taken around the year, so that December may
// stand in for January; ties to the earlier day). Day types: a public holiday (any kind but
// kTemporary) and a Sunday are "Sunday"; otherwise the weekday itself. A measured day that is a
// holiday counts only as a Sunday. So seasons, weekdays and holidays line up, and every day's
// energy is a measured day's energy. Fails (naming the day type) when the measured data has no
// whole day of a type the year needs, and when `calendar` covers neither `year` nor the
// measured days.
Result<PowerSeries> MeasuredOnYear(const PowerSeries& measured, int year, const HolidayCalendar& calendar);

}  // namespace meg
