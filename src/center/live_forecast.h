// The live forecast the dashboard shows: the forecast the planner last planned on (mpc), or
// else persistence: each quarter-hour of the next day as it was the day before, from the site
// twin's own series or, on real devices, as this control center metered it. Pure functions
// over values and a read function; thread-safe as far as the read function is.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "center/site_backend.h"
#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "forecast/plan_forecast.h"
#include "store/store.h"

namespace meg {

// Where the live forecast comes from; every pointer may be null and must outlive its use.
struct LiveForecastSource {
  // When set (mpc): the forecast the planner last planned on, described by `planned_method`.
  const RecordedPlanForecast* planned = nullptr;
  std::string planned_method;
  // Site twin only: the site's own load and PV series (persistence on them).
  const PowerSeries* history_load = nullptr;
  const PowerSeries* history_pv = nullptr;
};

// Reads the store's quarter-hour buckets of a point ("load_kw", "pv_kw") over [from, to).
using QuarterHourReader = std::function<Result<std::vector<Bucket>>(std::string_view point, Instant from, Instant to)>;

// The planner's last forecast: each interval of its horizon with its load (P50) and PV (0 where
// the PV is unknown); intervals without a load are left out. nullopt before the first plan.
std::optional<ForecastView> PlannedForecast(const RecordedPlanForecast& planned, std::string_view method);

// Persistence on series: the 96 quarter-hours from the one holding `now`, each with the load
// and PV of the same quarter-hour 24 h before (PV 0 where unknown or `pv` is null); intervals
// whose load is unknown are left out. Issued at `now`.
ForecastView YesterdayForecast(const PowerSeries& load, const PowerSeries* pv, Instant now);

// Persistence on the store: yesterday's metered quarter-hours, [start - 24 h, start) with start
// the quarter-hour holding `now`, each shifted by a day (PV 0 where not metered). NotFound when
// no load was metered yesterday.
Result<ForecastView> MeteredYesterdayForecast(const QuarterHourReader& read, Instant now);

// The live forecast at `now`: the planner's when it has planned, else persistence on the twin's
// series when given, else on the store.
Result<ForecastView> LiveForecast(const LiveForecastSource& source, const QuarterHourReader& read, Instant now);

}  // namespace meg
