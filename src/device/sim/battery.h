// Battery: the site twin's model of one stationary battery (usable energy, power and SoC limits,
// separate charge and discharge efficiency, ramp limit, throughput counting).
// A value type; safe to copy between threads. Sign: power > 0 discharges into the site (AC),
// power < 0 charges from it.
//
//   Battery b(spec);
//   const Battery::Step s = b.Apply(Kilowatts(-250), kIntervalHours);  // charge at 250 kW for 15 min
//   b = s.next;   // s.power is what the battery actually did after its limits
#pragma once

#include "core/site.h"
#include "core/units.h"

namespace meg {

class Battery {
 public:
  // REQUIRES: spec validated (io/site_config.h): capacities > 0, efficiencies in (0, 100],
  // 0 <= soc_min < soc_max <= 100, soc_initial within the window.
  explicit Battery(const EssSpec& spec);

  struct Step;
  // Holds `setpoint` for `dt` within the battery's own limits: power ratings, the SoC window and
  // the ramp limit (power may move away from the previous step's power by at most
  // ramp_kw_per_min per minute; moving toward zero is never held back, so a stop is immediate).
  // Returns the power actually delivered and the new state. REQUIRES: dt > 0.
  Step Apply(Kilowatts setpoint, Hours dt) const;

  // The largest discharge (>= 0) and charge (>= 0, a magnitude) power available for `dt` now.
  Kilowatts MaxDischarge(Hours dt) const;
  Kilowatts MaxCharge(Hours dt) const;

  const EssSpec& spec() const { return spec_; }
  KilowattHours stored() const { return stored_; }  // energy in the cells, 0..usable
  double soc_pct() const { return 100.0 * stored_.value() / spec_.usable_kwh.value(); }
  Kilowatts last_power() const { return last_power_; }
  KilowattHours charged() const { return charged_; }        // AC energy taken in, total
  KilowattHours discharged() const { return discharged_; }  // AC energy given out, total
  // Equivalent full cycles: throughput / usable, throughput = (charged + discharged) / 2.
  double Cycles() const;

 private:
  EssSpec spec_;
  KilowattHours stored_;
  KilowattHours min_stored_;
  KilowattHours max_stored_;
  Kilowatts last_power_;
  KilowattHours charged_;
  KilowattHours discharged_;
};

struct Battery::Step {
  Battery next;
  Kilowatts power;  // delivered, + discharge / - charge
};

}  // namespace meg
