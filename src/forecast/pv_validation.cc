#include "forecast/pv_validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "forecast/pv_model.h"
#include "forecast/solar_position.h"

namespace meg {
namespace {

using std::chrono::minutes;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A plane irradiance above this is "the sun is clearly up" for the screen's counts.
constexpr double kBrightPoaW_m2 = 200;
// Samples with the plane irradiance above this are "daylight" for the stuck-run test.
constexpr double kDaylightPoaW_m2 = 50;
// A day enters the daily-ratio screen when its plane irradiation reaches this (Wh/m2).
constexpr double kMinDayIrradiationWh_m2 = 2000;

bool SameGrid(const IntervalSeries<double>& a, Timestamp start, std::chrono::seconds step,
              size_t size) {
  return a.start() == start && a.step() == step && a.size() == size;
}

double Median(std::vector<double> v) {
  MEG_CHECK(!v.empty());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Quantile by linear interpolation between order statistics (Hyndman & Fan type 7).
double Quantile(std::vector<double> v, double p) {
  MEG_CHECK(!v.empty());
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1) * p;
  const auto lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (h - static_cast<double>(lo));
}

double SquaredCorrelation(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n = static_cast<double>(x.size());
  if (x.size() < 2) return kNaN;
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy * sxy / (sxx * syy) : kNaN;
}

// What is known about site sample i, computed once.
struct SiteSample {
  Timestamp t;
  SolarPosition sun;
  double dni_extra = 0;
  bool complete = false;  // all four site inputs present
  bool scored = false;    // complete, sun up, GHI > 0 and POA > 0
  double ghi = 0, poa = 0, temp_air = 0, temp_module = 0;
  BeamDiffuse split;  // Erbs split of the GHI
};

Result<std::vector<SiteSample>> Prepare(const PvSiteSamples& s, const Location& site) {
  const auto& g = s.ghi_w_m2;
  if (g.empty()) return InvalidInput("PV validation: no site samples");
  for (const auto* other : {&s.poa_w_m2, &s.temp_air_c, &s.temp_module_c}) {
    if (!SameGrid(*other, g.start(), g.step(), g.size())) {
      return InvalidInput(
          "PV validation: the site series (GHI, POA, air and module "
          "temperature) must share start, step and size");
    }
  }
  std::vector<SiteSample> out(g.size());
  for (size_t i = 0; i < g.size(); ++i) {
    SiteSample& x = out[i];
    x.t = g.TimeAt(i);
    x.sun = SunPosition(x.t, site);
    x.dni_extra = ExtraterrestrialNormalW_m2(x.t);
    x.complete = g.at(i) && s.poa_w_m2.at(i) && s.temp_air_c.at(i) && s.temp_module_c.at(i);
    if (!x.complete) continue;
    x.ghi = *g.at(i);
    x.poa = *s.poa_w_m2.at(i);
    x.temp_air = *s.temp_air_c.at(i);
    x.temp_module = *s.temp_module_c.at(i);
    x.scored = x.sun.apparent_elevation_deg > 0 && x.ghi > 0 && x.poa > 0;
    x.split = ErbsDecomposition(x.ghi, x.sun, x.dni_extra);
  }
  return out;
}

// Indices of the scored samples in [from, to).
std::vector<size_t> ScoredIn(const std::vector<SiteSample>& s, Timestamp from, Timestamp to) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i].scored && s[i].t >= from && s[i].t < to) idx.push_back(i);
  }
  return idx;
}

double ModelPoa(const SiteSample& x, const PlaneOrientation& plane, double albedo) {
  return HayDaviesPoa(plane, x.sun, x.ghi, x.split.dni_w_m2, x.split.dhi_w_m2, x.dni_extra, albedo)
      .total();
}

PvErrorStats ScorePoa(const std::vector<SiteSample>& s, const std::vector<size_t>& idx,
                      const PlaneOrientation& plane, double albedo) {
  std::vector<double> model, measured;
  for (size_t i : idx) {
    model.push_back(ModelPoa(s[i], plane, albedo));
    measured.push_back(s[i].poa);
  }
  return ScoreErrors(model, measured);
}

double PoaSse(const std::vector<SiteSample>& s, const std::vector<size_t>& idx,
              const PlaneOrientation& plane, double albedo) {
  double sse = 0;
  for (size_t i : idx) {
    const double e = ModelPoa(s[i], plane, albedo) - s[i].poa;
    sse += e * e;
  }
  return sse;
}

