// A solver-neutral sparse LP/MILP model (minimisation), the LpSolver interface every solver
// adapter implements (optimize/coin/ is the COIN-OR one), and WriteLpFormat, which prints a model
// in CPLEX LP format so that an independent solver (`glpsol --lp`) can confirm an optimum.
// Value types and pure functions; thread-compatible. An LpSolver instance is used by one thread.
//
//   LpModel m;
//   const int x = m.AddVariable("x", 0, 4, -1.0);      // 0 <= x <= 4, cost -1
//   const int y = m.AddVariable("y", 0, kLpInfinity, -2.0);
//   m.AddRow("cap", -kLpInfinity, 6, {{x, 1.0}, {y, 2.0}});   // x + 2 y <= 6
//   std::string text = WriteLpFormat(m);
#pragma once

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace meg {

inline constexpr double kLpInfinity = std::numeric_limits<double>::infinity();

// One decision variable: lower <= x <= upper (either may be infinite), `cost` per unit in the
// objective, integral when `integer` (a binary is an integer with bounds [0, 1]).
struct LpVariable {
  std::string name;
  double lower = 0;
  double upper = kLpInfinity;
  double cost = 0;
  bool integer = false;
};

struct LpTerm {
  int var = 0;  // index returned by LpModel::AddVariable
  double coef = 0;
};

// One constraint row: lower <= sum(coef x var) <= upper. lower == upper is an equality; both
// finite and different is a range.
struct LpRow {
  std::string name;
  double lower = -kLpInfinity;
  double upper = kLpInfinity;
  std::vector<LpTerm> terms;
};

// A minimisation problem: min sum(cost x) subject to the rows and the variable bounds.
// Invariant: every term names a variable added before the row. Names should be unique and use
// letters, digits and '_' (WriteLpFormat replaces anything else).
class LpModel {
 public:
  // Returns the new variable's index.
  int AddVariable(std::string name, double lower, double upper, double cost, bool integer = false);
  // Moves a variable's bounds (e.g. fixing a commitment). REQUIRES: var was returned by AddVariable.
  void SetBounds(int var, double lower, double upper);
  // Returns the new row's index. REQUIRES: every term's var was returned by AddVariable.
  int AddRow(std::string name, double lower, double upper, std::vector<LpTerm> terms);

  const std::vector<LpVariable>& variables() const { return variables_; }
  const std::vector<LpRow>& rows() const { return rows_; }
  int num_variables() const { return static_cast<int>(variables_.size()); }
  int num_rows() const { return static_cast<int>(rows_.size()); }
  size_t num_nonzeros() const;
  bool HasIntegers() const;
  // The objective value of a point, sum(cost x). REQUIRES: x.size() == num_variables().
  double Objective(const std::vector<double>& x) const;

 private:
  std::vector<LpVariable> variables_;
  std::vector<LpRow> rows_;
};

// The model in CPLEX LP format (sections Minimize, Subject To, Bounds, Generals, End), as read by
// `glpsol --lp` and CPLEX. Numbers are printed with %.17g, so the text is the exact model. Every
// variable gets a line in Bounds (so none is lost when it appears in no row). A ranged row is
// written as two rows, `<name>_lo` (>=) and `<name>_hi` (<=); a row with no finite bound is
// left out (it constrains nothing).
std::string WriteLpFormat(const LpModel& model);

// The model in free MPS format (sections NAME, ROWS, COLUMNS, RHS, RANGES, BOUNDS, ENDATA), as
// read by `glpsol --freemps`. The objective is the N row `obj` (so no model row may be named
// obj); names are those of WriteLpFormat; numbers are printed with %.17g. Integer columns sit
// between MARKER INTORG/INTEND lines. A row with no finite bound is left out; an equality is an
// E row; a ranged row is a G row with rhs = lower and RANGES R = upper - lower (readers take
// [rhs, rhs + |R|], an upper bound that can be one rounding off when lower and upper differ in
// sign or magnitude). A zero rhs is not written (0 is the MPS default), but every column gets
// explicit bounds (FR, MI + UP, LO + PL, LO + UP, FX, BV for an integer in [0, 1]), so no
// reader's default bounds (which differ for integers) ever apply. A column in no kept row and
// with zero cost is written as `name obj 0` so that it still exists.
std::string WriteMpsFormat(const LpModel& model);

// What a solve found: HiGHS' split between the call (Result's Error: the solver could not run)
// and the model (this status).
enum class SolveStatus {
  kOptimal,     // proven optimal (for a MILP: within the solver's gap tolerance)
  kInfeasible,  // no point satisfies the constraints
  kUnbounded,   // the objective decreases without bound
  kTimeLimit,   // stopped at the time limit; `primal` holds the best point found, if any
  kError,       // the solver gave up (numerical trouble, iteration limit); see `message`
};
std::string_view SolveStatusName(SolveStatus s);  // "optimal"

// A simplex basis: where each variable and each row's activity sits. A solver that reports one
// can restart from it (a warm start): a receding-horizon solve shifted by one interval is mostly
// the same basis as the solve before.
enum class BasisStatus : unsigned char { kFree, kBasic, kAtUpper, kAtLower, kSuperbasic, kFixed };
struct LpBasis {
  std::vector<BasisStatus> variables;  // one per variable of the model
  std::vector<BasisStatus> rows;       // one per row of the model
  bool empty() const { return variables.empty() && rows.empty(); }
};

struct SolveOptions {
  double time_limit_seconds = 0;  // 0 = no limit
  // Start an LP from this basis (ignored for a MILP, or when its sizes do not match the model).
  // Any basis is accepted: the solver repairs one with too many or too few basic entries.
  const LpBasis* warm_start = nullptr;
};

struct SolveReport {
  SolveStatus status = SolveStatus::kError;
  double objective = 0;        // sum(cost x) at `primal`
  std::vector<double> primal;  // one value per variable; empty if the solver found no point
  long iterations = 0;         // simplex iterations (all nodes, for a MILP)
  long nodes = 0;              // branch-and-bound nodes (0 for an LP)
  double seconds = 0;          // solve time measured by the adapter (a figure, not an input)
  std::string solver;          // e.g. "clp-dual", "cbc"
  std::string message;         // why, when the status is not kOptimal
  LpBasis basis;               // the final basis of an LP, when the solver reports one
  bool warm_started = false;   // the solve started from SolveOptions::warm_start
};

// A solver. Implementations live in adapter folders (optimize/coin/); code above optimize sees
// only this interface. Not thread-safe: one instance per thread.
class LpSolver {
 public:
  virtual ~LpSolver() = default;
  virtual std::string_view name() const = 0;
  // Solves `model`. Returns an Error only when the solver could not run (a malformed model: a
  // NaN coefficient, lower > upper on a variable, a term naming no variable); infeasible,
  // unbounded and time limit are statuses in the report.
  [[nodiscard]] virtual Result<SolveReport> Solve(const LpModel& model, const SolveOptions& options) = 0;
};

// Checks what every solver requires of a model (finite costs and coefficients, no NaN bounds,
// lower <= upper for variables, terms naming existing variables). Adapters call it first.
Status ValidateModel(const LpModel& model);

}  // namespace meg
