#include "forecast/metrics.h"

#include <cmath>
#include <limits>

#include "core/check.h"

namespace meg {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

ForecastErrors ScoreForecast(std::span<const double> forecast, std::span<const double> actual) {
  MEG_CHECK(forecast.size() == actual.size());
  ForecastErrors e;
  double abs_actual = 0, abs_error = 0, sq_error = 0, error = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (!std::isfinite(forecast[i]) || !std::isfinite(actual[i])) continue;
    const double d = forecast[i] - actual[i];
    ++e.count;
    abs_actual += std::fabs(actual[i]);
    abs_error += std::fabs(d);
    sq_error += d * d;
    error += d;
  }
  if (e.count == 0 || abs_actual <= 0) {
    e.nmae_pct = e.nrmse_pct = e.bias_pct = kNaN;
    e.mean_actual = e.count == 0 ? kNaN : 0.0;
    e.mae = e.count == 0 ? kNaN : abs_error / static_cast<double>(e.count);
    return e;
  }
  const double n = static_cast<double>(e.count);
  e.mean_actual = abs_actual / n;
  e.mae = abs_error / n;
  e.nmae_pct = 100.0 * abs_error / abs_actual;
  e.nrmse_pct = 100.0 * std::sqrt(sq_error / n) / e.mean_actual;
  e.bias_pct = 100.0 * error / abs_actual;
  return e;
}

double BandCoveragePct(std::span<const double> p10, std::span<const double> p90, std::span<const double> actual) {
  MEG_CHECK(p10.size() == actual.size() && p90.size() == actual.size());
  size_t n = 0, inside = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (!std::isfinite(p10[i]) || !std::isfinite(p90[i]) || !std::isfinite(actual[i])) continue;
    ++n;
    if (actual[i] >= p10[i] && actual[i] <= p90[i]) ++inside;
  }
  return n == 0 ? kNaN : 100.0 * static_cast<double>(inside) / static_cast<double>(n);
}

double KpxIncentive::share_within_6_pct() const {
  return qualifying_hours == 0 ? kNaN : 100.0 * static_cast<double>(within_6pct) / static_cast<double>(qualifying_hours);
}
double KpxIncentive::share_within_8_pct() const {
  return qualifying_hours == 0 ? kNaN : 100.0 * static_cast<double>(within_8pct) / static_cast<double>(qualifying_hours);
}

KpxIncentive ScoreKpxIncentive(std::span<const double> forecast_kwh, std::span<const double> actual_kwh,
                               Kilowatts capacity) {
  MEG_CHECK(forecast_kwh.size() == actual_kwh.size());
  MEG_CHECK(capacity.value() > 0);
  const double cap = capacity.value();
  KpxIncentive k;
  double error_sum = 0;
  for (size_t i = 0; i < actual_kwh.size(); ++i) {
    if (!std::isfinite(forecast_kwh[i]) || !std::isfinite(actual_kwh[i])) continue;
    ++k.hours;
    if (actual_kwh[i] / cap < 0.10) continue;  // 제14.4.2조 ②: capacity factor >= 10 % only
    ++k.qualifying_hours;
    k.qualifying_kwh += actual_kwh[i];
    const double error_pct = 100.0 * std::fabs(forecast_kwh[i] - actual_kwh[i]) / cap;
    error_sum += error_pct;
    if (error_pct <= 6.0) {
      ++k.within_6pct;
      ++k.within_8pct;
      k.incentive_krw += 4.0 * actual_kwh[i];
    } else if (error_pct <= 8.0) {
      ++k.within_8pct;
      k.incentive_krw += 3.0 * actual_kwh[i];
    }
  }
  k.mean_error_pct = k.qualifying_hours == 0 ? kNaN : error_sum / static_cast<double>(k.qualifying_hours);
  return k;
}

}  // namespace meg
