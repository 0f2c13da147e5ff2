#include "sim/site_inputs.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "core/thermal.h"
#include "forecast/pv_model.h"
#include "forecast/solar_position.h"
#include "io/cnu_building.h"
#include "io/doe_hospital.h"
#include "io/measured_on_year.h"
#include "io/meter_download.h"
#include "io/text_file.h"
#include "io/usage_csv.h"
#include "io/weather_file.h"

namespace meg {

Result<PowerSeries> LoadSeriesForYear(const Site& site, const HolidayCalendar& calendar) {
  return LoadSeriesForSpan(site, calendar, std::chrono::year{site.load.year} / 1 / 1, site.load.year);
}

Result<PowerSeries> LoadSeriesForSpan(const Site& site, const HolidayCalendar& calendar, Date first_day,
                                      int last_year) {
  const LoadSpec& spec = site.load;
  const int first_year = static_cast<int>(first_day.year());
  if (!first_day.ok() || last_year < first_year) {
    return InvalidInput(
        fmt::format("the load span from {} to the end of {} is empty", FormatDate(first_day), last_year));
  }
  const Timestamp from = FromKst(first_day);
  const Timestamp to = FromKst(std::chrono::year{last_year + 1} / 1 / 1);
  auto text = ReadTextFile(spec.file);
  if (!text) return text.error();
  PowerSeries raw;
  // Lays the data on each year of the span, one after the other.
  const auto each_year = [&](const auto& lay) -> Status {
    std::vector<std::optional<Kilowatts>> values;
    for (int y = first_year; y <= last_year; ++y) {
      Result<PowerSeries> year = lay(y);
      if (!year) return year.error();
      values.insert(values.end(), year->values().begin(), year->values().end());
    }
    raw = PowerSeries(FromKst(std::chrono::year{first_year} / 1 / 1), kInterval, std::move(values)).Slice(from, to);
    return Ok{};
  };
  if (spec.format == "doe-hospital") {
    auto doe = ParseDoeHospitalCsv(*text, spec.file);
    if (!doe) return doe.error();
    MEG_TRY(each_year([&](int y) { return DoeHospitalOnYear(*doe, y, calendar); }));
  } else if (spec.format == "usage-csv" || spec.format == "meter-download") {
    Result<UsageData> usage = InvalidInput("");
    if (spec.format == "usage-csv") {
      usage = ParseUsageCsv(*text, spec.file);
    } else {
      MeterReadOptions meter;
      meter.encoding = spec.encoding;
      meter.time_column = spec.time_column;
      meter.value_column = spec.value_column;
      meter.sheet = spec.sheet;
      if (!spec.labels.empty()) {
        auto labels = ParseLabelConvention(spec.labels);
        if (!labels) return labels.error();
        meter.labels = *labels;
      }
      if (!spec.unit.empty()) {
        auto unit = ParseMeterUnit(spec.unit);
        if (!unit) return unit.error();
        meter.unit = *unit;
      }
      auto read = ReadUsageBytes(*text, spec.file, meter, {});
      if (!read) return read.error();
      if (!read->meter_download) {
        return InvalidInput(fmt::format("{}: is OpenMEG's usage CSV: say load.format = \"usage-csv\"", spec.file));
      }
      usage = std::move(read->usage);
    }
    if (!usage) return usage.error();
    raw = usage->kw.Slice(from, to);
    if (raw.start() != from || raw.end() != to) {
      return InvalidInput(fmt::format("{}: the usage data must cover {} .. {} (it covers {} .. {})", spec.file,
                                      FormatKst(from), FormatKst(to), FormatKst(usage->kw.start()),
                                      FormatKst(usage->kw.end())));
    }
  } else if (spec.format == "cnu-building") {
    // Measured hourly kWh (2021-01 to 2022-04), meter faults as gaps, laid on each year day by day.
    CnuReadOptions read;
    read.anomalies_to_gaps = true;
    auto cnu = ParseCnuBuildingCsv(*text, spec.file, read);
    if (!cnu) return cnu.error();
    auto kw = HourlyEnergyToPower(cnu->energy_kwh);
    if (!kw) return Error{kw.error().code, fmt::format("{}: {}", spec.file, kw.error().message)};
    MEG_TRY(each_year([&](int y) -> Result<PowerSeries> {
      auto series = MeasuredOnYear(*kw, y, calendar);
      if (!series) return Error{series.error().code, fmt::format("{}: {}", spec.file, series.error().message)};
      return series;
    }));
  } else {
    return InvalidInput(
        fmt::format("{}: load.format '{}' is not doe-hospital, usage-csv, meter-download or cnu-building", site.file,
                    spec.format));
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

// The hourly weather of each year of [first_year, last_year] from the site's weather file(s), as
// one series (a file naming no ${year} is read once).
Result<HourlyWeather> WeatherForYears(const Site& site, int first_year, int last_year) {
  std::vector<HourlyWeather> parts;
  std::vector<std::string> read;
  // An actual year's file (open-meteo, a year of psm3) is read once however many years name it;
  // a typical year (epw, tmy3, a psm3 TMY) is laid on each year.
  const bool once = site.weather.format == "open-meteo";
  for (int y = first_year; y <= last_year; ++y) {
    const std::string file = WeatherFileFor(site.weather, y);
    if (once && std::find(read.begin(), read.end(), file) != read.end()) continue;
    read.push_back(file);
    auto text = ReadTextFile(file);
    if (!text) {
      return Error{text.error().code, fmt::format("the weather of {}: {}", y, text.error().message)};
    }
    auto weather = ReadWeatherText(*text, site.weather.format, file, y, &site.location);
    if (!weather) return weather.error();
    parts.push_back(std::move(*weather));
  }
  if (parts.size() == 1) return std::move(parts.front());
  // One series over all of them; a later file's value wins where two overlap.
  const auto merge = [&](auto member) {
    Timestamp lo = Timestamp::max(), hi = Timestamp::min();
    for (const auto& p : parts) {
      const IntervalSeries<double>& s = p.*member;
      if (s.empty()) continue;
      lo = std::min(lo, s.start());
      hi = std::max(hi, s.end());
    }
    if (lo >= hi) return IntervalSeries<double>();
    const auto step = (parts.front().*member).step();
    std::vector<std::optional<double>> v(static_cast<size_t>((hi - lo) / step));
    for (const auto& p : parts) {
      const IntervalSeries<double>& s = p.*member;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s.at(i)) v[static_cast<size_t>((s.TimeAt(i) - lo) / step)] = s.at(i);
      }
    }
    return IntervalSeries<double>(lo, step, std::move(v));
  };
  HourlyWeather out;
  out.ghi_w_m2 = merge(&HourlyWeather::ghi_w_m2);
  out.dni_w_m2 = merge(&HourlyWeather::dni_w_m2);
  out.dhi_w_m2 = merge(&HourlyWeather::dhi_w_m2);
  out.temp_air_c = merge(&HourlyWeather::temp_air_c);
  out.wind_speed_m_s = merge(&HourlyWeather::wind_speed_m_s);
  return out;
}

// The cooling demand and COP of `out`'s grid (its load and temperature set): the cooling the
// chillers' electricity (the DOE end use of [cooling], laid and scaled as the load) makes at the
// interval's temperature and their part load (ChillerCoolingFor), and their full-load COP there.
Status AddCooling(const Site& site, const HolidayCalendar& calendar, Date first_day, int last_year, SiteInputs& out) {
  const CoolingSpec& c = *site.cooling;
  if (site.load.format != "doe-hospital") {
    return InvalidInput(
        fmt::format("{}: [cooling] needs a doe-hospital load (its end use '{}')", site.file, c.load_column));
  }
  auto text = ReadTextFile(site.load.file);
  if (!text) return text.error();
  auto doe = ParseDoeHospitalCsv(*text, site.load.file);
  if (!doe) return doe.error();
  std::vector<std::optional<Kilowatts>> values;
  for (int y = static_cast<int>(first_day.year()); y <= last_year; ++y) {
    auto year = DoeEndUseOnYear(*doe, c.load_column, y, calendar);
    if (!year) return Error{year.error().code, fmt::format("{}: {}", site.load.file, year.error().message)};
    values.insert(values.end(), year->values().begin(), year->values().end());
  }
  const PowerSeries elec =
      PowerSeries(FromKst(std::chrono::year{static_cast<int>(first_day.year())} / 1 / 1), kInterval, std::move(values))
          .Slice(out.load.start(), out.load.end());
  std::vector<std::optional<Kilowatts>> demand;
  std::vector<std::optional<double>> cop;
  for (size_t i = 0; i < out.load.size(); ++i) {
    const double t = ValueOrNaN(out.temp_c, out.load.TimeAt(i));
    const auto e = elec.at(i);
    if (!e || !std::isfinite(t)) {
      return InvalidInput(
          fmt::format("{}: no chiller electricity or temperature at {}", site.file, FormatKst(out.load.TimeAt(i))));
    }
    const double k = ChillerCop(c, t);
    cop.emplace_back(k);
    demand.emplace_back(ChillerCoolingFor(c, k, Kilowatts(e->value() * site.load.scale)));
  }
  out.cooling_kw_th = PowerSeries(out.load.start(), kInterval, std::move(demand));
  out.cop = IntervalSeries<double>(out.load.start(), kInterval, std::move(cop));
  return Ok{};
}

}  // namespace

