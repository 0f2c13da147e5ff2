// The demand history a restart carries over: each month's peak over its counted quarter-hours
// (중간/최대부하 of working days) as the store metered them, found by replaying the metered
// quarter-hours through the one demand meter (control/demand_meter.h) that the live loop and
// the backtest use, so month peak and ratchet bookkeeping exist once. Pure; thread-compatible.
#pragma once

#include <utility>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/time.h"
#include "store/store.h"
#include "tariff/tariff_book.h"

namespace meg {

// Replays `quarters` (the store's quarter-hour buckets of grid_kw, mean kW, + import; by time;
// buckets without a good sample are skipped, gaps do not count) through a DemandMeter, each held
// for its 15 minutes, and returns the meter's month peaks (DemandMeter::MonthPeaks): the form
// ControlLoop::RestoreDemand takes. Whether a quarter-hour counts comes from the tariff's day
// profile. Empty when nothing was metered. Errors: ProfileDay's (no tariff or calendar for a day).
Result<std::vector<std::pair<Month, double>>> MeteredMonthPeaks(const std::vector<Bucket>& quarters,
                                                                const TariffBook& book, const HolidayCalendar& calendar,
                                                                TariffId tariff);

}  // namespace meg
