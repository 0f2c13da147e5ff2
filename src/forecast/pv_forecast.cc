#include "forecast/pv_forecast.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "forecast/pv_model.h"

namespace meg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;
constexpr int kHoursPerDay = 24;
// How far back seasonal naive and the clear-sky index look for a usable day.
constexpr int kMaxLookbackDays = 7;
// A day gives a clear-sky index when it has this many usable daylight samples.
constexpr size_t kMinClearSkyDaySamples = 6;
// Sun-elevation buckets of the residual quantiles, lower edges in degrees.
constexpr std::array<double, 4> kElevationBucketsDeg = {0, 15, 30, 50};
// The ridge fits only with this many samples per feature; before, (d) is (c).
constexpr size_t kMinRidgeSamplesPerFeature = 10;
constexpr size_t kRidgeFeatures = 5;
// A dark row with the sun above this is a lost logger row (GIST writes lost rows as zeros, even
// with the sun 19 deg high); below it, the sensor may truly read 0 (06:00 in August).
constexpr double kLostRowMinElevationDeg = 5;


std::optional<size_t> IndexOf(const PvForecastSite& site, Timestamp t) {
  if (t < site.start) return std::nullopt;
  const auto offset = (t - site.start).count();
  if (offset % site.step.count() != 0) return std::nullopt;
  const auto i = static_cast<size_t>(offset / site.step.count());
  return i < site.size() ? std::optional<size_t>(i) : std::nullopt;
}

// Number of samples at instants strictly before t: the samples [0, n) are known at t.
size_t SamplesBefore(const PvForecastSite& site, Timestamp t) {
  if (t <= site.start) return 0;
  const auto step = site.step.count();
  const auto n = static_cast<size_t>(((t - site.start).count() + step - 1) / step);
  return std::min(n, site.size());
}

// Quantile by linear interpolation between order statistics (Hyndman & Fan type 7).
// REQUIRES: v sorted and not empty.
double SortedQuantile(const std::vector<double>& v, double p) {
  const double h = (static_cast<double>(v.size()) - 1) * p;
  const auto lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (h - static_cast<double>(lo));
}

size_t ElevationBucket(double elevation_deg) {
  size_t b = 0;
  for (size_t k = 1; k < kElevationBucketsDeg.size(); ++k) {
    if (elevation_deg >= kElevationBucketsDeg[k]) b = k;
  }
  return b;
}

// What a forecast issued at T may know: the power samples [0, seen) (instants < T); every later
// sample is erased (NaN) so that no code path can read it.
struct History {
  const PvForecastSite& site;
  std::vector<double> kw;  // NaN: a gap, or at or after T
  size_t seen = 0;
  // A sample a fit may learn from: known, daylight, power present.
  bool Learnable(size_t i) const { return i < seen && site.daylight[i] && std::isfinite(kw[i]); }
};

History HistoryBefore(const PvForecastSite& site, const IntervalSeries<Kilowatts>& ac,
                      Timestamp issue) {
  History h{site, std::vector<double>(site.size(), kNaN), SamplesBefore(site, issue)};
  for (size_t i = 0; i < h.seen; ++i) {
    if (ac.at(i)) h.kw[i] = ac.at(i)->value();
  }
  return h;
}

double FitKwp(const History& h) {
  double measured = 0, unit = 0;
  for (size_t i = 0; i < h.seen; ++i) {
    if (!h.Learnable(i) || !(h.site.unit_ac_kw[i] > 0)) continue;
    measured += h.kw[i];
    unit += h.site.unit_ac_kw[i];
  }
  return unit > 0 ? measured / unit : 0.0;
}

// (a): hour `hour` of the latest day before `day` whose sample at that hour is known and usable.
double SeasonalNaive(const History& h, Date day, int hour) {
  for (int k = 1; k <= kMaxLookbackDays; ++k) {
    const auto i = IndexOf(h.site, FromKst(AddDays(day, -k), hour * 60));
    if (!i || *i >= h.seen) continue;
    if (std::isfinite(h.kw[*i]) && !h.site.lost[*i]) return h.kw[*i];
  }
  return kNaN;
}

