// The temperature response of a building's load: heating and cooling degree terms and a ridge
// regression (Eigen) of a load difference on their differences, per group of intervals (day kind
// x time of day). Linear in the degree terms, so it extrapolates to temperatures colder or hotter
// than any in its training data, which regression trees cannot. Value types; thread-safe.
//
//   std::vector<TemperatureResponse::Row> rows = ...;   // group and degree-term differences
//   auto r = TemperatureResponse::Fit(rows, labels, /*groups=*/12, /*ridge_c2=*/0.1);
//   double kw = r.Predict(rows[0]);
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "core/result.h"

namespace meg {

// Degree-day bases by the usual building-energy convention (heating below 18 °C, as in
// EN ISO 15927-6 / UK CIBSE TM41 and KMA's heating degree days; cooling above 24 °C, the upper
// end of the ASHRAE 55 summer comfort range), fixed and not fitted.
inline constexpr double kHeatingBaseC = 18.0;
inline constexpr double kCoolingBaseC = 24.0;

// How far the air is below the heating base and above the cooling base, at an instant and as the
// mean of its KST day, °C (each >= 0; NaN when the temperature is unknown).
struct DegreeTerms {
  double heating = 0, cooling = 0, day_heating = 0, day_cooling = 0;
  static DegreeTerms Of(double temp_c, double day_mean_temp_c);
  std::array<double, 4> values() const { return {heating, cooling, day_heating, day_cooling}; }
};

// A ridge regression label ~ a_g + b_g . x of a load difference (kW) on the differences x of the
// four degree terms, fitted separately in each group g. The penalty on b_g is n_g x ridge_c2
// (n_g: the group's rows; ridge_c2 in °C^2): a slope whose term varies by sqrt(ridge_c2) rms in
// its group is halved, one whose term never varies (no cold day seen yet) is 0. Intercepts are
// not penalised. A default-constructed response predicts 0 everywhere.
class TemperatureResponse {
 public:
  static constexpr size_t kTerms = 4;
  struct Row {
    size_t group = 0;
    std::array<double, kTerms> x{};  // non-finite entries count as 0 (no weather difference)
  };

  TemperatureResponse() = default;
  // REQUIRES: rows.size() == labels.size(), every row.group < groups, ridge_c2 > 0, labels finite.
  static TemperatureResponse Fit(std::span<const Row> rows, std::span<const float> labels,
                                 size_t groups, double ridge_c2);

  // The fitted label of `row`, kW; 0 for a group the fit did not cover.
  double Predict(const Row& row) const;

  // Per group: a_g then b_g (1 + kTerms values), for saving. FromCoefficients inverts it.
  const std::vector<double>& coefficients() const { return coefficients_; }
  // Errors (kInvalidInput): a size that is not a multiple of 1 + kTerms, a non-finite value.
  static Result<TemperatureResponse> FromCoefficients(std::vector<double> coefficients);

 private:
  std::vector<double> coefficients_;
};

}  // namespace meg
