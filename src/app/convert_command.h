// `meg convert`: turns the real data sets into the 15-minute usage CSV that `meg bill` reads.
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddConvertCommand(CLI::App& app, int* exit_code);

}  // namespace meg
