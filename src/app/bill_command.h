// `meg bill`: prices 15-minute usage under a KEPCO tariff, month by month.
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

// Adds the `bill` subcommand to `app`; running it sets the process exit code through *exit_code.
void AddBillCommand(CLI::App& app, int* exit_code);

}  // namespace meg
