// Day-ahead PV forecasts of measured systems' hourly AC power, issued at D-1 11:00 KST for every
// hour of day D (the KPX bidding timing), and their rolling-origin evaluation on measured data
// (GIST, forecast/pv_validation.h). Pure functions over values; thread-safe.
//
//   auto site = PreparePvForecastSite(site_samples, location, plane, options);
//   auto f = ForecastPvDayAhead(*site, system.ac);      // P10/P50/P90 of the four forecasters
//   auto report = EvaluatePvForecasts(site_samples, systems, location, options);
//
// The four forecasters (PvForecaster), all with the same information rule:
//  NO LOOK-AHEAD: a forecast issued at T uses only the power samples at instants t < T (strictly
//  before: the 11:00 sample of D-1 is not used by the forecast issued at 11:00). The code enforces
//  it structurally: every forecast of day D is computed from a copy of the power series in which
//  every sample at or after T is erased. Weather is not subject to the rule: the physics
//  forecasters are driven by the MEASURED weather of day D, i.e. a perfect weather forecast
//  (the issue's "driven by measured weather" case), and the sensor plane is fitted on weather
//  (GHI vs tilted irradiance, no power) of the calibration month.
//  (a) seasonal naive: hour h of D takes the sample of hour h on the latest day whose sample is
//      before T and usable (present and not a lost logger row): D-1 for h < 11, D-2 for h >= 11.
//  (b) clear sky x persistence: Haurwitz clear-sky GHI through chain (b) (Erbs, Hay-Davies on the
//      sensor plane, Faiman at a fixed air temperature, inverter) x the rolling kWp x the
//      clear-sky index of the last full day before T (D-2, or earlier if D-2 has fewer than 6
//      usable daylight samples): measured energy / clear-sky energy over its usable daylight
//      samples.
//  (c) physics: chain (b) of forecast/pv_validation.h driven by the measured GHI and air
//      temperature of D, with the kWp fitted by energy on every usable daylight sample before T.
//  (d) physics + ridge: (c) plus a ridge regression of the residual (measured - (c)) fitted on
//      the system's own samples before T (Eigen), on features that all scale with (c)'s output
//      (so the correction is 0 at night): (c), (c) sin(elevation), (c) x three KST clock-hour
//      buckets [.., 11), [11, 15), [15, ..) (solar noon is ~12:35 KST). The buckets learn the
//      system's east/west lean against the sensor plane (pv-validate's chain (c) finds many systems
//      at azimuth 270), sin(elevation) the low-sun (incidence angle, shading) loss. Clamped to [0,
//      AC limit], the AC limit being the fitted array's inverter rating kWp / dc_ac_ratio. On GIST
//      August 2022 it moves the aggregate from NMAE 11.1 % / bias +2.8 % to 10.9 % / -0.6 %.
//      Tried and dropped: (c) x sin/cos of the sun azimuth and (c) x its clear-sky index (NRMSE
//      22.3-22.5 % but NMAE 11.1-11.2 %), five hour buckets (no gain); ridge_alpha 0.002..0.5
//      changes the NMAE by < 0.1 point.
// P10/P90: P50 plus the empirical 10 % and 90 % quantiles of the same forecaster's own
// out-of-sample residuals (measured - P50 of forecasts issued for earlier days) at usable daylight
// samples before T, by sun-elevation bucket [0, 15), [15, 30), [30, 50), [50, 90] deg (pooled
// over buckets when a bucket holds fewer than min_residuals_per_bucket), clamped at 0. With the
// sun down the band is the P50. Forecasts start on the third day of the data (one full day of
// history), so July warms up the residuals that August's bands use.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "core/site.h"
#include "core/time.h"
#include "core/units.h"
#include "forecast/irradiance.h"
#include "forecast/metrics.h"
#include "forecast/pv_validation.h"
#include "forecast/solar_position.h"

