// The Jeonju hospital's ESS as data/sites/jeonju-hospital.toml states it (1,000 kWh usable,
// 500/500 kW, 96 %/96 %, SoC 10-80 %, ramp 100 kW/min), for tests that check battery arithmetic
// by hand.
#pragma once

#include "core/site.h"

namespace meg::testing {

inline EssSpec JeonjuHospitalEss() {
  EssSpec e;
  e.usable_kwh = KilowattHours(1000);
  e.charge_kw = Kilowatts(500);
  e.discharge_kw = Kilowatts(500);
  e.charge_efficiency_pct = 96;
  e.discharge_efficiency_pct = 96;
  e.soc_min_pct = 10;
  e.soc_max_pct = 80;
  e.soc_initial_pct = 45;
  e.ramp_kw_per_min = 100;
  return e;
}

}  // namespace meg::testing