// Clear-sky index of the last full day before the issue of `day` with enough usable samples:
// measured energy / clear-sky energy over its learnable samples. NaN when none in the window.
double ClearSkyIndex(const History& h, Date day, double kwp) {
  for (int k = 2; k <= kMaxLookbackDays + 1; ++k) {
    double measured = 0, clear = 0;
    size_t n = 0;
    for (int hour = 0; hour < kHoursPerDay; ++hour) {
      const auto i = IndexOf(h.site, FromKst(AddDays(day, -k), hour * 60));
      if (!i || !h.Learnable(*i) || !(h.site.unit_clear_kw[*i] > 0)) continue;
      measured += h.kw[*i];
      clear += kwp * h.site.unit_clear_kw[*i];
      ++n;
    }
    if (n >= kMinClearSkyDaySamples && clear > 0) return measured / clear;
  }
  return kNaN;
}

using RidgeVector = Eigen::Matrix<double, kRidgeFeatures, 1>;
using RidgeMatrix = Eigen::Matrix<double, kRidgeFeatures, kRidgeFeatures>;

// Features of (d) at sample i for the physics output `physics_kw` (see the header): every one
// is proportional to the physics output, so the correction vanishes with it.
RidgeVector RidgeFeatures(const PvForecastSite& site, size_t i, double physics_kw) {
  const double sin_elevation =
      std::sin(std::max(0.0, site.sun[i].apparent_elevation_deg) * kPi / 180.0);
  const int hour = site.hour_kst[i];
  RidgeVector x;
  x << physics_kw, physics_kw * sin_elevation, hour < 11 ? physics_kw : 0.0,
      hour >= 11 && hour < 15 ? physics_kw : 0.0, hour >= 15 ? physics_kw : 0.0;
  return x;
}

// Ridge weights of the residual measured - physics on the learnable samples; 0 when too few.
RidgeVector FitRidge(const History& h, double kwp, double alpha) {
  RidgeMatrix xtx = RidgeMatrix::Zero();
  RidgeVector xty = RidgeVector::Zero();
  size_t n = 0;
  for (size_t i = 0; i < h.seen; ++i) {
    if (!h.Learnable(i) || !std::isfinite(h.site.unit_ac_kw[i])) continue;
    const double physics = kwp * h.site.unit_ac_kw[i];
    const RidgeVector x = RidgeFeatures(h.site, i, physics);
    xtx += x * x.transpose();
    xty += x * (h.kw[i] - physics);
    ++n;
  }
  if (n < kMinRidgeSamplesPerFeature * kRidgeFeatures || !(xtx.trace() > 0)) {
    return RidgeVector::Zero();
  }
  const double lambda = alpha * xtx.trace() / static_cast<double>(kRidgeFeatures);
  return (xtx + lambda * RidgeMatrix::Identity()).ldlt().solve(xty);
}

// P50 of each forecaster for the 24 hours of `day` (NaN: no forecast or no sample on the grid).
using DayP50 = std::array<std::array<double, kHoursPerDay>, kPvForecasterCount>;

DayP50 ForecastDay(const History& h, Date day) {
  const PvForecastSite& site = h.site;
  const PvForecastOptions& o = site.options;
  DayP50 p50;
  for (auto& f : p50) f.fill(kNaN);
  const double kwp = FitKwp(h);
  const double ac_limit_kw = kwp / o.validation.dc_ac_ratio;
  const double csi = kwp > 0 ? ClearSkyIndex(h, day, kwp) : kNaN;
  const RidgeVector w = kwp > 0 ? FitRidge(h, kwp, o.ridge_alpha) : RidgeVector::Zero();
  auto clamp = [&](double kw) { return std::clamp(kw, 0.0, ac_limit_kw); };
  for (int hour = 0; hour < kHoursPerDay; ++hour) {
    const auto i = IndexOf(site, FromKst(day, hour * 60));
    if (!i) continue;
    p50[0][hour] = SeasonalNaive(h, day, hour);
    if (!(kwp > 0)) continue;
    if (std::isfinite(csi)) p50[1][hour] = clamp(kwp * site.unit_clear_kw[*i] * csi);
    if (!std::isfinite(site.unit_ac_kw[*i])) continue;
    const double physics = kwp * site.unit_ac_kw[*i];
    p50[2][hour] = physics;
    p50[3][hour] = clamp(physics + w.dot(RidgeFeatures(site, *i, physics)));
  }
  return p50;
}

