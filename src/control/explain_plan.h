// Derives a DecisionReason (control/decision_reason.h) from a dispatch plan: what the LP's
// solution says of one interval (the price against the horizon, the peak held, the reserve
// kept, a DR cap) and what the planner's own guards then changed. Pure functions; thread-safe.
//
//   auto reserves = PlannedReserves(problem, report.primal, 1);   // at plan time
//   DecisionReason why = ExplainPlannedInterval(schedule, 0, reserves[0], context);
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "control/decision_reason.h"
#include "core/units.h"
#include "optimize/dispatch_problem.h"

namespace meg {

// The reserve a plan keeps at the start of one interval (the dispatch LP's reserve rows,
// DispatchInterval::row_reserve_soc): the energy held back above the SoC minimum for the extra
// discharge a load above the forecast would need in the counted intervals ahead, and the window
// of those intervals, in intervals from this one: [from, to).
// `extra_kw` is the interval's own reserve scenario (DispatchInterval::extra): the discharge a load
// at its reserve above the forecast would need on top of the plan to hold the month peak; > 0
// means the plan holds the peak with that margin.
struct PlannedReserve {
  float kwh = 0;
  std::uint8_t from = 0, to = 0;
  float extra_kw = 0;
};

// The reserve of each of the first `count` intervals of the solved `problem` (none where the
// interval has no reserve row). REQUIRES: primal.size() == problem.model.num_variables().
std::vector<PlannedReserve> PlannedReserves(const DispatchProblem& problem, const std::vector<double>& primal,
                                            size_t count);

// What the planner saw and did in the interval, beside its plan. Signs: battery + discharge.
struct DecisionContext {
  Band band = Band::kOffPeak;
  bool demand_counts = false;
  Kilowatts month_peak;  // realised this month so far
  Kilowatts ratchet;
  Kilowatts demand;         // the real demand (load - PV available) the guards saw
  Kilowatts planned;        // the plan's battery power
  Kilowatts guarded;        // after the peak guard
  Kilowatts held;           // the demand the peak guard held to (charging: no import above; discharge: accepted peak)
  Kilowatts decided;        // after the DR guard: the planner's decision
  KilowattHours soc_floor;  // the battery's SoC minimum (stored energy)
  std::optional<Kilowatts> dr_cap;  // the DR commitment in force
  // The plan's peak when the guard held a higher level, the most the stored energy holds to the
  // day's end (PlanningController::set_guard_bias_tau); NaN otherwise.
  Kilowatts plan_peak{std::numeric_limits<double>::quiet_NaN()};
};

// The reason for interval `i` of `plan`, whose reserve is `reserve`: the planner's guards first
// (the DR cap raised the discharge: discharge_dr; the peak guard raised it, or held a level above
// the plan's peak: peak_guard or charge_held), then the plan's own (discharge at an import at the
// plan's peak, or with a reserve scenario that reaches it, in a counted interval: discharge_peak,
// at the DR cap: discharge_dr, else discharge_price; charge without import: charge_pv, else
// charge_cheap; idle with a reserve: idle_reserve, else idle). The price rank and the next
// discharge span the plan's next 24 h from `i`.
// REQUIRES: i < plan.intervals.size().
DecisionReason ExplainPlannedInterval(const Schedule& plan, size_t i, const PlannedReserve& reserve,
                                      const DecisionContext& context);

// The reason when there is no plan and the fallback rule decided `battery`.
DecisionReason FallbackReason(const DecisionContext& context, Kilowatts battery);

}  // namespace meg
