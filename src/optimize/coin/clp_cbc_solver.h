// ClpCbcSolver: the LpSolver on COIN-OR, the only place COIN-OR appears in OpenMEG. A pure LP is
// solved by CLP's dual simplex; a model with integer variables by CBC (branch and bound on CLP).
// Not thread-safe: one instance per thread (each Solve builds its own solver objects).
#pragma once

#include <string_view>

#include "optimize/lp.h"

namespace meg {

class ClpCbcSolver final : public LpSolver {
 public:
  std::string_view name() const override { return "coin-or clp/cbc"; }
  [[nodiscard]] Result<SolveReport> Solve(const LpModel& model, const SolveOptions& options) override;
};

}  // namespace meg
