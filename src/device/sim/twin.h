// SiteTwin: the site twin (real 15-minute load and PV from the simulation inputs, the Battery
// model) seen as devices, so the live control loop, the demo, the year backtest and the tests run
// without hardware. Time is whatever the caller's clock says: run it 60x faster than the wall and
// the twin follows (accelerated real time), or step it a quarter-hour at a time (the backtest).
// A meter (with a net energy register), `pv_inverters` PV inverters sharing the PV series equally
// and `batteries` batteries sharing the ESS spec equally. Between two instants the physics is
// integrated exactly: load and available PV are step functions of the series' intervals, the
// batteries hold their setpoints and the inverters their limits from the last write.
// Not thread-safe: the twin and its devices belong to the control thread. The twin must outlive
// the devices it makes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/series.h"
#include "core/site.h"
#include "device/device.h"
#include "device/sim/battery.h"
#include "device/sim/ev_twin.h"

namespace meg {

class SiteTwin {
 public:
  // `load` (+ consumption) and `pv` (+ available AC production) on the same 15-minute grid;
  // `pv` may be empty (no PV). REQUIRES: ess validated when present; batteries >= 1 when ess is
  // present; pv_inverters >= 1 when pv is not empty.
  SiteTwin(PowerSeries load, PowerSeries pv, std::optional<EssSpec> ess, int batteries, int pv_inverters,
           Instant start);

  // Adds a dispatchable generator (before MakeDevices): it gives its setpoint, within 0..rating,
  // from the moment it is written (the limit stage keeps its minimum load and ramp).
  void AddGenerator(const GeneratorSpec& spec);
  // Adds cold storage beside the chillers (before MakeDevices). `cooling` (kW of cooling) and
  // `cop` (the chillers' full-load COP) on the load's grid: the chillers make cooling - discharge +
  // charge, their electricity (in the load series) changes by what the store's action saves or
  // costs at their part load (core/thermal.h ThermalPlantElectric); the store holds its setpoint
  // within its limits each step.
  void AddThermalStorage(const ThermalStorageSpec& spec, const CoolingSpec& cooling, PowerSeries cooling_kw_th,
                         IntervalSeries<double> cop);

  // Adds the EV chargers' twin (before the first AdvanceTo; not owned, must outlive the twin): the
  // cars' draw is part of the site's load and goes through its meter.
  void AddEvChargers(EvTwin* ev) { ev_ = ev; }

  // Devices "twin-meter", "twin-pv-1".., "twin-ess-1".., "twin-gen-1", "twin-tes-1" in that order.
  std::vector<std::unique_ptr<Device>> MakeDevices();

  // Moves the physics on to `now` (batteries hold their setpoints, PV follows the series under
  // its limits). Times before the last are ignored. Fails outside the series; the series' end
  // itself may be reached (the last interval integrated; its values then held).
  Status AdvanceTo(Instant now);

  // Energy since the twin's start, kWh: load, PV produced, battery (+ discharged / - charged, AC),
  // generator (AC output) and grid (+ import / - export); grid = load - pv - battery - generator.
  // The generator's starts (output rising from 0) are counted.
  struct Energy {
    KilowattHours load, pv, battery, generator, grid;
    int generator_starts = 0;
    // Thermal storage: the electricity its actions saved (+) less cost (-), and the cooling it
    // took in and gave out (kWh of cooling).
    KilowattHours thermal_electric, thermal_charged, thermal_discharged;
    KilowattHours ev;  // the EV chargers' draw (part of `load`)
  };
  const Energy& energy() const { return energy_; }
  const Battery& battery(size_t i) const { return batteries_[i]; }

  // What the twin is doing now (for tests and the demo).
  Kilowatts load() const { return load_now_; }
  Kilowatts grid() const;
  Kilowatts pv_output() const;
  Kilowatts battery_output() const;
  Kilowatts generator_output() const { return generator_power_; }
  double thermal_soc_pct() const;
  Kilowatts thermal_action() const { return thermal_action_; }
  double soc_pct(size_t battery) const { return batteries_[battery].soc_pct(); }
  size_t battery_count() const { return batteries_.size(); }

 private:
  friend class TwinDevice;
  Kilowatts SeriesAt(const PowerSeries& s, Instant t, bool* ok) const;
  // PV each inverter gives at `available` (whole site) under its limit.
  void SetPvOutput(Kilowatts available);

  PowerSeries load_;
  PowerSeries pv_;
  Instant now_;
  Kilowatts load_now_;
  Kilowatts pv_available_now_;  // whole site
  std::vector<Battery> batteries_;
  std::vector<Kilowatts> battery_setpoints_;
  std::vector<Kilowatts> battery_power_;  // delivered over the last step
  std::vector<std::optional<Kilowatts>> pv_limits_;
  std::vector<Kilowatts> pv_power_;
  Kilowatts battery_rating_;  // each battery's PCS rating: max(charge, discharge)
  std::optional<GeneratorSpec> generator_;
  Kilowatts generator_setpoint_;
  Kilowatts generator_power_;
  std::optional<ThermalStorageSpec> thermal_;
  CoolingSpec cooling_spec_;
  PowerSeries cooling_;
  IntervalSeries<double> cop_;
  KilowattHours thermal_stored_;
  Kilowatts thermal_setpoint_;
  Kilowatts thermal_action_;    // kW of cooling over the last step
  Kilowatts thermal_electric_;  // the electricity it saved (+) or cost (-) over the last step
  EvTwin* ev_ = nullptr;
  Energy energy_;
};

}  // namespace meg
