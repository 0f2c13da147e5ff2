#include "sim/site_inputs.h"

#include <fmt/format.h>

#include "forecast/pv_model.h"
#include "forecast/solar_position.h"
#include "io/cnu_building.h"
#include "io/doe_hospital.h"
#include "io/measured_on_year.h"
#include "io/open_meteo.h"
#include "io/text_file.h"
#include "io/usage_csv.h"

namespace meg {

Result<PowerSeries> LoadSeriesForYear(const Site& site, const HolidayCalendar& calendar) {
  const LoadSpec& spec = site.load;
  auto text = ReadTextFile(spec.file);
  if (!text) return text.error();
  PowerSeries raw;
  if (spec.format == "doe-hospital") {
    auto doe = ParseDoeHospitalCsv(*text, spec.file);
    if (!doe) return doe.error();
    auto series = DoeHospitalOnYear(*doe, spec.year, calendar);
    if (!series) return series.error();
    raw = std::move(*series);
  } else if (spec.format == "usage-csv") {
    auto usage = ParseUsageCsv(*text, spec.file);
    if (!usage) return usage.error();
    const Timestamp from = FromKst(std::chrono::year{spec.year} / 1 / 1);
    const Timestamp to = FromKst(std::chrono::year{spec.year + 1} / 1 / 1);
    raw = usage->kw.Slice(from, to);
    if (raw.start() != from || raw.end() != to) {
      return InvalidInput(fmt::format("{}: the usage data must cover all of {} (it covers {} .. {})", spec.file,
                                      spec.year, FormatKst(usage->kw.start()), FormatKst(usage->kw.end())));
    }
  } else if (spec.format == "cnu-building") {
    // Measured hourly kWh (2021-01 to 2022-04), meter faults as gaps, laid on `year` day by day.
    CnuReadOptions read;
    read.anomalies_to_gaps = true;
    auto cnu = ParseCnuBuildingCsv(*text, spec.file, read);
    if (!cnu) return cnu.error();
    auto kw = HourlyEnergyToPower(cnu->energy_kwh);
    if (!kw) return Error{kw.error().code, fmt::format("{}: {}", spec.file, kw.error().message)};
    auto series = MeasuredOnYear(*kw, spec.year, calendar);
    if (!series) return Error{series.error().code, fmt::format("{}: {}", spec.file, series.error().message)};
    raw = std::move(*series);
  } else {
    return InvalidInput(
        fmt::format("{}: load.format '{}' is not doe-hospital, usage-csv or cnu-building", site.file, spec.format));
  }
  std::vector<std::optional<Kilowatts>> scaled;
  scaled.reserve(raw.size());
  for (const auto& v : raw.values()) {
    if (!v) return InvalidInput(fmt::format("{}: the load has gaps", spec.file));
    scaled.emplace_back(*v * spec.scale);
  }
  return PowerSeries(raw.start(), raw.step(), std::move(scaled));
}

}  // namespace meg

namespace meg {
namespace {

// Hourly temperature samples interpolated to the start of each interval of `grid`.
IntervalSeries<double> TemperatureOnGrid(const IntervalSeries<double>& hourly, const PowerSeries& grid) {
  std::vector<std::optional<double>> v(grid.size());
  for (size_t i = 0; i < grid.size(); ++i) {
    const Timestamp t = grid.TimeAt(i);
    if (hourly.empty() || t < hourly.start() || t >= hourly.end()) continue;
    const auto k = static_cast<size_t>((t - hourly.start()) / hourly.step());
    const Timestamp t0 = hourly.TimeAt(k);
    const auto& a = hourly.at(k);
    if (!a) continue;
    const double frac = std::chrono::duration<double>(t - t0) / std::chrono::duration<double>(hourly.step());
    if (frac == 0 || k + 1 >= hourly.size() || !hourly.at(k + 1)) {
      v[i] = *a;
      continue;
    }
    v[i] = *a + (*hourly.at(k + 1) - *a) * frac;
  }
  return IntervalSeries<double>(grid.start(), grid.step(), std::move(v));
}

}  // namespace

Result<SiteInputs> PrepareSiteInputs(const Site& site, const HolidayCalendar& calendar) {
  SiteInputs out;
  auto load = LoadSeriesForYear(site, calendar);
  if (!load) return load.error();
  out.load = std::move(*load);
  for (const auto& v : out.load.values()) out.load_energy += *v * kIntervalHours;

  std::vector<double> pv_kw(out.load.size(), 0.0);
  if (!site.pv.empty()) {
    if (site.weather.format != "open-meteo") {
      return InvalidInput(fmt::format("{}: weather.format '{}' is not open-meteo", site.file, site.weather.format));
    }
    auto text = ReadTextFile(site.weather.file);
    if (!text) return text.error();
    auto weather = ParseOpenMeteoCsv(*text, site.weather.file);
    if (!weather) return weather.error();
    out.temp_c = TemperatureOnGrid(weather->temp_air_c, out.load);
    const PvWeather w{weather->ghi_w_m2, weather->dni_w_m2, weather->dhi_w_m2, weather->temp_air_c,
                      weather->wind_speed_m_s};
    for (const PvArraySpec& array : site.pv) {
      auto ac = SimulatePvYear(array, site.location, w, out.load.start(), out.load.end());
      if (!ac) {
        return Error{ac.error().code, fmt::format("{}: PV array '{}': {}", site.file, array.name, ac.error().message)};
      }
      if (ac->size() != out.load.size()) {
        return InvalidInput(fmt::format("{}: PV array '{}' covers {} intervals, the load {}", site.file, array.name,
                                        ac->size(), out.load.size()));
      }
      for (size_t i = 0; i < ac->size(); ++i) {
        if (ac->at(i)) {
          pv_kw[i] += ac->at(i)->value();
          continue;
        }
        // Missing weather is only harmless at night: with the sun below the horizon at both
        // ends of the interval, there is no irradiance to miss (e.g. the last hour of a year
        // file whose radiation is labelled by the hour's end).
        const Timestamp t0 = ac->TimeAt(i), t1 = t0 + kInterval;
        if (SunPosition(t0, site.location).apparent_elevation_deg < 0 &&
            SunPosition(t1, site.location).apparent_elevation_deg < 0) {
          continue;
        }
        return InvalidInput(fmt::format("{}: no weather for {} while the sun is up (PV array '{}')", site.weather.file,
                                        FormatKst(t0), array.name));
      }
    }
  }
  std::vector<std::optional<Kilowatts>> pv;
  pv.reserve(pv_kw.size());
  for (double kw : pv_kw) {
    pv.emplace_back(Kilowatts(kw));
    out.pv_energy += Kilowatts(kw) * kIntervalHours;
  }
  out.pv = PowerSeries(out.load.start(), kInterval, std::move(pv));
  return out;
}

PowerSeries DayBefore(const PowerSeries& s) {
  std::vector<std::optional<Kilowatts>> v(s.size());
  for (size_t i = 0; i < s.size(); ++i) v[i] = s.at(i < kIntervalsPerDay ? i : i - kIntervalsPerDay);
  return PowerSeries(s.start(), s.step(), std::move(v));
}

}  // namespace meg