// The 10 % and 90 % residual quantiles by elevation bucket (and pooled), from one forecaster's
// stored P50s at the learnable samples; nullopt where fewer than `min_count` residuals.
struct ResidualBands {
  std::array<std::optional<std::pair<double, double>>, kElevationBucketsDeg.size()> bucket;
  std::optional<std::pair<double, double>> pooled;
};

ResidualBands Bands(const History& h, const std::vector<double>& stored_p50, size_t min_count) {
  std::array<std::vector<double>, kElevationBucketsDeg.size()> by_bucket;
  std::vector<double> all;
  for (size_t i = 0; i < h.seen; ++i) {
    if (!h.Learnable(i) || !std::isfinite(stored_p50[i])) continue;
    const double r = h.kw[i] - stored_p50[i];
    by_bucket[ElevationBucket(h.site.sun[i].apparent_elevation_deg)].push_back(r);
    all.push_back(r);
  }
  auto band = [&](std::vector<double>& v) -> std::optional<std::pair<double, double>> {
    if (v.size() < std::max<size_t>(min_count, 1)) return std::nullopt;
    std::sort(v.begin(), v.end());
    return std::pair{SortedQuantile(v, 0.1), SortedQuantile(v, 0.9)};
  };
  ResidualBands out;
  for (size_t b = 0; b < by_bucket.size(); ++b) out.bucket[b] = band(by_bucket[b]);
  out.pooled = band(all);
  return out;
}

Status CheckSiteSeries(const PvSiteSamples& s) {
  const auto& g = s.ghi_w_m2;
  if (g.empty()) return InvalidInput("PV forecast: no site samples");
  if (g.step() != std::chrono::hours{1}) {
    return InvalidInput(fmt::format("PV forecast: the site samples must be hourly, not every {} s",
                                    g.step().count()));
  }
  for (const auto* other : {&s.poa_w_m2, &s.temp_air_c, &s.temp_module_c}) {
    if (other->start() != g.start() || other->step() != g.step() || other->size() != g.size()) {
      return InvalidInput(
          "PV forecast: the site series (GHI, POA, air and module temperature) must share start, "
          "step and size");
    }
  }
  return Ok{};
}

bool OnSiteGrid(const PvForecastSite& site, const IntervalSeries<Kilowatts>& ac) {
  return ac.start() == site.start && ac.step() == site.step && ac.size() == site.size();
}

// Scores of the four forecasters of one series on the scored days (see PvForecastScore).
Result<PvSeriesScores> ScoreSeries(const PvForecastSite& site, const std::string& name,
                                   const IntervalSeries<Kilowatts>& ac,
                                   const PvSeriesForecast& forecast, Timestamp from, Timestamp to,
                                   Kilowatts capacity) {
  if (!(capacity.value() > 0)) {
    return InvalidInput(
        fmt::format("PV forecast: '{}' has no fitted capacity (no daylight output before {})", name,
                    FormatKst(from)));
  }
  PvSeriesScores out{name, capacity, {}};
  std::vector<size_t> scored;
  for (size_t i = 0; i < site.size(); ++i) {
    const Timestamp t = site.TimeAt(i);
    if (t < from || t >= to || !site.daylight[i] || !ac.at(i)) continue;
    bool all = true;
    for (const auto& f : forecast.by_forecaster) all = all && f.p50_kw.at(i).has_value();
    if (all) scored.push_back(i);
  }
  if (scored.empty()) {
    return InvalidInput(fmt::format("PV forecast: '{}' has no scored daylight sample in [{}, {})",
                                    name, FormatKst(from), FormatKst(to)));
  }
  for (size_t f = 0; f < kPvForecasterCount; ++f) {
    const PvQuantileSeries& q = forecast.by_forecaster[f];
    std::vector<double> p10, p50, p90, actual;
    for (size_t i : scored) {
      p10.push_back(*q.p10_kw.at(i));
      p50.push_back(*q.p50_kw.at(i));
      p90.push_back(*q.p90_kw.at(i));
      actual.push_back(ac.at(i)->value());
    }
    PvForecastScore& s = out.by_forecaster[f];
    s.errors = ScoreForecast(p50, actual);
    s.band_coverage_pct = BandCoveragePct(p10, p90, actual);
    // A sample at the clock hour stands for the hour's mean kW, i.e. its kWh (see the header).
    s.kpx = ScoreKpxIncentive(p50, actual, capacity);
  }
  return out;
}

}  // namespace

