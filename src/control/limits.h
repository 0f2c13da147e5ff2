// SafetyLimits: the one place where every setpoint, from any controller, is brought within the
// limits of the devices and the site: battery power and SoC (via its available power), the
// generator's rating, minimum load and ramp, the cold store's limits, export limit (no export unless allowed), and
// contract power (charging never lifts grid import above it, counting on the generator only for
// what it gives now; where the export limit then curtails PV or the generator, the import holds
// within contract with the generator at its command). Inputs that cannot be trusted (NaN, infinite, negative ratings or
// load, from a device that lies or a controller bug) are read as their safe value: no battery power, no export, no
// charging without a known contract power. Pure function; thread-safe.
#pragma once

#include "control/controller.h"
#include "control/decision_reason.h"

namespace meg {

// What the site will do in the interval after the limits.
struct LimitedSetpoints {
  Kilowatts battery;           // + discharge / - charge, within [-max_charge, max_discharge]
  Kilowatts pv_used;           // PV production kept, 0..pv_available
  Kilowatts generator;         // generator output: 0 or within [min, max]
  Kilowatts thermal;           // cold storage, kW of cooling, within [-max_charge, max_discharge]
  Kilowatts thermal_electric;  // the electricity `thermal` saves (+) or costs (-)
  Kilowatts grid;              // + import / - export = load - pv_used - battery - generator - thermal_electric
  bool clamped =
      false;  // true if the battery, PV or generator was changed from the wish by more than kClampToleranceKw
  LimitStage limit = LimitStage::kNone;  // the first limit, in the order above, that changed it
};

// A change of a setpoint by at most this much is not counted as a clamp (1 W: a plan's rounding).
inline constexpr double kClampToleranceKw = 1e-3;

LimitedSetpoints ApplySafetyLimits(const SiteImage& image, const Setpoints& wish);

}  // namespace meg
