// `meg simulate`: the year backtest of a site, without and with OpenMEG's controllers.
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddSimulateCommand(CLI::App& app, int* exit_code);

}  // namespace meg
