// `meg dr-bid`: the economic-DR D-1 bid (자발적 수요감축, KPX 전력시장운영규칙 제12.4.2조) of a site
// for day D, built from its load forecast issued at the KPX deadline (D-1 11:00 KST) and its
// battery's flexibility.
#pragma once

#include <CLI/CLI.hpp>

namespace meg {

void AddDrBidCommand(CLI::App& app, int* exit_code);

}  // namespace meg
