// `meg site check FILE`: validates a site file and prints what it describes, units on every number.
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddSiteCommand(CLI::App& app, int* exit_code);

}  // namespace meg
