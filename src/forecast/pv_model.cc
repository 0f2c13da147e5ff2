#include "forecast/pv_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

namespace meg {
namespace {

constexpr std::chrono::hours kHour{1};
constexpr int kQuartersPerHour = 4;
// 7 min 30 s: the midpoint of a 15-minute interval (kInterval / 2 in minutes would truncate to 7).
constexpr std::chrono::seconds kHalfInterval = std::chrono::seconds{kInterval} / 2;
// PVWatts v5 reference inverter efficiency (Dobos 2014, section 9).
constexpr double kPvWattsEtaRef = 0.9637;

// The value of an instantaneous hourly series at `t`, linearly interpolated between the samples
// either side (exact on a sample). nullopt when a needed sample is missing or outside.
std::optional<double> Interpolate(const IntervalSeries<double>& s, Timestamp t) {
  if (s.empty() || t < s.start()) return std::nullopt;
  const auto offset = (t - s.start()).count();
  const auto step = s.step().count();
  const auto k = static_cast<size_t>(offset / step);
  const double frac = static_cast<double>(offset % step) / static_cast<double>(step);
  if (k >= s.size() || !s.at(k)) return std::nullopt;
  if (frac == 0.0) return *s.at(k);
  if (k + 1 >= s.size() || !s.at(k + 1)) return std::nullopt;
  return *s.at(k) + (*s.at(k + 1) - *s.at(k)) * frac;
}

}  // namespace

std::array<QuarterIrradiance, 4> SpreadHourOverQuarters(Timestamp hour_start, const Location& site, double ghi_w_m2,
                                                        double dni_w_m2, double dhi_w_m2) {
  std::array<QuarterIrradiance, kQuartersPerHour> q;
  int lit = 0;
  size_t highest = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    q[i].start = hour_start + kInterval * static_cast<long>(i);
    q[i].sun = SunPosition(q[i].start + kHalfInterval, site);
    if (q[i].sun.apparent_elevation_deg > 0) ++lit;
    if (q[i].sun.apparent_elevation_deg > q[highest].sun.apparent_elevation_deg) highest = i;
  }
  if (lit == 0) {
    // No beam geometry exists in this hour: its irradiation goes to the quarter nearest the
    // horizon crossing as isotropic diffuse.
    q[highest].ghi_w_m2 = ghi_w_m2 * kQuartersPerHour;
    q[highest].dhi_w_m2 = ghi_w_m2 * kQuartersPerHour;
    return q;
  }
  const double scale = static_cast<double>(kQuartersPerHour) / lit;
  for (auto& x : q) {
    if (x.sun.apparent_elevation_deg <= 0) continue;
    x.ghi_w_m2 = ghi_w_m2 * scale;
    x.dni_w_m2 = dni_w_m2 * scale;
    x.dhi_w_m2 = dhi_w_m2 * scale;
  }
  return q;
}

namespace {

Status CheckHourly(const IntervalSeries<double>& s, const char* name) {
  if (s.step() != kHour) {
    return InvalidInput(fmt::format("PV weather: {} has a step of {} s, expected 3600 s", name, s.step().count()));
  }
  return Ok{};
}

}  // namespace

