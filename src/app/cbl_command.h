// meg cbl: the customer baseline load of a DR event (KPX 별표28) (placeholder).
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddCblCommand(CLI::App& app, int* exit_code);

}  // namespace meg
