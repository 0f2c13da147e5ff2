#include "core/thermal.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace meg {

KilowattHours ThermalStoredAt(const ThermalStorageSpec& s, double soc_pct) {
  return KilowattHours(s.capacity_kwh_th.value() * std::clamp(soc_pct, 0.0, 100.0) / 100.0);
}

double ThermalSocPct(const ThermalStorageSpec& s, KilowattHours stored) {
  return s.capacity_kwh_th.value() > 0 ? 100.0 * stored.value() / s.capacity_kwh_th.value() : 0.0;
}

double ThermalKeep(const ThermalStorageSpec& s, Hours dt) {
  return std::max(0.0, 1.0 - s.loss_pct_per_h / 100.0 * dt.value());
}

Kilowatts ThermalMaxDischarge(const ThermalStorageSpec& s, KilowattHours stored, Hours dt, Kilowatts demand) {
  const double energy = std::max(0.0, stored.value() * ThermalKeep(s, dt)) / dt.value();
  // An infinite demand is no limit here (the caller takes the plant's own figure); NaN allows none.
  const double d = std::isnan(demand.value()) ? 0.0 : std::max(0.0, demand.value());
  return Kilowatts(std::max(0.0, std::min({s.discharge_kw_th.value(), energy, d})));
}

Kilowatts ThermalMaxCharge(const ThermalStorageSpec& s, KilowattHours stored, Hours dt, Kilowatts demand,
                           Kilowatts chiller) {
  const double room = std::max(0.0, s.capacity_kwh_th.value() - stored.value() * ThermalKeep(s, dt)) / dt.value();
  // An infinite chiller capacity is no limit here (the caller takes the plant's own figure); an
  // unknown (NaN) demand or capacity allows no charge.
  const double c = chiller.value(), d = demand.value();
  const double spare = std::isnan(c) || std::isnan(d) ? 0.0 : std::isinf(c) && c > 0 ? c : c - std::max(0.0, d);
  return Kilowatts(std::max(0.0, std::min({s.charge_kw_th.value(), room, spare})));
}

KilowattHours ThermalNext(const ThermalStorageSpec& s, KilowattHours stored, Kilowatts action, Hours dt) {
  const double next = stored.value() * ThermalKeep(s, dt) - action.value() * dt.value();
  return KilowattHours(std::clamp(next, 0.0, s.capacity_kwh_th.value()));
}

Kilowatts ThermalElectric(const ThermalStorageSpec& s, Kilowatts action, double cop) {
  const double a = action.value();
  return Kilowatts(a >= 0 ? a / cop : a / (cop * s.charge_cop_pct / 100.0));
}

namespace {

// One machine's electricity as a share of its full-load electricity at part-load ratio `p`.
double MachineShare(const CoolingSpec& c, double p) {
  const auto& k = c.part_load_curve;
  const auto f = [&](double x) { return k[0] + (k[1] + k[2] * x) * x; };
  if (p >= 1) return p;  // at (or, for load data above the rating, beyond) full load
  const double m = c.min_part_load_pct / 100.0;
  if (m > 0 && p < m) return f(m) / f(1) * p / m;  // cycling at the minimum's rate
  return f(p) / f(1);
}

}  // namespace

bool ChillerPlantIsLinear(const CoolingSpec& c) {
  return c.part_load_curve[0] == 0 && c.part_load_curve[2] == 0 && c.min_part_load_pct == 0;
}

Kilowatts ChillerPlantElectric(const CoolingSpec& c, double cop_full, Kilowatts cooling) {
  const double q = cooling.value();
  if (!(q > 0)) return Kilowatts(0);
  if (ChillerPlantIsLinear(c)) return Kilowatts(q / cop_full);
  const int machines = std::max(1, c.chillers);
  const double unit = c.chiller_kw_th.value() / machines;
  const double full_kw = unit / cop_full;  // one machine's full-load electricity
  // n machines sharing the load alike (fewer than the load needs cannot run it; beyond the
  // plant's capacity: all of them) ...
  const int first = std::clamp(static_cast<int>(std::ceil(q / unit - 1e-9)), 1, machines);
  double best = std::numeric_limits<double>::infinity();
  for (int n = first; n <= machines; ++n) best = std::min(best, n * full_kw * MachineShare(c, q / (n * unit)));
  // ... or k at full load and one more with the rest (cycling when it is small): no step in the
  // electricity when the load needs one more machine.
  const int full = static_cast<int>(std::floor(q / unit));
  if (full >= 1 && full < machines) best = std::min(best, full * full_kw + full_kw * MachineShare(c, q / unit - full));
  return Kilowatts(best);
}

