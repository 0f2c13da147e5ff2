// What a planner (control/optimal_controllers.h) plans on: the load and PV of a horizon as
// forecast at its start, with a per-interval reserve on the load for the demand peak.
//   SeriesForecast: slices fixed series: the realised load and PV (perfect foresight) or a
//     persistence forecast made beforehand.
//   LearnedPlanForecast: the learned load model (forecast/load_forecast.h), retrained every
//     `retrain_every` on all load measured before then, issued afresh at every call from load
//     measured before the horizon's start; its reserve is a share of P90 - P50. PV comes from a
//     given series (the PV model on the site's weather: a perfect weather forecast).
//   RecordedPlanForecast: another PlanForecast, with its last forecast readable from any thread.
// Not thread-safe (but RecordedPlanForecast::Last); one instance per planner.
#pragma once

#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "forecast/load_forecast.h"

namespace meg {

struct HorizonForecast {
  PowerSeries load;  // + consumption, kW, the horizon's intervals
  PowerSeries pv;    // + production, same grid
  // Empty, or one per interval: load above the forecast to keep battery energy for (see
  // DispatchInput::peak_reserve_kw).
  std::vector<double> load_reserve_kw;
};

class PlanForecast {
 public:
  virtual ~PlanForecast() = default;
  // The forecast of [from, to) issued at `from` (to may be cut at the end of the data).
  virtual Result<HorizonForecast> ForecastAt(Timestamp from, Timestamp to) = 0;
};

class SeriesForecast final : public PlanForecast {
 public:
  // The series must outlive this object.
  SeriesForecast(const PowerSeries& load, const PowerSeries& pv) : load_(load), pv_(pv) {}
  Result<HorizonForecast> ForecastAt(Timestamp from, Timestamp to) override;

 private:
  const PowerSeries& load_;
  const PowerSeries& pv_;
};

struct LearnedPlanOptions {
  // The planner's load model: half the trees at twice the learning rate and half the training
  // rows of the forecaster's defaults (`meg forecast`), a quarter of the work of a training. On
  // the Jeonju hospital's 2024 the mpc saving did not move (15,171,490 against 15,156,820 KRW,
  // `meg simulate --controller mpc`), while a year's trainings fell from 217 s (51, inline) to 27.6 s
  // (25 every 14 days, on a worker thread; BM_BacktestSiteYearMpc).
  LoadForecastOptions model = [] {
    LoadForecastOptions o;
    o.gbm.rounds = 150;
    o.gbm.learning_rate = 0.1;
    o.max_rows = 40'000;
    return o;
  }();
  std::chrono::hours retrain_every{24 * 14};
  // Reserve = share x (P90 - P50) in each interval; 0 plans on the P50 alone.
  double reserve_share = 1.0;
  // Day-peak reserve: the reserve of every interval is at least this quantile of the recent days'
  // peak error (DayPeakErrorQuantile: the day's measured maximum less the maximum of the model's
  // forecast issued in the day's first hour), over the last `day_peak_days` days; 0 turns it off.
  // Off by default: measured in docs/results.md (issue 18), it moves the saving both ways.
  double day_peak_quantile = 0;
  int day_peak_days = 28;
  // Intraday error feedback: the load model's error over the last hour (the measured load less the
  // forecast issued an hour before for it) is added to the forecast, decaying with this time
  // constant over the horizon (zero: off). The model's own features of the present (the last
  // interval measured, its anomaly) move its forecast little on a day far off its history.
  std::chrono::minutes error_feedback_tau{0};
  // Whether ForecastAt trains when a training is due. Off: only TrainIfDue does (a live loop
  // trains before it starts and never on its control thread).
  bool train_when_forecasting = true;
  // A full training (LoadForecaster::Train: the calibration's two models and the final one) at
  // most this often; the retrainings between reuse its calibration (LoadForecaster::Retrain, a
  // third of the work).
  std::chrono::hours recalibrate_every{24 * 28};
  // Retrain on a worker thread: a training due at T (a model already exists) starts at T on the
  // history before T, the forecasts go on with the model they have, and the new model is taken
  // at the first forecast at or after T + adopt_after (waiting for the worker only if it is not
  // done by then). A fixed delay keeps a backtest reproducible whatever the machine's speed;
  // live, a training takes seconds, so any delay of an hour or more is what the site would see
  // or later. The first model is always trained inline (there is nothing to plan on but
  // yesterday's load). Off: every training runs inline, in TrainIfDue.
  bool background = true;
  std::chrono::hours adopt_after{24};
};

// The fewest days DayPeakErrorQuantile judges from.
inline constexpr size_t kDayPeakMinDays = 7;

// The `quantile` (0..1, the lower order statistic) of the day-peak errors of the days in
// `forecast_max` from `days` days before the KST day of `from` up to the day before it: each the
// day's measured maximum of `load` less its forecast maximum. Days with under 20 h measured are
// skipped; 0 with fewer than kDayPeakMinDays days, or where the quantile is below 0.
double DayPeakErrorQuantile(const std::map<Date, double>& forecast_max, const IntervalSeries<double>& load,
                            Timestamp from, int days, double quantile);

class LearnedPlanForecast final : public PlanForecast {
 public:
  // `history` holds the measured load (only values before each issue time are read) and the
  // temperature; `pv` the PV forecast. Both must outlive this object and share the load's grid.
  LearnedPlanForecast(const LoadData& history, const PowerSeries& pv, const HolidayCalendar& calendar,
                      LearnedPlanOptions options);
  // Waits for a background training still running.
  ~LearnedPlanForecast() override;
  LearnedPlanForecast(const LearnedPlanForecast&) = delete;
  LearnedPlanForecast& operator=(const LearnedPlanForecast&) = delete;
  // Until 15 days of load are measured (no model can be trained), the load is yesterday's
  // (seasonal naive; where yesterday is missing, the latest value measured within a day), its
  // reserve share x the 90th percentile of its own errors over the last 14 days (none before a
  // day of errors is known); counted in naive_forecasts(). Errors: no load measured in the day
  // before `from`.
  Result<HorizonForecast> ForecastAt(Timestamp from, Timestamp to) override;
  // Trains on the load measured before `from` if a retraining is due (none yet, or
  // `retrain_every` since the last) and 15 days are measured; ForecastAt calls it (unless
  // train_when_forecasting is off). A live loop calls it before it starts, so that the ~4 s of
  // training do not hold its control thread.
  void TrainIfDue(Timestamp from);

