#include "io/open_meteo_forecast.h"

#include <array>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "io/weather_file.h"

namespace meg {
namespace {

using json = nlohmann::json;

constexpr std::chrono::hours kHour{1};

struct Variable {
  std::string_view name;  // Open-Meteo's
  std::string_view unit;  // as hourly_units spells it
  bool non_negative;
};
// In the order of HourlyWeather's members (HourlyColumns).
constexpr std::array<Variable, 5> kVariables = {{{"shortwave_radiation", "W/m²", true},
                                                 {"direct_normal_irradiance", "W/m²", true},
                                                 {"diffuse_radiation", "W/m²", true},
                                                 {"temperature_2m", "°C", false},
                                                 {"wind_speed_10m", "m/s", true}}};

// The provider answers a request for any point with its nearest grid cell; the cells of KMA's
// LDPS are 1.5 km, of GDPS 12 km, so a coordinate rounded to 4 decimals (11 m) loses nothing.
std::string Coordinate(double deg) { return fmt::format("{:.4f}", deg); }

}  // namespace

std::string OpenMeteoForecastUrl(const WeatherForecastSpec& spec, const Location& site) {
  std::string hourly;
  for (const auto& v : kVariables) hourly += (hourly.empty() ? "" : ",") + std::string(v.name);
  return fmt::format(
      "{}{}latitude={}&longitude={}&hourly={}&models={}&forecast_days={}&past_days=1&timezone=GMT&"
      "timeformat=unixtime&wind_speed_unit=ms",
      spec.url, spec.url.find('?') == std::string::npos ? "?" : "&", Coordinate(site.latitude_deg),
      Coordinate(site.longitude_deg), hourly, spec.model, spec.days);
}

Result<WeatherForecast> ParseOpenMeteoForecast(std::string_view text, std::string_view source, const Location& site,
                                               double max_distance_km) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    return InvalidInput(fmt::format("{}: the response is not JSON or is cut short ({} bytes)", source, text.size()));
  }
  if (!doc.is_object()) return InvalidInput(fmt::format("{}: the response is not a JSON object", source));
  if (const auto e = doc.find("error"); e != doc.end() && e->is_boolean() && e->get<bool>()) {
    const auto reason = doc.find("reason");
    return InvalidInput(fmt::format("{}: the provider refused the request: {}", source,
                                    reason != doc.end() && reason->is_string() ? reason->get<std::string>()
                                                                               : std::string("no reason given")));
  }
  const auto number = [&](const json& obj, std::string_view key) -> std::optional<double> {
    const auto it = obj.find(key);
    if (it == obj.end() || !it->is_number()) return std::nullopt;
    const double v = it->get<double>();
    return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
  };
  const auto lat = number(doc, "latitude");
  const auto lon = number(doc, "longitude");
  if (!lat || !lon || std::abs(*lat) > 90 || std::abs(*lon) > 180) {
    return InvalidInput(fmt::format("{}: the response names no valid latitude and longitude", source));
  }
  WeatherForecast out;
  out.latitude_deg = *lat;
  out.longitude_deg = *lon;
  out.distance_km = DistanceKm(*lat, *lon, site.latitude_deg, site.longitude_deg);
  if (out.distance_km > max_distance_km) {
    return InvalidInput(fmt::format(
        "{}: the forecast is for {:.4f} N {:.4f} E, {:.0f} km from the site at {:.4f} N {:.4f} E (at most {:.0f} km: "
        "[weather_forecast] max_distance_km); a forecast for another place is not used",
        source, *lat, *lon, out.distance_km, site.latitude_deg, site.longitude_deg, max_distance_km));
  }
  const auto units = doc.find("hourly_units");
  const auto hourly = doc.find("hourly");
  if (units == doc.end() || !units->is_object() || hourly == doc.end() || !hourly->is_object()) {
    return InvalidInput(fmt::format("{}: the response has no hourly data (hourly, hourly_units)", source));
  }
  const auto unit_of = [&](std::string_view key) {
    const auto it = units->find(key);
    return it != units->end() && it->is_string() ? it->get<std::string>() : std::string("(none)");
  };
  if (unit_of("time") != "unixtime") {
    return InvalidInput(
        fmt::format("{}: hourly time is in '{}', expected unixtime (timeformat=unixtime)", source, unit_of("time")));
  }
  const auto times = hourly->find("time");
  if (times == hourly->end() || !times->is_array() || times->empty()) {
    return InvalidInput(fmt::format("{}: the response has no hourly times", source));
  }
  const size_t n = times->size();
  std::vector<Timestamp> labels;
  labels.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const json& t = (*times)[i];
    if (!t.is_number_integer()) return InvalidInput(fmt::format("{}: hourly time {} is not Unix seconds", source, i));
    const auto label = Timestamp(std::chrono::seconds(t.get<std::int64_t>()));
    if (label.time_since_epoch().count() % 3600 != 0) {
      return InvalidInput(fmt::format("{}: hourly time {} ({}) is not on the hour", source, i, FormatKst(label)));
    }
    if (i > 0 && label != labels.back() + kHour) {
      return InvalidInput(fmt::format("{}: hourly time {} ({}) does not follow {} by one hour", source, i,
                                      FormatKst(label), FormatKst(labels.back())));
    }
    labels.push_back(label);
  }
  HourlyColumns columns;
  for (size_t c = 0; c < kVariables.size(); ++c) {
    const Variable& v = kVariables[c];
    if (unit_of(v.name) != v.unit) {
      return InvalidInput(fmt::format("{}: {} is in '{}', expected '{}'", source, v.name, unit_of(v.name), v.unit));
    }
    const auto values = hourly->find(v.name);
    if (values == hourly->end() || !values->is_array() || values->size() != n) {
      return InvalidInput(fmt::format("{}: hourly {} has {} values for {} times", source, v.name,
                                      values == hourly->end() || !values->is_array() ? 0 : values->size(), n));
    }
    columns[c].resize(n);
    for (size_t i = 0; i < n; ++i) {
      const json& x = (*values)[i];
      if (x.is_null()) continue;
      if (!x.is_number()) {
        return InvalidInput(fmt::format("{}: {} at {} is not a number", source, v.name, FormatKst(labels[i])));
      }
      const double value = x.get<double>();
      if (!std::isfinite(value) || (v.non_negative && value < 0)) {
        return InvalidInput(fmt::format("{}: {} at {} is {}{}", source, v.name, FormatKst(labels[i]), value,
                                        std::isfinite(value) ? ", negative" : ""));
      }
      columns[c][i] = value;
    }
  }
  // Radiation is the mean of the hour before the time: its hours are named by their start.
  out.weather = MakeHourlyWeather(std::move(columns), labels.front() - kHour, labels.front());
  return out;
}

}  // namespace meg
