// What a planner (control/optimal_controllers.h) plans on: the load and PV of a horizon as
// forecast at its start, with a per-interval safety margin on the load for the demand peak.
//   SeriesForecast: slices fixed series: the realised load and PV (perfect foresight) or a
//     persistence forecast made beforehand.
//   LearnedPlanForecast: the learned load model (forecast/load_forecast.h), retrained every
//     `retrain_every` on all load measured before then, issued afresh at every call from load
//     measured before the horizon's start; its margin is a share of P90 - P50. PV comes from a
//     given series (the PV model on the site's weather: a perfect weather forecast).
// Not thread-safe; one instance per planner.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "forecast/load_forecast.h"

namespace meg {

struct HorizonForecast {
  PowerSeries load;                  // + consumption, kW, the horizon's intervals
  PowerSeries pv;                    // + production, same grid
  std::vector<double> load_margin_kw;  // empty, or one per interval: hold this much headroom on the peak
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
  LoadForecastOptions model;
  std::chrono::hours retrain_every{24 * 7};
  // Margin = share x (P90 - P50) in each interval; 0 plans on the P50 alone.
  double margin_share = 1.0;
};

class LearnedPlanForecast final : public PlanForecast {
 public:
  // `history` holds the measured load (only values before each issue time are read) and the
  // temperature; `pv` the PV forecast. Both must outlive this object and share the load's grid.
  LearnedPlanForecast(const LoadData& history, const PowerSeries& pv, const HolidayCalendar& calendar,
                      LearnedPlanOptions options);
  // Until two weeks of load are measured (no model can be trained), the load is yesterday's
  // (seasonal naive) with no margin; counted in naive_forecasts().
  Result<HorizonForecast> ForecastAt(Timestamp from, Timestamp to) override;

  int trainings() const { return trainings_; }
  int naive_forecasts() const { return naive_; }
  double train_seconds() const { return train_seconds_; }

 private:
  const LoadData& history_;
  const PowerSeries& pv_;
  const HolidayCalendar& calendar_;
  LearnedPlanOptions options_;
  std::optional<LoadForecaster> model_;
  Timestamp trained_at_{};
  int trainings_ = 0;
  int naive_ = 0;
  double train_seconds_ = 0;
};

}  // namespace meg
