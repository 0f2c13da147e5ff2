#include "forecast/temperature_response.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace meg {
namespace {

constexpr size_t kWidth = 1 + TemperatureResponse::kTerms;
using TermVector = Eigen::Matrix<double, TemperatureResponse::kTerms, 1>;
using TermMatrix = Eigen::Matrix<double, TemperatureResponse::kTerms, TemperatureResponse::kTerms>;

TermVector TermsOf(const TemperatureResponse::Row& row) {
  TermVector x;
  for (size_t j = 0; j < TemperatureResponse::kTerms; ++j) {
    x(static_cast<long>(j)) = std::isfinite(row.x[j]) ? row.x[j] : 0.0;
  }
  return x;
}

// Sums of one group, for its normal equations.
struct GroupSums {
  double n = 0, sum_y = 0;
  TermVector sum_x = TermVector::Zero(), sum_xy = TermVector::Zero();
  TermMatrix sum_xx = TermMatrix::Zero();
};

}  // namespace

DegreeTerms DegreeTerms::Of(double temp_c, double day_mean_temp_c) {
  // std::max(0.0, NaN) is 0; a missing temperature must stay missing.
  const auto below = [](double base, double t) {
    return std::isfinite(t) ? std::max(0.0, base - t) : t;
  };
  const auto above = [](double base, double t) {
    return std::isfinite(t) ? std::max(0.0, t - base) : t;
  };
  return DegreeTerms{below(kHeatingBaseC, temp_c), above(kCoolingBaseC, temp_c),
                     below(kHeatingBaseC, day_mean_temp_c), above(kCoolingBaseC, day_mean_temp_c)};
}

TemperatureResponse TemperatureResponse::Fit(std::span<const Row> rows,
                                             std::span<const float> labels, size_t groups,
                                             double ridge_c2) {
  MEG_CHECK(rows.size() == labels.size());
  MEG_CHECK(ridge_c2 > 0);
  std::vector<GroupSums> sums(groups);
  for (size_t i = 0; i < rows.size(); ++i) {
    MEG_CHECK(rows[i].group < groups);
    const TermVector x = TermsOf(rows[i]);
    const double y = labels[i];
    GroupSums& s = sums[rows[i].group];
    s.n += 1;
    s.sum_y += y;
    s.sum_x += x;
    s.sum_xy += x * y;
    s.sum_xx += x * x.transpose();
  }
  TemperatureResponse r;
  r.coefficients_.assign(groups * kWidth, 0.0);
  for (size_t g = 0; g < groups; ++g) {
    const GroupSums& s = sums[g];
    if (s.n == 0) continue;
    // Centred normal equations: the intercept takes the group's mean, the slopes its covariances.
    const TermVector mean_x = s.sum_x / s.n;
    const double mean_y = s.sum_y / s.n;
    const TermMatrix scatter = s.sum_xx - s.n * mean_x * mean_x.transpose();
    const TermVector cross = s.sum_xy - s.n * mean_x * mean_y;
    const TermVector b = (scatter + s.n * ridge_c2 * TermMatrix::Identity()).ldlt().solve(cross);
    r.coefficients_[g * kWidth] = mean_y - mean_x.dot(b);
    for (size_t j = 0; j < kTerms; ++j)
      r.coefficients_[g * kWidth + 1 + j] = b(static_cast<long>(j));
  }
  return r;
}

double TemperatureResponse::Predict(const Row& row) const {
  if ((row.group + 1) * kWidth > coefficients_.size()) return 0;
  const double* c = coefficients_.data() + row.group * kWidth;
  const TermVector x = TermsOf(row);
  double y = c[0];
  for (size_t j = 0; j < kTerms; ++j) y += c[1 + j] * x(static_cast<long>(j));
  return y;
}

Result<TemperatureResponse> TemperatureResponse::FromCoefficients(
    std::vector<double> coefficients) {
  if (coefficients.size() % kWidth != 0) {
    return InvalidInput("temperature response: " + std::to_string(coefficients.size()) +
                        " coefficients are not groups of " + std::to_string(kWidth));
  }
  if (!std::all_of(coefficients.begin(), coefficients.end(),
                   [](double v) { return std::isfinite(v); })) {
    return InvalidInput("temperature response: a coefficient is not finite");
  }
  TemperatureResponse r;
  r.coefficients_ = std::move(coefficients);
  return r;
}

}  // namespace meg
