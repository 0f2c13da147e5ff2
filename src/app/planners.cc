#include "app/planners.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "control/rule_controllers.h"
#include "core/check.h"

namespace meg {
namespace {

bool IsKnown(std::string_view name) {
  return std::find(kPlannerNames.begin(), kPlannerNames.end(), name) != kPlannerNames.end();
}

bool IsRule(std::string_view name) { return name == "none" || name == "peak-shave"; }

}  // namespace

Status CheckPlanner(std::string_view name, const LoadedSite& site, const SiteInputs* inputs) {
  if (!IsKnown(name)) {
    return InvalidInput(fmt::format("--controller {}: known controllers are {}", name, fmt::join(kPlannerNames, ", ")));
  }
  if (IsRule(name)) return Ok{};
  if (!site.site.ess && !site.site.generator && !site.site.thermal_storage) {
    return InvalidInput(
        fmt::format("--controller {}: {} has no [ess], [generator] or [thermal_storage] to plan", name, site.path));
  }
  if (name == "mpc" && inputs != nullptr && inputs->temp_c.empty()) {
    return InvalidInput(
        fmt::format("--controller mpc: {} has no weather file for the load forecaster's "
                    "temperature; use mpc-persistence",
                    site.path));
  }
  return Ok{};
}

Planner::Planner(std::string_view name, const LoadedSite& site, const SiteInputs* inputs, LpSolver& solver,
                 const PlannerOptions& options) {
  MEG_CHECK(IsKnown(name));
  if (IsRule(name)) {
    controller_ = MakeRuleController(name, PeakShaveConfig{.threshold = options.threshold});
    MEG_CHECK(controller_ != nullptr);
    return;
  }
  MEG_CHECK(inputs != nullptr);
  // oracle-month: each month's perfect-foresight LP (no bound, control/optimal_controllers.h), for
  // sites whose year LP would be too slow to solve.
  const auto mode = name == "oracle"         ? PlanningController::Mode::kPeriodOracle
                    : name == "oracle-month" ? PlanningController::Mode::kMonthOracle
                                             : PlanningController::Mode::kRecedingHorizon;
  std::unique_ptr<PlanningController> p;
  if (name == "mpc") {
    history_ = LoadData{ToDoubleSeries(inputs->load), inputs->temp_c};
    learned_ = std::make_unique<LearnedPlanForecast>(history_, inputs->pv, site.calendar, options.learned);
    recorded_ = std::make_unique<RecordedPlanForecast>(*learned_);
    p = std::make_unique<PlanningController>(mode, site.site, site.book, site.calendar, site.tariff, *recorded_, solver,
                                             options.horizon, std::string(name));
  } else {
    const bool persistence = name == "mpc-persistence";
    if (persistence) {
      persistence_load_ = DayBefore(inputs->load);
      persistence_pv_ = DayBefore(inputs->pv);
    }
    p = std::make_unique<PlanningController>(mode, site.site, site.book, site.calendar, site.tariff,
                                             persistence ? persistence_load_ : inputs->load,
                                             persistence ? persistence_pv_ : inputs->pv, solver, options.horizon,
                                             std::string(name));
  }
  p->set_warm_start(options.warm_start);
  p->set_guard_bias_tau(options.guard_bias_tau);
  // The cold store's plan: the cooling demand as it will be for the perfect-foresight planners,
  // as it was the day before for those that forecast (mpc, mpc-persistence).
  if (!inputs->cooling_kw_th.empty()) {
    p->SetCooling(&inputs->cooling_kw_th, &inputs->cop,
                  name == "oracle" || name == "oracle-month" || name == "mpc-perfect");
  }
  planning_ = p.get();
  controller_ = std::move(p);
}

Result<std::unique_ptr<Planner>> MakePlanner(std::string_view name, const LoadedSite& site, const SiteInputs* inputs,
                                             LpSolver& solver, const PlannerOptions& options) {
  MEG_TRY(CheckPlanner(name, site, inputs));
  return std::make_unique<Planner>(name, site, inputs, solver, options);
}

}  // namespace meg
