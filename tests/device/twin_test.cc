// The site twin integrates its physics exactly between two instants (the year backtest steps it a
// quarter-hour at a time, the live loop a second): energies by hand arithmetic, a gap that moves
// nothing, and the series' end.
#include "device/sim/twin.h"

#include <gtest/gtest.h>

#include "control/loop_test_site.h"

namespace meg {
namespace {

const Timestamp kStart = FromKst(std::chrono::year{2024} / 8 / 12);

PowerSeries Series(std::vector<std::optional<Kilowatts>> values) {
  return PowerSeries(kStart, kInterval, std::move(values));
}

// The lossless 400 kWh / 200 kW battery (10-90 %, starting at 50 %) of the loop tests.
EssSpec Lossless() { return testing::LoopTestSite("twin").ess.value(); }

TEST(SiteTwinTest, IntegratesAcrossIntervalsWithTheSetpointsHeld) {
  SiteTwin twin(Series({Kilowatts(100), Kilowatts(200), Kilowatts(300)}),
                Series({Kilowatts(40), Kilowatts(0), Kilowatts(0)}), Lossless(), 1, 1, ToInstant(kStart));
  auto devices = twin.MakeDevices();  // meter, PV, battery
  ASSERT_EQ(devices.size(), 3u);
  ASSERT_TRUE(devices[2]->Write(Command{Kilowatts(50), std::nullopt}, ToInstant(kStart)));
  // The meter at the start: 100 - 40 - 0 = 60 kW, and its register at 0.
  auto meter = devices[0]->Read(ToInstant(kStart));
  ASSERT_TRUE(meter);
  EXPECT_DOUBLE_EQ(meter->power.value(), 60.0);
  EXPECT_DOUBLE_EQ(meter->net_import_energy->value(), 0.0);

  // 20 minutes: load 100 x 0.25 + 200 x 5/60 = 41.667 kWh, PV 40 x 0.25 = 10 kWh, battery
  // 50 x 20/60 = 16.667 kWh; grid = 41.667 - 10 - 16.667 = 15 kWh.
  ASSERT_TRUE(twin.AdvanceTo(ToInstant(kStart) + std::chrono::minutes(20)));
  EXPECT_NEAR(twin.energy().load.value(), 25.0 + 200.0 * 5 / 60, 1e-9);
  EXPECT_NEAR(twin.energy().pv.value(), 10.0, 1e-9);
  EXPECT_NEAR(twin.energy().battery.value(), 50.0 / 3, 1e-9);
  EXPECT_NEAR(twin.energy().grid.value(), 15.0, 1e-9);
  // 200 kWh stored at the start less 16.667 kWh: 45.83 % of 400 kWh.
  EXPECT_NEAR(twin.soc_pct(0), 100.0 * (200.0 - 50.0 / 3) / 400.0, 1e-9);

  // The series' end can be reached: the last interval is integrated (300 kW to 00:45).
  ASSERT_TRUE(twin.AdvanceTo(ToInstant(kStart) + std::chrono::minutes(45)));
  EXPECT_NEAR(twin.energy().load.value(), 25.0 + 50.0 + 75.0, 1e-9);
  EXPECT_FALSE(twin.AdvanceTo(ToInstant(kStart) + std::chrono::minutes(46)));
}

TEST(SiteTwinTest, AGapAheadMovesNothing) {
  SiteTwin twin(Series({Kilowatts(100), std::nullopt, Kilowatts(100), Kilowatts(100)}), PowerSeries(), Lossless(), 1, 1,
                ToInstant(kStart));
  auto devices = twin.MakeDevices();  // meter, battery (no PV)
  ASSERT_TRUE(devices.back()->Write(Command{Kilowatts(100), std::nullopt}, ToInstant(kStart)));
  // A step over the gap to 00:35 is refused before anything moves.
  EXPECT_FALSE(twin.AdvanceTo(ToInstant(kStart) + std::chrono::minutes(35)));
  EXPECT_EQ(twin.energy().load.value(), 0.0);
  EXPECT_DOUBLE_EQ(twin.soc_pct(0), 50.0);
  // Up to the gap it moves: 10 minutes at 100 kW.
  ASSERT_TRUE(twin.AdvanceTo(ToInstant(kStart) + std::chrono::minutes(10)));
  EXPECT_NEAR(twin.energy().load.value(), 100.0 / 6, 1e-9);
}

}  // namespace
}  // namespace meg
