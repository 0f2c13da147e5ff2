// Optimizing controllers: they plan the battery with the dispatch LP (optimize/dispatch_problem.h)
// and follow the plan, interval by interval, behind the same SafetyLimits as every controller.
//   "oracle": perfect foresight over each whole month, solved once per month: the upper limit of
//     what the hardware can save against the tariff, against which every controller is scored.
//   "mpc": receding horizon: every 15 minutes re-solves the next `horizon` (24 h by default)
//     from the present SoC, carrying the realised month peak and the 12-month ratchet, and applies
//     only the first interval. Until the forecasting issue lands, its forecast is the realised
//     load and PV of the horizon (perfect foresight inside the horizon), so it shows what the
//     receding horizon loses against the month-long oracle, not yet what forecast errors cost.
// If a solve fails or is not optimal, the controller holds the battery idle for that interval and
// counts it (failures()). Not thread-safe; one instance per control loop.
#pragma once

#include <chrono>
#include <string>

#include "control/controller.h"
#include "core/calendar.h"
#include "core/series.h"
#include "core/site.h"
#include "optimize/dispatch_problem.h"
#include "optimize/lp.h"

namespace meg {

class PlanningController final : public Controller {
 public:
  enum class Mode { kMonthOracle, kRecedingHorizon };

  // `load` and `pv` are the series the controller plans on (15-minute, + consumption /
  // + production); they and everything else referenced must outlive the controller.
  PlanningController(Mode mode, const Site& site, const TariffBook& book, const HolidayCalendar& calendar,
                     TariffId tariff, const PowerSeries& load, const PowerSeries& pv, LpSolver& solver,
                     std::chrono::hours horizon = std::chrono::hours{24});

  std::string_view name() const override { return mode_ == Mode::kMonthOracle ? "oracle" : "mpc"; }
  Setpoints Decide(const SiteImage& image) override;

  int solves() const { return solves_; }
  int failures() const { return failures_; }
  const std::string& last_failure() const { return last_failure_; }

 private:
  // Plans from `image.start` to `end`; on failure the plan is cleared.
  void Plan(const SiteImage& image, Timestamp end);

  Mode mode_;
  const Site& site_;
  const TariffBook& book_;
  const HolidayCalendar& calendar_;
  TariffId tariff_;
  const PowerSeries& load_;
  const PowerSeries& pv_;
  LpSolver& solver_;
  std::chrono::hours horizon_;
  Schedule plan_;
  Timestamp plan_start_{};
  int solves_ = 0;
  int failures_ = 0;
  std::string last_failure_;
};

}  // namespace meg
