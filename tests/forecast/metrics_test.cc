// Forecast error figures against hand arithmetic, and the KPX forecast incentive (ch. 14) on
// hours built to sit on each side of its 10 % capacity factor and 6 % / 8 % error lines.
#include "forecast/metrics.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace meg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(ForecastMetricsTest, ErrorsByHand) {
  // errors +10, -20, 0, +30 (the NaN pair is skipped); sum|a| = 100 + 200 + 100 + 100 = 500.
  const std::vector<double> f{110, 180, 100, 130, kNaN};
  const std::vector<double> a{100, 200, 100, 100, 50};
  const ForecastErrors e = ScoreForecast(f, a);
  EXPECT_EQ(e.count, 4u);
  EXPECT_DOUBLE_EQ(e.mean_actual, 125);                  // 500 / 4
  EXPECT_DOUBLE_EQ(e.mae, 15);                           // 60 / 4
  EXPECT_DOUBLE_EQ(e.nmae_pct, 12);                      // 100 x 60 / 500
  EXPECT_DOUBLE_EQ(e.bias_pct, 4);                       // 100 x 20 / 500
  EXPECT_DOUBLE_EQ(e.nrmse_pct, 100 * std::sqrt(350.0) / 125);  // (100 + 400 + 0 + 900) / 4 = 350
}

TEST(ForecastMetricsTest, NoPairsGiveNaN) {
  const std::vector<double> f{kNaN}, a{1};
  const ForecastErrors e = ScoreForecast(f, a);
  EXPECT_EQ(e.count, 0u);
  EXPECT_TRUE(std::isnan(e.nmae_pct));
}

TEST(ForecastMetricsTest, BandCoverage) {
  const std::vector<double> lo{0, 0, 0, 0}, hi{10, 10, 10, 10}, a{5, 10, 11, -1};
  EXPECT_DOUBLE_EQ(BandCoveragePct(lo, hi, a), 50);  // 5 and 10 inside, 11 and -1 outside
}

// Capacity 1,000 kW. Hour by hour (forecast, actual kWh):
//   (50, 90): capacity factor 9 % < 10 %: does not qualify, whatever its error.
//   (160, 100): cf 10 % qualifies (the line is inclusive); error 6.0 % -> 4 KRW x 100 kWh = 400.
//   (570, 500): error 7 % -> 3 KRW x 500 kWh = 1,500.
//   (420, 500): error 8.0 % -> 3 KRW x 500 kWh = 1,500 (inclusive).
//   (600, 700): error 10 % -> nothing.
TEST(KpxIncentiveTest, QualifyingHoursAndBandsByHand) {
  const std::vector<double> f{50, 160, 570, 420, 600}, a{90, 100, 500, 500, 700};
  const KpxIncentive k = ScoreKpxIncentive(f, a, Kilowatts(1000));
  EXPECT_EQ(k.hours, 5u);
  EXPECT_EQ(k.qualifying_hours, 4u);
  EXPECT_EQ(k.within_6pct, 1u);
  EXPECT_EQ(k.within_8pct, 3u);
  EXPECT_DOUBLE_EQ(k.qualifying_kwh, 1800);
  EXPECT_DOUBLE_EQ(k.incentive_krw, 3400);               // 400 + 1,500 + 1,500
  EXPECT_DOUBLE_EQ(k.mean_error_pct, (6.0 + 7 + 8 + 10) / 4);
  EXPECT_DOUBLE_EQ(k.share_within_6_pct(), 25);
  EXPECT_DOUBLE_EQ(k.share_within_8_pct(), 75);
}

}  // namespace
}  // namespace meg
