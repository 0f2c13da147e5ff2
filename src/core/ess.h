// Battery quantities of one EssSpec, defined once for the twin's Battery model, the control loop,
// the planners and the commands: the SoC window in kWh, the AC energy a full window delivers, the
// power a battery can give or take for a time from its stored energy (ramp included), and the
// spec of each of n equal batteries. Pure functions; thread-safe.
//
//   const KilowattHours stored = StoredAt(ess, 55.0);           // 55 % SoC
//   const Kilowatts out = MaxDischarge(ess, stored, kIntervalHours, previous);
#pragma once

#include <optional>

#include "core/site.h"
#include "core/units.h"

namespace meg {

// Energy in the cells at `soc_pct` (0..100), kWh.
KilowattHours StoredAt(const EssSpec& ess, double soc_pct);
// The SoC window's floor and ceiling in stored energy: usable x soc_min / soc_max.
KilowattHours SocFloor(const EssSpec& ess);
KilowattHours SocCeiling(const EssSpec& ess);
// AC energy a full window (floor to ceiling) delivers through the discharge efficiency.
KilowattHours DeliverableFull(const EssSpec& ess);

// The largest discharge (>= 0) the battery can hold for `dt` from `stored`: the energy above the
// floor through the discharge efficiency, the discharge rating, and, when `previous` (the power
// held before, + discharge) is given and the spec has a ramp limit, at most previous + ramp x dt.
// REQUIRES: dt > 0.
Kilowatts MaxDischarge(const EssSpec& ess, KilowattHours stored, Hours dt, std::optional<Kilowatts> previous);
// The largest charge (>= 0, a magnitude), likewise: the room below the ceiling through the charge
// efficiency, the charge rating, and the ramp from `previous`. REQUIRES: dt > 0.
Kilowatts MaxCharge(const EssSpec& ess, KilowattHours stored, Hours dt, std::optional<Kilowatts> previous);

// The spec of each of `n` equal batteries sharing `ess` (energy, power and ramp divided by n;
// efficiencies and SoC window unchanged). REQUIRES: n >= 1.
EssSpec ShareOf(const EssSpec& ess, int n);

}  // namespace meg
