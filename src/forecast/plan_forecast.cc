#include "forecast/plan_forecast.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace meg {

Result<HorizonForecast> SeriesForecast::ForecastAt(Timestamp from, Timestamp to) {
  HorizonForecast f;
  f.load = load_.Slice(from, std::min(to, load_.end()));
  f.pv = pv_.Slice(from, std::min(to, load_.end()));
  return f;
}

LearnedPlanForecast::LearnedPlanForecast(const LoadData& history, const PowerSeries& pv,
                                         const HolidayCalendar& calendar, LearnedPlanOptions options)
    : history_(history), pv_(pv), calendar_(calendar), options_(std::move(options)) {}

LearnedPlanForecast::~LearnedPlanForecast() {
  if (pending_ && pending_->result.valid()) pending_->result.wait();
}

Result<LoadForecaster> LearnedPlanForecast::TrainOn(Timestamp from, bool recalibrate) const {
  if (recalibrate || !calibration_) return LoadForecaster::Train(history_, calendar_, from, options_.model);
  return LoadForecaster::Retrain(history_, calendar_, from, options_.model, *calibration_);
}

void LearnedPlanForecast::Adopt(Result<LoadForecaster> m, double seconds, bool recalibrated) {
  // A failed training (gaps leave too little history, an XGBoost error) keeps the model it had,
  // or yesterday's load, and is not retried before the next retraining is due.
  train_seconds_ += seconds;
  if (m) {
    if (recalibrated) {
      calibration_ = m->calibration();
      ++calibrations_;
    }
    model_.emplace(std::move(*m));
    ++trainings_;
  } else {
    ++failed_trainings_;
    last_training_error_ = m.error().message;
  }
}

void LearnedPlanForecast::TrainIfDue(Timestamp from) {
  // A background training whose adoption time has come: take it, waiting if it is still running.
  if (pending_ && from >= pending_->from + options_.adopt_after) {
    auto [m, seconds] = pending_->result.get();
    const bool recalibrated = pending_->recalibrate;
    pending_.reset();
    Adopt(std::move(m), seconds, recalibrated);
  }
  const bool due = trained_at_ == Timestamp{} || from >= trained_at_ + options_.retrain_every;
  if (!due || pending_ || from < history_.load_kw.start() + std::chrono::hours{24 * 15}) return;
  const bool recalibrate = !calibration_ || from >= calibrated_at_ + options_.recalibrate_every;
  trained_at_ = from;
  if (recalibrate) calibrated_at_ = from;
  if (options_.background && model_) {
    pending_.emplace(Pending{
        from, recalibrate, std::async(std::launch::async, [this, from, recalibrate] {
          const auto t0 = std::chrono::steady_clock::now();
          auto m = TrainOn(from, recalibrate);
          return std::pair{std::move(m), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
        })});
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto m = TrainOn(from, recalibrate);
  Adopt(std::move(m), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), recalibrate);
}

void LearnedPlanForecast::RecordDayForecast(Timestamp from, const std::vector<double>& p50) {
  if (options_.day_peak_quantile <= 0) return;
  const KstDateTime kst = ToKst(from);
  if (kst.minute_of_day >= 60 || day_forecast_max_.contains(kst.date)) return;
  const Timestamp day_end = FromKst(AddDays(kst.date, 1));
  const auto step = history_.load_kw.step();
  double peak = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < p50.size() && from + step * static_cast<long>(i) < day_end; ++i) peak = std::max(peak, p50[i]);
  if (std::isfinite(peak)) day_forecast_max_.emplace(kst.date, peak);
  // Only the last day_peak_days are read: a live loop's record stays that short.
  day_forecast_max_.erase(day_forecast_max_.begin(),
                          day_forecast_max_.lower_bound(AddDays(kst.date, -options_.day_peak_days)));
}

double LearnedPlanForecast::ErrorFeedback(Timestamp from, const std::vector<double>& p50) {
  if (options_.error_feedback_tau <= std::chrono::minutes{0}) return 0;
  constexpr auto kLookBack = std::chrono::hours{1};
  const IntervalSeries<double>& load = history_.load_kw;
  // The forecast issued an hour before (or the latest before that, within two hours).
  double bias = 0;
  const auto it =
      std::find_if(recent_.rbegin(), recent_.rend(), [&](const auto& r) { return r.first <= from - kLookBack; });
  if (it != recent_.rend()) {
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < it->second.size(); ++i) {
      const Timestamp t = it->first + load.step() * static_cast<long>(i);
      if (t + load.step() > from) break;
      if (t < from - kLookBack) continue;
      if (const double v = ValueOrNaN(load, t); std::isfinite(v)) {
        sum += v - it->second[i];
        ++n;
      }
    }
    if (n > 0) bias = sum / n;
  }
  recent_.emplace_back(from, p50);
  while (!recent_.empty() && recent_.front().first < from - 2 * kLookBack) recent_.pop_front();
  return bias;
}

double LearnedPlanForecast::DayPeakReserve(Timestamp from) const {
  if (options_.day_peak_quantile <= 0) return 0;
  return DayPeakErrorQuantile(day_forecast_max_, history_.load_kw, from, options_.day_peak_days,
                              options_.day_peak_quantile);
}

