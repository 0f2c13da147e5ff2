#include "core/thermal.h"

#include <algorithm>
#include <cmath>

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

}  // namespace meg
