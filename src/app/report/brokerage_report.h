// The settlement of the KPX renewable forecast incentive of an aggregate (market/brokerage.h) for
// people (a table of the members, the aggregate and how it is paid) and for programs (JSON), as
// `meg broker` prints it. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "market/brokerage.h"

namespace meg {

// `period` heads the text ("hours [2022-08-01, 2022-09-01) KST"), `forecaster` names the forecaster
// the members' forecasts came from, `excluded` lists the systems the data screen left out ("name:
// reason"); `rules` says how the incentive was split.
std::string RenderBrokerText(const BrokerageSettlement& s, const std::string& period, const std::string& forecaster,
                             const std::vector<std::string>& excluded, const ForecastIncentiveRules& rules);
nlohmann::json BrokerJson(const BrokerageSettlement& s, const std::string& month, const std::string& forecaster,
                          const std::vector<std::string>& excluded);

}  // namespace meg
