#include "control/optimal_controllers.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/ess.h"
#include "core/thermal.h"
#include "tariff/bill.h"

namespace meg {
namespace {

// The billing demand is never below 30 % of contract power (art. 68 ①, rounded to 1 kW).
double BillingDemandFloorKw(const Site& site) { return std::round(0.3 * std::max(0.0, site.contract_power.value())); }

}  // namespace

void SetPeriodOracleTerms(DispatchInput& in, const Site& site, const SiteImage& image,
                          std::optional<Timestamp> billed_from) {
  const KstDateTime k = ToKst(image.start);
  const Month month = k.date.year() / k.date.month();
  in.standing_peak = Kilowatts(std::max(image.ratchet.value(), image.month_peak.value()));
  // The cars under way, planned with the battery (their energy where it is cheapest, their power
  // in the peak). The load forecast is the building's: the cars are not in it.
  in.ev = image.ev;
  in.months_binding = MonthsBinding(month);
  // What the backtest scores: the period's bills with taxes, each month once, the ratchet linking
  // them; the energy left at the end is worth nothing to the score.
  in.with_taxes = true;
  in.bill_months_only = true;
  in.terminal_krw_per_kwh = 0.0;
  in.later_standing_peak = image.ratchet;
  in.first_month_peak = image.month_peak;
  in.billed_from = billed_from;
  const double floor_kw = BillingDemandFloorKw(site);
  in.standing_peak = Kilowatts(std::max(in.standing_peak.value(), floor_kw));
  in.later_standing_peak = Kilowatts(std::max(in.later_standing_peak->value(), floor_kw));
  // Each later month stands on the ratchet the months before this plan leave it (a meter history
  // restored before the run: its demand months drop out of the ratchet one by one), not on this
  // month's: the LP's rows add the peaks it plans.
  in.later_standing_by_month.clear();
  const Timestamp end = in.load.end();
  for (Month later = month + std::chrono::months{1}; StartOfKstMonth(later) < end; later += std::chrono::months{1}) {
    in.later_standing_by_month.emplace_back(later, std::max(RatchetPeakKw(later, image.month_peaks), floor_kw));
  }
}

PlanningController::PlanningController(Mode mode, const Site& site, const TariffBook& book,
                                       const HolidayCalendar& calendar, TariffId tariff, const PowerSeries& load,
                                       const PowerSeries& pv, LpSolver& solver, std::chrono::hours horizon,
                                       std::string name)
    : mode_(mode),
      site_(site),
      book_(book),
      calendar_(calendar),
      tariff_(tariff),
      own_forecast_(std::make_unique<SeriesForecast>(load, pv)),
      forecast_(*own_forecast_),
      data_end_(load.end()),
      solver_(solver),
      horizon_(horizon),
      name_(!name.empty()                    ? std::move(name)
            : mode == Mode::kRecedingHorizon ? "mpc"
                                             : "oracle") {}

PlanningController::PlanningController(Mode mode, const Site& site, const TariffBook& book,
                                       const HolidayCalendar& calendar, TariffId tariff, PlanForecast& forecast,
                                       LpSolver& solver, std::chrono::hours horizon, std::string name)
    : mode_(mode),
      site_(site),
      book_(book),
      calendar_(calendar),
      tariff_(tariff),
      forecast_(forecast),
      data_end_(Timestamp::max()),
      solver_(solver),
      horizon_(horizon),
      name_(!name.empty()                    ? std::move(name)
            : mode == Mode::kRecedingHorizon ? "mpc"
                                             : "oracle") {}

size_t PlanningController::KnownDrCalls(const SiteImage& image) {
  return static_cast<size_t>(std::count_if(image.dr.begin(), image.dr.end(),
                                           [&](const DrCommitment& c) { return c.known_from <= image.start; }));
}

void PlanningController::Plan(const SiteImage& image, Timestamp end) {
  plan_ = Schedule{};
  dr_planned_ = KnownDrCalls(image);
  end = std::min(end, data_end_);
  ++solves_;
  auto forecast = forecast_.ForecastAt(image.start, end);
  if (!forecast) {
    ++failures_;
    last_failure_ = "forecast: " + forecast.error().message;
    return;
  }
  DispatchInput in;
  in.site = &site_;
  in.book = &book_;
  in.calendar = &calendar_;
  in.tariff = tariff_;
  in.load = std::move(forecast->load);
  in.pv = std::move(forecast->pv);
  in.peak_reserve_kw = std::move(forecast->load_reserve_kw);
  for (const DrCommitment& c : image.dr) {
    if (c.known_from <= image.start && c.end > image.start) in.dr.push_back(c);
  }
  // The battery reports its SoC; the plan starts from the same energy, held inside the window
  // against rounding.
  if (site_.ess && image.has_battery) {
    const EssSpec& ess = *site_.ess;
    in.soc_start =
        KilowattHours(std::clamp(StoredAt(ess, image.soc_pct).value(), SocFloor(ess).value(), SocCeiling(ess).value()));
  }
  if (image.has_generator) in.previous_generator = image.generator_previous;
  if (image.has_thermal && site_.thermal_storage && site_.cooling && cooling_ != nullptr && cop_ != nullptr) {
    for (size_t t = 0; t < in.load.size(); ++t) {
      const Timestamp at = in.load.TimeAt(t);
      // Persistence: the same time of the latest whole day before the plan.
      Timestamp seen = at;
      if (!cooling_perfect_) {
        while (seen + kInterval > image.start) seen -= std::chrono::hours{24};
      }
      const auto i = cooling_->IndexOf(seen);
      const double demand =
          i && cooling_->at(*i) ? cooling_->at(*i)->value() : std::numeric_limits<double>::quiet_NaN();
      in.cooling_kw_th.push_back(std::isfinite(demand) ? demand : 0.0);
      // The plant's COPs at the demand planned on (its part load), from the full-load COP the
      // temperature makes.
      const double cop_full = ValueOrNaN(*cop_, at);
      const Kilowatts planned(in.cooling_kw_th.back());
      const bool known = std::isfinite(cop_full) && cop_full > 0;
      in.cop.push_back(known ? ChillerPlantCop(*site_.cooling, cop_full, planned) : cop_full);
      in.charge_cop.push_back(known ? ChillerChargeCop(*site_.cooling, cop_full, planned) : cop_full);
    }
    in.thermal_start = ThermalStoredAt(*site_.thermal_storage, image.thermal_soc_pct);
  }
  in.standing_peak = Kilowatts(std::max(image.ratchet.value(), image.month_peak.value()));
  // The operator's battery mode and backup reserve, as the loop holds them.
  in.battery_mode = image.battery_mode;
  in.battery_reserve_pct = image.battery_reserve_pct;
  // The cars under way, planned with the battery (their energy where it is cheapest, their power
  // in the peak). The load forecast is the building's: the cars are not in it.
  in.ev = image.ev;
  // The first interval ramps from the command in force, as the limit stage will hold it.
  if (std::isfinite(image.battery_previous.value())) in.previous_battery = image.battery_previous;
  const KstDateTime k = ToKst(image.start);
  const Month month = k.date.year() / k.date.month();
  in.months_binding = MonthsBinding(month);
  // A horizon into next month: its ratchet as known now, with this month's realised peak when
  // this is a demand month (the peak ratchets into next month's bill).
  in.later_standing_peak =
      Kilowatts(std::max(image.ratchet.value(), IsDemandMonth(month) ? image.month_peak.value() : 0.0));
  // A demand month's own peak carries into the next 11 bills, each standing on the demand months
  // before it that are still in its window (the ratchet known now drops out month by month); not
  // known when the image has a ratchet but no months to tell where it comes from.
  if (IsDemandMonth(month) && (!image.month_peaks.empty() || image.ratchet.value() <= 0)) {
    std::vector<std::pair<Month, double>> before;
    for (const auto& [m, kw] : image.month_peaks) {
      if (m < month) before.emplace_back(m, kw);
    }
    const double floor_kw = BillingDemandFloorKw(site_);
    for (int ahead = 1; ahead <= 11; ++ahead) {
      in.first_month_later_standing_kw.push_back(
          std::max(RatchetPeakKw(month + std::chrono::months{ahead}, before), floor_kw));
    }
    in.first_month_peak = image.month_peak;
  }
  // The guards spend energy against a forecast miss only on a peak that raises half the bills or
  // more (a month's own peak below an older ratchet raises only the bills after it drops out).
  std::vector<double> bills = in.first_month_later_standing_kw;
  bills.push_back(in.standing_peak.value());
  std::nth_element(bills.begin(), bills.begin() + (bills.size() - 1) / 2, bills.end());
  guard_floor_kw_ = bills[(bills.size() - 1) / 2];
  if (mode_ == Mode::kPeriodOracle) SetPeriodOracleTerms(in, site_, image, run_start_);
  auto problem = BuildDispatchProblem(in);
  if (!problem) {
    ++failures_;
    last_failure_ = problem.error().message;
    return;
  }
  // Warm start (receding horizon only: the oracle's months share no interval): the previous
  // solve's basis, moved on to this horizon.
  const bool warm = warm_start_ && mode_ == Mode::kRecedingHorizon;
  LpBasis start;
  if (warm && !last_basis_.empty()) start = ShiftBasis(last_problem_, last_basis_, *problem);
  SolveOptions options;
  if (!start.empty()) options.warm_start = &start;
  auto report = solver_.Solve(problem->model, options);
  last_basis_ = LpBasis{};
  if (!report || report->status != SolveStatus::kOptimal) {
    ++failures_;
    last_failure_ = report ? fmt::format("solver status {}", SolveStatusName(report->status)) : report.error().message;
    return;
  }
  // The generator's commitment, rounded from the LP and fixed, solved again: its minimum load
  // holds in the plan (two LPs instead of a unit-commitment MILP every quarter-hour).
  if (FixCommitment(*problem, report->primal) > 0) {
    SolveOptions again;
    again.warm_start = &report->basis;
    auto fixed = solver_.Solve(problem->model, again);
    if (!fixed || fixed->status != SolveStatus::kOptimal) {
      ++failures_;
      last_failure_ =
          fixed ? fmt::format("solver status {} with the generator's commitment fixed", SolveStatusName(fixed->status))
                : fixed.error().message;
      return;
    }
    fixed->iterations += report->iterations;
    report = std::move(fixed);
  }
  iterations_ += report->iterations;
  if (report->warm_started) ++warm_starts_;
  plan_ = DecodeSchedule(*problem, *report);
  plan_reserves_ =
      PlannedReserves(*problem, report->primal, mode_ == Mode::kRecedingHorizon ? 1 : plan_.intervals.size());
  plan_start_ = image.start;
  plan_soc_start_kwh_ = in.soc_start.value();
  plan_thermal_start_kwh_ = in.thermal_start.value();
  if (warm) {
    last_basis_ = std::move(report->basis);
    last_problem_ = std::move(*problem);
  }
}

Setpoints PlanningController::Decide(const SiteImage& image) {
  if (!run_start_) run_start_ = image.start;
  Setpoints idle{Kilowatts(0), Kilowatts(-1)};
  const bool battery = image.has_battery && site_.ess;
  if (!battery && !image.has_generator && !image.has_thermal && image.ev.empty()) {
    reason_ = DecisionReason{};
    return idle;
  }
  const Setpoints fallback = fallback_.Decide(image);
  const size_t index = plan_.intervals.empty() ? 0 : static_cast<size_t>((image.start - plan_start_) / kInterval);
  const bool stale = plan_.intervals.empty() || image.start < plan_start_ || index >= plan_.intervals.size();
  if (mode_ == Mode::kRecedingHorizon) {
    Plan(image, image.start + horizon_);
  } else {
    // An oracle re-plans with a new DR call, or when the battery's energy is not where the plan has
    // it (the loop did not follow the plan, e.g. in its first cycles): the rest of the plan may not
    // be feasible any more.
    bool drifted = false;
    if (!stale && battery) {
      const double planned = index == 0 ? plan_soc_start_kwh_ : plan_.intervals[index - 1].soc_end.value();
      const double tolerance = std::max(0.01, 1e-5 * site_.ess->usable_kwh.value());
      drifted = std::abs(StoredAt(*site_.ess, image.soc_pct).value() - planned) > tolerance;
    }
    if (!stale && image.has_thermal && site_.thermal_storage) {
      const double planned =
          index == 0 ? plan_thermal_start_kwh_ : plan_.intervals[index - 1].thermal_level_end.value();
      // Wider than the battery's: the store's loss, integrated over shorter cycles than the plan's
      // quarter-hours, leaves a few tenths of a kWh between the two (immaterial to the plan).
      const double tolerance = std::max(1.0, 1e-3 * site_.thermal_storage->capacity_kwh_th.value());
      drifted = drifted ||
                std::abs(ThermalStoredAt(*site_.thermal_storage, image.thermal_soc_pct).value() - planned) > tolerance;
    }
    if (stale || drifted || KnownDrCalls(image) != dr_planned_) {
      const KstDateTime k = ToKst(image.start);
      const Month m = k.date.year() / k.date.month();
      Plan(image, mode_ == Mode::kPeriodOracle ? data_end_ : StartOfKstMonth(m + std::chrono::months{1}));
    }
  }
  const auto fall_back = [&] {
    Explain(image, std::nullopt, fallback.battery, fallback.battery, Kilowatts(0), fallback.battery);
    return fallback;
  };
  if (plan_.intervals.empty()) return fall_back();
  const size_t i = static_cast<size_t>((image.start - plan_start_) / kInterval);
  if (i >= plan_.intervals.size()) return fall_back();
  const ScheduleInterval& step = plan_.intervals[i];
  Setpoints s;
  s.battery = step.discharge - step.charge;
  s.generator = step.generator;
  s.thermal = step.thermal;
  if (!image.ev.empty() && i == 0) s.ev = step.ev;  // the cars as planned now (an old plan knew other cars)
  // Peak guard: the plan was made on a forecast; in an interval whose demand counts, charging
  // never lifts the real grid demand above what the plan imported there (or the month's realised
  // peak and ratchet, if higher), and the battery discharges when the real demand exceeds the peak
  // the plan accepted (the forecast missed a peak).
  const Kilowatts planned = s.battery;
  Kilowatts held(0);
  Kilowatts plan_peak(std::numeric_limits<double>::quiet_NaN());  // set when the guard holds a higher level
  // The electricity the cold store's planned action saves (+) or costs (-) at the plant's COP, as
  // the plan reckons it: the demand the battery sees is net of it.
  const double cop = image.thermal_cop, factor = image.thermal_charge_cop_pct / 100.0;
  const bool priced = image.has_thermal && site_.thermal_storage && std::isfinite(cop) && cop > 0 && factor > 0;
  const double store_kw = priced ? ThermalElectric(*site_.thermal_storage, s.thermal, cop).value() : 0.0;
  // With the later bills in the plan (a demand month), the month's own peak, not an older ratchet
  // that drops out, is what the guards hold and what charging may not lift.
  const bool own =
      std::isfinite(plan_.own_peak.value()) && KstMonthOf(step.start) == KstMonthOf(plan_.intervals[0].start);
  const double floor = own ? std::max(image.month_peak.value(), guard_floor_kw_)
                           : std::max(image.ratchet.value(), image.month_peak.value());
  if (image.demand_counts && battery) {
    const double net = image.load.value() - image.pv_available.value() - step.generator.value() - store_kw;
    double accepted = std::max(step.month_peak.value(), floor);
    const double no_charge_above = std::max(step.grid_import.value(), floor);
    double b = s.battery.value();
    if (guard_bias_tau_.count() > 0 && net > accepted) {
      const double level = SustainableLevel(image, i, net, accepted);
      // The battery's energy goes to the level it can hold; the plan's discharge, made for a peak
      // that cannot be held, is not spent below it.
      if (level > accepted) {
        plan_peak = Kilowatts(accepted);
        accepted = level;
        b = std::min(b, 0.0);
      }
    }
    if (b < 0) b = std::min(0.0, std::max(b, net - no_charge_above));
    s.battery = Kilowatts(std::max(b, net - accepted));
    held = Kilowatts(s.battery.value() > 0 || std::isfinite(plan_peak.value()) ? accepted : no_charge_above);
  }
  // The same guard for making ice (or chilled water) in an interval whose demand counts: its
  // electricity never lifts the real grid demand above what the plan imported there.
  if (image.demand_counts && image.has_thermal && s.thermal.value() < 0 && priced) {
    const double no_charge_above = std::max(step.grid_import.value(), floor);
    const double net = image.load.value() - image.pv_available.value() - step.generator.value() - s.battery.value();
    const double allowed = std::max(0.0, no_charge_above - net);  // kW of electricity left for charging
    s.thermal = Kilowatts(std::max(s.thermal.value(), -allowed * cop * factor));
  }
  // No PV limit from the plan. It curtails only the forecast PV that its forecast load, battery
  // and export limit cannot take; what the real site cannot take the loop's export stage curtails
  // on the real readings (ExportLimiter, then the limit stage). The plan's curtailment applied to
  // the real PV capped it at a load forecast: where the load came in above the forecast the site
  // imported while PV was curtailed (2.5 MWh on CNU eng7 in 2025, docs/results.md, issue 18).
  s.pv_limit = Kilowatts(-1);
  const Kilowatts guarded = s.battery;
  if (battery) s = HoldDrCap(image, s);
  Explain(image, i, planned, guarded, held, s.battery, plan_peak);
  return s;
}

double PlanningController::SustainableLevel(const SiteImage& image, size_t i, double net, double accepted) const {
  const EssSpec& ess = *site_.ess;
  const double energy =
      std::max(0.0, (StoredAt(ess, image.soc_pct) - SocFloor(ess)).value()) * ess.discharge_efficiency_pct / 100.0;
  const double power = ess.discharge_kw.value();
  // The demand the plan reckoned with here, without the battery; the real one runs `excess` above.
  // The cars' draw is the loop's to steer, not a load that goes on: the excess is the building's.
  const auto without_battery = [&](const ScheduleInterval& s) {
    return s.grid_import.value() - s.grid_export.value() + s.discharge.value() - s.charge.value();
  };
  const ScheduleInterval& now = plan_.intervals[i];
  const double excess =
      std::max(0.0, (net - image.ev_power.value()) - (without_battery(now) - std::max(0.0, now.ev.value())));
  const Timestamp day_end = FromKst(AddDays(ToKst(image.start).date, 1));
  std::vector<double> expected{net};
  for (size_t j = i + 1; j < plan_.intervals.size() && plan_.intervals[j].start < day_end; ++j) {
    const ScheduleInterval& s = plan_.intervals[j];
    if (!s.demand_counts) continue;
    const double minutes = std::chrono::duration<double, std::ratio<60>>(s.start - image.start).count();
    expected.push_back(without_battery(s) + excess * std::exp(-minutes / static_cast<double>(guard_bias_tau_.count())));
  }
  // The energy holding `level` takes, each interval's discharge within the rating.
  const auto needed = [&](double level) {
    double kwh = 0;
    for (const double e : expected) kwh += std::clamp(e - level, 0.0, power) * kIntervalHours.value();
    return kwh;
  };
  if (needed(accepted) <= energy) return accepted;
  double lo = accepted, hi = *std::max_element(expected.begin(), expected.end());
  for (int k = 0; k < 40; ++k) {
    const double mid = (lo + hi) / 2;
    (needed(mid) <= energy ? hi : lo) = mid;
  }
  return hi;
}

void PlanningController::Explain(const SiteImage& image, std::optional<size_t> index, Kilowatts planned,
                                 Kilowatts guarded, Kilowatts held, Kilowatts decided, Kilowatts plan_peak) {
  DecisionContext c;
  c.band = image.band;
  c.demand_counts = image.demand_counts;
  c.month_peak = image.month_peak;
  c.ratchet = image.ratchet;
  c.demand = Kilowatts(image.load.value() - image.pv_available.value());
  c.planned = planned;
  c.guarded = guarded;
  c.held = held;
  c.plan_peak = plan_peak;
  c.decided = decided;
  if (site_.ess) c.soc_floor = SocFloor(*site_.ess);
  if (const DrCommitment* dr = DrCommitmentAt(image.dr, image.start, image.start)) c.dr_cap = dr->import_cap;
  if (!index) {
    reason_ = FallbackReason(c, decided);
    return;
  }
  const PlannedReserve reserve = *index < plan_reserves_.size() ? plan_reserves_[*index] : PlannedReserve{};
  reason_ = ExplainPlannedInterval(plan_, *index, reserve, c);
}

}  // namespace meg
