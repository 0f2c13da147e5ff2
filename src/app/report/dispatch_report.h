// One day's optimal battery dispatch (optimize/dispatch_problem.h) as `meg optimize` prints it:
// the problem's size, the solver's outcome and, when optimal, the objective line by line, the peak,
// SoC, battery and energy totals. Pure; thread-safe.
#pragma once

#include <string>

#include "core/site.h"
#include "optimize/dispatch_problem.h"
#include "optimize/lp.h"

namespace meg {

// What was solved, as the summary heads it.
struct DispatchHeading {
  std::string day;            // KST, "2024-08-12"
  bool milp = false;          // no simultaneous charge and discharge (binaries)
  bool with_taxes = false;    // priced with VAT and the fund
  double months_binding = 1;  // bills a kW of new peak raises
};

// `s` is read only when `r` is optimal.
std::string RenderDispatchSummary(const DispatchHeading& o, const Site& site, const DispatchProblem& p,
                                  const SolveReport& r, const Schedule& s);

}  // namespace meg