Result<HourlyWeather> SiteWeatherForYears(const Site& site, int first_year, int last_year) {
  return WeatherForYears(site, first_year, last_year);
}

Result<SiteInputs> PrepareSiteInputs(const Site& site, const HolidayCalendar& calendar) {
  return PrepareSiteInputs(site, calendar, std::chrono::year{site.load.year} / 1 / 1, site.load.year);
}

Result<SiteInputs> PrepareSiteInputs(const Site& site, const HolidayCalendar& calendar, Date first_day, int last_year) {
  SiteInputs out;
  auto load = LoadSeriesForSpan(site, calendar, first_day, last_year);
  if (!load) return load.error();
  out.load = std::move(*load);
  for (const auto& v : out.load.values()) out.load_energy += *v * kIntervalHours;

  std::vector<double> pv_kw(out.load.size(), 0.0);
  // The weather, read once, for the PV model and the chillers' COP.
  std::optional<HourlyWeather> weather;
  if (!site.pv.empty() || site.cooling) {
    auto read = WeatherForYears(site, static_cast<int>(first_day.year()), last_year);
    if (!read) return read.error();
    weather = std::move(*read);
    out.temp_c = TemperatureOnGrid(weather->temp_air_c, out.load);
    if (site.cooling) MEG_TRY(AddCooling(site, calendar, first_day, last_year, out));
  }
  if (!site.pv.empty()) {
    const PvWeather w{weather->ghi_w_m2, weather->dni_w_m2, weather->dhi_w_m2, weather->temp_air_c,
                      weather->wind_speed_m_s};
    for (const PvArraySpec& array : site.pv) {
      auto ac = SimulatePvYear(array, site.location, w, out.load.start(), out.load.end(), PvModelOptionsOf(array));
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
        return InvalidInput(fmt::format("{}: no weather for {} while the sun is up (PV array '{}'){}",
                                        WeatherFileFor(site.weather, static_cast<int>(ToKst(t0).date.year())),
                                        FormatKst(t0), array.name,
                                        site.weather.file.find(kYearPlaceholder) == std::string::npos
                                            ? "; for other years, name the weather file with ${year} "
                                              "(docs/site-config.md)"
                                            : ""));
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

SiteInputs SliceInputs(const SiteInputs& in, Timestamp from, Timestamp to) {
  SiteInputs out;
  out.load = in.load.Slice(from, to);
  out.pv = in.pv.Slice(from, to);
  if (!in.temp_c.empty()) out.temp_c = in.temp_c.Slice(from, to);
  if (!in.cooling_kw_th.empty()) out.cooling_kw_th = in.cooling_kw_th.Slice(from, to);
  if (!in.cop.empty()) out.cop = in.cop.Slice(from, to);
  for (const auto& v : out.load.values()) out.load_energy += v.value_or(Kilowatts(0)) * kIntervalHours;
  for (const auto& v : out.pv.values()) out.pv_energy += v.value_or(Kilowatts(0)) * kIntervalHours;
  return out;
}

PowerSeries DayBefore(const PowerSeries& s) {
  std::vector<std::optional<Kilowatts>> v(s.size());
  for (size_t i = 0; i < s.size(); ++i) v[i] = s.at(i < kIntervalsPerDay ? i : i - kIntervalsPerDay);
  return PowerSeries(s.start(), s.step(), std::move(v));
}

}  // namespace meg
