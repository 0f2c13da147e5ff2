// The day-ahead PV forecast evaluation on the GIST campus systems (forecast/pv_forecast.h): one
// call that loads the data and runs it, and its Markdown rendering. Reads files; otherwise pure.
//
//   auto report = RunGistPvForecastEval(DefaultSharedDir());
//   if (report) std::cout << RenderPvForecastMarkdown(*report);
#pragma once

#include <string>

#include "core/result.h"
#include "forecast/pv_forecast.h"

namespace meg {

// Loads `<shared_dir>/data/pv/gist_gwangju_pv_hourly_2022-07_08.csv` as `meg pv-validate` does
// (Gwangju 35.17 N 126.89 E, KST; screen and sensor plane from ValidatePv with July as the
// calibration and August as the hold-out month) and evaluates the four forecasters on every day
// of August 2022, issued at D-1 11:00 KST. Errors: the file cannot be read or parsed, or those
// of EvaluatePvForecasts.
Result<PvForecastReport> RunGistPvForecastEval(const std::string& shared_dir);

// Markdown: the aggregate's scores by forecaster (NMAE, NRMSE, bias, P10-P90 coverage, KPX
// qualifying hours, shares within 6 % and 8 %, incentive KRW, median system NMAE), then a
// per-system table for the forecaster with the lowest aggregate NMAE, then the notes.
std::string RenderPvForecastMarkdown(const PvForecastReport& report);

}  // namespace meg
