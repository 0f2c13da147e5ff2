#include "core/cash_flow.h"

#include <cmath>

namespace meg {

double NetPresentValue(double rate, std::span<const double> flows) {
  double value = 0, factor = 1;
  for (const double f : flows) {
    value += f / factor;
    factor *= 1 + rate;
  }
  return value;
}

double CapitalRecoveryFactor(double rate, double years) {
  if (std::abs(rate) < 1e-12) return 1.0 / years;
  return rate / (1.0 - std::pow(1.0 + rate, -years));
}

std::optional<double> InternalRateOfReturn(std::span<const double> flows) {
  if (flows.empty()) return std::nullopt;
  double lo = -0.99, hi = 10.0;
  double at_lo = NetPresentValue(lo, flows), at_hi = NetPresentValue(hi, flows);
  if (!std::isfinite(at_lo) || !std::isfinite(at_hi) || (at_lo > 0) == (at_hi > 0)) return std::nullopt;
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
    const double mid = (lo + hi) / 2;
    const double at_mid = NetPresentValue(mid, flows);
    if ((at_mid > 0) == (at_lo > 0)) {
      lo = mid;
      at_lo = at_mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

std::optional<double> PaybackYears(std::span<const double> flows) {
  if (flows.empty()) return std::nullopt;
  double sum = flows[0];
  if (sum >= 0) return 0.0;
  for (size_t t = 1; t < flows.size(); ++t) {
    const double next = sum + flows[t];
    if (next >= 0) return static_cast<double>(t - 1) + (-sum / flows[t]);
    sum = next;
  }
  return std::nullopt;
}

}  // namespace meg
