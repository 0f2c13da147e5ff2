// Plausibility bounds: the one place that says which measured values a device may report before
// it counts as lying. Bounds come from the site file; the control loop checks every reading of
// every device kind (Modbus, MQTT, the site twin) against them, and a reading beyond one is
// Quality::kBad (the fail-safe path), an alarm, and never stored or metered. Pure functions;
// thread-safe. Factors and their reasons: docs/control-loop.md, "Plausibility".
#pragma once

#include <optional>
#include <string>

#include "core/site.h"
#include "device/device.h"

namespace meg {

// The meter may show at most this multiple of contract power either way: a site draws above its
// contract power only briefly (over-contract is billed, supply terms art. 67-3) and transformer
// and breaker ratings stop it well before 3x.
inline constexpr double kMeterContractFactor = 3.0;
// A PV inverter, a battery: at most this multiple of its rating in the site file (inverters
// briefly exceed nameplate by a few percent; 20 % is well beyond any datasheet).
inline constexpr double kRatingFactor = 1.2;
// A PV inverter draws a little at night; drawing more than this share of its rating is a lie.
inline constexpr double kPvDrawFactor = 0.1;

// What a device of one kind may report, in its own sign (device/device.h).
struct PlausibleBounds {
  Kilowatts power_min, power_max;  // AC power
  Kilowatts rating_max;            // rated_power, max_charge, max_discharge (all >= 0)
  std::string basis;               // where the bounds come from, e.g. "3 x contract power 100 kW"
};

// The bounds of a device of `kind` at `site`:
//   meter    -E .. 3 x contract power, E = the larger of 3 x contract power and 1.2 x (PV AC
//            rating + ESS discharge rating): export comes from generation
//   pv       -0.1 x R .. 1.2 x R, ratings <= 1.2 x R, R = the site's PV AC rating (sum of
//            [[pv]] inverter_kw; devices are not tied to one array)
//   battery  -1.2 x [ess].charge_kw .. 1.2 x [ess].discharge_kw, ratings <= 1.2 x the larger;
//            SoC 0..100 (for every kind that reports one)
// A PV or battery device on a site whose file gives no rating for it takes the meter's bounds.
PlausibleBounds BoundsOf(const Site& site, DeviceKind kind);

// Why `t` is beyond `bounds` ("power 1e+12 kW is outside -300..300 kW (3 x contract power
// 100 kW)"), naming the value and the bound; nullopt when every reported value is within them.
// Non-finite values are beyond every bound.
std::optional<std::string> CheckPlausible(const Telemetry& t, const PlausibleBounds& bounds);

}  // namespace meg
