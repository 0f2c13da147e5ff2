// Cold storage quantities shared by the site twin, the limit stage's image and the dispatch LP
// (as core/ess.h for the battery): the stored cooling a state of charge means, what the store can
// give or take over a step (its ratings, its energy after the standing loss, the cooling demand it
// can serve, the chillers' spare capacity), the next level, and the electricity an action saves or
// costs. Units: kW and kWh of cooling unless named electric. Sign: + discharge / - charge.
// Pure functions; thread-safe.
#pragma once

#include "core/site.h"
#include "core/units.h"

namespace meg {

// The stored cooling at `soc_pct` (0..100 of capacity_kwh_th).
KilowattHours ThermalStoredAt(const ThermalStorageSpec& s, double soc_pct);
double ThermalSocPct(const ThermalStorageSpec& s, KilowattHours stored);

// The share of the stored cooling left after `dt` of standing loss: 1 - loss_pct_per_h / 100 x dt
// (>= 0), the LP's and the twin's one rule.
double ThermalKeep(const ThermalStorageSpec& s, Hours dt);

// The largest discharge over `dt` from `stored`: its rating, what is stored after the loss, and
// the cooling `demand` (a store serves demand; it cannot dump cold; infinity: no limit from it;
// NaN: none). >= 0.
Kilowatts ThermalMaxDischarge(const ThermalStorageSpec& s, KilowattHours stored, Hours dt, Kilowatts demand);
// The largest charge over `dt` (a magnitude >= 0): its rating, the room left after the loss, and
// what the chillers can make beyond the demand they serve (`chiller` capacity - demand; an
// infinite capacity: no limit from the chillers; NaN: none).
Kilowatts ThermalMaxCharge(const ThermalStorageSpec& s, KilowattHours stored, Hours dt, Kilowatts demand,
                           Kilowatts chiller);

// The level after holding `action` for `dt`: stored x keep - action x dt, within 0..capacity.
KilowattHours ThermalNext(const ThermalStorageSpec& s, KilowattHours stored, Kilowatts action, Hours dt);

// The electricity an action saves (+, a discharge: the chillers make that much less cooling at
// `cop`) or costs (-, a charge: at cop x charge_cop_pct / 100), kW. REQUIRES: cop > 0.
Kilowatts ThermalElectric(const ThermalStorageSpec& s, Kilowatts action, double cop);

// The chiller plant at part load (core/site.h CoolingSpec). `cop_full` is the chillers' full-load
// COP at the hour's temperature (ChillerCop). True when the plant's COP does not change with load
// (the default curve, no minimum): every function below is then cooling / cop_full exactly.
bool ChillerPlantIsLinear(const CoolingSpec& c);
// The plant's electricity serving `cooling` (kW of cooling, <= 0: none), with the number of
// machines running that draws the least; beyond the plant's capacity the excess is made at the
// full-load COP (load data above the rating). Non-decreasing in `cooling`.
Kilowatts ChillerPlantElectric(const CoolingSpec& c, double cop_full, Kilowatts cooling);
// The cooling whose electricity is `electric` (the inverse of ChillerPlantElectric, by bisection
// to 1e-9 of the plant's capacity): the cooling demand behind a metered chiller load.
Kilowatts ChillerCoolingFor(const CoolingSpec& c, double cop_full, Kilowatts electric);
// The plant's average COP serving `cooling`: cooling / electricity (at no load: the rate of the
// first kW). What a discharge of the whole demand saves per kWh of cooling.
double ChillerPlantCop(const CoolingSpec& c, double cop_full, Kilowatts cooling);
// The factor (>= 1; 1 for a linear plant) by which a plant's reported COP (its average at the load
// it serves) is divided to give a COP no action's electricity can beat: the best part-load factor
// the curve allows (so the full-load COP is at least reported / it) times the steepest electricity
// per kW of cooling anywhere on the plant (cycling, the curve's slope, full load) as a share of the
// full-load rate. The limit stage converts at reported / margin: a discharge saves, and a charge
// costs, at most what it reckons, so the contract and export limits hold whatever the part load.
double ChillerCopMargin(const CoolingSpec& c);
// The COP of the chillers' spare capacity above `demand`: (capacity - demand) / (the electricity
// at capacity - at demand); cop_full when there is no spare. What a charge costs the LP per kWh of
// cooling (before the ice factor).
double ChillerChargeCop(const CoolingSpec& c, double cop_full, Kilowatts demand);

// The electricity a cold-store action changes, as the plant draws it: a discharge saves
// E(demand) - E(demand - discharge) (+); a charge costs (E(demand + charge) - E(demand)) /
// (charge_cop_pct / 100) (-), E = ChillerPlantElectric. For a linear plant, ThermalElectric at
// cop_full. REQUIRES: cop_full > 0.
Kilowatts ThermalPlantElectric(const ThermalStorageSpec& s, const CoolingSpec& c, double cop_full, Kilowatts demand,
                               Kilowatts action);

}  // namespace meg