double DayPeakErrorQuantile(const std::map<Date, double>& forecast_max, const IntervalSeries<double>& load,
                            Timestamp from, int days, double quantile) {
  const Date today = ToKst(from).date;
  std::vector<double> errors;
  for (auto it = forecast_max.lower_bound(AddDays(today, -days)); it != forecast_max.end() && it->first < today; ++it) {
    const Timestamp start = FromKst(it->first), end = FromKst(AddDays(it->first, 1));
    double peak = -std::numeric_limits<double>::infinity();
    int measured = 0;
    for (Timestamp t = start; t < end; t += load.step()) {
      if (const double v = ValueOrNaN(load, t); std::isfinite(v)) {
        peak = std::max(peak, v);
        ++measured;
      }
    }
    if (measured * load.step() < std::chrono::hours{20}) continue;  // a day with gaps says little
    errors.push_back(peak - it->second);
  }
  if (errors.size() < kDayPeakMinDays) return 0;
  const auto q =
      errors.begin() + static_cast<long>(std::clamp(quantile, 0.0, 1.0) * static_cast<double>(errors.size() - 1));
  std::nth_element(errors.begin(), q, errors.end());
  return std::max(0.0, *q);
}

Result<HorizonForecast> LearnedPlanForecast::ForecastAt(Timestamp from, Timestamp to) {
  const IntervalSeries<double>& load = history_.load_kw;
  to = std::min(to, load.end());
  if (to <= from) return InvalidInput(fmt::format("plan forecast: nothing to forecast from {}", FormatKst(from)));
  const auto steps = static_cast<size_t>((to - from) / load.step());
  if (options_.train_when_forecasting) TrainIfDue(from);
  HorizonForecast f;
  f.pv = pv_.Slice(from, to);
  std::vector<std::optional<Kilowatts>> kw;
  kw.reserve(steps);
  if (!model_) {
    ++naive_;
    const QuantileForecast naive = SeasonalNaiveForecast(load, from, from, steps, std::chrono::hours{24});
    // Where yesterday is missing (the first day, a gap): the latest value measured before `from`
    // within a day; with none, there is no forecast to plan on.
    double latest = std::numeric_limits<double>::quiet_NaN();
    for (Timestamp t = from - load.step(); t >= from - std::chrono::hours{24} && t >= load.start(); t -= load.step()) {
      if (const double v = ValueOrNaN(load, t); std::isfinite(v)) {
        latest = v;
        break;
      }
    }
    for (size_t i = 0; i < steps; ++i) {
      const double v = std::isfinite(naive.p50[i]) ? naive.p50[i] : latest;
      if (!std::isfinite(v)) {
        return InvalidInput(fmt::format("plan forecast: no load measured in the day before {}", FormatKst(from)));
      }
      kw.emplace_back(Kilowatts(v));
    }
    f.load = PowerSeries(from, load.step(), std::move(kw));
    // Its reserve, as the model's: share x its P90 - P50, here the 90th percentile of its own
    // errors so far (the load minus the same time a day earlier, over the last 14 days measured
    // before `from`); none before a whole day of such errors is known.
    std::vector<double> errors;
    for (Timestamp t = std::max(load.start() + std::chrono::hours{24}, from - std::chrono::hours{24 * 14});
         t + load.step() <= from; t += load.step()) {
      const double now = ValueOrNaN(load, t), day_before = ValueOrNaN(load, t - std::chrono::hours{24});
      if (std::isfinite(now) && std::isfinite(day_before)) errors.push_back(now - day_before);
    }
    if (errors.size() * load.step() >= std::chrono::hours{24}) {
      const auto p90 = errors.begin() + static_cast<long>(0.9 * static_cast<double>(errors.size() - 1));
      std::nth_element(errors.begin(), p90, errors.end());
      f.load_reserve_kw.assign(steps, options_.reserve_share * std::max(0.0, *p90));
    }
    return f;
  }
  auto q = model_->Forecast(history_, from, from, steps);
  if (!q) return q.error();
  RecordDayForecast(from, q->p50);
  const double bias = ErrorFeedback(from, q->p50);
  if (bias != 0) {
    const double tau_s = std::chrono::duration<double>(options_.error_feedback_tau).count();
    const double step_s = std::chrono::duration<double>(load.step()).count();
    for (size_t i = 0; i < steps; ++i) {
      const double shift = bias * std::exp(-step_s * static_cast<double>(i) / tau_s);
      q->p50[i] = std::max(0.0, q->p50[i] + shift);
      q->p90[i] = std::max(q->p50[i], q->p90[i] + shift);
    }
  }
  const double day = DayPeakReserve(from);
  for (size_t i = 0; i < steps; ++i) {
    kw.emplace_back(Kilowatts(q->p50[i]));
    f.load_reserve_kw.push_back(std::max(day, options_.reserve_share * (q->p90[i] - q->p50[i])));
  }
  f.load = PowerSeries(from, load.step(), std::move(kw));
  return f;
}

Result<HorizonForecast> RecordedPlanForecast::ForecastAt(Timestamp from, Timestamp to) {
  auto f = inner_.ForecastAt(from, to);
  if (f) {
    std::lock_guard lock(mutex_);
    last_.emplace(from, *f);
  }
  return f;
}

std::optional<std::pair<Timestamp, HorizonForecast>> RecordedPlanForecast::Last() const {
  std::lock_guard lock(mutex_);
  return last_;
}

}  // namespace meg
