// `meg advise`: which tariff option and contract power would have minimised a year's bill.
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

// Adds the `advise` subcommand to `app`; running it sets the process exit code through *exit_code.
void AddAdviseCommand(CLI::App& app, int* exit_code);

}  // namespace meg
