#include "core/units.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

TEST(UnitsTest, PowerTimesHoursIsEnergy) {
  const KilowattHours e = Kilowatts(250.0) * Hours(0.25);
  EXPECT_DOUBLE_EQ(e.value(), 62.5);
  EXPECT_DOUBLE_EQ((e / Hours(0.25)).value(), 250.0);
}

TEST(UnitsTest, PricesAreExactDecimals) {
  EXPECT_EQ(WonPerKwh::FromDecimal("92.8")->milli_won(), 92'800);
  EXPECT_EQ(WonPerKw::FromDecimal("7,220")->milli_won(), 7'220'000);
  EXPECT_EQ(WonPerKwh::FromDecimal("-5.0")->milli_won(), -5'000);
  EXPECT_EQ(WonPerKwh::FromDecimal("0.125")->milli_won(), 125);
  // 92.8 KRW/kWh x 12,345 kWh = 1,145,616.0 KRW exactly (a double product is 1145615.9999...).
  EXPECT_EQ(WonPerKwh::FromDecimal("92.8")->Times(12'345).TruncateToWon(), Won(1'145'616));
  for (const char* bad : {"", "1.2345", "abc", "1e3", "--1", "nan"}) {
    EXPECT_FALSE(WonPerKwh::FromDecimal(bad)) << bad;
  }
}

TEST(UnitsTest, WonRounding) {
  EXPECT_EQ(MilliWon(1'500).RoundToWon(), Won(2));
  EXPECT_EQ(MilliWon(1'499).RoundToWon(), Won(1));
  EXPECT_EQ(MilliWon(1'999).TruncateToWon(), Won(1));
  EXPECT_EQ(MilliWon(-1'500).RoundToWon(), Won(-2));
  EXPECT_EQ(Percent::FromDecimal("3.2")->Of(Won(1'000)).value(), 32'000);  // 32 KRW
}

TEST(UnitsTest, RoundHalfUpToUnitAsArticle7) {
  EXPECT_EQ(RoundHalfUpToUnit(1234.5), 1235);
  EXPECT_EQ(RoundHalfUpToUnit(1234.45), 1234);
  EXPECT_EQ(RoundHalfUpToUnit(0.1 + 0.2 + 0.2), 1);  // 0.5 summed in binary is still a half
  EXPECT_EQ(RoundHalfUpToUnit(299.99), 300);
}

}  // namespace
}  // namespace meg
