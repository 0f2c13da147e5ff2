// NPV, IRR and payback against hand calculations.
#include "core/cash_flow.h"

#include <vector>

#include <gtest/gtest.h>

namespace meg {
namespace {

// -100 now, 60 at the end of years 1 and 2.
//   NPV at 10 %: -100 + 60 / 1.1 + 60 / 1.21 = -100 + 54.5455 + 49.5868 = 4.1322.
//   IRR: with x = 1 / (1 + r), 60 x^2 + 60 x - 100 = 0, x = (-60 + sqrt(3,600 + 24,000)) / 120
//   = 0.884437, r = 0.130662.
//   Payback: -100, -40, +20: one year and 40 / 60 of the second = 1.6667.
TEST(CashFlowTest, TwoYearsOfSixty) {
  const std::vector<double> flows{-100, 60, 60};
  EXPECT_NEAR(NetPresentValue(0.10, flows), 4.1322, 1e-4);
  EXPECT_NEAR(NetPresentValue(0.0, flows), 20.0, 1e-12);
  const auto irr = InternalRateOfReturn(flows);
  ASSERT_TRUE(irr);
  EXPECT_NEAR(*irr, 0.130662, 1e-6);
  const auto payback = PaybackYears(flows);
  ASSERT_TRUE(payback);
  EXPECT_NEAR(*payback, 1.0 + 40.0 / 60.0, 1e-12);
}

// -100 now, 10 in years 1 and 2: never repaid (running sum -80), and the rate that makes it worth
// nothing is negative: 10 x^2 + 10 x - 100 = 0, x = (-10 + sqrt(4,100)) / 20 = 2.701562,
// r = 1 / x - 1 = -0.629844.
TEST(CashFlowTest, AnInvestmentThatNeverPaysBack) {
  const std::vector<double> flows{-100, 10, 10};
  EXPECT_FALSE(PaybackYears(flows));
  const auto irr = InternalRateOfReturn(flows);
  ASSERT_TRUE(irr);
  EXPECT_NEAR(*irr, -0.629844, 1e-6);
  EXPECT_LT(NetPresentValue(0.045, flows), 0);
}

TEST(CashFlowTest, EdgeCases) {
  EXPECT_FALSE(InternalRateOfReturn(std::vector<double>{}));
  EXPECT_FALSE(PaybackYears(std::vector<double>{}));
  EXPECT_EQ(*PaybackYears(std::vector<double>{0, 5}), 0.0);
  EXPECT_FALSE(InternalRateOfReturn(std::vector<double>{-100, 0, 0}));  // nothing ever comes back
  // Repaid exactly at the end of year 3: -90, 30, 30, 30.
  EXPECT_NEAR(*PaybackYears(std::vector<double>{-90, 30, 30, 30}), 3.0, 1e-12);
  EXPECT_NEAR(*InternalRateOfReturn(std::vector<double>{-90, 30, 30, 30}), 0.0, 1e-9);
}

}  // namespace
}  // namespace meg
