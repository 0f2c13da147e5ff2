// GIST (Gwangju Institute of Science and Technology) campus PV data: hourly rows of horizontal
// and tilted irradiance, air and module temperature, and the AC power of the campus's PV systems.
// Pure functions and value types; thread-safe.
//
// Format (gist_gwangju_pv_hourly_2022-07_08.csv), UTF-8, one row per hour:
//   day,time,수평면,외기온도,경사면,모듈온도,축구장,학생회관,...
//   2022-07-01,12,1037.0,46.4,1014.0,56.4,123.4,34.6,...
// 수평면 horizontal irradiance (W/m2), 외기온도 "outside" air temperature (C), 경사면 tilted-plane
// irradiance (W/m2), 모듈온도 module temperature (C), then one column per system (kW).
//
// Conventions, which the file does not state, found from the data (forecast/pv_validation.h,
// `meg pv-validate`, tests/forecast/pv_validation_test.cc):
//  * `day` and `time` (0..23) are the KST clock hour, and each value is a SAMPLE AT THAT
//    INSTANT (or a short average around it), not an hourly mean: the GHI-weighted mean solar
//    hour angle at the label is -0.6 min, against +29.4 min if the row were the mean of the hour
//    after the label and -30.6 min for the hour before; no row has light with the sun below the
//    horizon at its label, and the rows of hour 5 and hour 20 are dark on all 62 days although
//    on 1 July the sun is up for 37 min of [5:00, 6:00) and 50 min of [19:00, 20:00).
//  * Each system's power correlates best with the tilted irradiance of the SAME row (R^2
//    0.70-0.95) rather than with the mean of the hour after or before: the power is sampled at
//    the label too, so it is kW (not kWh of an hour).
//  * Irradiance is W/m2 (max 1198 horizontal; clearness index up to 0.96 at the instant).
//  * 외기온도 reads up to 55 C at noon (Gwangju's record is ~39 C): the sensor is sun-heated.
//  * Rows lost by the logger are written as zeros in every irradiance and power column, even
//    with the sun 19 deg high; the parser keeps them (they are not syntactically wrong) and the
//    validation excludes rows with GHI or POA = 0.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "core/units.h"

namespace meg {

struct GistPvSystem {
  std::string name;              // the column header, e.g. "중앙도서관"
  IntervalSeries<Kilowatts> ac;  // AC power sampled at TimeAt(i), + production
};

// Every series is on the same grid: TimeAt(i) is the instant (UTC) of the KST clock hour of a
// row, step 1 h, from the first row to the last; a missing hour is a gap in every series.
struct GistPvData {
  IntervalSeries<double> ghi_w_m2;       // 수평면
  IntervalSeries<double> temp_air_c;     // 외기온도
  IntervalSeries<double> poa_w_m2;       // 경사면
  IntervalSeries<double> temp_module_c;  // 모듈온도
  std::vector<GistPvSystem> systems;     // in column order
};

// Parses the file. The header must start with `day,time,수평면,외기온도,경사면,모듈온도` and name
// at least one system, each name non-empty and unique. Rows: `YYYY-MM-DD`, an hour 0..23, then
// a number (or an empty field, a gap) per column. A repeated or earlier hour, a wrong field
// count, a value that is not a finite number are errors naming the line
// ("gist.csv:17: 경사면 'abc' is not a number"); up to 20 are reported together.
Result<GistPvData> ParseGistPvCsv(std::string_view text, std::string_view source);

}  // namespace meg
