// The one place a SiteImage (control/controller.h) is built, for the planner at each quarter-hour
// and for the limit stage at each cycle, live and in the year backtest alike (the backtest runs
// the live loop over the twin): what is measured, the battery quantities of core/ess.h, the day's
// tariff bands, the demand meter's month peak and ratchet, and the DR commitments in force.
// Pure function; thread-safe.
#pragma once

#include <limits>
#include <optional>
#include <span>

#include "control/controller.h"
#include "control/demand_meter.h"
#include "core/site.h"
#include "tariff/tou.h"

namespace meg {

// The site's batteries as measured (or simulated), whole site. Signs: + discharge / - charge.
struct BatteryReading {
  double soc_pct = 0;  // mean over the batteries in use
  Kilowatts previous;  // the command in force before this decision
  // What the devices themselves allow now (BMS limits, their share of the ratings), summed;
  // infinity where they say nothing.
  Kilowatts device_max_discharge{std::numeric_limits<double>::infinity()};
  Kilowatts device_max_charge{std::numeric_limits<double>::infinity()};
  // The operator's backup reserve, % (core/battery_mode.h; 0: none): no discharge below it.
  double reserve_pct = 0;
};

// The site's generator as measured (or simulated). Signs: + production.
struct GeneratorReading {
  Kilowatts now;       // its output now
  Kilowatts previous;  // the command in force before this decision
  // Its rating as the device reports it (infinity where it says nothing).
  Kilowatts device_max{std::numeric_limits<double>::infinity()};
};

// The cold store as measured (or simulated): its state of charge, the chillers' COP, and what the
// plant says it can give and take now (kW of cooling; infinity where it says nothing).
struct ThermalReading {
  double soc_pct = 0;
  double cop = std::numeric_limits<double>::quiet_NaN();
  Kilowatts cooling_load{std::numeric_limits<double>::quiet_NaN()};  // kW of cooling served now, NaN: unknown
  Kilowatts device_max_discharge{std::numeric_limits<double>::infinity()};
  Kilowatts device_max_charge{std::numeric_limits<double>::infinity()};
};

// What is known at `start` for the coming `dt`. Signs: load +, PV +.
struct SiteReading {
  Timestamp start;
  Hours dt{0.25};
  Kilowatts load;          // NaN when it cannot be trusted: the limit stage then idles the battery
  Kilowatts pv_available;  // what PV can give (at most its rating when a limit hides it)
  Kilowatts pv_now{std::numeric_limits<double>::quiet_NaN()};  // what it gives now (SiteImage::pv_now)
  std::optional<BatteryReading> battery;                       // nullopt: no battery in use
  std::optional<GeneratorReading> generator;                   // nullopt: no generator in use
  std::optional<ThermalReading> thermal;                       // nullopt: no cold store in use
};

// The image of `reading` for `site`: battery limits for `dt` from its SoC (energy to the window's
// edges, ratings, ramp from the previous command, and the devices' own limits), the generator's
// rating, minimum load and ramp step for `dt`, band and demand
// flag of the interval holding `start` from `day` (off-peak and not counted when `day` is null),
// month peak and ratchet from `demand` (0 when null), and the DR commitments `dr`.
SiteImage MakeSiteImage(const Site& site, const SiteReading& reading, const DayProfile* day, const DemandMeter* demand,
                        std::span<const DrCommitment> dr);

}  // namespace meg
