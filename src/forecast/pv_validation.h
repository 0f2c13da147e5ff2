// Validation of the PV model on measured data: hourly samples of irradiance, temperatures and
// the AC power of several systems whose capacity and orientation are unknown. Calibrates on one
// period, scores on a later one (hold-out). Pure functions over values; thread-safe.
//
//   PvValidationOptions o{.calibration_start = ..., .holdout_end = ...};
//   auto report = ValidatePv(site_samples, systems, location, o);
//   for (const auto& s : report->systems) if (s.excluded.empty()) ... s.from_plane.holdout ...
//
// Three model chains are scored for each system:
//  (a) "from plane": the measured plane-of-array irradiance and module temperature drive DC,
//      temperature and inverter (PvPowerFromPlane). It tests the DC/temperature/inverter part.
//  (b) "from GHI": the measured GHI is split by Erbs et al. (1982), transposed by Hay & Davies
//      (1980) onto the sensor plane fitted by FitSensorPlane, the module temperature comes from
//      Faiman (2008) with the measured air temperature and a fixed wind speed (ComputePvForSun).
//      It tests the whole chain.
//  (c) "from GHI, own plane": as (b) on the system's own plane, whose tilt and azimuth are
//      fitted on the calibration period (least squares with a free scale, 5-degree grid then
//      1-degree steps). The systems' orientations are unknown; (c) shows how much of the error
//      of (a) and (b) comes from assuming every system lies in the sensor's plane.
// Capacities being unknown, each chain fits an effective kWp on the calibration period (with
// the array template's losses and inverter), by energy: sum(model) = sum(measured) there, so the
// calibration NMBE is 0 by construction and the hold-out NMBE measures the bias out of sample.
// (a) and (b) assume every system lies in the sensor's plane (the only plane measured).
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "core/site.h"
#include "core/time.h"
#include "core/units.h"
#include "forecast/irradiance.h"