Status CheckPvArraySpec(const PvArraySpec& a) {
  auto bad = [&](const char* field, double v, const char* range) {
    return InvalidInput(fmt::format("PV array '{}': {} = {} is outside {}", a.name, field, v, range));
  };
  if (!(a.dc_kwp.value() > 0)) return bad("dc_kwp", a.dc_kwp.value(), "(0, inf)");
  if (!(a.inverter_kw.value() > 0)) return bad("inverter_kw", a.inverter_kw.value(), "(0, inf)");
  if (!(a.inverter_efficiency_pct > 0 && a.inverter_efficiency_pct <= 100)) {
    return bad("inverter_efficiency_pct", a.inverter_efficiency_pct, "(0, 100]");
  }
  if (!(a.losses_pct >= 0 && a.losses_pct < 100)) {
    return bad("losses_pct", a.losses_pct, "[0, 100)");
  }
  if (!(a.tilt_deg >= 0 && a.tilt_deg <= 90)) return bad("tilt_deg", a.tilt_deg, "[0, 90]");
  if (!(a.heat_loss_u0_w_m2k > 0)) return bad("heat_loss_u0_w_m2k", a.heat_loss_u0_w_m2k, "(0, inf)");
  if (!(a.heat_loss_u1_w_s_m3k >= 0)) return bad("heat_loss_u1_w_s_m3k", a.heat_loss_u1_w_s_m3k, "[0, inf)");
  if (!(a.albedo >= 0 && a.albedo <= 1)) return bad("albedo", a.albedo, "[0, 1]");
  return Ok{};
}

double FaimanModuleTempC(double poa_w_m2, double temp_air_c, double wind_speed_m_s, const FaimanCoefficients& c) {
  return temp_air_c + poa_w_m2 / (c.u0_w_m2k + c.u1_w_s_m3k * std::max(0.0, wind_speed_m_s));
}

PvPower PvPowerFromPlane(const PvArraySpec& a, double poa_effective_w_m2, double cell_temp_c) {
  const double gamma = a.temp_coeff_pct_per_c / 100.0;
  const double dc = std::max(0.0, a.dc_kwp.value() * poa_effective_w_m2 / 1000.0 *
                                      (1.0 + gamma * (cell_temp_c - 25.0)) * (1.0 - a.losses_pct / 100.0));
  PvPower p;
  p.dc = Kilowatts(dc);
  if (dc <= 0) return p;
  // PVWatts v5 inverter (Dobos 2014, eq. 9-10). At low load the -0.0059 / z term makes eta < 0:
  // the inverter then delivers nothing (AC is never negative).
  const double eta_nom = a.inverter_efficiency_pct / 100.0;
  const double pdc0 = a.inverter_kw.value() / eta_nom;
  const double z = dc / pdc0;
  const double eta = eta_nom / kPvWattsEtaRef * (-0.0162 * z - 0.0059 / z + 0.9858);
  const double unlimited = std::max(0.0, eta * dc);
  p.ac = Kilowatts(std::min(unlimited, a.inverter_kw.value()));
  p.clipped = Kilowatts(unlimited - p.ac.value());
  return p;
}

PvModelOptions PvModelOptionsOf(const PvArraySpec& array) {
  PvModelOptions o;
  o.albedo = array.albedo;
  o.faiman = {.u0_w_m2k = array.heat_loss_u0_w_m2k, .u1_w_s_m3k = array.heat_loss_u1_w_s_m3k};
  return o;
}

PvStep ComputePvForSun(const PvArraySpec& array, const SolarPosition& sun, double dni_extra, const PvWeatherStep& w,
                       const PvModelOptions& options) {
  PvStep s;
  s.sun = sun;
  const PlaneOrientation plane{array.tilt_deg, array.azimuth_deg};
  s.poa = HayDaviesPoa(plane, sun, std::max(0.0, w.ghi_w_m2), std::max(0.0, w.dni_w_m2), std::max(0.0, w.dhi_w_m2),
                       dni_extra, options.albedo);
  s.poa_effective_w_m2 =
      s.poa.beam_w_m2 * AshraeIam(s.poa.incidence_deg, options.iam_b0) + s.poa.sky_diffuse_w_m2 + s.poa.ground_w_m2;
  s.cell_temp_c = FaimanModuleTempC(s.poa.total(), w.temp_air_c, w.wind_speed_m_s, options.faiman);
  s.power = PvPowerFromPlane(array, s.poa_effective_w_m2, s.cell_temp_c);
  return s;
}

