// Load forecasting: the seasonal-naive baselines and a learned model (a linear temperature
// response, forecast/temperature_response.h, plus gradient-boosted trees, forecast/gbm.h, on
// calendar features: hour, weekday, Korean holidays and bridge days; temperature and recent
// lags; the season enters through the baseline of recent days and the temperature), for every
// horizon from the next interval to the day after next.
// Each forecast has an issue time and uses only load measured BEFORE it (an interval
// [t, t + step) counts as measured when t + step <= issue); temperature at the target time is an
// input (a weather forecast, or measured weather standing in for a perfect one).
// Values and pure functions; a trained LoadForecaster is immutable (Forecast is const) but wraps
// an XGBoost booster: one instance per thread.
//
//   LoadData data{load_kw, temp_c};
//   auto model = LoadForecaster::Train(data, calendar, /*train_end=*/issue, LoadForecastOptions{});
//   auto f = model->Forecast(data, issue, /*first=*/issue, /*steps=*/96);   // f->p50[i] ...
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "forecast/gbm.h"
#include "forecast/temperature_response.h"

namespace meg {

// A site's history: mean load (kW) per interval and air temperature (°C) at the interval, on one
// grid (15 minutes or 1 hour). Gaps are missing values; a load gap is never learned from.
struct LoadData {
  IntervalSeries<double> load_kw;
  IntervalSeries<double> temp_c;  // same start and step as load_kw; may extend past it (forecast)
};

// A forecast of `p50.size()` intervals from `start`, issued at `issued`. P10 <= P50 <= P90.
struct QuantileForecast {
  Timestamp issued;
  Timestamp start;
  std::chrono::seconds step{0};
  std::vector<double> p10, p50, p90;
  Timestamp TimeAt(size_t i) const { return start + step * static_cast<long>(i); }
};

// Seasonal naive: each target t takes the value at t - k x season for the smallest k >= 1 whose
// interval was measured before `issue` (NaN if that value is missing). Season 7 days: "the same
// interval last week"; 1 day: "yesterday". P10 = P50 = P90. REQUIRES: season > 0.
QuantileForecast SeasonalNaiveForecast(const IntervalSeries<double>& series, Timestamp issue, Timestamp start,
                                       size_t steps, std::chrono::seconds season);

// Kind of a KST day for load: a workday, a Saturday, or a Sunday or public holiday.
enum class LoadDayKind { kWorkday, kSaturday, kHoliday };
LoadDayKind KindOfDay(Date d, const HolidayCalendar& calendar);
// A 징검다리 day: a workday between two days off (e.g. the Friday after a Thursday holiday).
bool IsBridgeDay(Date d, const HolidayCalendar& calendar);

struct LoadForecastOptions {
  GbmParams gbm;
  // Training pairs (issue, target): issues every `issue_every` and at 11:00 KST (the KPX
  // day-ahead time), targets every interval up to `max_horizon` after the issue.
  std::chrono::hours issue_every{3};
  std::chrono::hours max_horizon{40};
  size_t max_rows = 80'000;  // a deterministic sample of the pairs beyond this
  // A model trained on the history before the last `calibration_share` of it (at least 14 days,
  // at most half) is scored on that last part (out of sample), by horizon band. That gives each
  // band the weight of the learned correction (the one of 0, 0.1, ..., 1 with the least absolute
  // error: a correction that did not hold out of sample is shrunk toward the baseline) and then
  // the P10/P90 offsets (the residual quantiles).
  double calibration_share = 0.2;
  // A linear temperature response (forecast/temperature_response.h) fitted first on load -
  // baseline against the heating and cooling degree-term differences between the target and the
  // baseline's instants, per day kind and quarter of the day; the trees learn what it leaves.
  // Trees cannot extrapolate beyond the temperatures they were trained on; a linear term can.
  // Kept only if the calibration model with it beats the calibration model without it on the
  // held-out part (see calibration_share). Off: the trees learn everything.
  bool temperature_response = true;
  double response_ridge_c2 = 0.1;  // its ridge penalty per row, °C^2 (see TemperatureResponse)
};

// Horizon bands of the P10/P90 calibration and of the evaluation.
enum class HorizonBand { kNextHour, kIntraday, kDayAhead, kLater };
HorizonBand BandOf(std::chrono::seconds horizon);  // <= 1 h, <= 6 h, <= 37 h, longer
std::string_view BandName(HorizonBand b);

class LoadForecaster {
 public:
  // Trains on the pairs whose target lies before `train_end` (and whose load is known): the
  // P10/P90 calibration and the choice of the temperature response on a model of the history
  // before its last `calibration_share`, then the final model on all of it.
  // Errors (kInvalidInput): fewer than 14 days of measured load before train_end, temperature not
  // on the load's grid; XGBoost failures are passed on.
  static Result<LoadForecaster> Train(const LoadData& data, const HolidayCalendar& calendar, Timestamp train_end,
                                      const LoadForecastOptions& options);

  // What a training's calibration chose: the horizon bands (see bands()) and whether the
  // temperature response is kept.
  struct Calibration;
  // A retraining between calibrations: the final model on all pairs before `train_end`, with
  // the calibration of an earlier training (a third of Train's work: one fit instead of three).
  // The bands and the choice of the temperature response age slowly (a season), the trees must
  // follow the latest load. Errors as Train's.
  static Result<LoadForecaster> Retrain(const LoadData& data, const HolidayCalendar& calendar, Timestamp train_end,
                                        const LoadForecastOptions& options, const Calibration& calibration);

  // Forecasts `steps` intervals from `start` (on the data's grid, start >= issue - step) issued at
  // `issue`, from load measured before `issue` and the temperature at each target.
  // Errors: kInvalidInput if `start` is off the grid. Missing inputs become missing features.
  Result<QuantileForecast> Forecast(const LoadData& data, Timestamp issue, Timestamp start, size_t steps) const;

  // The number of features per row, and their names (for docs and `meg forecast train`).
  static const std::vector<std::string>& FeatureNames();
  size_t training_rows() const { return training_rows_; }
  // Whether the temperature response was fitted and kept (see LoadForecastOptions).
  bool uses_temperature_response() const { return !response_.coefficients().empty(); }
  // The calibration of a horizon band: P50 = baseline + weight x the learned correction (the
  // temperature response plus the trees), P10 = P50 + low, P90 = P50 + high (kW; residual
  // quantiles of the weighted P50).
  struct Band {
    double low = 0, high = 0;
    double weight = 1;
  };
  struct Calibration {
    std::array<Band, 4> bands{};
    bool temperature_response = false;
  };
  const std::array<Band, 4>& bands() const { return bands_; }
  Calibration calibration() const;
  // Writes the trees (XGBoost format) to `path` and the calibration to `path` + ".bands".
  Status Save(const std::string& path) const;
  static Result<LoadForecaster> Load(const std::string& path, const HolidayCalendar& calendar,
                                     std::chrono::seconds step);

 private:
  LoadForecaster(GradientBoostedTrees model, const HolidayCalendar& calendar, std::chrono::seconds step)
      : model_(std::move(model)), calendar_(&calendar), step_(step) {}
  GradientBoostedTrees model_;  // learns load - baseline - response_
  TemperatureResponse response_;
  const HolidayCalendar* calendar_;
  std::chrono::seconds step_;
  std::array<Band, 4> bands_{};
  size_t training_rows_ = 0;
};

}  // namespace meg