std::string_view PvForecasterName(PvForecaster f) {
  switch (f) {
    case PvForecaster::kSeasonalNaive:
      return "seasonal naive";
    case PvForecaster::kClearSkyPersistence:
      return "clear sky x persistence";
    case PvForecaster::kPhysics:
      return "physics (measured weather)";
    case PvForecaster::kPhysicsRidge:
      return "physics + ridge";
  }
  return "?";
}

double HaurwitzClearSkyGhiW_m2(double zenith_deg) {
  // Haurwitz, B. (1945), "Insolation in relation to cloudiness and cloud density", J. Meteor.
  // 2:154-166; the form used in clear-sky model reviews (Reno, Hansen & Stein 2012, SAND2012-2389).
  const double cos_z = std::cos(zenith_deg * kPi / 180.0);
  if (!(cos_z > 0)) return 0.0;
  return 1098.0 * cos_z * std::exp(-0.057 / cos_z);
}

Timestamp PvIssueTime(Date day, int issue_hour_kst) {
  return FromKst(AddDays(day, -1), issue_hour_kst * 60);
}

Result<PvForecastSite> PreparePvForecastSite(const PvSiteSamples& s, const Location& location,
                                             const PlaneOrientation& plane,
                                             const PvForecastOptions& options) {
  if (auto st = CheckSiteSeries(s); !st) return st.error();
  const PvValidationOptions& v = options.validation;
  if (!(v.dc_ac_ratio > 0)) {
    return InvalidInput(fmt::format("PV forecast: dc_ac_ratio {} must be > 0", v.dc_ac_ratio));
  }
  if (options.issue_hour_kst < 0 || options.issue_hour_kst > 23) {
    return InvalidInput(
        fmt::format("PV forecast: issue_hour_kst {} must be in 0..23", options.issue_hour_kst));
  }
  PvArraySpec unit = v.array_template;
  unit.dc_kwp = Kilowatts(1.0);
  unit.inverter_kw = Kilowatts(1.0 / v.dc_ac_ratio);
  unit.tilt_deg = plane.tilt_deg;
  unit.azimuth_deg = plane.azimuth_deg;
  if (auto st = CheckPvArraySpec(unit); !st) return st.error();
  PvModelOptions mo;
  mo.albedo = v.albedo;

  const auto& g = s.ghi_w_m2;
  PvForecastSite site;
  site.start = g.start();
  site.step = g.step();
  site.location = location;
  site.plane = plane;
  site.options = options;
  const size_t n = g.size();
  site.sun.resize(n);
  site.hour_kst.resize(n);
  site.daylight.assign(n, false);
  site.lost.assign(n, false);
  site.unit_ac_kw.assign(n, kNaN);
  site.unit_clear_kw.assign(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const Timestamp t = g.TimeAt(i);
    const SolarPosition sun = SunPosition(t, location);
    const double dni_extra = ExtraterrestrialNormalW_m2(t);
    site.sun[i] = sun;
    site.hour_kst[i] = ToKst(t).minute_of_day / 60;
    const bool up = sun.apparent_elevation_deg > 0;
    const bool complete =
        g.at(i) && s.poa_w_m2.at(i) && s.temp_air_c.at(i) && s.temp_module_c.at(i);
    const bool lit = complete && *g.at(i) > 0 && *s.poa_w_m2.at(i) > 0;
    site.daylight[i] = up && lit;
    site.lost[i] = sun.apparent_elevation_deg > kLostRowMinElevationDeg && !lit;
    if (complete) {
      const double ghi = *g.at(i);
      const BeamDiffuse split = ErbsDecomposition(ghi, sun, dni_extra);
      const PvWeatherStep w{ghi, split.dni_w_m2, split.dhi_w_m2, *s.temp_air_c.at(i),
                            v.wind_speed_m_s};
      site.unit_ac_kw[i] = ComputePvForSun(unit, sun, dni_extra, w, mo).power.ac.value();
    }
    const double clear_ghi = HaurwitzClearSkyGhiW_m2(sun.apparent_zenith_deg);
    if (clear_ghi > 0) {
      const BeamDiffuse split = ErbsDecomposition(clear_ghi, sun, dni_extra);
      const PvWeatherStep w{clear_ghi, split.dni_w_m2, split.dhi_w_m2, options.clear_sky_temp_air_c,
                            v.wind_speed_m_s};
      site.unit_clear_kw[i] = ComputePvForSun(unit, sun, dni_extra, w, mo).power.ac.value();
    }
  }
  return site;
}

