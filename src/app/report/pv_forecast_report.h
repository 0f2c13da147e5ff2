// The day-ahead PV forecast evaluation on the GIST campus systems (forecast/pv_forecast.h) as
// Markdown. Pure; thread-safe.
//
//   auto report = RunGistPvForecastEval(DefaultSharedDir());  // app/study/gist_pv_forecasts.h
//   if (report) std::cout << RenderPvForecastMarkdown(*report);
#pragma once

#include <string>

#include "forecast/pv_forecast.h"

namespace meg {

// Markdown: the aggregate's scores by forecaster (NMAE, NRMSE, bias, P10-P90 coverage, KPX
// qualifying hours, shares within 6 % and 8 %, incentive KRW, median system NMAE), then a
// per-system table for the forecaster with the lowest aggregate NMAE, then the notes.
std::string RenderPvForecastMarkdown(const PvForecastReport& report);

}  // namespace meg
