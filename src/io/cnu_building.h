// CNU-Dataset (Chonnam National University, Gwangju): measured hourly energy of one campus
// building with outdoor temperature, humidity and pressure, and the detection of the meter
// faults the data set contains (long zero runs, spikes up to 1e6 kWh). Pure functions and value
// types; thread-safe.
//
// Time convention: the label "2021-01-01 0:00" is Korean local time (KST, UTC+9, no DST). The
// source does not say whether an hour's energy is labelled by its start or its end; OpenMEG
// takes the label as the START, the IntervalSeries convention (the files run from 0:00 on their
// first day), so energy_kwh.TimeAt(i) starts the hour [TimeAt(i), TimeAt(i) + 1 h). Weather
// values are observations at the label instant, on the same grid.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

// A suspected meter fault. Nothing is repaired silently: anomalies are listed, and become gaps
// only when CnuReadOptions::anomalies_to_gaps asks for it.
struct CnuAnomaly {
  enum class Kind {
    kSpike,    // an hour above spike_factor x the 90th percentile of the file's hourly kWh
    kZeroRun,  // at least min_zero_run_hours consecutive hours of exactly 0 kWh
  };
  Kind kind = Kind::kSpike;
  int first_line = 0;  // 1-based lines of the file; equal for a spike
  int last_line = 0;
  Timestamp start;       // the first hour affected
  size_t hours = 0;      // 1 for a spike
  KilowattHours energy;  // the spike's value; 0 for a zero run
  std::string message;   // "agri4.csv:1507: 383941.3 kWh at ... is a spike: ..."
};

struct CnuReadOptions {
  // A spike exceeds spike_factor x the 90th percentile of the file's hourly kWh (as usage_csv).
  double spike_factor = 20.0;
  // A zero run lasts at least this many hours; a building drawing nothing for a day is a
  // stopped meter, not a load.
  int min_zero_run_hours = 24;
  // Replace the hours of every anomaly by explicit gaps (std::nullopt) in energy_kwh.
  bool anomalies_to_gaps = false;
};

struct CnuBuildingData {
  // Energy of the hour starting at TimeAt(i) (see the time convention above), >= 0.
  IntervalSeries<KilowattHours> energy_kwh;
  // Observations at the instant TimeAt(i); the same grid as energy_kwh.
  IntervalSeries<double> temp_c;        // outdoor air temperature, degrees C
  IntervalSeries<double> humidity_pct;  // relative humidity, %
  IntervalSeries<double> pressure_hpa;  // air pressure, hPa
  std::vector<CnuAnomaly> anomalies;    // in time order of their start
};

// Parses a CNU building CSV: header exactly ",date,temperatures(C),humidity(%),pressure(hPa),
// energy", rows "<index>,YYYY-MM-DD H:MM,<temp>,<humidity>,<pressure>,<kWh>" on the hour. A
// missing hour is a gap in every series; an empty field a gap in its series (the files have
// blank weather in places). A repeated or earlier hour, a value that is not a finite number,
// negative energy or humidity outside 0..100 are errors naming the line
// ("eng3.csv:17: energy 'abc' is not a number"); up to 20 are reported together.
Result<CnuBuildingData> ParseCnuBuildingCsv(std::string_view text, std::string_view source,
                                            const CnuReadOptions& options = {});

}  // namespace meg