Status CheckOptions(const PvValidationOptions& o) {
  if (o.calibration_end <= o.calibration_start || o.holdout_end <= o.holdout_start) {
    return InvalidInput("PV validation: the calibration and hold-out periods must not be empty");
  }
  if (!(o.dc_ac_ratio > 0)) {
    return InvalidInput(fmt::format("PV validation: dc_ac_ratio {} must be > 0", o.dc_ac_ratio));
  }
  if (!(o.max_tilt_deg >= 0 && o.max_tilt_deg <= 90) || !(o.min_azimuth_deg <= o.max_azimuth_deg)) {
    return InvalidInput(
        "PV validation: the plane search needs 0 <= max_tilt_deg <= 90 and "
        "min_azimuth_deg <= max_azimuth_deg");
  }
  return Ok{};
}

std::vector<PlaneOrientation> CoarseGrid(const PvValidationOptions& o) {
  std::vector<PlaneOrientation> grid;
  for (double tilt = 0; tilt <= o.max_tilt_deg + 1e-9; tilt += 5) {
    for (double az = o.min_azimuth_deg; az <= o.max_azimuth_deg + 1e-9; az += 5) {
      grid.push_back({tilt, az});
    }
  }
  return grid;
}

// 1-degree steps within 5 degrees of `centre`, inside the search range.
std::vector<PlaneOrientation> FineGrid(const PvValidationOptions& o, PlaneOrientation centre) {
  std::vector<PlaneOrientation> grid;
  for (double tilt = std::max(0.0, centre.tilt_deg - 5);
       tilt <= std::min(o.max_tilt_deg, centre.tilt_deg + 5) + 1e-9; tilt += 1) {
    for (double az = std::max(o.min_azimuth_deg, centre.azimuth_deg - 5);
         az <= std::min(o.max_azimuth_deg, centre.azimuth_deg + 5) + 1e-9; az += 1) {
      grid.push_back({tilt, az});
    }
  }
  return grid;
}

// The plane of `grid` with the lowest `cost`.
template <typename Cost>
PlaneOrientation Best(const std::vector<PlaneOrientation>& grid, Cost cost) {
  PlaneOrientation best = grid.front();
  double best_cost = std::numeric_limits<double>::infinity();
  for (const auto& p : grid) {
    const double c = cost(p);
    if (c < best_cost) best_cost = c, best = p;
  }
  return best;
}

Result<PlaneFit> FitPlane(const std::vector<SiteSample>& s, const PvValidationOptions& o) {
  const auto cal = ScoredIn(s, o.calibration_start, o.calibration_end);
  const auto hold = ScoredIn(s, o.holdout_start, o.holdout_end);
  if (cal.empty() || hold.empty()) {
    return InvalidInput(fmt::format("PV validation: no daylight samples in the {} period",
                                    cal.empty() ? "calibration" : "hold-out"));
  }
  auto sse = [&](const PlaneOrientation& p) { return PoaSse(s, cal, p, o.albedo); };
  PlaneFit fit;
  fit.plane = Best(FineGrid(o, Best(CoarseGrid(o), sse)), sse);
  fit.calibration = ScorePoa(s, cal, fit.plane, o.albedo);
  fit.holdout = ScorePoa(s, hold, fit.plane, o.albedo);
  return fit;
}

// Chain (b)/(c) input of sample i, with the chain's fixed wind speed.
PvWeatherStep GhiWeather(const SiteSample& x, double wind_speed_m_s) {
  return {x.ghi, x.split.dni_w_m2, x.split.dhi_w_m2, x.temp_air, wind_speed_m_s};
}

// AC power of `unit` (1 kWp) turned to `plane`, from GHI, at the samples `idx`.
std::vector<double> UnitAcFromGhi(const std::vector<SiteSample>& s, const std::vector<size_t>& idx,
                                  PvArraySpec unit, const PlaneOrientation& plane,
                                  const PvModelOptions& mo, double wind_speed_m_s) {
  unit.tilt_deg = plane.tilt_deg;
  unit.azimuth_deg = plane.azimuth_deg;
  std::vector<double> ac;
  ac.reserve(idx.size());
  for (size_t i : idx) {
    ac.push_back(
        ComputePvForSun(unit, s[i].sun, s[i].dni_extra, GhiWeather(s[i], wind_speed_m_s), mo)
            .power.ac.value());
  }
  return ac;
}

