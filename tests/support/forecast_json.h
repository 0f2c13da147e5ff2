// Open-Meteo forecast responses for tests: the hours of a weather file (e.g. the shared ERA5
// hours of Jeonbuk) written in the forecast API's documented JSON (timeformat=unixtime,
// wind_speed_unit=ms; radiation the mean of the hour before each time). There is no network in
// tests: these stand for recorded responses.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/time.h"
#include "io/hourly_weather.h"

namespace meg::testing {

// The Jeonbuk ERA5 grid point of the shared weather files, and Seoul (City Hall): 195 km apart.
inline constexpr double kJeonbukLat = 35.75, kJeonbukLon = 127.25;
inline constexpr double kSeoulLat = 37.5665, kSeoulLon = 126.978;

// The response for the `hours` times from `first` (each time t: radiation of [t - 1 h, t), the
// samples at t), at the grid point (lat, lon). A missing value is null, as the API writes it.
inline std::string ForecastJson(const HourlyWeather& w, Timestamp first, int hours, double lat, double lon) {
  using nlohmann::json;
  const auto at = [](const IntervalSeries<double>& s, Timestamp t) -> json {
    const auto i = s.IndexOf(t);
    return i && s.at(*i) ? json(*s.at(*i)) : json(nullptr);
  };
  json time = json::array(), ghi = json::array(), dni = json::array(), dhi = json::array(), temp = json::array(),
       wind = json::array();
  for (int k = 0; k < hours; ++k) {
    const Timestamp t = first + std::chrono::hours(k);
    time.push_back(t.time_since_epoch().count());
    ghi.push_back(at(w.ghi_w_m2, t - std::chrono::hours(1)));
    dni.push_back(at(w.dni_w_m2, t - std::chrono::hours(1)));
    dhi.push_back(at(w.dhi_w_m2, t - std::chrono::hours(1)));
    temp.push_back(at(w.temp_air_c, t));
    wind.push_back(at(w.wind_speed_m_s, t));
  }
  const json doc = {{"latitude", lat},
                    {"longitude", lon},
                    {"generationtime_ms", 0.412},
                    {"utc_offset_seconds", 0},
                    {"timezone", "GMT"},
                    {"timezone_abbreviation", "GMT"},
                    {"elevation", 42.0},
                    {"hourly_units",
                     {{"time", "unixtime"},
                      {"shortwave_radiation", "W/m²"},
                      {"direct_normal_irradiance", "W/m²"},
                      {"diffuse_radiation", "W/m²"},
                      {"temperature_2m", "°C"},
                      {"wind_speed_10m", "m/s"}}},
                    {"hourly",
                     {{"time", time},
                      {"shortwave_radiation", ghi},
                      {"direct_normal_irradiance", dni},
                      {"diffuse_radiation", dhi},
                      {"temperature_2m", temp},
                      {"wind_speed_10m", wind}}}};
  return doc.dump();
}

}  // namespace meg::testing
