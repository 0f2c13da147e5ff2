// Battery quantities of core/ess.h against hand arithmetic on the Jeonju hospital's ESS
// (data/sites/jeonju-hospital.toml: 1,000 kWh usable, 500/500 kW, 96 %/96 %, SoC 10-80 %,
// ramp 100 kW/min).
#include "core/ess.h"

#include <gtest/gtest.h>

#include "core/jeonju_ess.h"

namespace meg {
namespace {

EssSpec Hospital() { return testing::JeonjuHospitalEss(); }

TEST(EssTest, WindowAndDeliverableEnergy) {
  const EssSpec e = Hospital();
  EXPECT_DOUBLE_EQ(SocFloor(e).value(), 100.0);          // 1,000 x 10 %
  EXPECT_DOUBLE_EQ(SocCeiling(e).value(), 800.0);        // 1,000 x 80 %
  EXPECT_NEAR(DeliverableFull(e).value(), 672.0, 1e-9);  // (800 - 100) x 0.96
  EXPECT_DOUBLE_EQ(StoredAt(e, 45).value(), 450.0);
}

TEST(EssTest, PowerForAQuarterHourIsBoundByEnergyRatingAndRamp) {
  const EssSpec e = Hospital();
  const Hours q(0.25);
  // 150 kWh stored: 50 kWh above the floor x 0.96 / 0.25 h = 192 kW.
  EXPECT_NEAR(MaxDischarge(e, KilowattHours(150), q, std::nullopt).value(), 192.0, 1e-9);
  // 500 kWh: 400 x 0.96 / 0.25 = 1,536 kW, above the 500 kW rating.
  EXPECT_NEAR(MaxDischarge(e, KilowattHours(500), q, std::nullopt).value(), 500.0, 1e-9);
  // 790 kWh: 10 kWh of room / 0.96 / 0.25 h = 41.67 kW of charge.
  EXPECT_NEAR(MaxCharge(e, KilowattHours(790), q, std::nullopt).value(), 10.0 / 0.96 / 0.25, 1e-9);
  // At the floor nothing more comes out; at the ceiling nothing more goes in.
  EXPECT_EQ(MaxDischarge(e, KilowattHours(100), q, std::nullopt).value(), 0.0);
  EXPECT_EQ(MaxCharge(e, KilowattHours(800), q, std::nullopt).value(), 0.0);
  // Ramp over one minute from 0 kW: 100 kW/min x 1 min = 100 kW either way.
  const Hours minute(1.0 / 60);
  EXPECT_NEAR(MaxDischarge(e, KilowattHours(500), minute, Kilowatts(0)).value(), 100.0, 1e-9);
  EXPECT_NEAR(MaxCharge(e, KilowattHours(500), minute, Kilowatts(0)).value(), 100.0, 1e-9);
  // From 300 kW of charge, one minute reaches at most 200 kW of charge... or anything toward and
  // past zero up to -300 + 100 = -200 kW of discharge, i.e. no discharge yet.
  EXPECT_NEAR(MaxCharge(e, KilowattHours(500), minute, Kilowatts(-300)).value(), 400.0, 1e-9);
  EXPECT_EQ(MaxDischarge(e, KilowattHours(500), minute, Kilowatts(-300)).value(), 0.0);
}

TEST(EssTest, ShareOfSplitsEnergyPowerAndRamp) {
  const EssSpec each = ShareOf(Hospital(), 4);
  EXPECT_DOUBLE_EQ(each.usable_kwh.value(), 250.0);
  EXPECT_DOUBLE_EQ(each.charge_kw.value(), 125.0);
  EXPECT_DOUBLE_EQ(each.discharge_kw.value(), 125.0);
  EXPECT_DOUBLE_EQ(each.ramp_kw_per_min, 25.0);
  EXPECT_DOUBLE_EQ(each.soc_min_pct, 10.0);
}

}  // namespace
}  // namespace meg
