// The temperature response: degree terms by hand, a ridge fit that recovers a known heating slope
// per group and extrapolates it past its training range, a term that never varied gets no slope,
// and the coefficients round-trip.
#include "forecast/temperature_response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace meg {
namespace {

TEST(DegreeTermsTest, BelowHeatingAndAboveCoolingBase) {
  const DegreeTerms cold = DegreeTerms::Of(-5, 2);
  EXPECT_DOUBLE_EQ(cold.heating, 23);  // 18 - (-5)
  EXPECT_DOUBLE_EQ(cold.cooling, 0);
  EXPECT_DOUBLE_EQ(cold.day_heating, 16);  // 18 - 2
  const DegreeTerms hot = DegreeTerms::Of(31, 27.5);
  EXPECT_DOUBLE_EQ(hot.heating, 0);
  EXPECT_DOUBLE_EQ(hot.cooling, 7);
  EXPECT_DOUBLE_EQ(hot.day_cooling, 3.5);
  const DegreeTerms unknown = DegreeTerms::Of(std::numeric_limits<double>::quiet_NaN(), 20);
  EXPECT_TRUE(std::isnan(unknown.heating));
  EXPECT_TRUE(std::isnan(unknown.cooling));
  EXPECT_DOUBLE_EQ(unknown.day_heating, 0);
}

// label = 3 + 4 x (heating difference) in group 0 and -2 + 0.5 x (cooling difference) in group 1,
// heating differences only in 0..10 °C; the fit predicts 3 + 4 x 30 at 30 °C.
TEST(TemperatureResponseTest, RecoversSlopesPerGroupAndExtrapolates) {
  std::vector<TemperatureResponse::Row> rows;
  std::vector<float> labels;
  for (int i = 0; i < 2000; ++i) {
    const double a = (i * 37 % 101) / 10.0;  // 0..10
    const double b = (i * 53 % 89) / 20.0;   // unrelated to a
    TemperatureResponse::Row r;
    r.group = static_cast<size_t>(i % 2);
    r.x = {a, b, 0.3 * b, 0};
    rows.push_back(r);
    labels.push_back(static_cast<float>(r.group == 0 ? 3 + 4 * a : -2 + 0.5 * b));
  }
  const TemperatureResponse fit = TemperatureResponse::Fit(rows, labels, 3, /*ridge_c2=*/1e-4);
  EXPECT_NEAR(fit.Predict({0, {30, 0, 0, 0}}), 3 + 4 * 30, 0.1);
  EXPECT_NEAR(fit.Predict({1, {0, 10, 3, 0}}), -2 + 0.5 * 10 + 0, 0.3);
  // Group 2 had no rows, the fourth term never varied: they predict nothing of their own.
  EXPECT_EQ(fit.Predict({2, {30, 30, 30, 30}}), 0);
  EXPECT_NEAR(fit.Predict({0, {0, 0, 0, 1000}}), fit.Predict({0, {0, 0, 0, 0}}), 1e-9);
  // A missing difference counts as none.
  EXPECT_EQ(fit.Predict({0, {std::nan(""), 0, 0, 0}}), fit.Predict({0, {0, 0, 0, 0}}));

  auto back = TemperatureResponse::FromCoefficients(fit.coefficients());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->Predict({0, {30, 0, 0, 0}}), fit.Predict({0, {30, 0, 0, 0}}));
  EXPECT_FALSE(TemperatureResponse::FromCoefficients({1, 2, 3}));
  EXPECT_EQ(TemperatureResponse{}.Predict({0, {30, 0, 0, 0}}), 0);
}

// The penalty n x ridge_c2: a slope whose term varies by sqrt(ridge_c2) rms is halved.
TEST(TemperatureResponseTest, RidgeHalvesASlopeAtItsVariance) {
  std::vector<TemperatureResponse::Row> rows;
  std::vector<float> labels;
  for (int i = 0; i < 1000; ++i) {
    const double a = i % 2 == 0 ? 1.0 : -1.0;  // variance 1 °C^2
    rows.push_back({0, {a, 0, 0, 0}});
    labels.push_back(static_cast<float>(2 * a));
  }
  const TemperatureResponse fit = TemperatureResponse::Fit(rows, labels, 1, /*ridge_c2=*/1.0);
  EXPECT_NEAR(fit.Predict({0, {1, 0, 0, 0}}) - fit.Predict({0, {0, 0, 0, 0}}), 1.0, 1e-9);
}

}  // namespace
}  // namespace meg
