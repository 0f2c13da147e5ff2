#include "control/demand_meter.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Instant At(int y, unsigned m, unsigned d, int minute_of_day) {
  return ToInstant(FromKst(std::chrono::year{y} / m / d, minute_of_day));
}

// 10 minutes at 600 kW and 5 at 300 kW: (600 x 10 + 300 x 5) / 15 = 500 kW, by hand.
TEST(DemandMeterTest, WindowDemandIsTheQuarterHourMean) {
  DemandMeter m;
  const Instant t0 = At(2024, 8, 13, 14 * 60);
  m.Add(t0, Kilowatts(600), true);
  m.Add(t0 + minutes(10), Kilowatts(300), true);
  EXPECT_NEAR(m.window_average().value(), 600.0, 1e-9);
  EXPECT_NEAR(m.window_energy().value(), 100.0, 1e-9);  // 600 kW x 1/6 h
  m.Add(t0 + minutes(15), Kilowatts(300), true);
  ASSERT_TRUE(m.last_demand().has_value());
  EXPECT_NEAR(m.last_demand()->value(), 500.0, 1e-9);
  EXPECT_NEAR(m.month_peak().value(), 500.0, 1e-9);
}

// Samples that straddle a boundary are split at it: 14:14:30 -> 14:15:30 at 400 kW puts 30 s in
// each window.
TEST(DemandMeterTest, SampleAcrossABoundaryIsSplit) {
  DemandMeter m;
  const Instant t0 = At(2024, 8, 13, 14 * 60);
  m.Add(t0, Kilowatts(0), true);
  m.Add(t0 + minutes(14) + seconds(30), Kilowatts(400), true);
  m.Add(t0 + minutes(15) + seconds(30), Kilowatts(0), true);
  // Closed window: 400 kW x 30 s = 400 / 120 kWh; / 0.25 h = 13.33 kW.
  EXPECT_NEAR(m.last_demand()->value(), 400.0 / 120.0 / 0.25, 1e-9);
  EXPECT_NEAR(m.window_energy().value(), 400.0 / 120.0, 1e-9);
}

TEST(DemandMeterTest, UncountedWindowsDoNotSetThePeak) {
  DemandMeter m;
  const Instant t0 = At(2024, 8, 13, 3 * 60);  // 경부하: the caller says it does not count
  m.Add(t0, Kilowatts(900), false);
  m.Add(t0 + minutes(15), Kilowatts(100), true);
  EXPECT_NEAR(m.last_demand()->value(), 900.0, 1e-9);
  EXPECT_EQ(m.month_peak().value(), 0.0);
  m.Add(t0 + minutes(30), Kilowatts(100), true);
  EXPECT_NEAR(m.month_peak().value(), 100.0, 1e-9);
}

// A new month starts from 0; August (a demand month) becomes the ratchet of September.
TEST(DemandMeterTest, MonthRollsOverIntoTheRatchet) {
  DemandMeter m;
  const Instant t0 = At(2024, 8, 31, 23 * 60 + 30);
  m.Add(t0, Kilowatts(700), true);
  m.Add(t0 + minutes(15), Kilowatts(200), true);
  EXPECT_NEAR(m.month_peak().value(), 700.0, 1e-9);
  m.Add(t0 + minutes(30), Kilowatts(200), true);  // closes 23:45, opens 2024-09-01 00:00
  EXPECT_NEAR(m.ratchet().value(), 700.0, 1e-9);
  EXPECT_EQ(m.month_peak().value(), 0.0);
}