  int trainings() const { return trainings_; }
  int calibrations() const { return calibrations_; }  // full trainings (the rest reused a calibration)
  int naive_forecasts() const { return naive_; }
  int failed_trainings() const { return failed_trainings_; }
  const std::string& last_training_error() const { return last_training_error_; }
  double train_seconds() const { return train_seconds_; }

 private:
  const LoadData& history_;
  const PowerSeries& pv_;
  const HolidayCalendar& calendar_;
  LearnedPlanOptions options_;
  // Runs one training on the history before `from` (a full one when the calibration is due or
  // none exists); thread-safe against ForecastAt (both only read history_).
  Result<LoadForecaster> TrainOn(Timestamp from, bool recalibrate) const;
  // Takes a finished training's result (counts it; a failure keeps the model it had).
  void Adopt(Result<LoadForecaster> trained, double seconds, bool recalibrated);

  struct Pending {
    Timestamp from;
    bool recalibrate = false;
    std::future<std::pair<Result<LoadForecaster>, double>> result;  // the model and its seconds
  };

  // Records the day's forecast maximum from the first forecast issued in its first hour.
  void RecordDayForecast(Timestamp from, const std::vector<double>& p50);
  // The day-peak reserve at `from` (kW, >= 0), from days wholly measured before it.
  double DayPeakReserve(Timestamp from) const;

  // The error feedback (options_.error_feedback_tau) at `from` for the raw P50 `p50`: remembers
  // the raw forecast and returns the bias (kW) to add at the horizon's start.
  double ErrorFeedback(Timestamp from, const std::vector<double>& p50);

  std::map<Date, double> day_forecast_max_;
  std::deque<std::pair<Timestamp, std::vector<double>>> recent_;  // raw P50s of the last issues
  std::optional<LoadForecaster> model_;
  std::optional<LoadForecaster::Calibration> calibration_;
  Timestamp calibrated_at_{};
  std::optional<Pending> pending_;
  Timestamp trained_at_{};
  int calibrations_ = 0;
  int trainings_ = 0;
  int naive_ = 0;
  int failed_trainings_ = 0;
  std::string last_training_error_;
  double train_seconds_ = 0;
};

// Forwards to another PlanForecast and keeps the last forecast it issued, for other threads to
// read: what a live planner planned on, for the dashboard. ForecastAt is called from the planner's
// thread only; Last from any.
class RecordedPlanForecast final : public PlanForecast {
 public:
  explicit RecordedPlanForecast(PlanForecast& inner) : inner_(inner) {}
  Result<HorizonForecast> ForecastAt(Timestamp from, Timestamp to) override;
  // The last successful forecast and its issue time; nullopt before the first.
  std::optional<std::pair<Timestamp, HorizonForecast>> Last() const;

 private:
  PlanForecast& inner_;
  mutable std::mutex mutex_;
  std::optional<std::pair<Timestamp, HorizonForecast>> last_;  // guarded by mutex_
};

}  // namespace meg