Kilowatts FitPvKwpByEnergy(const PvForecastSite& site, const IntervalSeries<Kilowatts>& ac,
                           Timestamp before) {
  MEG_CHECK(OnSiteGrid(site, ac));
  return Kilowatts(FitKwp(HistoryBefore(site, ac, before)));
}

Result<PvSeriesForecast> ForecastPvDayAhead(const PvForecastSite& site,
                                            const IntervalSeries<Kilowatts>& ac) {
  if (!OnSiteGrid(site, ac)) {
    return InvalidInput("PV forecast: the power series is not on the site samples' grid");
  }
  PvSeriesForecast out;
  // Every forecaster's P50 so far, per sample (for the residuals of later issues).
  std::array<std::vector<double>, kPvForecasterCount> p50_all, p10_all, p90_all;
  for (size_t f = 0; f < kPvForecasterCount; ++f) {
    p50_all[f].assign(site.size(), kNaN);
    p10_all[f].assign(site.size(), kNaN);
    p90_all[f].assign(site.size(), kNaN);
  }
  // The first day with a full day of history before its issue time, to the last day.
  const Date first_day = AddDays(ToKst(site.start).date, 2);
  const Date last_day = ToKst(site.TimeAt(site.size() - 1)).date;
  const PvForecastOptions& o = site.options;
  for (Date day = first_day; std::chrono::sys_days{day} <= std::chrono::sys_days{last_day};
       day = AddDays(day, 1)) {
    const History h = HistoryBefore(site, ac, PvIssueTime(day, o.issue_hour_kst));
    const DayP50 p50 = ForecastDay(h, day);
    for (size_t f = 0; f < kPvForecasterCount; ++f) {
      const ResidualBands bands = Bands(h, p50_all[f], o.min_residuals_per_bucket);
      for (int hour = 0; hour < kHoursPerDay; ++hour) {
        const auto i = IndexOf(site, FromKst(day, hour * 60));
        const double p = p50[f][hour];
        if (!i || !std::isfinite(p)) continue;
        p50_all[f][*i] = p10_all[f][*i] = p90_all[f][*i] = p;
        if (!(site.sun[*i].apparent_elevation_deg > 0)) continue;
        const auto& b = bands.bucket[ElevationBucket(site.sun[*i].apparent_elevation_deg)];
        const auto& band = b ? b : bands.pooled;
        if (!band) continue;
        p10_all[f][*i] = std::max(0.0, p + band->first);
        p90_all[f][*i] = std::max(0.0, p + band->second);
      }
    }
  }
  auto to_series = [&](const std::vector<double>& v) {
    std::vector<std::optional<double>> values(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      if (std::isfinite(v[i])) values[i] = v[i];
    }
    return IntervalSeries<double>(site.start, site.step, std::move(values));
  };
  for (size_t f = 0; f < kPvForecasterCount; ++f) {
    out.by_forecaster[f] = {to_series(p10_all[f]), to_series(p50_all[f]), to_series(p90_all[f])};
  }
  return out;
}

