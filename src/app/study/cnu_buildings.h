// The CNU campus buildings of Gwangju (<shared_dir>/data/load/cnu_gwangju/<building>.csv: measured
// hourly kWh and outdoor temperature, 2021-01-01 to 2022-04-13; io/cnu_building.h) as `meg forecast
// eval --dataset cnu` and the neighbours of `meg market` use them. Reads files; otherwise pure.
//
//   auto load = LoadCnuBuildingLoad(DefaultSharedDir(), "eng7_HV_02");
//   auto day = CnuBuildingDayLike(DefaultSharedDir(), "eng7_HV_02", date);
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "forecast/load_forecast.h"

namespace meg {

struct CnuBuildingLoad {
  LoadData data;         // each hour's kWh as its mean kW, and the temperature; anomalies are gaps
  size_t anomalies = 0;  // meter faults flagged (zero runs, spikes)
};
// A building's load for the load forecaster. Errors: the file cannot be read or parsed.
Result<CnuBuildingLoad> LoadCnuBuildingLoad(const std::string& shared_dir, const std::string& building);

struct CnuBuildingDay {
  Date source_day;         // the day of 2021 the load is taken from
  std::vector<double> kw;  // 96 quarter-hours, kW: each hour's kWh held for its four quarter-hours
};
// A building's day standing for `date`: the same weekday of 2021 nearest to the same month-day.
// Errors: the file cannot be read or parsed; an hour of that day has no kWh (kNotFound).
Result<CnuBuildingDay> CnuBuildingDayLike(const std::string& shared_dir, const std::string& building, Date date);

}  // namespace meg
