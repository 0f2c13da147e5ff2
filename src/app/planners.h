// The planners `meg simulate` and `meg run` take by name (--controller), built in one place, so
// that the backtest and the live loop run the same controller on the same forecast with the same
// defaults:
//   none             the battery idle: the baseline every saving is measured from
//   peak-shave       the rule controller of control/rule_controllers.h
//   mpc              receding horizon on the learned load forecast and its reserve; PV from the PV
//                    model on the site's weather file (a perfect weather forecast)
//   mpc-perfect      receding horizon on the realised load and PV (perfect foresight)
//   mpc-persistence  receding horizon on yesterday's load and PV
//   oracle           the period oracle on the realised load and PV (one LP for the whole run, scored
//                    as the backtest scores): the upper limit of a saving
// Not thread-safe; a Planner belongs to one backtest or one control loop.
//
//   auto planner = MakePlanner("mpc", loaded, &inputs, solver, PlannerOptions{});
//   if (!planner) return ExitWith("meg simulate", planner.error());
//   RunBacktest(request, (*planner)->controller());
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string_view>

#include "app/site_loader.h"
#include "control/controller.h"
#include "control/optimal_controllers.h"
#include "core/result.h"
#include "core/series.h"
#include "forecast/load_forecast.h"
#include "forecast/plan_forecast.h"
#include "optimize/lp.h"
#include "sim/site_inputs.h"

namespace meg {

// The names MakePlanner knows, in the order the help texts list them.
inline constexpr std::array<std::string_view, 7> kPlannerNames = {"none",        "peak-shave",      "mpc",
                                                                  "mpc-perfect", "mpc-persistence", "oracle",
                                                                  "oracle-month"};

struct PlannerOptions {
  // peak-shave: the grid demand (15-minute) to hold in counted intervals; 0: planned each day.
  Kilowatts threshold;
  // mpc, mpc-perfect, mpc-persistence: how far each plan looks ahead.
  std::chrono::hours horizon{24};
  // The LP planners: start each solve from the previous solve's basis.
  bool warm_start = true;
  // The LP planners' peak guard: the time constant of the demand's excess over the forecast it
  // expects to go on (PlanningController::set_guard_bias_tau); 0: off. 6 h measured best of 0, 0.5,
  // 2, 6, 12 and 24 h on the hospital and CNU agri3 2024 (docs/results.md, issue 18).
  std::chrono::minutes guard_bias_tau{360};
  // mpc: retraining, reserve, and whether a forecast may train (a live loop trains before it
  // starts, never on its control thread).
  LearnedPlanOptions learned;
};

// A controller chosen by name with what it plans on, which it owns. Neither copied nor moved: the
// controller and the forecasts refer to the series held here.
class Planner {
 public:
  // REQUIRES: CheckPlanner(name, site, inputs) passed. `site`, `inputs` and `solver` outlive this.
  Planner(std::string_view name, const LoadedSite& site, const SiteInputs* inputs, LpSolver& solver,
          const PlannerOptions& options);
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  Controller& controller() { return *controller_; }
  // The LP planner (every name but none and peak-shave), for its solve counts; else nullptr.
  PlanningController* planning() const { return planning_; }
  // mpc: the learned load forecast (TrainIfDue, trainings, timings); else nullptr.
  LearnedPlanForecast* learned() const { return learned_.get(); }
  // mpc: the last forecast it planned on, readable from any thread (the dashboard); else nullptr.
  const RecordedPlanForecast* recorded() const { return recorded_.get(); }

 private:
  PowerSeries persistence_load_, persistence_pv_;  // mpc-persistence: yesterday's load and PV
  LoadData history_;                               // mpc: the load measured and the temperature
  std::unique_ptr<LearnedPlanForecast> learned_;
  std::unique_ptr<RecordedPlanForecast> recorded_;
  std::unique_ptr<Controller> controller_;  // declared last: destroyed before what it plans on
  PlanningController* planning_ = nullptr;
};

// Whether `name` is known and `site` can run it: the LP planners need an [ess]; mpc needs the
// temperature of a weather file (checked when `inputs` is given). Errors are kInvalidInput and
// name --controller and the site file.
Status CheckPlanner(std::string_view name, const LoadedSite& site, const SiteInputs* inputs);

// Planner `name` for `site`, the LP planners solving with `solver`. `inputs` (the site's year) is
// what the LP planners plan on; the rule controllers need none (nullptr on real devices).
// REQUIRES: inputs != nullptr unless `name` is none or peak-shave. Errors: those of CheckPlanner.
Result<std::unique_ptr<Planner>> MakePlanner(std::string_view name, const LoadedSite& site, const SiteInputs* inputs,
                                             LpSolver& solver, const PlannerOptions& options);

}  // namespace meg