PvStep ComputePvAt(const PvArraySpec& array, const Location& site, Timestamp instant, const PvWeatherStep& weather,
                   const PvModelOptions& options) {
  return ComputePvForSun(array, SunPosition(instant, site), ExtraterrestrialNormalW_m2(instant), weather, options);
}

PvStep ComputePv(const PvArraySpec& array, const Location& site, Timestamp interval_start,
                 std::chrono::seconds duration, const PvWeatherStep& weather, const PvModelOptions& options) {
  MEG_CHECK(duration.count() > 0);
  return ComputePvAt(array, site, interval_start + duration / 2, weather, options);
}

Result<PowerSeries> SimulatePvYear(const PvArraySpec& array, const Location& site, const PvWeather& weather,
                                   Timestamp start, Timestamp end, const PvModelOptions& options) {
  if (!IsIntervalAligned(start) || !IsIntervalAligned(end) || end <= start) {
    return InvalidInput(
        fmt::format("PV simulation: [{}, {}) is not a non-empty range on the "
                    "15-minute grid",
                    FormatKst(start), FormatKst(end)));
  }
  if (auto st = CheckPvArraySpec(array); !st) return st.error();
  for (const auto& [s, name] : {std::pair{&weather.ghi_w_m2, "ghi_w_m2"}, std::pair{&weather.dni_w_m2, "dni_w_m2"},
                                std::pair{&weather.dhi_w_m2, "dhi_w_m2"}, std::pair{&weather.temp_air_c, "temp_air_c"},
                                std::pair{&weather.wind_speed_m_s, "wind_speed_m_s"}}) {
    if (auto st = CheckHourly(*s, name); !st) return st.error();
  }
  const auto& ghi = weather.ghi_w_m2;
  if (weather.dni_w_m2.start() != ghi.start() || weather.dhi_w_m2.start() != ghi.start() ||
      weather.dni_w_m2.size() != ghi.size() || weather.dhi_w_m2.size() != ghi.size()) {
    return InvalidInput("PV weather: ghi_w_m2, dni_w_m2 and dhi_w_m2 must share start and size");
  }
  if (ghi.start().time_since_epoch().count() % 3600 != 0) {
    return InvalidInput(fmt::format("PV weather: irradiance starts at {}, not on the hour", FormatKst(ghi.start())));
  }

  const auto n = static_cast<size_t>((end - start) / kInterval);
  std::vector<std::optional<Kilowatts>> out(n);
  std::optional<size_t> spread_hour;
  std::array<QuarterIrradiance, kQuartersPerHour> quarters{};
  double dni_extra = 0;
  for (size_t i = 0; i < n; ++i) {
    const Timestamp t = start + kInterval * static_cast<long>(i);
    if (t < ghi.start() || t >= ghi.end()) continue;
    const auto hour = static_cast<size_t>((t - ghi.start()) / kHour);
    const auto g = ghi.at(hour), b = weather.dni_w_m2.at(hour), d = weather.dhi_w_m2.at(hour);
    if (!g || !b || !d) continue;
    const Timestamp mid = t + kHalfInterval;
    const auto temp = Interpolate(weather.temp_air_c, mid);
    const auto wind = Interpolate(weather.wind_speed_m_s, mid);
    if (!temp || !wind) continue;
    if (spread_hour != hour) {
      quarters = SpreadHourOverQuarters(ghi.TimeAt(hour), site, *g, *b, *d);
      dni_extra = ExtraterrestrialNormalW_m2(ghi.TimeAt(hour));
      spread_hour = hour;
    }
    const QuarterIrradiance& q = quarters[static_cast<size_t>((t - ghi.TimeAt(hour)) / kInterval)];
    const PvWeatherStep w{q.ghi_w_m2, q.dni_w_m2, q.dhi_w_m2, *temp, *wind};
    out[i] = ComputePvForSun(array, q.sun, dni_extra, w, options).power.ac;
  }
  return PowerSeries(start, kInterval, std::move(out));
}

}  // namespace meg