Kilowatts ChillerCoolingFor(const CoolingSpec& c, double cop_full, Kilowatts electric) {
  const double e = electric.value();
  if (!(e > 0)) return Kilowatts(0);
  if (ChillerPlantIsLinear(c)) return Kilowatts(e * cop_full);
  double lo = 0, hi = std::max(1.0, c.chiller_kw_th.value());
  for (int i = 0; i < 64 && ChillerPlantElectric(c, cop_full, Kilowatts(hi)).value() < e; ++i) hi *= 2;
  const double tolerance = 1e-9 * std::max(1.0, c.chiller_kw_th.value());
  for (int i = 0; i < 200 && hi - lo > tolerance; ++i) {
    const double mid = 0.5 * (lo + hi);
    (ChillerPlantElectric(c, cop_full, Kilowatts(mid)).value() < e ? lo : hi) = mid;
  }
  return Kilowatts(0.5 * (lo + hi));
}

double ChillerCopMargin(const CoolingSpec& c) {
  if (ChillerPlantIsLinear(c)) return 1;
  const double a = c.part_load_curve[0], b = c.part_load_curve[1], k = c.part_load_curve[2];
  const auto f = [&](double x) { return a + (b + k * x) * x; };
  const double m = c.min_part_load_pct / 100.0, f1 = f(1);
  // The best part-load factor p f(1) / f(p) over m..1: at the ends or where a = k p^2.
  const auto plf = [&](double p) { return p > 0 ? p * f1 / f(p) : (a == 0 ? f1 / b : 0.0); };
  double best_plf = std::max({1.0, plf(m), plf(1)});
  if (k > 0 && a > 0) {
    const double p = std::sqrt(a / k);
    if (p > m && p < 1) best_plf = std::max(best_plf, plf(p));
  }
  // The steepest electricity per kW of cooling, as a share of the full-load rate: cycling, the
  // curve's slope (b + 2 k p) / f(1) at its steeper end, or full load.
  double steepest = std::max({1.0, (b + 2 * k) / f1, (b + 2 * k * m) / f1});
  if (m > 0) steepest = std::max(steepest, f(m) / (f1 * m));
  return best_plf * steepest;
}

double ChillerPlantCop(const CoolingSpec& c, double cop_full, Kilowatts cooling) {
  if (ChillerPlantIsLinear(c)) return cop_full;
  // At no load, the rate of the first kW (one machine cycling).
  const double q = cooling.value() > 0 ? cooling.value() : 1e-6 * std::max(1.0, c.chiller_kw_th.value());
  return q / ChillerPlantElectric(c, cop_full, Kilowatts(q)).value();
}

double ChillerChargeCop(const CoolingSpec& c, double cop_full, Kilowatts demand) {
  if (ChillerPlantIsLinear(c)) return cop_full;
  const double d = std::max(0.0, demand.value()), cap = c.chiller_kw_th.value();
  if (!(cap - d > 1e-9 * std::max(1.0, cap))) return cop_full;
  const double e = ChillerPlantElectric(c, cop_full, Kilowatts(cap)).value() -
                   ChillerPlantElectric(c, cop_full, Kilowatts(d)).value();
  return e > 0 ? (cap - d) / e : cop_full;
}

Kilowatts ThermalPlantElectric(const ThermalStorageSpec& s, const CoolingSpec& c, double cop_full, Kilowatts demand,
                               Kilowatts action) {
  if (ChillerPlantIsLinear(c)) return ThermalElectric(s, action, cop_full);
  const double d = std::max(0.0, demand.value()), a = action.value();
  const double now = ChillerPlantElectric(c, cop_full, Kilowatts(d)).value();
  if (a >= 0) return Kilowatts(now - ChillerPlantElectric(c, cop_full, Kilowatts(std::max(0.0, d - a))).value());
  const double more = ChillerPlantElectric(c, cop_full, Kilowatts(d - a)).value() - now;
  return Kilowatts(-more / (s.charge_cop_pct / 100.0));
}

}  // namespace meg
