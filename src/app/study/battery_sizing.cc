#include "app/study/battery_sizing.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <mutex>

#include <fmt/format.h>

#include "app/planners.h"
#include "control/optimal_controllers.h"
#include "control/rule_controllers.h"
#include "core/cash_flow.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "sim/backtest.h"

namespace meg {

namespace {

// Runs `one(i, solver)` for i in 0..n-1 on up to `threads` workers, each with its own solver; the
// results in order, or the first error.
template <typename T>
Result<std::vector<T>> RunSizes(size_t n, int threads, const std::function<void(size_t, size_t)>& progress,
                                const std::function<Result<T>(size_t, LpSolver&)>& one) {
  std::vector<Result<T>> results(n, Result<T>(InvalidInput("not run")));
  std::atomic<size_t> next{0}, done{0};
  std::mutex progress_mutex;
  const auto work = [&] {
    ClpCbcSolver solver;
    for (size_t i = next++; i < n; i = next++) {
      results[i] = one(i, solver);
      const size_t finished = ++done;
      if (progress) {
        std::lock_guard lock(progress_mutex);
        progress(finished, n);
      }
    }
  };
  std::vector<std::future<void>> workers;
  for (int t = 1; t < std::max(1, threads); ++t) workers.push_back(std::async(std::launch::async, work));
  work();
  for (auto& w : workers) w.get();
  std::vector<T> out;
  for (auto& r : results) {
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  return out;
}

// The year of `site` as `meg simulate` runs it (its tariff, load and PV), every asset absent
// until the caller puts it in.
BacktestRequest SiteYear(const LoadedSite& site, const SiteInputs& inputs) {
  BacktestRequest r;
  r.book = &site.book;
  r.calendar = &site.calendar;
  r.tariff = site.tariff;
  r.site = &site.site;
  r.load = &inputs.load;
  r.pv = &inputs.pv;
  r.use_battery = false;
  r.use_generator = false;
  r.use_thermal_storage = false;
  return r;
}

// A size's NPV, payback and IRR: its capex now, then its bill saving less O&M each year of its
// life (SizeCashFlows). `Sized` is SizedBattery, SizedPv or SizedThermal, capex_krw and
// bill_saving set.
template <typename Sized>
void PriceSize(Sized& s, double om_pct, double life_years, double discount_pct) {
  const std::vector<double> flows =
      SizeCashFlows(s.capex_krw, static_cast<double>(s.bill_saving.value()), om_pct, life_years);
  s.npv_krw = NetPresentValue(discount_pct / 100.0, flows);
  s.payback_years = PaybackYears(flows);
  s.irr = InternalRateOfReturn(flows);
}

}  // namespace

double PeriodYears(const SiteInputs& inputs) {
  return static_cast<double>(inputs.load.size()) * kIntervalHours.value() / (24.0 * 365.0);
}

double NetOverPeriod(const SizedBattery& b, const BatteryFinance& f, double period_years) {
  const double annual = CapitalRecoveryFactor(f.discount_pct / 100.0, f.life_years) + f.om_pct_per_year / 100.0;
  return static_cast<double>(b.bill_saving.value()) - static_cast<double>(b.degradation.value()) -
         b.capex_krw * annual * period_years;
}

Result<LpSizedBattery> SizeBatteryByLp(const LoadedSite& site, const SiteInputs& inputs, const BatteryFinance& f,
                                       double max_kwh) {
  if (!site.site.ess) return InvalidInput(fmt::format("{}: no [ess] to size", site.path));
  if (!(max_kwh > 0 && max_kwh <= 1'000'000)) {
    return InvalidInput(fmt::format("battery sizing LP: a largest size of {} kWh: give 0 < kWh <= 1,000,000", max_kwh));
  }
  const double annual = CapitalRecoveryFactor(f.discount_pct / 100.0, f.life_years) + f.om_pct_per_year / 100.0;
  DispatchInput in;
  in.site = &site.site;
  in.book = &site.book;
  in.calendar = &site.calendar;
  in.tariff = site.tariff;
  in.load = inputs.load;
  in.pv = inputs.pv;
  SiteImage start;  // a cold start: no peak this month, no ratchet before the period
  start.start = inputs.load.start();
  SetPeriodOracleTerms(in, site.site, start, std::nullopt);
  in.sizing = BatterySizing{.max_kwh = max_kwh,
                            .energy_to_power_h = f.energy_to_power_h,
                            .annual_krw_per_kwh = f.capex_krw_per_kwh * annual,
                            .annual_krw_per_kw = f.capex_krw_per_kw * annual,
                            .horizon_years = PeriodYears(inputs)};
  auto problem = BuildDispatchProblem(in);
  if (!problem) return problem.error();
  ClpCbcSolver solver;
  const auto began = std::chrono::steady_clock::now();
  auto report = solver.Solve(problem->model, {});
  if (!report) return report.error();
  if (report->status != SolveStatus::kOptimal) {
    return InvalidInput(
        fmt::format("battery sizing LP: no optimum (solver status {})", SolveStatusName(report->status)));
  }
  LpSizedBattery out;
  out.usable_kwh = report->primal[static_cast<size_t>(problem->battery_kwh)];
  out.power_kw = out.usable_kwh / f.energy_to_power_h;
  out.objective_krw = report->objective;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return out;
}

Result<std::vector<SizedPv>> SweepPvSizes(const LoadedSite& site, const SiteInputs& inputs,
                                          const std::vector<double>& sizes_kwp, const PvFinance& f) {
  const double site_kwp = [&] {
    double sum = 0;
    for (const PvArraySpec& a : site.site.pv) sum += a.dc_kwp.value();
    return sum;
  }();
  if (site.site.pv.empty() || !(site_kwp > 0)) {
    return InvalidInput(
        fmt::format("{}: no [[pv]] to size: the sizes scale the site's arrays (their tilt, azimuth, "
                    "losses and inverters)",
                    site.path));
  }
  if (sizes_kwp.empty()) return InvalidInput("PV sizing: no sizes given");
  for (const double kwp : sizes_kwp) {
    if (!(kwp > 0 && kwp <= 1'000'000))
      return InvalidInput(fmt::format("PV size {} kWp: give 0 < kWp <= 1,000,000", kwp));
  }
  if (!(f.capex_krw_per_kwp > 0))
    return InvalidInput("PV sizing: give the installed cost (--pv-capex-krw-per-kwp, > 0)");
  if (!(f.life_years > 0 && f.life_years <= 50 && f.discount_pct > -50 && f.discount_pct < 100 &&
        f.om_pct_per_year >= 0 && f.om_pct_per_year < 100)) {
    return InvalidInput("PV sizing: life 0-50 years, discount -50..100 %, O&M 0..100 % a year");
  }
  NoBattery none;
  BacktestRequest base = SiteYear(site, inputs);
  base.pv = nullptr;  // the site without PV
  auto without = RunBacktest(base, none);
  if (!without) return without.error();
  const Won without_total = BilledTotal(*without);
  std::vector<SizedPv> out;
  for (const double kwp : sizes_kwp) {
    const double factor = kwp / site_kwp;
    LoadedSite sized = site;
    for (PvArraySpec& a : sized.site.pv) {
      a.dc_kwp = Kilowatts(a.dc_kwp.value() * factor);
      a.inverter_kw = Kilowatts(a.inverter_kw.value() * factor);
    }
    std::vector<std::optional<Kilowatts>> scaled;
    scaled.reserve(inputs.pv.size());
    for (size_t i = 0; i < inputs.pv.size(); ++i) {
      const auto v = inputs.pv.at(i);
      scaled.push_back(v ? std::optional(Kilowatts(v->value() * factor)) : std::nullopt);
    }
    const PowerSeries pv(inputs.pv.start(), inputs.pv.step(), std::move(scaled));
    BacktestRequest r = base;
    r.site = &sized.site;
    r.pv = &pv;
    auto run = RunBacktest(r, none);
    if (!run) return run.error();
    SizedPv s;
    s.dc_kwp = kwp;
    s.ac_kw = PvAcRating(sized.site).value();
    s.available = run->pv_available_energy;
    s.used = run->pv_used_energy;
    s.bill_saving = without_total - BilledTotal(*run);
    s.capex_krw = kwp * f.capex_krw_per_kwp;
    PriceSize(s, f.om_pct_per_year, f.life_years, f.discount_pct);
    out.push_back(s);
  }
  return out;
}

Result<std::vector<SizedThermal>> SweepThermalSizes(const LoadedSite& site, const SiteInputs& inputs,
                                                    const std::vector<double>& sizes_kwh_th, const ThermalFinance& f,
                                                    const std::string& controller, int threads,
                                                    const std::function<void(size_t, size_t)>& progress) {
  if (!site.site.thermal_storage || !(site.site.thermal_storage->capacity_kwh_th.value() > 0)) {
    return InvalidInput(
        fmt::format("{}: no [thermal_storage] to size: the sizes scale the site's store (its kind, ratings in "
                    "hours, loss and ice COP)",
                    site.path));
  }
  if (inputs.cooling_kw_th.empty()) return InvalidInput(fmt::format("{}: no cooling demand ([cooling])", site.path));
  if (sizes_kwh_th.empty()) return InvalidInput("cold-store sizing: no sizes given");
  for (const double kwh : sizes_kwh_th) {
    if (!(kwh > 0 && kwh <= 1e7))
      return InvalidInput(fmt::format("cold-store size {} kWh of cooling: give 0 < kWh <= 10,000,000", kwh));
  }
  double capex_per_kwh_th = f.capex_krw_per_kwh_th;
  if (capex_per_kwh_th == 0 && site.site.thermal_storage->kind == "chilled-water") {
    capex_per_kwh_th = kChilledWaterKrwPerKwhTh;
  }
  if (!(capex_per_kwh_th > 0)) {
    return InvalidInput(fmt::format(
        "cold-store sizing: give the installed cost of the {} store (--tes-capex-krw-per-kwh, KRW per kWh of "
        "cooling, > 0){}",
        site.site.thermal_storage->kind,
        capex_per_kwh_th == 0 ? ": there is a sourced default for chilled water only" : ""));
  }
  if (!(f.life_years > 0 && f.life_years <= 50 && f.discount_pct > -50 && f.discount_pct < 100 &&
        f.om_pct_per_year >= 0 && f.om_pct_per_year < 100)) {
    return InvalidInput("cold-store sizing: life 0-50 years, discount -50..100 %, O&M 0..100 % a year");
  }
  LoadedSite alone = site;  // the store alone: no battery, no generator to share its saving with
  alone.site.ess.reset();
  alone.site.generator.reset();
  BacktestRequest base = SiteYear(alone, inputs);
  base.cooling_kw_th = &inputs.cooling_kw_th;
  base.cop = &inputs.cop;
  NoBattery none;
  auto baseline = RunBacktest(base, none);
  if (!baseline) return baseline.error();
  const Won baseline_total = BilledTotal(*baseline);

  const ThermalStorageSpec& tmpl = *site.site.thermal_storage;
  return RunSizes<SizedThermal>(sizes_kwh_th.size(), threads, progress,
                                [&](size_t i, LpSolver& solver) -> Result<SizedThermal> {
                                  LoadedSite sized = alone;
                                  ThermalStorageSpec& ts = *sized.site.thermal_storage;
                                  const double factor = sizes_kwh_th[i] / tmpl.capacity_kwh_th.value();
                                  ts.capacity_kwh_th = KilowattHours(sizes_kwh_th[i]);
                                  ts.charge_kw_th = Kilowatts(tmpl.charge_kw_th.value() * factor);
                                  ts.discharge_kw_th = Kilowatts(tmpl.discharge_kw_th.value() * factor);
                                  auto planner = MakePlanner(controller, sized, &inputs, solver, PlannerOptions{});
                                  if (!planner) return planner.error();
                                  BacktestRequest r = base;
                                  r.site = &sized.site;
                                  r.use_thermal_storage = true;
                                  auto run = RunBacktest(r, (*planner)->controller());
                                  if (!run) return run.error();
                                  SizedThermal s;
                                  s.capacity_kwh_th = ts.capacity_kwh_th.value();
                                  s.charge_kw_th = ts.charge_kw_th.value();
                                  s.discharge_kw_th = ts.discharge_kw_th.value();
                                  s.discharged = run->thermal_discharged;
                                  s.electric = run->thermal_electric;
                                  s.bill_saving = baseline_total - BilledTotal(*run);
                                  s.capex_krw = s.capacity_kwh_th * capex_per_kwh_th;
                                  PriceSize(s, f.om_pct_per_year, f.life_years, f.discount_pct);
                                  return s;
                                });
}

std::vector<double> SizeCashFlows(double capex, double saving, double om_pct, double life_years) {
  const double yearly = saving - capex * om_pct / 100.0;
  std::vector<double> flows{-capex};
  const double whole = std::floor(life_years);
  for (int y = 0; y < static_cast<int>(whole); ++y) flows.push_back(yearly);
  if (life_years > whole) flows.push_back(yearly * (life_years - whole));
  return flows;
}

Result<std::vector<SizedBattery>> SweepBatterySizes(const LoadedSite& site, const SiteInputs& inputs,
                                                    const std::vector<double>& sizes_kwh, const BatteryFinance& f,
                                                    const std::string& controller, int threads,
                                                    const std::function<void(size_t, size_t)>& progress) {
  if (!site.site.ess) {
    return InvalidInput(
        fmt::format("{}: no [ess] to size: the sizes scale the site's battery (its efficiencies, "
                    "SoC window and wear cost)",
                    site.path));
  }
  if (sizes_kwh.empty()) return InvalidInput("battery sizing: no sizes given");
  for (const double kwh : sizes_kwh) {
    if (!(kwh > 0 && kwh <= 1e6))
      return InvalidInput(fmt::format("battery size {} kWh: give 0 < kWh <= 1,000,000", kwh));
  }
  if (!(f.energy_to_power_h >= 0.25 && f.energy_to_power_h <= 24)) {
    return InvalidInput(fmt::format("battery hours {}: give 0.25 to 24 (kWh per kW)", f.energy_to_power_h));
  }
  if (!(f.capex_krw_per_kwh >= 0 && f.capex_krw_per_kw >= 0 && f.capex_krw_fixed >= 0 &&
        f.capex_krw_per_kwh + f.capex_krw_per_kw > 0)) {
    return InvalidInput(
        "battery sizing: the installed cost must be >= 0 (--capex-krw-per-kwh, --capex-krw-per-kw, --capex-krw-fixed) "
        "and grow with size (per kWh or per kW > 0)");
  }
  if (!(f.life_years > 0 && f.life_years <= 50 && f.cycle_life > 0 && f.discount_pct > -50 && f.discount_pct < 100 &&
        f.om_pct_per_year >= 0 && f.om_pct_per_year < 100)) {
    return InvalidInput("battery sizing: life 0-50 years, cycle life > 0, discount -50..100 %, O&M 0..100 % a year");
  }
  // The generator as the site has it (the battery's saving is on top of it); no cold store.
  BacktestRequest base = SiteYear(site, inputs);
  base.use_generator = true;
  NoBattery none;
  auto baseline = RunBacktest(base, none);
  if (!baseline) return baseline.error();
  const Won baseline_total = BilledTotal(*baseline);

  const EssSpec& tmpl = *site.site.ess;
  return RunSizes<SizedBattery>(sizes_kwh.size(), threads, progress,
                                [&](size_t i, LpSolver& solver) -> Result<SizedBattery> {
                                  LoadedSite sized = site;
                                  EssSpec& ess = *sized.site.ess;
                                  const double kwh = sizes_kwh[i];
                                  const double kw = kwh / f.energy_to_power_h;
                                  ess.usable_kwh = KilowattHours(kwh);
                                  ess.charge_kw = Kilowatts(kw);
                                  ess.discharge_kw = Kilowatts(kw);
                                  if (tmpl.ramp_kw_per_min > 0 && tmpl.discharge_kw.value() > 0) {
                                    ess.ramp_kw_per_min = tmpl.ramp_kw_per_min * kw / tmpl.discharge_kw.value();
                                  }
                                  auto planner = MakePlanner(controller, sized, &inputs, solver, PlannerOptions{});
                                  if (!planner) return planner.error();
                                  BacktestRequest r = base;
                                  r.site = &sized.site;
                                  r.use_battery = true;
                                  auto run = RunBacktest(r, (*planner)->controller());
                                  if (!run) return run.error();
                                  SizedBattery b;
                                  b.usable_kwh = kwh;
                                  b.power_kw = kw;
                                  b.bill_saving = baseline_total - BilledTotal(*run);
                                  b.degradation = run->degradation_cost;
                                  b.cycles = run->battery_cycles;
                                  b.life_years =
                                      b.cycles > 0 ? std::min(f.life_years, f.cycle_life / b.cycles) : f.life_years;
                                  b.capex_krw = f.capex_krw_fixed + kwh * f.capex_krw_per_kwh + kw * f.capex_krw_per_kw;
                                  PriceSize(b, f.om_pct_per_year, b.life_years, f.discount_pct);
                                  return b;
                                });
}

}  // namespace meg
