// A site for hand-worked dispatch days: a contract of 2,000 kW and a battery of 1,000 kWh and 500 kW
// each way, no losses, the whole SoC range usable, worn at 1,000 KRW per kWh of throughput, so
// that no price spread between bands (about 100 KRW/kWh) pays for a cycle and only a peak or the
// value of stored energy moves it.
#pragma once

#include "core/site.h"

namespace meg::testing {

inline Site LosslessWornSite() {
  Site site;
  site.contract_power = Kilowatts(2000);
  EssSpec ess;
  ess.usable_kwh = KilowattHours(1000);
  ess.charge_kw = Kilowatts(500);
  ess.discharge_kw = Kilowatts(500);
  ess.soc_min_pct = 0;
  ess.soc_max_pct = 100;
  ess.charge_efficiency_pct = 100;
  ess.discharge_efficiency_pct = 100;
  ess.degradation_cost = WonPerKwh::FromMilliWon(1000 * 1000);
  site.ess = ess;
  return site;
}

}  // namespace meg::testing
