#include "control/site_image.h"

#include <algorithm>
#include <cmath>

#include "core/ess.h"
#include "core/thermal.h"

namespace meg {

SiteImage MakeSiteImage(const Site& site, const SiteReading& r, const DayProfile* day, const DemandMeter* demand,
                        std::span<const DrCommitment> dr) {
  SiteImage image;
  image.start = r.start;
  image.dt = r.dt;
  image.load = r.load;
  image.pv_available = r.pv_available;
  image.pv_now = r.pv_now;
  image.has_battery = site.ess.has_value() && r.battery.has_value();
  if (image.has_battery) {
    const EssSpec& ess = *site.ess;
    const BatteryReading& b = *r.battery;
    const KilowattHours stored = StoredAt(ess, b.soc_pct);
    image.soc_pct = b.soc_pct;
    image.battery_reserve_pct = b.reserve_pct > ess.soc_min_pct ? b.reserve_pct : 0;
    // The backup reserve is a floor no discharge passes: the window's floor, raised.
    EssSpec kept = ess;
    kept.soc_min_pct = std::max(ess.soc_min_pct, b.reserve_pct);
    image.battery_max_discharge =
        Kilowatts(std::min(MaxDischarge(kept, stored, r.dt, b.previous).value(), b.device_max_discharge.value()));
    image.battery_max_charge =
        Kilowatts(std::min(MaxCharge(ess, stored, r.dt, b.previous).value(), b.device_max_charge.value()));
    image.battery_discharge_rating = ess.discharge_kw;
    image.battery_deliverable_full = DeliverableFull(ess);
    image.battery_previous = b.previous;
    if (ess.ramp_kw_per_min > 0) image.battery_ramp_step = Kilowatts(ess.ramp_kw_per_min * r.dt.value() * 60.0);
  }
  image.has_generator = site.generator.has_value() && r.generator.has_value();
  if (image.has_generator) {
    const GeneratorSpec& g = *site.generator;
    const GeneratorReading& gr = *r.generator;
    image.generator_now = gr.now;
    image.generator_max = Kilowatts(std::min(g.rating_kw.value(), gr.device_max.value()));
    image.generator_min = g.min_load_kw;
    image.generator_previous = gr.previous;
    if (g.ramp_kw_per_min > 0) image.generator_ramp_step = Kilowatts(g.ramp_kw_per_min * r.dt.value() * 60.0);
  }
  image.has_thermal = site.thermal_storage.has_value() && r.thermal.has_value();
  if (image.has_thermal) {
    const ThermalStorageSpec& s = *site.thermal_storage;
    const ThermalReading& t = *r.thermal;
    const KilowattHours stored = ThermalStoredAt(s, t.soc_pct);
    constexpr double kInf = std::numeric_limits<double>::infinity();
    // Its ratings and energy over dt, and what the plant says (the demand it may serve, the
    // chillers' spare capacity).
    image.thermal_soc_pct = t.soc_pct;
    image.thermal_max_discharge = Kilowatts(
        std::min(ThermalMaxDischarge(s, stored, r.dt, Kilowatts(kInf)).value(), t.device_max_discharge.value()));
    image.thermal_max_charge =
        Kilowatts(std::min(ThermalMaxCharge(s, stored, r.dt, Kilowatts(0), Kilowatts(kInf)).value(),
                           t.device_max_charge.value()));
    // The plant's COP, or the chillers' rated one without a reading (site file); for the limit
    // stage, the plant at part load with the cooling it serves, or the margin.
    image.thermal_cop = std::isfinite(t.cop) && t.cop > 0 ? t.cop : site.cooling ? site.cooling->cop : t.cop;
    image.thermal_cop_margin = site.cooling ? ChillerCopMargin(*site.cooling) : 1.0;
    if (site.cooling && !ChillerPlantIsLinear(*site.cooling) && std::isfinite(t.cooling_load.value()) &&
        t.cooling_load.value() >= 0 && std::isfinite(t.cop) && t.cop > 0) {
      image.thermal_plant = *site.cooling;
      image.thermal_cooling_load = t.cooling_load;
    }
    image.thermal_charge_cop_pct = s.charge_cop_pct;
  }
  if (day != nullptr) {
    const auto slot = static_cast<size_t>(ToKst(IntervalStart(r.start)).minute_of_day / 15);
    image.band = day->energy_band[slot];
    image.demand_counts = day->demand_counts[slot];
  }
  image.contract_power = site.contract_power;
  if (demand != nullptr) {
    image.month_peak = demand->month_peak();
    image.ratchet = demand->ratchet();
  }
  image.export_allowed = site.grid.export_allowed;
  image.export_limit = site.grid.export_limit_kw;
  image.dr.assign(dr.begin(), dr.end());
  return image;
}

}  // namespace meg
