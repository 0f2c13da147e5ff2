// `meg pv-validate`: scores the PV model against the measured GIST campus systems (calibrate
// each system's kWp on one month, score the next) and prints the evidence for the data's time
// convention, the fitted sensor plane and a table per system.
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddPvValidateCommand(CLI::App& app, int* exit_code);

}  // namespace meg