// Least-squares cost of `model` against a system's power at `idx` with the best free scale:
// sum(y^2) - (sum(m y))^2 / sum(m^2); only the last term depends on the plane.
double FreeScaleCost(const std::vector<double>& model, const std::vector<size_t>& idx,
                     const IntervalSeries<Kilowatts>& ac) {
  double my = 0, mm = 0;
  for (size_t k = 0; k < idx.size(); ++k) {
    if (!ac.at(idx[k])) continue;
    my += model[k] * ac.at(idx[k])->value();
    mm += model[k] * model[k];
  }
  return mm > 0 ? -my * my / mm : 0.0;
}

DataScreen Screen(const std::vector<SiteSample>& s, const IntervalSeries<Kilowatts>& ac,
                  const Location& site, const ScreenThresholds& th) {
  DataScreen out;
  size_t run = 0;
  std::optional<double> previous;
  // Daily sums of power and plane irradiance over the samples where both are present.
  std::map<std::chrono::sys_days, std::pair<double, double>> daily;
  const std::chrono::minutes offset{site.utc_offset_minutes};
  for (size_t i = 0; i < s.size(); ++i) {
    const auto& p = ac.at(i);
    const bool daylight = s[i].complete && s[i].poa > kDaylightPoaW_m2;
    if (p && s[i].complete && s[i].poa > kBrightPoaW_m2 && p->value() > 0) ++out.positive_samples;
    if (daylight && p && p->value() != 0 && previous == p->value()) {
      ++run;
    } else {
      run = daylight && p && p->value() != 0 ? 1 : 0;
    }
    previous = daylight && p ? std::optional<double>(p->value()) : std::nullopt;
    out.longest_stuck_run = std::max(out.longest_stuck_run, run);
    if (p && s[i].complete) {
      auto& d = daily[std::chrono::floor<std::chrono::days>(s[i].t + offset)];
      d.first += p->value();
      d.second += s[i].poa;
    }
  }
  std::vector<double> ratios;
  std::vector<std::chrono::sys_days> days;
  for (const auto& [day, sums] : daily) {
    if (sums.second < kMinDayIrradiationWh_m2) continue;
    ratios.push_back(sums.first / sums.second * 1000.0);  // kW per kW/m2
    days.push_back(day);
  }
  out.days = ratios.size();
  if (ratios.size() < 2 * th.min_days_each_side) return out;
  const double median = Median(ratios);
  out.dispersion = median > 0 ? (Quantile(ratios, 0.75) - Quantile(ratios, 0.25)) / median : kNaN;
  for (size_t k = th.min_days_each_side; k + th.min_days_each_side <= ratios.size(); ++k) {
    const double before = Median({ratios.begin(), ratios.begin() + static_cast<long>(k)});
    const double after = Median({ratios.begin() + static_cast<long>(k), ratios.end()});
    if (before <= 0) continue;
    const double shift = 100.0 * (after / before - 1.0);
    if (std::abs(shift) > std::abs(out.level_shift_pct)) {
      out.level_shift_pct = shift;
      out.level_shift_day = Date{days[k]};
    }
  }
  return out;
}

// Every failed test of the screen, joined by "; " (empty when the data pass).
std::string ExclusionReason(const DataScreen& d, const ScreenThresholds& th) {
  std::vector<std::string> why;
  if (d.positive_samples == 0) why.push_back("no output while the plane irradiance > 200 W/m2");
  if (d.longest_stuck_run > th.max_stuck_run) {
    why.push_back(
        fmt::format("stuck: {} equal non-zero daylight samples in a row", d.longest_stuck_run));
  }
  if (std::abs(d.level_shift_pct) > th.max_level_shift_pct) {
    why.push_back(fmt::format("capacity changed: daily yield per irradiation {:+.0f} % from {}",
                              d.level_shift_pct, FormatDate(d.level_shift_day)));
  }
  if (d.dispersion > th.max_dispersion) {
    why.push_back(
        fmt::format("erratic: daily yield per irradiation IQR/median {:.2f}", d.dispersion));
  }
  std::string out;
  for (const auto& w : why) out += (out.empty() ? "" : "; ") + w;
  return out;
}

