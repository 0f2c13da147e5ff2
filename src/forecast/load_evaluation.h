// Rolling-origin evaluation of the load forecaster against the seasonal-naive baselines, with no
// look-ahead: the model used at an issue time was trained on data before it (retrained every
// `retrain_every` with everything known by then), and every forecast uses only load measured
// before its issue time (LoadForecaster::Forecast, SeasonalNaiveForecast). Pure function over
// values; thread-compatible.
//
// Two issue schedules are scored:
//  - day-ahead: issued D-1 at 11:00 KST (the KPX submission time) for the 24 hours of day D;
//  - intraday: issued every `intraday_every` for the next `intraday_horizon`, scored by band
//    (the next hour, 1-6 h).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/time.h"
#include "forecast/load_forecast.h"
#include "forecast/metrics.h"

namespace meg {

struct LoadEvalOptions {
  Timestamp start, end;  // targets scored in [start, end)
  std::chrono::hours retrain_every{24 * 7};
  std::chrono::hours intraday_every{1};
  std::chrono::hours intraday_horizon{6};
  LoadForecastOptions model;
  std::function<void(std::string_view)> progress;  // optional: one line per retraining
};

struct LoadEvalRow {
  std::string schedule;     // "day-ahead (D-1 11:00)", "intraday, next hour", "intraday, 1-6 h"
  ForecastErrors model;     // P50 of the learned model
  ForecastErrors naive_week;  // same interval last week
  ForecastErrors naive_day;   // same interval on the latest measured day
  double coverage_pct = 0;    // actuals inside the model's P10-P90
  // 100 % x (1 - model NMAE / weekly naive NMAE): the target is >= 25 % day-ahead.
  double improvement_vs_week_pct() const;
};

struct LoadEvalReport {
  std::vector<LoadEvalRow> rows;
  size_t trainings = 0;
  double train_seconds_mean = 0;  // wall time per LoadForecaster::Train
  size_t training_rows_last = 0;
};

// Errors: kInvalidInput when [start, end) leaves fewer than 15 days of history before start, or
// the data do not cover it; training errors are passed on.
Result<LoadEvalReport> EvaluateLoadForecasts(const LoadData& data, const HolidayCalendar& calendar,
                                             const LoadEvalOptions& options);

}  // namespace meg
