#include "control/limits.h"

#include <algorithm>

namespace meg {

LimitedSetpoints ApplySafetyLimits(const SiteImage& image, const Setpoints& wish) {
  LimitedSetpoints out;
  const double load = image.load.value();
  const double pv_avail = std::max(0.0, image.pv_available.value());
  double pv = pv_avail;
  if (wish.pv_limit.value() >= 0) pv = std::min(pv, wish.pv_limit.value());
  double battery = image.has_battery ? wish.battery.value() : 0.0;
  // 1. The battery's own limits (power rating, SoC window, ramp) as the image states them.
  battery = std::clamp(battery, -image.battery_max_charge.value(), image.battery_max_discharge.value());
  // 2. Charging must not lift grid import above contract power (art. 67-3: over-contract).
  if (battery < 0) {
    const double headroom = image.contract_power.value() - (load - pv);
    battery = std::max(battery, -std::max(0.0, headroom));
  }
  // 3. Export: never below -export_limit (0 when export is not allowed). Discharge goes first,
  //    then PV is curtailed.
  const double min_grid = image.export_allowed ? -image.export_limit.value() : 0.0;
  double grid = load - pv - battery;
  if (grid < min_grid && battery > 0) {
    battery = std::max(0.0, battery - (min_grid - grid));
    grid = load - pv - battery;
  }
  if (grid < min_grid) {
    pv = std::max(0.0, pv - (min_grid - grid));
    grid = load - pv - battery;
  }
  out.battery = Kilowatts(battery);
  out.pv_used = Kilowatts(pv);
  out.grid = Kilowatts(grid);
  const double wished_pv = wish.pv_limit.value() >= 0 ? std::min(pv_avail, wish.pv_limit.value()) : pv_avail;
  out.clamped = battery != wish.battery.value() || pv != wished_pv;
  return out;
}

}  // namespace meg
