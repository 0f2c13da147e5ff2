// The USC campus demand-response records (../shared/data/dr, 2012-2014): metered consumption of
// each building on each of its event days (meteredConsumption.csv) and the program's recorded
// curtailment per event date under two baselines (curtailment-FB.csv, curtailment-SCE.csv).
// Pure functions and value types; thread-safe.
//
// Formats (UTF-8, R's write.csv: a quoted header, a row-number first column, NA for missing):
//   "","buildings","date","strategy","consumption"
//   "1","BKS","2012-11-26","VFD",530.86
//   "","date","curtailment"
//   "1","2012-11-26",332.91
// Units, which the files do not state: kWh over the event window of the day (the program's
// event windows are a few afternoon hours); curtailment = baseline - metered, kWh, summed over
// the buildings of the date.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace meg {

struct UscConsumption {
  std::string building;  // e.g. "BKS"
  Date date;
  std::string strategy;  // e.g. "VFD", "GTR", "DUTY"
  std::optional<double> kwh;  // nullopt where the file says NA
};

struct UscCurtailment {
  Date date;
  std::optional<double> kwh;  // nullopt where the file says NA
};

// Errors name the file and line: a wrong header, a bad date, a number that is not NA.
Result<std::vector<UscConsumption>> ParseUscConsumption(std::string_view text, std::string_view source);
Result<std::vector<UscCurtailment>> ParseUscCurtailment(std::string_view text, std::string_view source);

}  // namespace meg
