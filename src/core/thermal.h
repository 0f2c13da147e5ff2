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

}  // namespace meg
