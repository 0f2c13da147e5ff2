// Optimizing controllers: they plan the battery with the dispatch LP (optimize/dispatch_problem.h)
// and follow the plan, interval by interval, behind the same SafetyLimits as every controller.
//   "oracle" (kPeriodOracle): perfect foresight over the whole period of its series (a backtest's
//     year), solved at once for exactly what the backtest scores: the bills of the period's months
//     (VAT and fund included; each month's basic charge on its billing demand, the 12-month
//     ratchet linking the period's months) plus the battery's wear, the energy left at the end
//     worth nothing. Its plan is the optimum of that score, so no controller can beat it (bill
//     rounding aside): the upper limit every controller is scored against.
//   kMonthOracle: perfect foresight over each whole month, solved once per month, each month's
//     peak priced as mpc prices it (12 bills in a demand month), the energy left at the month's
//     end at the dispatch LP's default terminal value: no bound (a controller can beat it;
//     docs/simulate.md).
//   Both oracles re-plan when a DR call is issued or the battery's energy has drifted from the
//   plan's (the control loop did not follow it, e.g. in its first cycles).
//   "mpc": receding horizon: every 15 minutes re-solves the next `horizon` (24 h by default)
//     from the present SoC, carrying the realised month peak and the 12-month ratchet, and applies
//     only the first interval. Each solve is warm-started from the previous solve's basis, moved
//     on by one interval (ShiftBasis). A horizon across a month end prices next month's peak as
//     its own (next month's ratchet, with this month's peak if this is a demand month).
// What a planner plans on is a PlanForecast (forecast/plan_forecast.h), issued afresh at every
// plan: the learned load forecast with its reserve (`mpc`), the realised series (perfect
// foresight: `mpc-perfect`, `oracle`) or a persistence forecast; SiteImage still carries what
// really happens, and SafetyLimits hold the plan to it.
// A peak guard follows the plan: in an interval whose demand counts, charging never lifts the real
// grid demand above what the plan imported there (or the month's realised peak and ratchet), and
// a real demand above the peak the plan accepted is discharged against.
// If a forecast or solve fails or is not optimal (bad data, an impossible limit), the site is never left
// without a plan: the interval falls back to the peak-shave rule, which runs alongside on every
// interval to keep its own daily plan current; failures are counted with the last reason.
// Not thread-safe; one instance per control loop.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "control/controller.h"
#include "control/explain_plan.h"
#include "control/rule_controllers.h"
#include "core/calendar.h"
#include "core/series.h"
#include "core/site.h"
#include "forecast/plan_forecast.h"
#include "optimize/dispatch_problem.h"
#include "optimize/lp.h"

namespace meg {

// The period oracle's terms of `in` (whose load and PV hold the period from image.start): the
// period's bills exactly (taxes in, each month's basic charge once on its billing demand, the
// 30 % floor, the ratchet from `image`'s month peaks linking the months), the energy left at the
// end worth nothing; the billed run starts at `billed_from` (nullopt: the load's start).
void SetPeriodOracleTerms(DispatchInput& in, const Site& site, const SiteImage& image,
                          std::optional<Timestamp> billed_from);

class PlanningController final : public Controller {
 public:
  enum class Mode { kMonthOracle, kRecedingHorizon, kPeriodOracle };

  // `load` and `pv` are the series the controller plans on (15-minute, + consumption /
  // + production); they and everything else referenced must outlive the controller. `name`
  // defaults to "oracle" / "mpc".
  PlanningController(Mode mode, const Site& site, const TariffBook& book, const HolidayCalendar& calendar,
                     TariffId tariff, const PowerSeries& load, const PowerSeries& pv, LpSolver& solver,
                     std::chrono::hours horizon = std::chrono::hours{24}, std::string name = "");
  // Plans on `forecast` (e.g. LearnedPlanForecast), issued afresh at every plan; it and
  // everything else referenced must outlive the controller. Its load margin is held on the peak.
  PlanningController(Mode mode, const Site& site, const TariffBook& book, const HolidayCalendar& calendar,
                     TariffId tariff, PlanForecast& forecast, LpSolver& solver,
                     std::chrono::hours horizon = std::chrono::hours{24}, std::string name = "");

  std::string_view name() const override { return name_; }
  Setpoints Decide(const SiteImage& image) override;
  // The last decision's reason (control/explain_plan.h): the plan's, the guards', or the fallback's.
  const DecisionReason* reason() const override { return &reason_; }

