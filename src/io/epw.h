// EnergyPlus weather files (EPW, e.g. the TMYx typical years of climate.onebuilding.org): the
// LOCATION and DATA PERIODS headers and the hourly records, with the EPW missing-value codes
// turned into explicit gaps. Pure functions and value types; thread-safe.
//
// Time convention, kept explicit: EPW records are in LOCAL STANDARD TIME (no daylight saving;
// UTC + location.utc_offset_hours) and labelled by the END of their hour (hour 1..24).
// EpwWeather::hours[i] is the hour [i % 24, i % 24 + 1) local standard time of day i / 24 of the
// file, i.e. the record with hour_ending == i % 24 + 1. A typical year mixes months of several
// source years, so there is no single calendar year and no Timestamp here.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace meg {

// The LOCATION header line.
struct EpwLocation {
  std::string city;
  std::string region;
  std::string country;
  std::string data_source;      // e.g. "SRC-TMYx"
  std::string wmo_station;      // e.g. "471560"
  double latitude_deg = 0;      // north positive
  double longitude_deg = 0;     // east positive
  double utc_offset_hours = 0;  // local standard time - UTC, e.g. 9.0 for KST
  double elevation_m = 0;
};

// One hourly record. A value the file marks missing (at or above the EPW data dictionary's
// "missing" code: 99.9 C, 999 %, 999999 Pa, 9999 Wh/m2, 999 degrees, 999 m/s) is std::nullopt.
struct EpwHour {
  int source_year = 0;  // field 1: the year this month was taken from
  int month = 0;        // fields 2, 3: the local standard date
  int day = 0;
  int hour_ending = 0;  // field 4, 1..24: covers [hour_ending - 1, hour_ending) local standard
  std::optional<double> dry_bulb_c;             // field 7
  std::optional<double> dew_point_c;            // field 8
  std::optional<double> relative_humidity_pct;  // field 9
  std::optional<double> pressure_pa;            // field 10, station pressure
  // Fields 14-16: energy over the hour in Wh/m2, numerically the hour's mean irradiance in W/m2.
  std::optional<double> ghi_wh_m2;           // global horizontal
  std::optional<double> dni_wh_m2;           // direct normal
  std::optional<double> dhi_wh_m2;           // diffuse horizontal
  std::optional<double> wind_direction_deg;  // field 21, 0 = north, 90 = east
  std::optional<double> wind_speed_m_s;      // field 22
};

struct EpwWeather {
  EpwLocation location;
  std::chrono::weekday first_weekday;  // DATA PERIODS: the weekday of the first day
  // One record per hour from Jan 1 hour-ending 1 to Dec 31 hour-ending 24, in order: 8760
  // (8784 if the file includes Feb 29). Indexing: see the top of this header.
  std::vector<EpwHour> hours;
};

// Parses EPW text (LF or CRLF): 8 header lines (LOCATION, DESIGN CONDITIONS, TYPICAL/EXTREME
// PERIODS, GROUND TEMPERATURES, HOLIDAYS/DAYLIGHT SAVINGS, COMMENTS 1, COMMENTS 2, DATA PERIODS
// with one hourly period 1/1..12/31), then the records. Checks every hour is present once in
// order, numbers are finite and within the data dictionary's ranges. The minute field (5) and
// the uncertainty flags (6) are not used. `source` names the file in errors
// ("gwangju.epw:12: dry bulb 'abc' is not a number"); up to 20 problems are reported together.
Result<EpwWeather> ParseEpw(std::string_view text, std::string_view source);

}  // namespace meg
