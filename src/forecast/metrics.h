// Forecast error figures shared by every forecaster's evaluation: NMAE, NRMSE and bias against the
// actual values, the coverage of a P10-P90 band, and the KPX renewable forecast incentive of
// 전력시장운영규칙 ch. 14 (hourly error relative to capacity). Pure functions; thread-safe.
//
//   ForecastErrors e = ScoreForecast(p50, actual);             // e.nmae_pct, e.nrmse_pct, e.bias_pct
//   KpxIncentive k = ScoreKpxIncentive(forecast_kwh, actual_kwh, Kilowatts(1000));
#pragma once

#include <cstddef>
#include <span>

#include "core/units.h"

namespace meg {

// Errors of a forecast against the actual values over the pairs where both are finite:
//   NMAE  = 100 % * sum|f - a| / sum|a|
//   NRMSE = 100 % * sqrt(mean (f - a)^2) / mean|a|
//   bias  = 100 % * sum(f - a) / sum|a|             (+: the forecast is too high)
// With no pairs, or sum|a| == 0, the percentages are NaN.
struct ForecastErrors {
  size_t count = 0;
  double mean_actual = 0;  // mean |a|, in the series' unit
  double mae = 0;          // in the series' unit
  double nmae_pct = 0;
  double nrmse_pct = 0;
  double bias_pct = 0;
};
// REQUIRES: forecast.size() == actual.size().
ForecastErrors ScoreForecast(std::span<const double> forecast, std::span<const double> actual);

// Share of the actual values inside [p10, p90], percent (NaN with no finite triple); a calibrated
// band covers about 80 %. REQUIRES: the three spans have the same size.
double BandCoveragePct(std::span<const double> p10, std::span<const double> p90, std::span<const double> actual);

// The KPX renewable forecast incentive (ch. 14, 별표2; ../shared/reference/kpx-market-rules-
// 2024-02_ch14-renewable-forecast.txt): hours whose capacity factor (actual / capacity) is at least
// 10 % qualify (제14.4.2조 ②); the hour's forecast error is |forecast - actual| / capacity
// (제14.1.1조 12호); an hour with error <= 6 % earns 4 KRW per kWh traded, <= 8 % earns 3 KRW/kWh,
// more earns nothing. Values are hourly energies, kWh (= mean kW over the hour).
struct KpxIncentive {
  size_t hours = 0;              // hours with finite forecast and actual
  size_t qualifying_hours = 0;   // capacity factor >= 10 %
  size_t within_6pct = 0;        // qualifying hours with error <= 6 %
  size_t within_8pct = 0;        // qualifying hours with error <= 8 % (includes the <= 6 % ones)
  double mean_error_pct = 0;     // mean error over the qualifying hours (NaN if none)
  double qualifying_kwh = 0;     // actual energy of the qualifying hours
  double incentive_krw = 0;      // 4 x kWh (<= 6 %) + 3 x kWh (6-8 %)
  double share_within_6_pct() const;  // within_6pct / qualifying_hours, percent (NaN if none)
  double share_within_8_pct() const;
};
// REQUIRES: forecast_kwh.size() == actual_kwh.size(), capacity > 0.
KpxIncentive ScoreKpxIncentive(std::span<const double> forecast_kwh, std::span<const double> actual_kwh,
                               Kilowatts capacity);

}  // namespace meg
