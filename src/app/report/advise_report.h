// The HTML report of `meg advise`: the tariff options, the year's bill against the contract power
// (this year and a hotter summer), the recommended contract's bill by line, the load duration
// curve and, when sized, the NPV of each battery, PV and cold-store size. Self-contained (inline
// SVG); pure.
#pragma once

#include <string>

#include "app/study/battery_sizing.h"
#include "core/series.h"
#include "tariff/contract_advice.h"

namespace meg {

// The contract powers a reader needs, as indices into advice.contracts: each row whose bills differ
// from the row above (a larger contract power changes nothing until its floor bills more than the
// peak), the first and the last, the recommended and the one in force.
std::vector<size_t> ContractRowsShown(const ContractAdvice& advice);

// The sizes priced (each may be empty).
struct AdviceSizes {
  std::vector<SizedBattery> battery;
  std::vector<SizedPv> pv;
  std::vector<SizedThermal> thermal;
};

// `source` names the data in the title; `meter` is the usage priced; `hotter_pct` as asked.
std::string RenderAdviceHtml(const ContractAdvice& advice, const PowerSeries& meter, const std::string& source,
                             double hotter_pct, const AdviceSizes& sizes);

}  // namespace meg