  // The cooling plant the plan reckons with when the site has a cold store: the cooling demand
  // (kW of cooling) and the chillers' full-load COP (SiteInputs) on the load's grid; both must
  // outlive the controller. The LP takes the plant's COPs at the demand it plans on (its part load).
  // `perfect`: the demand as it will be (the oracles, mpc-perfect); otherwise each interval's
  // demand as it was on the latest day before the plan (persistence) and the COP as the
  // temperature will make it (the weather standing in for a perfect forecast, as for PV).
  void SetCooling(const PowerSeries* cooling_kw_th, const IntervalSeries<double>* cop, bool perfect) {
    cooling_ = cooling_kw_th;
    cop_ = cop;
    cooling_perfect_ = perfect;
  }

  // Start each solve from the previous solve's basis, shifted (on by default).
  void set_warm_start(bool on) { warm_start_ = on; }
  // The peak guard's energy check (0: off). When the real demand runs above the plan's and the
  // guard must discharge, it assumes the excess over the plan's forecast goes on, decaying with
  // this time constant, through the day's remaining counted intervals; if holding the plan's peak
  // would empty the battery before then, it holds the lowest level the stored energy can hold
  // to the day's end instead (a higher peak now rather than the whole excess later).
  void set_guard_bias_tau(std::chrono::minutes tau) { guard_bias_tau_ = tau; }

  int solves() const { return solves_; }
  int warm_starts() const { return warm_starts_; }
  long iterations() const { return iterations_; }  // simplex iterations over all solves
  int failures() const { return failures_; }
  const std::string& last_failure() const { return last_failure_; }

 private:
  // Plans from `image.start` to `end`; on failure the plan is cleared.
  void Plan(const SiteImage& image, Timestamp end);
  // DR commitments issued by `image.start` (a new one makes the month oracle re-plan).
  static size_t KnownDrCalls(const SiteImage& image);
  // The peak guard's level for plan interval `i` (see set_guard_bias_tau): `accepted` when the
  // stored energy holds it to the day's end, else the lowest level it holds. `net` is the real
  // demand without the battery.
  double SustainableLevel(const SiteImage& image, size_t i, double net, double accepted) const;

  Mode mode_;
  const Site& site_;
  const TariffBook& book_;
  const HolidayCalendar& calendar_;
  TariffId tariff_;
  std::unique_ptr<SeriesForecast> own_forecast_;  // the series constructor's
  PlanForecast& forecast_;
  Timestamp data_end_{};  // series constructor: the plan never reaches past the series
  LpSolver& solver_;
  std::chrono::hours horizon_;
  Schedule plan_;
  Timestamp plan_start_{};
  double plan_soc_start_kwh_ = 0;       // the energy the plan starts from
  double guard_floor_kw_ = 0;           // the demand month's level the guards hold at least (Plan)
  std::optional<Timestamp> run_start_;  // the first interval decided: where the billed run starts
  std::string name_;
  PeakShave fallback_{PeakShaveConfig{}};
  bool warm_start_ = true;
  std::chrono::minutes guard_bias_tau_{0};
  const PowerSeries* cooling_ = nullptr;
  const IntervalSeries<double>* cop_ = nullptr;
  bool cooling_perfect_ = true;
  double plan_thermal_start_kwh_ = 0;
  DispatchProblem last_problem_;
  LpBasis last_basis_;
  int solves_ = 0;
  int warm_starts_ = 0;
  long iterations_ = 0;
  int failures_ = 0;
  std::string last_failure_;
  size_t dr_planned_ = 0;  // KnownDrCalls of the last plan
  // Why: the reserve the plan keeps at each interval (the first only for the receding horizon),
  // and the last decision's reason.
  std::vector<PlannedReserve> plan_reserves_;
  DecisionReason reason_;
  // Sets reason_ for the decision `decided`, the plan's `planned` (nullopt: the fallback decided);
  // `plan_peak` when the peak guard held a higher level than the plan's peak, else NaN.
  void Explain(const SiteImage& image, std::optional<size_t> index, Kilowatts planned, Kilowatts guarded,
               Kilowatts held, Kilowatts decided,
               Kilowatts plan_peak = Kilowatts(std::numeric_limits<double>::quiet_NaN()));
};

}  // namespace meg