SampleAlignment Align(const std::vector<SiteSample>& s, const IntervalSeries<Kilowatts>& ac) {
  std::vector<double> power, same, after, before;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (!ac.at(i) || !s[i - 1].complete || !s[i].complete || !s[i + 1].complete) continue;
    if (s[i - 1].poa <= 0 && s[i].poa <= 0 && s[i + 1].poa <= 0) continue;
    power.push_back(ac.at(i)->value());
    same.push_back(s[i].poa);
    after.push_back((s[i].poa + s[i + 1].poa) / 2);
    before.push_back((s[i - 1].poa + s[i].poa) / 2);
  }
  return {SquaredCorrelation(same, power), SquaredCorrelation(after, power),
          SquaredCorrelation(before, power)};
}

// Fits kWp by energy on `cal` and scores `cal` and `hold`. `unit_ac(i)` is the chain's AC power
// for sample i with the array of 1 kWp (AC is proportional to kWp, see PvPowerFromPlane).
template <typename UnitAc>
ChainFit FitChain(const std::vector<size_t>& cal, const std::vector<size_t>& hold,
                  const IntervalSeries<Kilowatts>& ac, UnitAc unit_ac) {
  auto collect = [&](const std::vector<size_t>& idx, std::vector<double>& model,
                     std::vector<double>& measured) {
    for (size_t i : idx) {
      if (!ac.at(i)) continue;
      model.push_back(unit_ac(i));
      measured.push_back(ac.at(i)->value());
    }
  };
  std::vector<double> cal_model, cal_measured, hold_model, hold_measured;
  collect(cal, cal_model, cal_measured);
  collect(hold, hold_model, hold_measured);
  double sum_model = 0, sum_measured = 0;
  for (size_t k = 0; k < cal_model.size(); ++k)
    sum_model += cal_model[k], sum_measured += cal_measured[k];
  ChainFit fit;
  const double kwp = sum_model > 0 ? sum_measured / sum_model : 0.0;
  fit.kwp = Kilowatts(kwp);
  for (auto& v : cal_model) v *= kwp;
  for (auto& v : hold_model) v *= kwp;
  fit.calibration = ScoreErrors(cal_model, cal_measured);
  fit.holdout = ScoreErrors(hold_model, hold_measured);
  return fit;
}

}  // namespace

PvErrorStats ScoreErrors(std::span<const double> model, std::span<const double> measured) {
  MEG_CHECK(model.size() == measured.size());
  PvErrorStats out;
  out.count = model.size();
  if (model.empty()) {
    out.mean_measured = out.nmbe_pct = out.nrmse_pct = kNaN;
    return out;
  }
  double sum_error = 0, sum_squared = 0, sum_measured = 0;
  for (size_t i = 0; i < model.size(); ++i) {
    const double e = model[i] - measured[i];
    sum_error += e;
    sum_squared += e * e;
    sum_measured += measured[i];
  }
  const auto n = static_cast<double>(model.size());
  out.mean_measured = sum_measured / n;
  if (!(out.mean_measured > 0)) {
    out.nmbe_pct = out.nrmse_pct = kNaN;
    return out;
  }
  out.nmbe_pct = 100.0 * sum_error / sum_measured;
  out.nrmse_pct = 100.0 * std::sqrt(sum_squared / n) / out.mean_measured;
  return out;
}

std::vector<LabelHypothesis> AnalyseLabelTiming(const IntervalSeries<double>& ghi,
                                                const Location& site) {
  struct Meaning {
    std::string_view text;
    minutes from, to;  // the measurement window relative to the label
  };
  constexpr Meaning kMeanings[] = {
      {"sample at the label", minutes{0}, minutes{0}},
      {"mean of the hour after the label", minutes{0}, minutes{60}},
      {"mean of the hour before the label", minutes{-60}, minutes{0}},
  };
  std::vector<LabelHypothesis> out;
  for (const auto& m : kMeanings) {
    LabelHypothesis h{m.text, (m.from + m.to) / 2};
    double weight = 0, weighted = 0;
    for (size_t i = 0; i < ghi.size(); ++i) {
      if (!ghi.at(i)) continue;
      const double g = *ghi.at(i);
      const Timestamp t = ghi.TimeAt(i);
      // Degrees of hour angle are 4 minutes of time.
      weighted += std::max(0.0, g) * SunPosition(t + h.centre_offset, site).hour_angle_deg * 4.0;
      weight += std::max(0.0, g);
      double highest = -90;
      for (minutes dt = m.from; dt <= m.to; dt += minutes{5}) {
        highest = std::max(highest, SunPosition(t + dt, site).apparent_elevation_deg);
      }
      if (g > 0 && highest <= 0) ++h.lit_while_sun_down;
      if (g == 0 && highest > 3) ++h.dark_while_sun_up;
    }
    h.mean_hour_angle_min = weight > 0 ? weighted / weight : kNaN;
    out.push_back(h);
  }
  return out;
}

