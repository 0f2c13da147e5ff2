// The HTML report of `meg advise`: the tariff options, the year's bill against the contract power
// (this year and a hotter summer), the recommended contract's bill by line and the load duration
// curve. Self-contained (inline SVG); pure.
#pragma once

#include <string>

#include "core/series.h"
#include "tariff/contract_advice.h"

namespace meg {

// `source` names the data in the title; `meter` is the usage priced; `hotter_pct` as asked.
std::string RenderAdviceHtml(const ContractAdvice& advice, const PowerSeries& meter, const std::string& source,
                             double hotter_pct);

}  // namespace meg