// Metering that starts at 14:05 sees 10 of the window's 15 minutes: the first 5 are estimated at
// the mean seen (600 kW for 5 min, 300 kW for 5 min: 450 kW), and the partial window does not
// set the month's peak.
TEST(DemandMeterTest, APartialFirstWindowIsEstimatedAndDoesNotSetThePeak) {
  DemandMeter m;
  const Instant t0 = At(2024, 8, 13, 14 * 60);
  m.Add(t0 + minutes(5), Kilowatts(600), true);
  EXPECT_FALSE(m.window_complete());
  m.Add(t0 + minutes(10), Kilowatts(300), true);
  EXPECT_NEAR(m.window_average().value(), 600.0, 1e-9);
  EXPECT_NEAR(m.window_energy().value(), 600.0 * 10 / 60, 1e-9);  // 5 min seen, 10 min elapsed
  m.Add(t0 + minutes(15), Kilowatts(500), true);
  EXPECT_NEAR(m.last_demand()->value(), 450.0, 1e-9);
  EXPECT_EQ(m.month_peak().value(), 0.0);
  EXPECT_TRUE(m.window_complete());
  m.Add(t0 + minutes(30), Kilowatts(0), true);
  EXPECT_NEAR(m.month_peak().value(), 500.0, 1e-9);
}

TEST(DemandMeterTest, UnknownGridIsHeldAndTimeNeverRunsBack) {
  DemandMeter m;
  const Instant t0 = At(2024, 8, 13, 14 * 60);
  m.Add(t0, Kilowatts(480), true);
  m.Add(t0 + minutes(5), Kilowatts(std::nan("")), true);
  m.Add(t0 + minutes(2), Kilowatts(5000), true);  // ignored
  m.Add(t0 + minutes(15), Kilowatts(0), true);
  EXPECT_NEAR(m.last_demand()->value(), 480.0, 1e-9);
}

// A restart keeps what the store metered: August continues from its 1,200 kW, and July's 1,500 kW
// (a demand month, art. 68 ①) is the ratchet. Restore after the first Add changes nothing.
TEST(DemandMeterTest, RestoreCarriesTheMonthPeakAndRatchetOverARestart) {
  DemandMeter m;
  using std::chrono::year;
  m.Restore({{year{2024} / 8, 1200.0}, {year{2024} / 7, 1500.0}, {year{2024} / 1, 900.0}});
  const Instant t = ToInstant(FromKst(Date{year{2024}, std::chrono::month{8}, std::chrono::day{12}}, 14 * 60));
  m.Add(t, Kilowatts(800), true);
  EXPECT_DOUBLE_EQ(m.month_peak().value(), 1200.0);
  EXPECT_DOUBLE_EQ(m.ratchet().value(), 1500.0);
  m.Restore({{year{2024} / 8, 5000.0}});
  m.Add(t + std::chrono::minutes(15), Kilowatts(800), true);
  EXPECT_DOUBLE_EQ(m.month_peak().value(), 1200.0);  // the 800 kW window is below it
}

// MonthPeaks gives back what Restore takes: replaying closed quarter-hours (each held for its 15
// minutes) gives July's counted 1,000 kW (the 1,400 kW window does not count, nor do the
// uncovered windows of the night, which hold it) and August's 900 kW so far; before the first Add,
// what Restore was given.
TEST(DemandMeterTest, MonthPeaksAreTheClosedMonthsAndTheOpenOne) {
  using std::chrono::year;
  DemandMeter m;
  m.Restore({{year{2024} / 6, 700.0}});
  EXPECT_EQ(m.MonthPeaks(), (std::vector<std::pair<Month, double>>{{year{2024} / 6, 700.0}}));
  m.Add(At(2024, 7, 31, 14 * 60), Kilowatts(1000), true);
  m.Add(At(2024, 7, 31, 14 * 60 + 15), Kilowatts(1400), false);
  m.Add(At(2024, 8, 1, 14 * 60), Kilowatts(900), true);
  m.Add(At(2024, 8, 1, 14 * 60 + 15), Kilowatts(0), false);
  const std::vector<std::pair<Month, double>> expected = {{year{2024} / 6, 700.0},
                                                          {year{2024} / 7, 1000.0},
                                                          {year{2024} / 8, 900.0}};
  ASSERT_EQ(m.MonthPeaks().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(m.MonthPeaks()[i].first, expected[i].first) << i;
    EXPECT_NEAR(m.MonthPeaks()[i].second, expected[i].second, 1e-9) << i;
  }
}

}  // namespace
}  // namespace meg