Result<PlaneFit> FitSensorPlane(const PvSiteSamples& site_samples, const Location& site,
                                const PvValidationOptions& options) {
  if (auto st = CheckOptions(options); !st) return st.error();
  auto samples = Prepare(site_samples, site);
  if (!samples) return samples.error();
  return FitPlane(*samples, options);
}

Result<PvValidationReport> ValidatePv(const PvSiteSamples& site_samples,
                                      const std::vector<PvSystemSamples>& systems,
                                      const Location& site, const PvValidationOptions& options) {
  if (auto st = CheckOptions(options); !st) return st.error();
  auto prepared = Prepare(site_samples, site);
  if (!prepared) return prepared.error();
  const std::vector<SiteSample>& s = *prepared;
  const auto& grid = site_samples.ghi_w_m2;
  for (const auto& sys : systems) {
    if (sys.ac.start() != grid.start() || sys.ac.step() != grid.step() ||
        sys.ac.size() != grid.size()) {
      return InvalidInput(
          fmt::format("PV validation: system '{}' is not on the site samples' grid", sys.name));
    }
  }
  auto plane = FitPlane(s, options);
  if (!plane) return plane.error();

  PvValidationReport report;
  report.timing = AnalyseLabelTiming(grid, site);
  report.sensor_plane = *plane;

  PvArraySpec unit = options.array_template;
  unit.dc_kwp = Kilowatts(1.0);
  unit.inverter_kw = Kilowatts(1.0 / options.dc_ac_ratio);
  if (auto st = CheckPvArraySpec(unit); !st) return st.error();
  PvModelOptions mo;
  mo.albedo = options.albedo;
  const double wind = options.wind_speed_m_s;
  const auto cal = ScoredIn(s, options.calibration_start, options.calibration_end);
  const auto hold = ScoredIn(s, options.holdout_start, options.holdout_end);
  std::vector<size_t> scored = cal;
  scored.insert(scored.end(), hold.begin(), hold.end());
  // A chain's output for the 1 kWp array at every sample (0 where not scored).
  auto on_all = [&](const std::vector<double>& at_scored) {
    std::vector<double> all(s.size());
    for (size_t k = 0; k < scored.size(); ++k) all[scored[k]] = at_scored[k];
    return all;
  };
  std::vector<double> from_plane_at_scored;
  for (size_t i : scored) {
    from_plane_at_scored.push_back(PvPowerFromPlane(unit, s[i].poa, s[i].temp_module).ac.value());
  }
  const auto unit_from_plane = on_all(from_plane_at_scored);
  const auto unit_from_ghi = on_all(UnitAcFromGhi(s, scored, unit, plane->plane, mo, wind));
  // Chain (c): the coarse grid's outputs on the calibration samples, shared by every system.
  const auto coarse = CoarseGrid(options);
  std::vector<std::vector<double>> coarse_ac;
  for (const auto& p : coarse) coarse_ac.push_back(UnitAcFromGhi(s, cal, unit, p, mo, wind));

  for (const auto& sys : systems) {
    PvSystemValidation v;
    v.name = sys.name;
    v.screen = Screen(s, sys.ac, site, options.screen);
    v.excluded = ExclusionReason(v.screen, options.screen);
    v.alignment = Align(s, sys.ac);
    v.from_plane = FitChain(cal, hold, sys.ac, [&](size_t i) { return unit_from_plane[i]; });
    v.from_ghi = FitChain(cal, hold, sys.ac, [&](size_t i) { return unit_from_ghi[i]; });
    size_t best = 0;
    for (size_t k = 1; k < coarse.size(); ++k) {
      if (FreeScaleCost(coarse_ac[k], cal, sys.ac) < FreeScaleCost(coarse_ac[best], cal, sys.ac)) {
        best = k;
      }
    }
    v.own_plane = Best(FineGrid(options, coarse[best]), [&](const PlaneOrientation& p) {
      return FreeScaleCost(UnitAcFromGhi(s, cal, unit, p, mo, wind), cal, sys.ac);
    });
    const auto own = on_all(UnitAcFromGhi(s, scored, unit, v.own_plane, mo, wind));
    v.from_ghi_own_plane = FitChain(cal, hold, sys.ac, [&](size_t i) { return own[i]; });
    report.systems.push_back(std::move(v));
  }
  return report;
}

}  // namespace meg