namespace meg {

enum class PvForecaster { kSeasonalNaive, kClearSkyPersistence, kPhysics, kPhysicsRidge };
inline constexpr size_t kPvForecasterCount = 4;
inline constexpr std::array<PvForecaster, kPvForecasterCount> kPvForecasters = {
    PvForecaster::kSeasonalNaive, PvForecaster::kClearSkyPersistence, PvForecaster::kPhysics,
    PvForecaster::kPhysicsRidge};
// "seasonal naive", "clear sky x persistence", "physics (measured weather)", "physics + ridge".
std::string_view PvForecasterName(PvForecaster f);

// Haurwitz (1945) clear-sky global horizontal irradiance, W/m2:
// 1098 cos z exp(-0.057 / cos z), 0 when cos z <= 0. z is the zenith angle in degrees.
double HaurwitzClearSkyGhiW_m2(double zenith_deg);

struct PvForecastOptions {
  // Scored days D (KST), [eval_first_day, eval_end_day). Forecasts are made (unscored) from the
  // third day of the data on, to build the residual history of the P10/P90 bands.
  Date eval_first_day{};
  Date eval_end_day{};
  int issue_hour_kst = 11;  // forecasts for D are issued at D-1 issue_hour_kst:00 KST
  // Losses, inverter, dc_ac_ratio, albedo and wind of chain (b), the screen thresholds, and the
  // calibration/hold-out months of the ValidatePv run that screens the systems and fits the
  // sensor plane (pv-validate's: July and August).
  PvValidationOptions validation;
  double clear_sky_temp_air_c = 30;  // air temperature of forecaster (b) (no weather forecast)
  // Ridge penalty lambda = ridge_alpha x trace(X'X) / features (scale-free).
  double ridge_alpha = 0.1;
  size_t min_residuals_per_bucket = 30;
};

// What the forecasters know about the site at every sample of its grid: weather-side values
// only (no power), computed once and shared by every system.
struct PvForecastSite {
  Timestamp start{};
  std::chrono::seconds step{3600};
  Location location;
  PlaneOrientation plane;  // the sensor plane of chain (b)
  PvForecastOptions options;
  std::vector<SolarPosition> sun;
  std::vector<int> hour_kst;   // KST clock hour of the sample, 0..23
  std::vector<bool> daylight;  // sun up, weather complete, GHI > 0 and POA > 0 (scored)
  std::vector<bool> lost;      // sun > 5 deg and weather missing or GHI or POA == 0 (logger loss)
  std::vector<double> unit_ac_kw;     // chain (b) AC of a 1 kWp array from measured weather (NaN:
                                      // weather missing)
  std::vector<double> unit_clear_kw;  // chain (b) AC of a 1 kWp array under Haurwitz clear sky
  size_t size() const { return sun.size(); }
  Timestamp TimeAt(size_t i) const { return start + step * static_cast<long>(i); }
};

// Errors: site series not on one 1-hour grid, an invalid array template or dc_ac_ratio.
Result<PvForecastSite> PreparePvForecastSite(const PvSiteSamples& site_samples,
                                             const Location& location,
                                             const PlaneOrientation& plane,
                                             const PvForecastOptions& options);

// The instant the forecasts of `day` are issued: `day` - 1 at issue_hour_kst:00 KST.
Timestamp PvIssueTime(Date day, int issue_hour_kst);

// Effective DC kWp of a series by energy, as pv-validate fits it: sum(measured) / sum(unit_ac)
// over the daylight samples before `before` with power present. 0 with no such sample.
// REQUIRES: ac on the site's grid.
Kilowatts FitPvKwpByEnergy(const PvForecastSite& site, const IntervalSeries<Kilowatts>& ac,
                           Timestamp before);

// One forecaster's forecasts on the site grid, kW: a sample of day D holds the forecast issued
// at PvIssueTime(D); nullopt where no forecast was made (before the third day, weather missing).
struct PvQuantileSeries {
  IntervalSeries<double> p10_kw, p50_kw, p90_kw;
};

struct PvSeriesForecast {
  std::array<PvQuantileSeries, kPvForecasterCount> by_forecaster;  // indexed by PvForecaster
};

// Day-ahead forecasts of one series (a system or a sum of systems) by the four forecasters, for
// every day from the third day of the site grid to its last. Errors: `ac` not on the site grid.
Result<PvSeriesForecast> ForecastPvDayAhead(const PvForecastSite& site,
                                            const IntervalSeries<Kilowatts>& ac);

// One forecaster's scores on one series over the scored days. Scored samples: daylight (as
// PvForecastSite::daylight), power present, every forecaster's P50 present (one common set).
// KPX: a sample (instantaneous kW at the clock hour) stands for the hour's mean kW, i.e. its
// kWh; the capacity is the fitted kWp (registered capacities are not in the data).
struct PvForecastScore {
  ForecastErrors errors;         // P50 vs measured, kW
  double band_coverage_pct = 0;  // measured inside [P10, P90]
  KpxIncentive kpx;
};

struct PvSeriesScores {
  std::string name;
  // kWp fitted by energy on the data before the first scored issue time: the KPX capacity.
  Kilowatts capacity;
  std::array<PvForecastScore, kPvForecasterCount> by_forecaster;  // indexed by PvForecaster
};

struct PvForecastReport {
  PlaneOrientation sensor_plane;
  Date eval_first_day{}, eval_end_day{};
  int issue_hour_kst = 11;
  std::vector<std::string> excluded;    // "name: reason" of the systems the screen rejects
  std::vector<PvSeriesScores> systems;  // the healthy systems, in input order
  PvSeriesScores aggregate;             // the sum of the healthy systems (a broker's portfolio)
};

// The systems that pass the data screen of `meg pv-validate` (ValidatePv with
// options.validation, over the whole record) and the forecast site on the fitted sensor plane.
struct ScreenedPvSystems {
  PlaneOrientation sensor_plane;
  PvForecastSite site;
  std::vector<size_t> healthy;        // indices into the systems, in input order
  std::vector<std::string> excluded;  // "name: reason" of the systems the screen rejects
};
// Errors: those of ValidatePv and PreparePvForecastSite, no healthy system.
Result<ScreenedPvSystems> ScreenPvSystems(const PvSiteSamples& site_samples,
                                          const std::vector<PvSystemSamples>& systems,
                                          const Location& location, const PvForecastOptions& options);

// Screens the systems and fits the sensor plane with ValidatePv (options.validation, as
// `meg pv-validate` does; the screen looks at the whole record), then forecasts and scores every
// healthy system and their sum (a sample of the sum is a gap when any system's is; the sum is
// forecast as one series with its own kWp, residuals and correction, as a broker forecasting its
// metered portfolio would). Errors: those of ValidatePv and PreparePvForecastSite, an empty
// scored period, no healthy system.
Result<PvForecastReport> EvaluatePvForecasts(const PvSiteSamples& site_samples,
                                             const std::vector<PvSystemSamples>& systems,
                                             const Location& location,
                                             const PvForecastOptions& options);

}  // namespace meg
