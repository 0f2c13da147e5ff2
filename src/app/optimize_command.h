// `meg optimize`: solves one day's dispatch problem of a site (optimize/dispatch_problem.h) with
// COIN-OR CLP (or CBC with --milp), prints the schedule summary and can write the exact problem in
// LP format for an independent solver (glpsol --lp FILE).
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddOptimizeCommand(CLI::App& app, int* exit_code);

}  // namespace meg
