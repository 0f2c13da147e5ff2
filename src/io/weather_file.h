// The weather files a site file names (`[weather] format`), read into HourlyWeather for one
// calendar year. Pure functions and value types; thread-safe.
//
//   auto w = ReadWeatherText(text, "epw", "gwangju.epw", 2025, &site.location);
//
// Formats and their time conventions (docs/site-config.md, "Weather files"):
//  * open-meteo: the Open-Meteo CSV of io/open_meteo.h, UTC labels; an actual year, `year` unused.
//  * epw: EnergyPlus weather (io/epw.h), e.g. the TMYx files of Korean stations. LOCAL STANDARD
//    TIME of the LOCATION line's offset, records labelled by the END of their hour; radiation is
//    the energy of the hour before the label (Wh/m2 = mean W/m2), temperature and wind are read at
//    the label. A typical year: each record is laid on `year` by its month, day and hour.
//  * tmy3: NREL's TMY3 CSV (Wilcox & Marion 2008, NREL/TP-581-43156, section 1.3): a station line
//    (USAF, name, state, TZ, latitude, longitude, elevation), a header line, then "MM/DD/YYYY" and
//    "HH:MM" labels from 01:00 to 24:00, local standard time, labelled by the END of the hour, with
//    the same meaning as EPW. A typical year, laid on `year`. -9900 marks a missing value.
//  * psm3: NSRDB PSM3 CSV (the SAM CSV layout): a line of metadata names, a line of their values
//    (Latitude, Longitude, Time Zone), a header line, then Year, Month, Day, Hour, Minute rows of
//    60-minute data. Times are local standard time of the "Time Zone" field (0 for a file asked
//    in UTC). The NSRDB's values are taken at the row's time stamp (the satellite scan), so a row
//    stands for the hour that contains its time stamp ([HH:00, HH+1:00), the :30 stamp its middle)
//    and its temperature and wind are samples at the stamp. Rows of one year are an actual year
//    (kept on their dates); rows whose Year varies (a PSM3 TMY) are a typical year laid on `year`.
//
// Laying a typical year on a calendar year: Feb 29 takes Feb 28's hours when the file has no
// Feb 29, and a file's Feb 29 is skipped in a year without one. Every other day and hour must be
// present once. The year wraps around: the temperature and wind series start one sample early
// with the year's last sample (Dec 31's), so the first hour has a sample on each side.
//
// When `site` is given, a file that states its place (epw, tmy3, psm3) must be within
// kMaxWeatherDistanceKm of it: weather of another region is refused, naming both places.
#pragma once

#include <array>
#include <string_view>

#include "core/result.h"
#include "core/site.h"
#include "io/hourly_weather.h"

namespace meg {

inline constexpr std::array<std::string_view, 4> kWeatherFormats = {"open-meteo", "epw", "tmy3", "psm3"};
inline constexpr double kMaxWeatherDistanceKm = 150;

// Reads `text`, a file in `format` (one of kWeatherFormats), for the calendar year `year`.
// `source` names the file in errors ("w.csv:12: GHI (W/m^2) 'x' is not a number"); up to 20 row
// problems are reported together.
Result<HourlyWeather> ReadWeatherText(std::string_view text, std::string_view format, std::string_view source, int year,
                                      const Location* site);

// Great-circle distance between two points on a sphere of the Earth's mean radius, km.
double DistanceKm(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

}  // namespace meg
