// meg broker: the KPX ch. 14 forecast incentive of the GIST PV systems as one aggregated
// resource of a small-scale broker (market/brokerage.h), per member and in total.
// meg market: a one-day demo of the local 15-minute double auction (market/local_market.h) among
// the Jeonju hospital and two synthetic campus neighbours. docs/trading-brokerage-market.md.
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

// Registers `broker` and `market` on `app`; their exit code goes to *exit_code.
void AddMarketCommand(CLI::App& app, int* exit_code);

}  // namespace meg
