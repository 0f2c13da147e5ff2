// Open-Meteo hourly weather CSV (ERA5 reanalysis export: time_utc, GHI/DNI/DHI, air temperature,
// wind speed), parsed into hourly series whose time convention is explicit. Pure functions and
// value types; thread-safe.
//
// Time convention (Open-Meteo API docs, "hourly variables"): the label `time_utc` is an instant
// in UTC ("2023-01-01T01:00:00Z"). Radiation is the MEAN OVER THE HOUR BEFORE the label, so the
// row labelled 01:00Z covers [00:00Z, 01:00Z); temperature and wind speed are INSTANTANEOUS at
// the label. Hence the radiation series below are named by their interval START (label - 1 h),
// the IntervalSeries convention, while the instantaneous series are named by the label itself.
// Index i of every series comes from the same row, so radiation.TimeAt(i) + 1 h ==
// temp_air_c.TimeAt(i).
#pragma once

#include <string_view>

#include "core/result.h"
#include "core/series.h"
#include "io/hourly_weather.h"

namespace meg {

// Parses the CSV with header exactly `time_utc,ghi_w_m2,dni_w_m2,dhi_w_m2,temp_air_c,
// wind_speed_m_s` and one row per hour: labels on the hour, in UTC ('Z' or an explicit offset),
// strictly increasing. A missing hour becomes a gap (std::nullopt) in every series; an empty
// field a gap in that series. A repeated or earlier label, a label not on the hour, a number that
// is not finite, negative radiation or wind speed, are errors naming the line
// ("jeonbuk.csv:17: ghi_w_m2 'abc' is not a number"); up to 20 are reported together.
Result<HourlyWeather> ParseOpenMeteoCsv(std::string_view text, std::string_view source);

}  // namespace meg
