// The small site of the control-loop and live-site tests: 1,000 kW contract (일반용(을) 고압A
// 선택II), 100 kW of PV, a lossless 400 kWh / 200 kW battery within 10-90 % SoC, no export.
#pragma once

#include <string>

#include "core/site.h"

namespace meg::testing {

inline Site LoopTestSite(std::string name) {
  Site s;
  s.name = std::move(name);
  s.tariff = "일반용(을) 고압A 선택II";
  s.contract_power = Kilowatts(1000);
  PvArraySpec pv;
  pv.name = "roof";
  pv.inverter_kw = Kilowatts(100);
  s.pv.push_back(pv);
  EssSpec e;
  e.usable_kwh = KilowattHours(400);
  e.charge_kw = Kilowatts(200);
  e.discharge_kw = Kilowatts(200);
  e.charge_efficiency_pct = 100;
  e.discharge_efficiency_pct = 100;
  e.soc_min_pct = 10;
  e.soc_max_pct = 90;
  e.soc_initial_pct = 50;
  s.ess = e;
  s.grid.export_allowed = false;
  return s;
}

}  // namespace meg::testing
