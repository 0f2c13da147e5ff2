// Open-Meteo's weather forecast API (https://open-meteo.com/en/docs, and /en/docs/kma-api for the
// Korea Meteorological Administration's models): the request a site makes and the JSON it gets
// back, parsed into HourlyWeather. Pure functions; thread-safe.
//
// The request asks for hourly GHI (shortwave_radiation), DNI (direct_normal_irradiance), DHI
// (diffuse_radiation), air temperature at 2 m and wind speed at 10 m in m/s, with times as Unix
// seconds (timeformat=unixtime), so no time zone is involved. Open-Meteo's conventions, as for
// its archive (io/open_meteo.h): radiation is the MEAN OVER THE HOUR BEFORE the time, which names
// the instant of the temperature and wind samples. So radiation's hours start an hour before the
// first time, and radiation.TimeAt(i) + 1 h == temp_air_c.TimeAt(i).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/site.h"
#include "core/time.h"
#include "io/hourly_weather.h"

namespace meg {

// The forecast request for `site`: spec.url with the site's place, the five hourly variables,
// spec.model, spec.days and past_days=1 (the hours just gone, which the live PV forecast of the
// current hour needs).
std::string OpenMeteoForecastUrl(const WeatherForecastSpec& spec, const Location& site);

struct WeatherForecast {
  HourlyWeather weather;
  double latitude_deg = 0;  // the grid point the provider answered for
  double longitude_deg = 0;
  double distance_km = 0;  // from the site
};

// Parses a response body. Errors (naming `source`, usually the URL): not JSON or cut short; the
// provider's own error ({"error":true,"reason":...}); a grid point more than `max_distance_km`
// from the site (a forecast for another place); a unit other than W/m², °C and m/s; times that
// are not Unix seconds on the hour, one hour apart and increasing; columns of another length than
// the times; a value that is neither a number nor null; negative radiation or wind. A null is a
// gap in its series.
Result<WeatherForecast> ParseOpenMeteoForecast(std::string_view text, std::string_view source, const Location& site,
                                               double max_distance_km);

}  // namespace meg
