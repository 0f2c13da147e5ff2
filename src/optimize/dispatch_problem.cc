#include "optimize/dispatch_problem.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>

#include <fmt/format.h>

#include "core/ess.h"
#include "core/thermal.h"
#include "tariff/bill.h"
#include "tariff/slot_price.h"

namespace meg {
namespace {

constexpr double kDt = kIntervalHours.value();  // h per interval

Status CheckSeries(const DispatchInput& in) {
  if (in.load.empty()) return InvalidInput("dispatch: the horizon is empty (no load intervals)");
  if (in.load.step() != kInterval || !IsIntervalAligned(in.load.start())) {
    return InvalidInput("dispatch: the load must be on the 15-minute grid");
  }
  if (!in.peak_reserve_kw.empty() && in.peak_reserve_kw.size() != in.load.size()) {
    return InvalidInput(
        fmt::format("dispatch: {} peak reserves for {} intervals", in.peak_reserve_kw.size(), in.load.size()));
  }
  for (const DrCommitment& c : in.dr) {
    // A shortfall priced below the extra reduction's earning would let the LP buy "reduction" it
    // never delivers (extra and shortfall both up); a cap that is not a number cannot bind.
    if (!std::isfinite(c.import_cap.value()) || !(c.extra_cap.value() >= 0) ||
        !(c.shortfall_krw_per_kwh >= c.extra_krw_per_kwh) || !(c.extra_krw_per_kwh >= 0)) {
      return InvalidInput(
          fmt::format("dispatch: DR commitment at {}: needs a finite cap, extra cap >= 0 and "
                      "0 <= extra price <= shortfall price",
                      FormatKst(c.start)));
    }
  }
  for (double m : in.peak_reserve_kw) {
    if (!std::isfinite(m) || m < 0)
      return InvalidInput(fmt::format("dispatch: a peak reserve of {} kW is not >= 0", m));
  }
  if (in.pv.start() != in.load.start() || in.pv.size() != in.load.size() || in.pv.step() != in.load.step()) {
    return InvalidInput(fmt::format("dispatch: PV ({} intervals from {}) is not on the load's grid ({} from {})",
                                    in.pv.size(), FormatKst(in.pv.start()), in.load.size(),
                                    FormatKst(in.load.start())));
  }
  for (size_t t = 0; t < in.load.size(); ++t) {
    if (!in.load.at(t) || !in.pv.at(t)) {
      return InvalidInput(fmt::format("dispatch: {} has no {} value; fill the gap before optimising",
                                      FormatKst(in.load.TimeAt(t)), in.load.at(t) ? "PV" : "load"));
    }
  }
  return Ok{};
}

// Battery figures of the site, zeros when it has none.
struct BatteryLimits {
  double charge_kw = 0, discharge_kw = 0, soc_min_kwh = 0, soc_max_kwh = 0;
  double eta_charge = 1, eta_discharge = 1, ramp_kw_per_interval = 0, wear_krw_per_kwh = 0;
};

BatteryLimits LimitsOf(const Site& site) {
  BatteryLimits b;
  if (!site.ess) return b;
  const EssSpec& e = *site.ess;
  b.charge_kw = e.charge_kw.value();
  b.discharge_kw = e.discharge_kw.value();
  b.soc_min_kwh = SocFloor(e).value();
  b.soc_max_kwh = SocCeiling(e).value();
  b.eta_charge = e.charge_efficiency_pct / 100.0;
  b.eta_discharge = e.discharge_efficiency_pct / 100.0;
  b.ramp_kw_per_interval = e.ramp_kw_per_min * 15.0;
  b.wear_krw_per_kwh = e.degradation_cost.won();
  return b;
}

// The generator's columns and rows of interval t: output q_t in [0, rating] at its cost per kWh;
// with a commitment o_t (binary with unit commitment): min o_t <= q_t <= rating o_t, a start
// y_t >= o_t - o_{t-1} at the start cost; ramp: q_t - q_{t-1} <= R + (max(min, R) - R) y_t (a
// start may jump to the minimum load, as the limit stage lets it) and q_{t-1} - q_t <= R + rating (1 - o_t) (a stop is
// never held).
void AddGenerator(LpModel& m, const DispatchInput& in, const GeneratorSpec& g, DispatchProblem& p, size_t t,
                  bool commit) {
  DispatchInterval& iv = p.intervals[t];
  const double rating = g.rating_kw.value(), min = g.min_load_kw.value();
  iv.generator = m.AddVariable(fmt::format("gen_{}", t), 0, rating, p.generator_krw_per_kwh * kDt);
  const double before = in.previous_generator ? std::max(0.0, in.previous_generator->value()) : 0.0;
  const bool was_on = before > 0;
  if (commit) {
    iv.committed = m.AddVariable(fmt::format("on_{}", t), 0, 1, 0.0, in.unit_commitment);
    iv.start_up = m.AddVariable(fmt::format("su_{}", t), 0, 1, g.start_krw);
    m.AddRow(fmt::format("gmin_{}", t), 0, kLpInfinity, {{iv.generator, 1}, {iv.committed, -min}});
    m.AddRow(fmt::format("gmax_{}", t), -kLpInfinity, 0, {{iv.generator, 1}, {iv.committed, -rating}});
    if (t > 0) {
      m.AddRow(fmt::format("gsu_{}", t), 0, kLpInfinity,
               {{iv.start_up, 1}, {iv.committed, -1}, {p.intervals[t - 1].committed, 1}});
    } else {
      m.AddRow("gsu_0", was_on ? -1.0 : 0.0, kLpInfinity, {{iv.start_up, 1}, {iv.committed, -1}});
    }
  }
  const double r = g.ramp_kw_per_min * 15.0;
  if (r <= 0) return;
  const double start_jump = commit ? std::max(0.0, std::max(min, r) - r) : 0.0;  // a start may reach max(min, R)
  std::vector<LpTerm> up{{iv.generator, 1}};
  std::vector<LpTerm> down{{iv.generator, -1}};
  double up_rhs = r, down_rhs = r;
  if (t > 0) {
    up.push_back({p.intervals[t - 1].generator, -1});
    down.push_back({p.intervals[t - 1].generator, 1});
  } else {
    up_rhs += before;
    down_rhs -= before;
  }
  if (commit) {
    up.push_back({iv.start_up, -start_jump});
    down.push_back({iv.committed, rating});  // q_{t-1} - q_t + rating o_t <= R + rating
    down_rhs += rating;
  } else {
    down_rhs = kLpInfinity;  // without a commitment a stop is a ramp down: never held
  }
  m.AddRow(fmt::format("gru_{}", t), -kLpInfinity, up_rhs, std::move(up));
  if (down_rhs < kLpInfinity) m.AddRow(fmt::format("grd_{}", t), -kLpInfinity, down_rhs, std::move(down));
}

}  // namespace

int FixCommitment(DispatchProblem& problem, const std::vector<double>& primal) {
  MEG_CHECK(primal.size() == static_cast<size_t>(problem.model.num_variables()));
  int fixed = 0;
  const double min = problem.generator_min_kw;
  for (const DispatchInterval& iv : problem.intervals) {
    if (iv.committed < 0 || problem.model.variables()[static_cast<size_t>(iv.committed)].integer) continue;
    const double q = primal[static_cast<size_t>(iv.generator)];
    const double o = primal[static_cast<size_t>(iv.committed)];
    const bool on = min > 0 ? q >= 0.5 * min : o >= 0.5;
    problem.model.SetBounds(iv.committed, on ? 1.0 : 0.0, on ? 1.0 : 0.0);
    ++fixed;
  }
  return fixed;
}

double MonthsBinding(Month m) { return IsDemandMonth(m) ? 12.0 : 1.0; }

Result<DispatchProblem> BuildDispatchProblem(const DispatchInput& in) {
  if (auto ok = CheckSeries(in); !ok) return ok.error();
  for (const EvFlexLoad& car : in.ev) {
    if (!(car.max_kw >= 0 && car.max_kw < 1e6) || !(car.energy_kwh >= 0 && car.energy_kwh < 1e6)) {
      return InvalidInput(
          fmt::format("dispatch: an EV session of {} kW for {} kWh is not one", car.max_kw, car.energy_kwh));
    }
  }
  if (!(in.ev_shortfall_krw_per_kwh >= 0 && std::isfinite(in.ev_shortfall_krw_per_kwh))) {
    return InvalidInput("dispatch: the EV shortfall price must be a finite KRW/kWh >= 0");
  }
  const Site& site = *in.site;
  BatteryLimits bat = LimitsOf(site);
  const BatterySizing* sizing = in.sizing ? &*in.sizing : nullptr;
  if (sizing != nullptr) {
    if (!site.ess || !in.peak_reserve_kw.empty() || in.no_simultaneous || !(sizing->max_kwh > 0) ||
        !(sizing->energy_to_power_h > 0) || !(sizing->annual_krw_per_kwh >= 0) || !(sizing->annual_krw_per_kw >= 0)) {
      return InvalidInput(
          "dispatch: sizing the battery needs the site's [ess] as a template, no peak reserve, the LP, a largest size "
          "> 0, hours > 0 and costs >= 0");
    }
    // The bounds of the largest size; rows below tie them to the size chosen.
    bat.charge_kw = bat.discharge_kw = sizing->max_kwh / sizing->energy_to_power_h;
    bat.soc_min_kwh = 0;
    bat.soc_max_kwh = sizing->max_kwh;
    bat.ramp_kw_per_interval = 0;
  }
  const double soc0 = sizing != nullptr ? 0.0 : in.soc_start.value();
  if (soc0 < bat.soc_min_kwh - 1e-6 || soc0 > bat.soc_max_kwh + 1e-6) {
    return InvalidInput(fmt::format("dispatch: start SoC {:.1f} kWh is outside the window {:.1f}..{:.1f} kWh", soc0,
                                    bat.soc_min_kwh, bat.soc_max_kwh));
  }
  const double contract_kw = site.contract_power.value() > 0 ? site.contract_power.value() : kLpInfinity;
  const double export_kw = site.grid.export_allowed ? site.grid.export_limit_kw.value() : 0.0;

  DispatchProblem p;
  p.soc_start_kwh = soc0;
  p.degradation_krw_per_kwh = bat.wear_krw_per_kwh;
  std::map<Date, DayPrice> days;  // each KST day the horizon touches
  const size_t n = in.load.size();
  p.intervals.resize(n);
  for (size_t t = 0; t < n; ++t) {
    DispatchInterval& iv = p.intervals[t];
    iv.start = in.load.TimeAt(t);
    const KstDateTime kst = ToKst(iv.start);
    auto it = days.find(kst.date);
    if (it == days.end()) {
      auto prices =
          PriceDay(*in.book, *in.calendar, in.tariff, kst.date, {.with_taxes = in.with_taxes, .fuel_override = {}});
      if (!prices) return prices.error();
      it = days.emplace(kst.date, *prices).first;
    }
    const Month month = kst.date.year() / kst.date.month();
    if (p.months.empty() || p.months.back().month != month) {
      DispatchMonth dm;
      dm.month = month;
      const bool first = p.months.empty();
      dm.standing_peak_kw =
          first ? in.standing_peak.value() : in.later_standing_peak.value_or(in.standing_peak).value();
      for (const auto& [later, kw] : in.later_standing_by_month) {
        if (!first && later == month) dm.standing_peak_kw = kw;
      }
      dm.months_binding = in.bill_months_only                                  ? 1.0
                          : first && !in.first_month_later_standing_kw.empty() ? 1.0
                          : first                                              ? in.months_binding
                                                                               : MonthsBinding(month);
      dm.demand_krw_per_kw = it->second.BasicKrwPerKw() * dm.months_binding;
      p.months.push_back(dm);
    }
    const int slot = kst.minute_of_day / 15;
    iv.month = p.months.size() - 1;
    iv.load_kw = in.load.at(t)->value();
    iv.pv_kw = std::max(0.0, in.pv.at(t)->value());
    iv.price_krw_per_kwh = it->second.KrwPerKwh(slot);
    iv.demand_counts = it->second.slots[static_cast<size_t>(slot)].demand_counts;
  }
  if (in.bill_months_only) {
    // Each month's basic charge prorated by the days of it billed (art. 80): those from
    // `billed_from` to the horizon's end.
    const Timestamp from = in.billed_from.value_or(in.load.start());
    for (DispatchMonth& dm : p.months) {
      const std::chrono::sys_days first(dm.month / std::chrono::day{1});
      const std::chrono::sys_days last(dm.month / std::chrono::last);
      const std::chrono::sys_days a = std::max(first, std::chrono::sys_days(ToKst(from).date));
      const std::chrono::sys_days b = std::min(last, std::chrono::sys_days(ToKst(in.load.end() - kInterval).date));
      const auto billed = std::max<std::int64_t>(0, (b - a).count() + 1);
      dm.demand_krw_per_kw *= static_cast<double>(billed) / static_cast<double>((last - first).count() + 1);
    }
  }
  double cheapest = kLpInfinity, dearest = 0;
  for (const DispatchInterval& iv : p.intervals) {
    cheapest = std::min(cheapest, iv.price_krw_per_kwh);
    dearest = std::max(dearest, iv.price_krw_per_kwh);
  }
  p.terminal_krw_per_kwh =
      in.terminal_krw_per_kwh.value_or((cheapest + bat.wear_krw_per_kwh / 2) / bat.eta_charge + kReadyKrwPerKwh);
  // Where no peak of the horizon can bind (in every counted interval the forecast demand with its
  // reserve stays below the level where a kW more would cost), a kWh left stored is worth no more
  // than it can save in the horizon: its dearest price less the discharge's half of the wear, when
  // that is below buying it again. On a flat energy rate the battery is then not refilled from the
  // grid only to stand full, and keeps room for the PV surplus (docs/results.md, issue 18). That
  // level is the month's standing peak; for the first month's own peak, where it is priced against
  // the later bills, the higher of its realised own peak and the lowest of those bills' levels.
  double first_binds_above = p.months.front().standing_peak_kw;
  if (!in.first_month_later_standing_kw.empty()) {
    const double lowest =
        *std::min_element(in.first_month_later_standing_kw.begin(), in.first_month_later_standing_kw.end());
    first_binds_above = std::min(first_binds_above, std::max(in.first_month_peak.value(), lowest));
  }
  bool peak_free = !in.terminal_krw_per_kwh;
  for (size_t t = 0; t < p.intervals.size() && peak_free; ++t) {
    const DispatchInterval& iv = p.intervals[t];
    const double reserve = in.peak_reserve_kw.empty() ? 0.0 : in.peak_reserve_kw[t];
    const double binds_above = iv.month == 0 ? first_binds_above : p.months[iv.month].standing_peak_kw;
    peak_free = !iv.demand_counts || iv.load_kw - iv.pv_kw + reserve < binds_above;
  }
  if (peak_free) {
    const double use = std::max(0.0, (dearest - bat.wear_krw_per_kwh / 2) * bat.eta_discharge) + kReadyKrwPerKwh;
    p.terminal_krw_per_kwh = std::min(p.terminal_krw_per_kwh, use);
  }
  if (!in.terminal_krw_per_kwh) p.ready_krw_per_kwh = kReadyKrwPerKwhDay * kDt / 24.0;

  LpModel& m = p.model;
  const double wear = bat.wear_krw_per_kwh * 0.5 * kDt;  // per kW of charge or discharge held dt
  const GeneratorSpec* gen = site.generator ? &*site.generator : nullptr;
  if (gen) {
    p.generator_krw_per_kwh = GeneratorKrwPerKwh(*gen);
    p.generator_start_krw = gen->start_krw;
    p.generator_min_kw = gen->min_load_kw.value();
  }
  // The cold store, when the horizon carries the cooling plant.
  const ThermalStorageSpec* tes =
      site.thermal_storage && site.cooling && !in.cooling_kw_th.empty() ? &*site.thermal_storage : nullptr;
  if (tes != nullptr &&
      (in.cooling_kw_th.size() != n || in.cop.size() != n || !(in.charge_cop.empty() || in.charge_cop.size() == n))) {
    return InvalidInput(fmt::format("dispatch: {} cooling demands, {} COPs and {} charge COPs for {} intervals",
                                    in.cooling_kw_th.size(), in.cop.size(), in.charge_cop.size(), n));
  }
  if (tes != nullptr) {
    double cheapest_cold = kLpInfinity;
    for (size_t t = 0; t < n; ++t) {
      // A charge is never priced at a better COP than a discharge saves at: the LP may do both in
      // one interval (the plant does one or the other), which would then make electricity from
      // nothing.
      const double charge_cop = in.charge_cop.empty() ? in.cop[t] : std::min(in.charge_cop[t], in.cop[t]);
      if (!(std::isfinite(in.cooling_kw_th[t]) && in.cooling_kw_th[t] >= 0 && std::isfinite(in.cop[t]) &&
            in.cop[t] > 0 && std::isfinite(charge_cop) && charge_cop > 0)) {
        return InvalidInput(fmt::format("dispatch: {}: a cooling demand of {} kW, a COP of {} and a charge COP of {}",
                                        FormatKst(p.intervals[t].start), in.cooling_kw_th[t], in.cop[t], charge_cop));
      }
      p.intervals[t].cooling_kw_th = in.cooling_kw_th[t];
      p.intervals[t].cop = in.cop[t];
      p.intervals[t].charge_cop = charge_cop;
      cheapest_cold =
          std::min(cheapest_cold, p.intervals[t].price_krw_per_kwh / (charge_cop * tes->charge_cop_pct / 100.0));
    }
    // What a kWh of cooling left stored is worth: what it costs to make again at the horizon's
    // cheapest (0 when the caller values what is left at 0: the period oracle).
    p.thermal_terminal_krw_per_kwh = in.terminal_krw_per_kwh && *in.terminal_krw_per_kwh == 0.0 ? 0.0 : cheapest_cold;
  }
  // A commitment variable only where it constrains or costs something.
  const bool commit = gen && (gen->min_load_kw.value() > 0 || gen->start_krw > 0);
  // P_m = R_m + peak_excess_m per month: the demand charge is paid only on counted demand above
  // the month's standing peak R_m.
  for (size_t k = 0; k < p.months.size(); ++k) {
    DispatchMonth& dm = p.months[k];
    // bill_months_only: a month after a demand month of the horizon (within 11 months) pays on
    // B_k = R_k + b_k, b_k >= its own excess and b_k >= P_j - R_k for each such demand month j.
    std::vector<size_t> ratchets;
    for (size_t j = 0; in.bill_months_only && j < k; ++j) {
      const auto apart = (dm.month.year() - p.months[j].month.year()).count() * 12 +
                         static_cast<int>(static_cast<unsigned>(dm.month.month())) -
                         static_cast<int>(static_cast<unsigned>(p.months[j].month.month()));
      if (IsDemandMonth(p.months[j].month) && apart <= 11) ratchets.push_back(j);
    }
    dm.peak_excess = m.AddVariable(k == 0 ? std::string("peak_excess") : fmt::format("peak_excess_{}", k), 0,
                                   kLpInfinity, ratchets.empty() ? dm.demand_krw_per_kw : 0.0);
    if (k == 0 && !in.bill_months_only && !in.first_month_later_standing_kw.empty()) {
      // The later bills the first month's own peak O ratchets into: x_L >= O - L, x_L >= 0 for each
      // standing peak L, at the basic rate x the bills standing at L (rows op_ below: O >= g_t).
      dm.own_peak = m.AddVariable("own_peak_0", in.first_month_peak.value(), kLpInfinity, 0.0);
      std::map<double, int> bills;
      for (const double level : in.first_month_later_standing_kw) ++bills[level];
      for (const auto& [level, count] : bills) {
        const int x = m.AddVariable(fmt::format("ratchet_excess_{}", p.ratchet_excess.size()), 0, kLpInfinity,
                                    dm.demand_krw_per_kw * count);
        m.AddRow(fmt::format("rx_{}", p.ratchet_excess.size()), -level, kLpInfinity, {{x, 1}, {dm.own_peak, -1}});
        p.ratchet_excess.emplace_back(x, dm.demand_krw_per_kw * count);
      }
    }
    if (ratchets.empty()) continue;
    dm.bill_excess = m.AddVariable(fmt::format("bill_excess_{}", k), 0, kLpInfinity, dm.demand_krw_per_kw);
    m.AddRow(fmt::format("bd_{}", k), 0, kLpInfinity, {{dm.bill_excess, 1}, {dm.peak_excess, -1}});
    for (const size_t j : ratchets) {
      // b_k >= O_j - R_k: month j's own peak O_j (rows op_ below) carries into month k's bill.
      DispatchMonth& dj = p.months[j];
      if (dj.own_peak < 0) {
        dj.own_peak =
            m.AddVariable(fmt::format("own_peak_{}", j), j == 0 ? in.first_month_peak.value() : 0.0, kLpInfinity, 0.0);
      }
      m.AddRow(fmt::format("rt_{}_{}", k, j), -dm.standing_peak_kw, kLpInfinity,
               {{dm.bill_excess, 1}, {dj.own_peak, -1}});
    }
  }
  // Sizing: E with its annual cost (power E / h at its cost per kW), the horizon's share of it.
  if (sizing != nullptr) {
    p.battery_kwh = m.AddVariable("battery_kwh", 0, sizing->max_kwh,
                                  (sizing->annual_krw_per_kwh + sizing->annual_krw_per_kw / sizing->energy_to_power_h) *
                                      sizing->horizon_years);
  }
  // The operator's mode and reserve (DispatchInput::battery_mode): per interval, the charge and
  // discharge caps, a bonus on discharge and the lowest stored energy at its end.
  const BatteryMode& mode = in.battery_mode;
  const double usable = site.ess && sizing == nullptr ? site.ess->usable_kwh.value() : 0.0;
  const double reserve_kwh =
      usable > 0 && in.battery_reserve_pct > 0 ? std::min(in.battery_reserve_pct / 100.0 * usable, soc0) : 0.0;
  // With a ramp limit the battery can neither stop nor turn at once: from its power b before the
  // horizon, interval t's power is within b -+ r (t + 1). So the mode's caps let it ramp towards 0
  // as fast as it may (`toward_zero`), the reserve's floor stays at or below the stored energy on
  // that ramp (`soc_toward_zero`), and charge-to's floor at or below what charging as soon as the
  // ramp allows reaches (`reachable`): a mode set while the battery moves never makes the plan
  // infeasible (it did: a hold at 0 kW right after a discharge faster than the ramp).
  const double b0 = in.previous_battery ? in.previous_battery->value() : 0.0;
  const double ramp = bat.ramp_kw_per_interval > 0 && in.previous_battery ? bat.ramp_kw_per_interval : 0.0;
  const auto stored_after = [&](double power_kw) {  // energy change of an interval at power_kw (+ discharge)
    return power_kw > 0 ? -power_kw * kDt / bat.eta_discharge : -power_kw * kDt * bat.eta_charge;
  };
  double soc_toward_zero = soc0, reachable = soc0;
  for (size_t t = 0; t < n; ++t) {
    DispatchInterval& iv = p.intervals[t];
    const bool last = t + 1 == n;
    const Instant from = ToInstant(in.load.TimeAt(t)), to = from + std::chrono::minutes(15);
    const bool covered = usable > 0 && mode.kind != BatteryModeKind::kAuto && from < mode.until && to > mode.from;
    const double reach = ramp * static_cast<double>(t + 1);
    const double toward_zero = ramp > 0 ? std::copysign(std::max(0.0, std::fabs(b0) - reach), b0) : 0.0;
    soc_toward_zero += stored_after(toward_zero);
    reachable +=
        stored_after(ramp > 0 ? std::max(-bat.charge_kw, std::min(bat.discharge_kw, b0 - reach)) : -bat.charge_kw);
    double charge_cap = bat.charge_kw, discharge_cap = bat.discharge_kw, bonus = 0, floor = bat.soc_min_kwh;
    floor = std::max(floor, std::min({reserve_kwh, bat.soc_max_kwh, soc_toward_zero}));
    if (covered && mode.kind == BatteryModeKind::kHoldSoc) charge_cap = discharge_cap = 0;
    if (covered && mode.kind == BatteryModeKind::kDischargeWindow) {
      charge_cap = 0;
      discharge_cap = std::min(discharge_cap, mode.power.value());
      bonus = kModeDischargeBonusKrwPerKwh * kDt;
    }
    charge_cap = std::max(charge_cap, std::max(0.0, -toward_zero));
    discharge_cap = std::max(discharge_cap, std::max(0.0, toward_zero));
    if (usable > 0 && mode.kind == BatteryModeKind::kChargeTo && from < mode.until && to >= mode.until) {
      floor = std::max(floor, std::min({mode.soc_pct / 100.0 * usable, reachable, bat.soc_max_kwh}));
    }
    iv.charge = m.AddVariable(fmt::format("chg_{}", t), 0, charge_cap, wear);                // c_t: AC charge, kW
    iv.discharge = m.AddVariable(fmt::format("dis_{}", t), 0, discharge_cap, wear - bonus);  // d_t: AC discharge, kW
    iv.soc = m.AddVariable(fmt::format("soc_{}", t + 1), floor, bat.soc_max_kwh,  // s_{t+1} in the SoC window
                           (last ? -p.terminal_krw_per_kwh : 0.0) - p.ready_krw_per_kwh);
    iv.grid_import =
        m.AddVariable(fmt::format("imp_{}", t), 0, contract_kw, iv.price_krw_per_kwh * kDt);  // g_t <= contract
    iv.grid_export = m.AddVariable(fmt::format("xpt_{}", t), 0, export_kw, 0.0);  // x_t <= export limit (0: none)
    iv.pv_used = m.AddVariable(fmt::format("pvu_{}", t), 0, iv.pv_kw, 0.0);       // u_t in [0, pv_t]: curtailment
    // Balance: load_t = g_t - x_t + u_t + d_t - c_t (+ q_t, the generator's output).
    std::vector<LpTerm> balance{
        {iv.grid_import, 1}, {iv.grid_export, -1}, {iv.pv_used, 1}, {iv.discharge, 1}, {iv.charge, -1}};
    if (gen) {
      AddGenerator(m, in, *gen, p, t, commit);
      balance.push_back({iv.generator, 1});
    }
    if (tes != nullptr) {
      // Cooling met every interval: the store gives at most the demand, the chillers make the rest
      // and the charge within their capacity: charge - discharge <= chiller - demand.
      const double demand = iv.cooling_kw_th, cop = iv.cop, f = tes->charge_cop_pct / 100.0, cop_c = iv.charge_cop;
      const double keep = ThermalKeep(*tes, kIntervalHours);
      iv.thermal_charge = m.AddVariable(fmt::format("tch_{}", t), 0, tes->charge_kw_th.value(), 0.0);
      iv.thermal_discharge =
          m.AddVariable(fmt::format("tdi_{}", t), 0, std::min(tes->discharge_kw_th.value(), demand), 0.0);
      iv.thermal_level = m.AddVariable(fmt::format("tlv_{}", t + 1), 0, tes->capacity_kwh_th.value(),
                                       last ? -p.thermal_terminal_krw_per_kwh : 0.0);
      m.AddRow(fmt::format("tcap_{}", t), -kLpInfinity, std::max(0.0, site.cooling->chiller_kw_th.value() - demand),
               {{iv.thermal_charge, 1}, {iv.thermal_discharge, -1}});
      // e_{t+1} - keep e_t - charge dt + discharge dt = 0 (e_0 the start level, moved right).
      std::vector<LpTerm> level{{iv.thermal_level, 1}, {iv.thermal_charge, -kDt}, {iv.thermal_discharge, kDt}};
      if (t > 0) level.push_back({p.intervals[t - 1].thermal_level, -keep});
      const double rhs = t == 0 ? keep * in.thermal_start.value() : 0.0;
      m.AddRow(fmt::format("tdy_{}", t), rhs, rhs, std::move(level));
      // The electricity: a discharge saves discharge / COP, a charge costs charge / (charge COP x f).
      balance.push_back({iv.thermal_discharge, 1.0 / cop});
      balance.push_back({iv.thermal_charge, -1.0 / (cop_c * f)});
    }
    // EV sessions: load_t + sum_s e_{s,t} = the supply; each e_{s,t} in 0..max_s x the share of
    // the interval before its departure.
    for (size_t k = 0; k < in.ev.size(); ++k) {
      const EvFlexLoad& car = in.ev[k];
      const double before = std::clamp(static_cast<double>((car.departure - iv.start).count()) /
                                           static_cast<double>(std::chrono::seconds(kInterval).count()),
                                       0.0, 1.0);
      if (p.ev.size() < in.ev.size()) p.ev.resize(in.ev.size());
      p.ev[k].power.push_back(-1);
      if (before <= 0 || car.max_kw <= 0) continue;
      const int col = m.AddVariable(fmt::format("ev{}_{}", k, t), 0, car.max_kw * before, 0.0);
      p.ev[k].power.back() = col;
      balance.push_back({col, -1});
    }
    iv.row_balance = m.AddRow(fmt::format("bal_{}", t), iv.load_kw, iv.load_kw, std::move(balance));
    // SoC: s_{t+1} - s_t - eta_c c_t dt + d_t dt / eta_d = 0 (s_0 is the start SoC, moved right).
    std::vector<LpTerm> soc_terms{{iv.soc, 1},
                                  {iv.charge, -bat.eta_charge * kDt},
                                  {iv.discharge, kDt / bat.eta_discharge}};
    if (t > 0) soc_terms.push_back({p.intervals[t - 1].soc, -1});
    const double soc_rhs = t == 0 ? soc0 : 0.0;
    if (sizing != nullptr) {
      const EssSpec& e = *site.ess;
      const double lo = e.soc_min_pct / 100.0, hi = e.soc_max_pct / 100.0, power = 1.0 / sizing->energy_to_power_h;
      if (t == 0) soc_terms.push_back({p.battery_kwh, -e.soc_initial_pct / 100.0});  // s_0 = start share x E
      m.AddRow(fmt::format("szc_{}", t), -kLpInfinity, 0, {{iv.charge, 1}, {p.battery_kwh, -power}});
      m.AddRow(fmt::format("szd_{}", t), -kLpInfinity, 0, {{iv.discharge, 1}, {p.battery_kwh, -power}});
      m.AddRow(fmt::format("szh_{}", t), -kLpInfinity, 0, {{iv.soc, 1}, {p.battery_kwh, -hi}});
      m.AddRow(fmt::format("szl_{}", t), 0, kLpInfinity, {{iv.soc, 1}, {p.battery_kwh, -lo}});
    }
    iv.row_soc = m.AddRow(fmt::format("dyn_{}", t), soc_rhs, soc_rhs, std::move(soc_terms));
    // Peak: g_t - (P_m - R_m) <= R_m on counted intervals of month m, i.e. P_m >= g_t.
    if (iv.demand_counts) {
      const DispatchMonth& dm = p.months[iv.month];
      iv.row_peak = m.AddRow(fmt::format("pk_{}", t), -kLpInfinity, dm.standing_peak_kw,
                             {{iv.grid_import, 1}, {dm.peak_excess, -1}});
      if (dm.own_peak >= 0) {  // O_m >= g_t
        m.AddRow(fmt::format("op_{}", t), 0, kLpInfinity, {{dm.own_peak, 1}, {iv.grid_import, -1}});
      }
      // Reserve: x_t >= g_t + reserve_t - P_m, x_t >= 0 is the extra discharge a load `reserve_t`
      // above the forecast would need to hold the import at P_m (rows rs_ below keep it stored).
      const double reserve = in.peak_reserve_kw.empty() ? 0.0 : in.peak_reserve_kw[t];
      if (reserve > 0 && site.ess) {
        iv.extra = m.AddVariable(fmt::format("xtr_{}", t), 0, kLpInfinity, 0.0);
        iv.row_extra = m.AddRow(fmt::format("xr_{}", t), reserve - dm.standing_peak_kw, kLpInfinity,
                                {{iv.extra, 1}, {iv.grid_import, -1}, {dm.peak_excess, 1}});
        // ... deliverable on top of the planned battery power: x_t + d_t - c_t <= D.
        iv.row_extra_power = m.AddRow(fmt::format("xp_{}", t), -kLpInfinity, bat.discharge_kw,
                                      {{iv.extra, 1}, {iv.discharge, 1}, {iv.charge, -1}});
      }
    }
    // DR: g_t + e_t - s_t <= cap: the import above the cap is shortfall s_t, priced; the
    // reduction below it, e_t <= extra_cap, earns the energy payment.
    for (const DrCommitment& c : in.dr) {
      if (iv.start < c.start || iv.start >= c.end) continue;
      iv.dr_extra =
          m.AddVariable(fmt::format("dre_{}", t), 0, std::max(0.0, c.extra_cap.value()), -c.extra_krw_per_kwh * kDt);
      iv.dr_shortfall = m.AddVariable(fmt::format("drs_{}", t), 0, kLpInfinity, c.shortfall_krw_per_kwh * kDt);
      iv.row_dr = m.AddRow(fmt::format("dr_{}", t), -kLpInfinity, c.import_cap.value(),
                           {{iv.grid_import, 1}, {iv.dr_extra, 1}, {iv.dr_shortfall, -1}});
      break;
    }
    // Ramp: |(d_t - c_t) - (d_{t-1} - c_{t-1})| <= ramp x 15 min (the first against previous_battery).
    if (bat.ramp_kw_per_interval > 0 && (t > 0 || in.previous_battery)) {
      const double r = bat.ramp_kw_per_interval;
      if (t > 0) {
        const DispatchInterval& prev = p.intervals[t - 1];
        iv.row_ramp = m.AddRow(fmt::format("rmp_{}", t), -r, r,
                               {{iv.discharge, 1}, {iv.charge, -1}, {prev.discharge, -1}, {prev.charge, 1}});
      } else {
        const double b = in.previous_battery->value();
        iv.row_ramp = m.AddRow("rmp_0", b - r, b + r, {{iv.discharge, 1}, {iv.charge, -1}});
      }
    }
    // No simultaneous charge and discharge (MILP only): c_t <= C z_t, d_t <= D (1 - z_t).
    if (in.no_simultaneous) {
      iv.mode = m.AddVariable(fmt::format("mode_{}", t), 0, 1, 0.0, /*integer=*/true);
      m.AddRow(fmt::format("mc_{}", t), -kLpInfinity, 0, {{iv.charge, 1}, {iv.mode, -bat.charge_kw}});
      m.AddRow(fmt::format("md_{}", t), -kLpInfinity, bat.discharge_kw,
               {{iv.discharge, 1}, {iv.mode, bat.discharge_kw}});
    }
  }
  // Rolling reserve: at the start of every interval t, the stored energy covers the extra
  // discharge of the counted intervals of the next kReserveWindow (a demand surprise lasts hours,
  // not the whole day): s_t - sum_{u in [t, t + W)} x_u dt / eta_d >= SoC min, s_0 the start SoC.
  // Spending the energy in advance instead (a lower g_u, so x_u = 0) would need the reserve on
  // every counted interval of the day, which a battery cannot hold; the plan keeps it stored.
  constexpr size_t kReserveWindow = 8;  // intervals: 2 h
  for (size_t t = 0; t < n; ++t) {
    std::vector<LpTerm> terms;
    for (size_t u = t; u < std::min(n, t + kReserveWindow); ++u) {
      if (p.intervals[u].extra >= 0) terms.push_back({p.intervals[u].extra, -kDt / bat.eta_discharge});
    }
    if (terms.empty()) continue;
    double lower = bat.soc_min_kwh;
    if (t == 0) {
      lower -= soc0;  // s_0 is the start SoC, a constant
    } else {
      terms.push_back({p.intervals[t - 1].soc, 1});
    }
    p.intervals[t].row_reserve_soc = m.AddRow(fmt::format("rs_{}", t), lower, kLpInfinity, std::move(terms));
  }
  // Each EV session's energy: sum_t e_{s,t} dt + short_s >= its need, short_s priced.
  for (size_t k = 0; k < in.ev.size(); ++k) {
    if (p.ev.size() < in.ev.size()) p.ev.resize(in.ev.size());
    DispatchEv& car = p.ev[k];
    car.shortfall = m.AddVariable(fmt::format("evs_{}", k), 0, kLpInfinity, in.ev_shortfall_krw_per_kwh);
    std::vector<LpTerm> terms{{car.shortfall, 1}};
    for (const int col : car.power) {
      if (col >= 0) terms.push_back({col, kDt});
    }
    car.row_energy =
        m.AddRow(fmt::format("eve_{}", k), std::max(0.0, in.ev[k].energy_kwh), kLpInfinity, std::move(terms));
  }
  return p;
}

LpBasis ShiftBasis(const DispatchProblem& from, const LpBasis& basis, const DispatchProblem& to) {
  if (basis.variables.size() != static_cast<size_t>(from.model.num_variables()) ||
      basis.rows.size() != static_cast<size_t>(from.model.num_rows()) || from.intervals.empty()) {
    return {};
  }
  LpBasis b;
  b.variables.assign(static_cast<size_t>(to.model.num_variables()), BasisStatus::kAtLower);
  b.rows.assign(static_cast<size_t>(to.model.num_rows()), BasisStatus::kBasic);
  const auto copy_var = [&](int dst, int src) {
    if (dst >= 0 && src >= 0) b.variables[static_cast<size_t>(dst)] = basis.variables[static_cast<size_t>(src)];
  };
  const auto copy_row = [&](int dst, int src) {
    if (dst >= 0 && src >= 0) b.rows[static_cast<size_t>(dst)] = basis.rows[static_cast<size_t>(src)];
  };
  for (const DispatchMonth& dm : to.months) {
    for (const DispatchMonth& old : from.months) {
      if (old.month == dm.month) {
        copy_var(dm.peak_excess, old.peak_excess);
        copy_var(dm.bill_excess, old.bill_excess);
      }
    }
  }
  const Timestamp first = from.intervals.front().start;
  for (const DispatchInterval& iv : to.intervals) {
    if (iv.start < first) continue;
    const auto k = static_cast<size_t>((iv.start - first) / kInterval);
    if (k >= from.intervals.size()) break;
    const DispatchInterval& old = from.intervals[k];
    copy_var(iv.charge, old.charge);
    copy_var(iv.discharge, old.discharge);
    copy_var(iv.soc, old.soc);
    copy_var(iv.grid_import, old.grid_import);
    copy_var(iv.grid_export, old.grid_export);
    copy_var(iv.pv_used, old.pv_used);
    copy_var(iv.mode, old.mode);
    copy_var(iv.generator, old.generator);
    copy_var(iv.committed, old.committed);
    copy_var(iv.start_up, old.start_up);
    copy_var(iv.thermal_charge, old.thermal_charge);
    copy_var(iv.thermal_discharge, old.thermal_discharge);
    copy_var(iv.thermal_level, old.thermal_level);
    copy_var(iv.extra, old.extra);
    copy_var(iv.dr_extra, old.dr_extra);
    copy_var(iv.dr_shortfall, old.dr_shortfall);
    copy_row(iv.row_dr, old.row_dr);
    copy_row(iv.row_extra, old.row_extra);
    copy_row(iv.row_extra_power, old.row_extra_power);
    copy_row(iv.row_reserve_soc, old.row_reserve_soc);
    copy_row(iv.row_balance, old.row_balance);
    copy_row(iv.row_soc, old.row_soc);
    copy_row(iv.row_peak, old.row_peak);
    copy_row(iv.row_ramp, old.row_ramp);
  }
  return b;
}

Schedule DecodeSchedule(const DispatchProblem& p, const SolveReport& report) {
  MEG_CHECK(report.primal.size() == static_cast<size_t>(p.model.num_variables()));
  const auto x = [&](int j) { return report.primal[static_cast<size_t>(j)]; };
  Schedule s;
  std::vector<double> peaks;  // P_m
  for (const DispatchMonth& dm : p.months) {
    peaks.push_back(dm.standing_peak_kw + x(dm.peak_excess));
    s.demand_krw += dm.demand_krw_per_kw * x(dm.bill_excess >= 0 ? dm.bill_excess : dm.peak_excess);
  }
  for (const auto& [column, krw_per_kw] : p.ratchet_excess) s.demand_krw += krw_per_kw * x(column);
  if (!p.ratchet_excess.empty()) s.own_peak = Kilowatts(x(p.months.front().own_peak));
  double charged = 0, discharged = 0, generated = 0;
  double soc_lo = kLpInfinity, soc_hi = -kLpInfinity;
  for (const DispatchInterval& iv : p.intervals) {
    ScheduleInterval o;
    o.start = iv.start;
    o.charge = Kilowatts(x(iv.charge));
    o.discharge = Kilowatts(x(iv.discharge));
    o.soc_end = KilowattHours(x(iv.soc));
    o.grid_import = Kilowatts(x(iv.grid_import));
    o.grid_export = Kilowatts(x(iv.grid_export));
    o.pv_used = Kilowatts(x(iv.pv_used));
    if (iv.generator >= 0) {
      o.generator = Kilowatts(x(iv.generator));
      s.generator_krw += p.generator_krw_per_kwh * o.generator.value() * kDt;
      generated += o.generator.value() * kDt;
    }
    if (iv.thermal_level >= 0) {
      o.thermal = Kilowatts(x(iv.thermal_discharge) - x(iv.thermal_charge));
      o.thermal_level_end = KilowattHours(x(iv.thermal_level));
    }
    if (iv.start_up >= 0) {
      s.generator_krw += p.generator_start_krw * x(iv.start_up);
      s.starts += x(iv.start_up) > 0.5 ? 1 : 0;
    }
    o.price_krw_per_kwh = iv.price_krw_per_kwh;
    o.demand_counts = iv.demand_counts;
    const size_t t = s.intervals.size();
    double ev = 0;
    for (const DispatchEv& car : p.ev) {
      if (t < car.power.size() && car.power[t] >= 0) ev += x(car.power[t]);
    }
    o.ev = Kilowatts(ev);
    o.month_peak = Kilowatts(iv.month == 0 && !p.ratchet_excess.empty() ? s.own_peak.value() : peaks[iv.month]);
    s.energy_krw += iv.price_krw_per_kwh * o.grid_import.value() * kDt;
    if (iv.row_dr >= 0) {
      const auto& v = p.model.variables();
      s.dr_krw += v[static_cast<size_t>(iv.dr_extra)].cost * x(iv.dr_extra) +
                  v[static_cast<size_t>(iv.dr_shortfall)].cost * x(iv.dr_shortfall);
      const auto& row = p.model.rows()[static_cast<size_t>(iv.row_dr)];
      o.dr_cap = Kilowatts(row.upper);
    }
    s.degradation_krw += p.degradation_krw_per_kwh * (o.charge.value() + o.discharge.value()) / 2 * kDt;
    charged += o.charge.value() * kDt;
    discharged += o.discharge.value() * kDt;
    s.terminal_krw -= p.ready_krw_per_kwh * o.soc_end.value();
    soc_lo = std::min(soc_lo, o.soc_end.value());
    soc_hi = std::max(soc_hi, o.soc_end.value());
    s.intervals.push_back(o);
  }
  s.peak = Kilowatts(peaks.empty() ? 0.0 : peaks.front());
  if (!s.intervals.empty()) {
    s.terminal_krw -= p.terminal_krw_per_kwh * s.intervals.back().soc_end.value() +
                      p.thermal_terminal_krw_per_kwh * s.intervals.back().thermal_level_end.value();
  }
  for (const DispatchEv& car : p.ev) {
    const double short_kwh = x(car.shortfall);
    s.ev_short += KilowattHours(short_kwh);
    s.ev_krw += p.model.variables()[static_cast<size_t>(car.shortfall)].cost * short_kwh;
  }
  s.objective_krw =
      s.energy_krw + s.demand_krw + s.degradation_krw + s.terminal_krw + s.dr_krw + s.generator_krw + s.ev_krw;
  s.generated = KilowattHours(generated);
  s.charged = KilowattHours(charged);
  s.discharged = KilowattHours(discharged);
  s.soc_min = KilowattHours(soc_lo);
  s.soc_max = KilowattHours(soc_hi);
  return s;
}

}  // namespace meg
