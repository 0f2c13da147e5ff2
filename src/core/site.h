// The site model: what a site is made of (location, tariff, load, PV arrays, battery, grid
// connection), as read from a site TOML file (io/site_config.h) and used unchanged by the
// simulator and, later, the live control center. Value types; thread-safe to copy.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/units.h"

namespace meg {

struct Location {
  double latitude_deg = 0;    // + north
  double longitude_deg = 0;   // + east
  double elevation_m = 0;
  int utc_offset_minutes = 540;  // KST; the site's civil time (Korea: no daylight saving)
};

// Where the site's load comes from.
struct LoadSpec {
  std::string file;           // resolved path
  std::string format;         // "doe-hospital" (hourly typical year, laid on `year`) or "usage-csv"
  int year = 0;               // calendar year the load is laid on / must cover
  double scale = 1.0;         // multiplies every kW
};

struct WeatherSpec {
  std::string file;           // resolved path
  std::string format;         // "open-meteo" (hourly GHI/DNI/DHI, temperature, wind)
};

// One PV array and its inverter. Azimuth: 180 = south, 90 = east (degrees clockwise from north).
struct PvArraySpec {
  std::string name;
  Kilowatts dc_kwp;                     // nameplate DC power at STC
  double tilt_deg = 0;                  // 0 = horizontal
  double azimuth_deg = 180;
  double losses_pct = 14;               // DC system losses (soiling, wiring, mismatch, ...)
  Kilowatts inverter_kw;                // AC rating: output is clipped here
  double inverter_efficiency_pct = 96;  // nominal
  double temp_coeff_pct_per_c = -0.37;  // power temperature coefficient
};

// A battery energy storage system. Power sign where used: + discharge / - charge.
struct EssSpec {
  KilowattHours usable_kwh;             // usable energy between 0 % and 100 % SoC
  Kilowatts charge_kw;                  // maximum charging power (AC)
  Kilowatts discharge_kw;               // maximum discharging power (AC)
  double charge_efficiency_pct = 95;    // AC -> stored
  double discharge_efficiency_pct = 95; // stored -> AC; round trip = product
  double soc_min_pct = 10;
  double soc_max_pct = 90;
  double soc_initial_pct = 50;
  double ramp_kw_per_min = 0;           // 0 = no ramp limit
  // Cost of wear per kWh of throughput, throughput = (energy charged + energy discharged) / 2.
  WonPerKwh degradation_cost;
};

struct GridSpec {
  bool export_allowed = false;
  Kilowatts export_limit_kw;            // when export is allowed; 0 = no export
};

struct Site {
  std::string name;
  std::string file;                     // the TOML file it came from
  Location location;
  std::string tariff;                   // e.g. "일반용(을) 고압A 선택III" (resolved by the tariff book)
  Kilowatts contract_power;             // 계약전력
  LoadSpec load;
  WeatherSpec weather;
  std::vector<PvArraySpec> pv;
  std::optional<EssSpec> ess;
  GridSpec grid;
};

}  // namespace meg