namespace meg {

// Measured site data: SAMPLES at the instants TimeAt(i) (not interval means), hourly. The four
// series share start, step and size.
struct PvSiteSamples {
  IntervalSeries<double> ghi_w_m2;       // global horizontal irradiance
  IntervalSeries<double> poa_w_m2;       // irradiance in the tilted sensor's plane
  IntervalSeries<double> temp_air_c;     // air temperature
  IntervalSeries<double> temp_module_c;  // module (back-sheet) temperature
};

// One system's AC power sampled at TimeAt(i) on the site grid, kW, + production.
struct PvSystemSamples {
  std::string name;
  IntervalSeries<Kilowatts> ac;
};

// Errors of a model against measurements over a set of samples:
//   NMBE  = 100 % * sum(model - measured) / sum(measured)
//   NRMSE = 100 % * sqrt(sum((model - measured)^2) / count) / (sum(measured) / count)
// Both are normalised by the MEAN MEASURED value of the scored samples (daylight hours only, see
// ValidatePv), not by capacity: capacities are unknown, and capacity-normalised figures would
// look several times smaller.
struct PvErrorStats {
  size_t count = 0;
  double mean_measured = 0;  // kW for power, W/m2 for irradiance
  double nmbe_pct = 0;
  double nrmse_pct = 0;
};

// REQUIRES: model.size() == measured.size(). With no samples, or a mean measured value <= 0,
// returns count and mean with NaN percentages.
PvErrorStats ScoreErrors(std::span<const double> model, std::span<const double> measured);

// How a file's time labels relate to its irradiance: one hypothesis about what a label means,
// and what the samples say about it. Under the right hypothesis the irradiance-weighted mean
// solar hour angle is ~0 (irradiance is symmetric about solar noon on average) and no sample is
// lit while the sun is down.
struct LabelHypothesis {
  std::string_view meaning;            // e.g. "mean of the hour after the label"
  std::chrono::minutes centre_offset;  // where the measurement is centred, from the label
  double mean_hour_angle_min = 0;      // GHI-weighted mean hour angle at the centre, minutes
  size_t lit_while_sun_down = 0;       // samples > 0 with the sun below the horizon throughout
  size_t dark_while_sun_up = 0;        // samples == 0 with the sun above 3 deg somewhere in it
};

// Tests three meanings of an hourly label t: a sample at t, the mean of [t, t + 1 h), the mean
// of [t - 1 h, t). `ghi` holds the values on the labels' grid.
std::vector<LabelHypothesis> AnalyseLabelTiming(const IntervalSeries<double>& ghi,
                                                const Location& site);

// How well a system's power lines up with the plane irradiance sampled at the same instant, or
// with the mean of the neighbouring hour (trapezoid of two samples): squared correlation over
// the samples where either is lit. The largest says when the power was sampled.
struct SampleAlignment {
  double r2_same_instant = 0;
  double r2_hour_after = 0;   // power vs mean of POA(t) and POA(t + 1 h)
  double r2_hour_before = 0;  // power vs mean of POA(t - 1 h) and POA(t)
};

// Screening of a system's data for faults a model cannot explain, on the whole record, from the
// measurements alone (daily yield per plane irradiation; no model involved).
struct DataScreen {
  size_t positive_samples = 0;   // samples > 0 while the plane irradiance is > 200 W/m2
  size_t longest_stuck_run = 0;  // consecutive equal non-zero samples in daylight
  size_t days = 0;               // days with plane irradiation >= 2 kWh/m2, used below
  double level_shift_pct = 0;    // largest change of the median daily ratio across a split day
  Date level_shift_day{};        // first day after that split
  double dispersion = 0;         // IQR / median of the daily ratio
};

struct ScreenThresholds {
  size_t max_stuck_run = 3;  // a longer run of equal non-zero samples is a stuck logger
  // GIST 2022-07/08: the 12 healthy systems shift by -13..+6 % with IQR/median 0.10-0.16; the
  // three faulty ones by -43, +34 and -30 % with 0.62, 0.42 and 0.32.
  double max_level_shift_pct = 25;  // |after / before - 1| of the median daily ratio
  double max_dispersion = 0.30;     // IQR / median of the daily ratio
  size_t min_days_each_side = 7;
};

struct PvValidationOptions {
  Timestamp calibration_start, calibration_end;  // [start, end)
  Timestamp holdout_start, holdout_end;          // [start, end)
  // Losses, temperature coefficient and inverter efficiency of every system; dc_kwp is fitted,
  // tilt and azimuth come from the sensor plane fit, inverter_kw = dc_kwp / dc_ac_ratio.
  PvArraySpec array_template;
  double dc_ac_ratio = 1.0;
  double albedo = 0.2;
  double wind_speed_m_s = 1.0;  // chain (b): the data have no wind; a light breeze
  // Plane search range (degrees), for the sensor plane and chain (c): a 5-degree grid, then
  // 1-degree steps within 5 degrees of its best.
  double max_tilt_deg = 60;
  double min_azimuth_deg = 90;
  double max_azimuth_deg = 270;
  ScreenThresholds screen;
};

// The tilted sensor's orientation that best transposes the measured GHI (Erbs + Hay-Davies) to
// the measured POA on the calibration period (least squares over a grid), and the fit's errors.
struct PlaneFit {
  PlaneOrientation plane;
  PvErrorStats calibration;  // modelled vs measured POA, W/m2
  PvErrorStats holdout;
};

// Fits the sensor plane on the calibration period and scores it on the hold-out (the scored
// samples are those of ValidatePv). Errors as ValidatePv.
Result<PlaneFit> FitSensorPlane(const PvSiteSamples& site_samples, const Location& site,
                                const PvValidationOptions& options);

struct ChainFit {
  Kilowatts kwp;             // fitted effective DC capacity
  PvErrorStats calibration;  // NMBE 0 by construction
  PvErrorStats holdout;
};

struct PvSystemValidation {
  std::string name;
  std::string excluded;  // empty when the data pass the screen; otherwise why they do not
  DataScreen screen;
  SampleAlignment alignment;
  ChainFit from_plane;          // chain (a)
  ChainFit from_ghi;            // chain (b)
  PlaneOrientation own_plane;   // fitted for chain (c)
  ChainFit from_ghi_own_plane;  // chain (c)
};

struct PvValidationReport {
  std::vector<LabelHypothesis> timing;
  PlaneFit sensor_plane;
  std::vector<PvSystemValidation> systems;
};

// Runs the screen, the timing and alignment evidence, the sensor plane fit and the three chains
// for every system. Scored samples are those in the period with the sun up at the sample instant
// (apparent elevation > 0), every input and the measurement present, and GHI > 0 and POA > 0
// (the GIST logger writes lost samples as all-zero rows, even with the sun 19 deg high).
// Errors: site series or system series not on one grid, a period empty or without samples,
// dc_ac_ratio <= 0, a plane search range outside 0..90 deg of tilt.
Result<PvValidationReport> ValidatePv(const PvSiteSamples& site_samples,
                                      const std::vector<PvSystemSamples>& systems,
                                      const Location& site, const PvValidationOptions& options);

}  // namespace meg
