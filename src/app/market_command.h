// meg broker / meg market: small-scale brokerage settlement and the local energy market (placeholder).
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddMarketCommand(CLI::App& app, int* exit_code);

}  // namespace meg
