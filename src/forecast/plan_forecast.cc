#include "forecast/plan_forecast.h"

#include <algorithm>

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

Result<HorizonForecast> LearnedPlanForecast::ForecastAt(Timestamp from, Timestamp to) {
  const IntervalSeries<double>& load = history_.load_kw;
  to = std::min(to, load.end());
  if (to <= from) return InvalidInput(fmt::format("plan forecast: nothing to forecast from {}", FormatKst(from)));
  const auto steps = static_cast<size_t>((to - from) / load.step());
  if (!model_ || from >= trained_at_ + options_.retrain_every) {
    const bool enough = from >= load.start() + std::chrono::hours{24 * 15};
    if (enough) {
      const auto t0 = std::chrono::steady_clock::now();
      auto m = LoadForecaster::Train(history_, calendar_, from, options_.model);
      train_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!m) return m.error();
      model_.emplace(std::move(*m));
      trained_at_ = from;
      ++trainings_;
    }
  }
  HorizonForecast f;
  f.pv = pv_.Slice(from, to);
  std::vector<std::optional<Kilowatts>> kw;
  kw.reserve(steps);
  if (!model_) {
    ++naive_;
    const QuantileForecast naive = SeasonalNaiveForecast(load, from, from, steps, std::chrono::hours{24});
    for (size_t i = 0; i < steps; ++i) {
      // Before the first day is measured there is nothing to repeat: the latest measured value.
      double v = naive.p50[i];
      if (!std::isfinite(v)) {
        const auto k = load.IndexOf(from - load.step());
        v = k && load.at(*k) ? *load.at(*k) : (load.at(0) ? *load.at(0) : 0.0);
      }
      kw.emplace_back(Kilowatts(v));
    }
    f.load = PowerSeries(from, load.step(), std::move(kw));
    return f;
  }
  auto q = model_->Forecast(history_, from, from, steps);
  if (!q) return q.error();
  for (size_t i = 0; i < steps; ++i) {
    kw.emplace_back(Kilowatts(q->p50[i]));
    f.load_margin_kw.push_back(options_.margin_share * (q->p90[i] - q->p50[i]));
  }
  f.load = PowerSeries(from, load.step(), std::move(kw));
  return f;
}

}  // namespace meg
