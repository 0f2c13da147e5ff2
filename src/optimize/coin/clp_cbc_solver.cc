#include "optimize/coin/clp_cbc_solver.h"

#include <chrono>
#include <vector>

#include <CbcModel.hpp>
#include <ClpSimplex.hpp>
#include <CoinFinite.hpp>
#include <CoinPackedMatrix.hpp>
#include <OsiClpSolverInterface.hpp>

namespace meg {
namespace {

// COIN-OR takes any bound beyond COIN_DBL_MAX as infinite.
double CoinBound(double v) {
  if (v >= kLpInfinity) return COIN_DBL_MAX;
  if (v <= -kLpInfinity) return -COIN_DBL_MAX;
  return v;
}

// The model as the column-major arrays loadProblem takes.
struct CoinArrays {
  CoinPackedMatrix matrix;
  std::vector<double> col_lower, col_upper, cost, row_lower, row_upper;
};

CoinArrays ToCoin(const LpModel& model) {
  CoinArrays a;
  std::vector<int> rows, cols;
  std::vector<double> values;
  for (int i = 0; i < model.num_rows(); ++i) {
    const LpRow& r = model.rows()[static_cast<size_t>(i)];
    for (const LpTerm& t : r.terms) {
      rows.push_back(i);
      cols.push_back(t.var);
      values.push_back(t.coef);
    }
    a.row_lower.push_back(CoinBound(r.lower));
    a.row_upper.push_back(CoinBound(r.upper));
  }
  // Triplet constructor; duplicates (the same variable twice in a row) are added together.
  a.matrix = CoinPackedMatrix(/*colordered=*/true, rows.data(), cols.data(), values.data(),
                              static_cast<CoinBigIndex>(values.size()));
  a.matrix.setDimensions(model.num_rows(), model.num_variables());
  for (const LpVariable& v : model.variables()) {
    a.col_lower.push_back(CoinBound(v.lower));
    a.col_upper.push_back(CoinBound(v.upper));
    a.cost.push_back(v.cost);
  }
  return a;
}

static_assert(static_cast<int>(ClpSimplex::isFree) == static_cast<int>(BasisStatus::kFree) &&
              static_cast<int>(ClpSimplex::basic) == static_cast<int>(BasisStatus::kBasic) &&
              static_cast<int>(ClpSimplex::atUpperBound) == static_cast<int>(BasisStatus::kAtUpper) &&
              static_cast<int>(ClpSimplex::atLowerBound) == static_cast<int>(BasisStatus::kAtLower) &&
              static_cast<int>(ClpSimplex::superBasic) == static_cast<int>(BasisStatus::kSuperbasic) &&
              static_cast<int>(ClpSimplex::isFixed) == static_cast<int>(BasisStatus::kFixed));

BasisStatus FromClp(ClpSimplex::Status s) { return static_cast<BasisStatus>(static_cast<int>(s)); }

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

SolveReport SolveLp(const LpModel& model, const SolveOptions& options) {
  const CoinArrays a = ToCoin(model);
  ClpSimplex clp;
  clp.setLogLevel(0);
  clp.loadProblem(a.matrix, a.col_lower.data(), a.col_upper.data(), a.cost.data(), a.row_lower.data(),
                  a.row_upper.data());
  if (options.time_limit_seconds > 0) clp.setMaximumSeconds(options.time_limit_seconds);
  SolveReport r;
  const LpBasis* start = options.warm_start;
  if (start != nullptr && start->variables.size() == static_cast<size_t>(model.num_variables()) &&
      start->rows.size() == static_cast<size_t>(model.num_rows())) {
    // ClpSimplex::Status has the same codes in the same order as BasisStatus; columns first.
    std::vector<unsigned char> status;
    status.reserve(start->variables.size() + start->rows.size());
    for (BasisStatus b : start->variables) status.push_back(static_cast<unsigned char>(b));
    for (BasisStatus b : start->rows) status.push_back(static_cast<unsigned char>(b));
    clp.copyinStatus(status.data());
    r.warm_started = true;
  }
  clp.dual();
  r.solver = "clp-dual";
  r.iterations = clp.numberIterations();
  // ClpModel::status(): 0 optimal, 1 primal infeasible, 2 dual infeasible (unbounded),
  // 3 stopped on iterations or time, 4 stopped on difficulties, 5 stopped by an event handler.
  switch (clp.status()) {
    case 0: r.status = SolveStatus::kOptimal; break;
    case 1: r.status = SolveStatus::kInfeasible; break;
    case 2: r.status = SolveStatus::kUnbounded; break;
    case 3:
      r.status = clp.hitMaximumIterations() ? SolveStatus::kError : SolveStatus::kTimeLimit;
      r.message = clp.hitMaximumIterations() ? "CLP stopped at its iteration limit" : "CLP stopped at the time limit";
      break;
    default:
      r.status = SolveStatus::kError;
      r.message = "CLP stopped on numerical difficulties (status " + std::to_string(clp.status()) + ")";
  }
  if (r.status == SolveStatus::kOptimal || r.status == SolveStatus::kTimeLimit) {
    const double* x = clp.primalColumnSolution();
    r.primal.assign(x, x + model.num_variables());
    r.objective = model.Objective(r.primal);
    r.basis.variables.reserve(static_cast<size_t>(model.num_variables()));
    for (int j = 0; j < model.num_variables(); ++j) r.basis.variables.push_back(FromClp(clp.getColumnStatus(j)));
    r.basis.rows.reserve(static_cast<size_t>(model.num_rows()));
    for (int i = 0; i < model.num_rows(); ++i) r.basis.rows.push_back(FromClp(clp.getRowStatus(i)));
  }
  return r;
}

SolveReport SolveMilp(const LpModel& model, const SolveOptions& options) {
  const CoinArrays a = ToCoin(model);
  OsiClpSolverInterface osi;
  osi.messageHandler()->setLogLevel(0);
  osi.getModelPtr()->setLogLevel(0);
  osi.loadProblem(a.matrix, a.col_lower.data(), a.col_upper.data(), a.cost.data(), a.row_lower.data(),
                  a.row_upper.data());
  for (int j = 0; j < model.num_variables(); ++j) {
    if (model.variables()[static_cast<size_t>(j)].integer) osi.setInteger(j);
  }
  CbcModel cbc(osi);  // copies the solver
  cbc.setLogLevel(0);
  cbc.messageHandler()->setLogLevel(0);
  if (options.time_limit_seconds > 0) cbc.setMaximumSeconds(options.time_limit_seconds);
  cbc.branchAndBound();
  SolveReport r;
  r.solver = "cbc";
  r.iterations = cbc.getIterationCount();
  r.nodes = cbc.getNodeCount();
  if (cbc.isProvenOptimal()) {
    r.status = SolveStatus::kOptimal;
  } else if (cbc.isProvenInfeasible()) {
    r.status = SolveStatus::kInfeasible;
  } else if (cbc.isContinuousUnbounded()) {
    r.status = SolveStatus::kUnbounded;
  } else if (cbc.isSecondsLimitReached()) {
    r.status = SolveStatus::kTimeLimit;
    r.message = "CBC stopped at the time limit";
  } else {
    r.status = SolveStatus::kError;
    r.message = "CBC stopped without a proof (status " + std::to_string(cbc.status()) + ", secondary " +
                std::to_string(cbc.secondaryStatus()) + ")";
  }
  const double* x = cbc.bestSolution();
  if (x != nullptr && (r.status == SolveStatus::kOptimal || r.status == SolveStatus::kTimeLimit)) {
    r.primal.assign(x, x + model.num_variables());
    r.objective = model.Objective(r.primal);
  }
  return r;
}

}  // namespace

Result<SolveReport> ClpCbcSolver::Solve(const LpModel& model, const SolveOptions& options) {
  if (auto valid = ValidateModel(model); !valid) return valid.error();
  const auto start = std::chrono::steady_clock::now();
  SolveReport r = model.HasIntegers() ? SolveMilp(model, options) : SolveLp(model, options);
  r.seconds = SecondsSince(start);
  return r;
}

}  // namespace meg