Result<ScreenedPvSystems> ScreenPvSystems(const PvSiteSamples& site_samples,
                                          const std::vector<PvSystemSamples>& systems,
                                          const Location& location, const PvForecastOptions& options) {
  // The screen and the sensor plane, exactly as `meg pv-validate` computes them.
  auto validation = ValidatePv(site_samples, systems, location, options.validation);
  if (!validation) return validation.error();
  auto site = PreparePvForecastSite(site_samples, location, validation->sensor_plane.plane, options);
  if (!site) return site.error();
  ScreenedPvSystems out{validation->sensor_plane.plane, std::move(*site), {}, {}};
  for (size_t k = 0; k < systems.size(); ++k) {
    const std::string& why = validation->systems[k].excluded;
    if (why.empty()) {
      out.healthy.push_back(k);
    } else {
      out.excluded.push_back(systems[k].name + ": " + why);
    }
  }
  if (out.healthy.empty()) return InvalidInput("PV forecast: every system fails the data screen");
  return out;
}

Result<PvForecastReport> EvaluatePvForecasts(const PvSiteSamples& site_samples,
                                             const std::vector<PvSystemSamples>& systems,
                                             const Location& location,
                                             const PvForecastOptions& options) {
  const Timestamp from = FromKst(options.eval_first_day);
  const Timestamp to = FromKst(options.eval_end_day);
  if (to <= from) {
    return InvalidInput(fmt::format("PV forecast: the scored days [{}, {}) are empty",
                                    FormatDate(options.eval_first_day),
                                    FormatDate(options.eval_end_day)));
  }
  MEG_TRY_ASSIGN(screened, ScreenPvSystems(site_samples, systems, location, options));
  const PvForecastSite* site = &screened.site;
  PvForecastReport report;
  report.sensor_plane = screened.sensor_plane;
  report.eval_first_day = options.eval_first_day;
  report.eval_end_day = options.eval_end_day;
  report.issue_hour_kst = options.issue_hour_kst;
  report.excluded = screened.excluded;
  std::vector<const PvSystemSamples*> healthy;
  for (const size_t k : screened.healthy) healthy.push_back(&systems[k]);

  const Timestamp first_issue = PvIssueTime(options.eval_first_day, options.issue_hour_kst);
  auto run = [&](const std::string& name,
                 const IntervalSeries<Kilowatts>& ac) -> Result<PvSeriesScores> {
    auto forecast = ForecastPvDayAhead(*site, ac);
    if (!forecast) return forecast.error();
    return ScoreSeries(*site, name, ac, *forecast, from, to,
                       FitPvKwpByEnergy(*site, ac, first_issue));
  };
  std::vector<std::optional<Kilowatts>> sum(site->size(), Kilowatts(0));
  for (const PvSystemSamples* s : healthy) {
    auto scores = run(s->name, s->ac);
    if (!scores) return scores.error();
    report.systems.push_back(std::move(*scores));
    for (size_t i = 0; i < sum.size(); ++i) {
      sum[i] = sum[i] && s->ac.at(i) ? std::optional(*sum[i] + *s->ac.at(i)) : std::nullopt;
    }
  }
  auto aggregate = run(fmt::format("aggregate ({} systems)", healthy.size()),
                       IntervalSeries<Kilowatts>(site->start, site->step, std::move(sum)));
  if (!aggregate) return aggregate.error();
  report.aggregate = std::move(*aggregate);
  return report;
}

}  // namespace meg
