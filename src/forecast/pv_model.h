// PV array physics: plane-of-array irradiance (Hay-Davies), cell temperature (Faiman 2008), DC
// power (PVWatts-style linear model) and the inverter (PVWatts efficiency curve, clipping), per
// step, and the 15-minute AC power of an array over a range from hourly weather. Pure functions;
// value types; thread-safe. Sign: PV power is + production and never negative.
//
//   const PvStep s = ComputePv(array, site.location, t, kInterval, {.ghi_w_m2 = 800, ...});
//   auto ac = SimulatePvYear(array, site.location, weather, start, end);   // 15-minute AC kW
#pragma once

#include <array>
#include <chrono>

#include "core/result.h"
#include "core/series.h"
#include "core/site.h"
#include "core/time.h"
#include "core/units.h"
#include "forecast/irradiance.h"
#include "forecast/solar_position.h"

namespace meg {

// Faiman (2008), "Assessing the outdoor operating temperature of photovoltaic modules", Prog.
// Photovolt. Res. Appl. 16(4):307-315, eq. 2: T_module = T_air + E / (U0 + U1 v), E the
// plane-of-array irradiance (W/m2), v the wind speed (m/s). Defaults U0 = 25 W/m2K and
// U1 = 6.84 W s/m3K, the values commonly used with Faiman's model for c-Si modules on an open
// rack. The module temperature stands for the cell temperature (they differ by ~1-3 K at
// 1000 W/m2; a calibrated kWp absorbs it).
struct FaimanCoefficients {
  double u0_w_m2k = 25.0;
  double u1_w_s_m3k = 6.84;
};

struct PvModelOptions {
  double albedo = 0.2;   // ground reflectance for the ground-reflected part of the POA
  double iam_b0 = 0.05;  // ASHRAE incidence angle modifier of the beam (AshraeIam)
  FaimanCoefficients faiman;
};

// Weather over one step. Irradiances are means over the step (W/m2); temperature and wind are
// at the instant the sun is evaluated (the step's midpoint in ComputePv).
struct PvWeatherStep {
  double ghi_w_m2 = 0;
  double dni_w_m2 = 0;
  double dhi_w_m2 = 0;
  double temp_air_c = 20;
  double wind_speed_m_s = 1;
};

// DC and AC power of an array. ac + clipped is what the inverter would deliver without its AC
// limit; all three are >= 0.
struct PvPower {
  Kilowatts dc;
  Kilowatts ac;
  Kilowatts clipped;
};

// The state of one array over one step: irradiance on the plane, temperature, power.
struct PvStep {
  SolarPosition sun;
  PlaneIrradiance poa;            // components, W/m2; poa.total() is the pyranometer value
  double poa_effective_w_m2 = 0;  // after the glass loss of the beam (AshraeIam)
  double cell_temp_c = 0;
  PvPower power;
};

// The options of `array`'s own site file: its albedo and its mounting's heat loss coefficients.
PvModelOptions PvModelOptionsOf(const PvArraySpec& array);

// Checks what the model divides by or scales with: dc_kwp > 0, inverter_kw > 0, efficiency in
// (0, 100], losses in [0, 100), tilt in [0, 90]. Errors name the array and the field.
Status CheckPvArraySpec(const PvArraySpec& array);

// Faiman module temperature, degrees C. Wind below 0 counts as 0.
double FaimanModuleTempC(double poa_w_m2, double temp_air_c, double wind_speed_m_s, const FaimanCoefficients& c = {});

// DC and AC power from the effective irradiance on the plane and the cell temperature:
//   dc = dc_kwp * E_eff / 1000 * (1 + gamma (T_cell - 25)) * (1 - losses), floored at 0;
//   ac = min(eta(dc) * dc, inverter_kw), floored at 0, with the PVWatts v5 inverter curve (Dobos
//   2014, NREL/TP-6A20-62641, eq. 9-10): eta = eta_nom / 0.9637 * (-0.0162 z - 0.0059 / z +
//   0.9858), z = dc / (inverter_kw / eta_nom). AC is proportional to dc_kwp when inverter_kw
//   scales with it (z does not change), which PV validation uses to fit kWp in closed form.
// REQUIRES: CheckPvArraySpec(array) succeeds.
PvPower PvPowerFromPlane(const PvArraySpec& array, double poa_effective_w_m2, double cell_temp_c);

// One step of the whole chain for a known sun position: Hay-Davies POA from GHI/DNI/DHI
// (albedo from options), beam glass loss, Faiman temperature, DC, inverter. `dni_extra_w_m2` is
// ExtraterrestrialNormalW_m2 of the step. REQUIRES: CheckPvArraySpec(array) succeeds.
PvStep ComputePvForSun(const PvArraySpec& array, const SolarPosition& sun, double dni_extra_w_m2,
                       const PvWeatherStep& weather, const PvModelOptions& options = {});

// The same with the sun evaluated at `instant`.
PvStep ComputePvAt(const PvArraySpec& array, const Location& site, Timestamp instant, const PvWeatherStep& weather,
                   const PvModelOptions& options = {});

// The same for the step [interval_start, interval_start + duration): the sun is evaluated at the
// midpoint, the irradiances are the step's means. POA of the mean irradiance is not the mean of
// the POA over the step (the geometry changes within it); for 15-minute steps the difference is
// small except at sunrise and sunset. REQUIRES: duration > 0 and CheckPvArraySpec succeeds.
PvStep ComputePv(const PvArraySpec& array, const Location& site, Timestamp interval_start,
                 std::chrono::seconds duration, const PvWeatherStep& weather, const PvModelOptions& options = {});

// Hourly weather for SimulatePvYear, with the Open-Meteo conventions (io/open_meteo.h): callers
// pass an HourlyWeather's members unchanged. Every series has a 1-hour step.
struct PvWeather {
  // Mean irradiance over [TimeAt(i), TimeAt(i) + 1 h), W/m2: the hour is named by its START.
  // The three share start and size.
  IntervalSeries<double> ghi_w_m2;
  IntervalSeries<double> dni_w_m2;
  IntervalSeries<double> dhi_w_m2;
  // Instantaneous samples at TimeAt(i): air temperature (C) and wind speed (m/s).
  IntervalSeries<double> temp_air_c;
  IntervalSeries<double> wind_speed_m_s;
};

// One 15-minute step of an hour, as SimulatePvYear lays the hour's mean irradiance out.
struct QuarterIrradiance {
  Timestamp start;      // the quarter [start, start + 15 min)
  SolarPosition sun;    // at the quarter's midpoint
  double ghi_w_m2 = 0;  // means over the quarter
  double dni_w_m2 = 0;
  double dhi_w_m2 = 0;
};

// Lays the mean irradiance of the hour [hour_start, hour_start + 1 h) on its four quarters by
// the rules of SimulatePvYear below. The quarters' mean GHI is always the hour's GHI, and so is
// their mean DHI and DNI except in the no-lit-quarter case (DNI 0, all diffuse).
std::array<QuarterIrradiance, 4> SpreadHourOverQuarters(Timestamp hour_start, const Location& site, double ghi_w_m2,
                                                        double dni_w_m2, double dhi_w_m2);

// The array's AC power, mean kW per 15-minute interval named by its start, on [start, end).
//
// Resampling, hour -> 15 minutes (it preserves each hour's horizontal irradiation exactly):
//  * Each quarter takes its hour's mean GHI, DNI and DHI; the sun is evaluated at the quarter's
//    midpoint (xx:07:30, :22:30, :37:30, :52:30).
//  * Sunrise and sunset hours: a quarter whose midpoint has the sun below the horizon (apparent
//    elevation <= 0) gets no irradiance, and the hour's irradiance is given to its n lit quarters
//    scaled by 4 / n, so that the hour's irradiation is neither lost nor invented. If no quarter
//    is lit but the hour has irradiance (the sun is up for < 7.5 min of it, or the reanalysis
//    smears twilight), the whole hour's GHI goes to the quarter nearest the horizon crossing
//    (highest sun) as isotropic diffuse (x4, no beam), since no beam geometry exists there.
//  * Temperature and wind, instantaneous at the labels, are interpolated linearly to the midpoint.
// An interval whose hour of irradiance, or either neighbouring temperature/wind sample, is
// missing or outside the series is a gap (std::nullopt), never a zero.
// Errors: start or end not on the 15-minute grid, end <= start, a series step other than 1 h,
// irradiance series that do not share start and size, or an invalid array (CheckPvArraySpec).
Result<PowerSeries> SimulatePvYear(const PvArraySpec& array, const Location& site, const PvWeather& weather,
                                   Timestamp start, Timestamp end, const PvModelOptions& options = {});

}  // namespace meg
