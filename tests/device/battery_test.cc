#include "device/sim/battery.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

EssSpec Spec() {
  EssSpec s;
  s.usable_kwh = KilowattHours(1000);
  s.charge_kw = Kilowatts(500);
  s.discharge_kw = Kilowatts(400);
  s.charge_efficiency_pct = 95;
  s.discharge_efficiency_pct = 96;
  s.soc_min_pct = 10;
  s.soc_max_pct = 90;
  s.soc_initial_pct = 50;
  return s;
}

// Charging 400 kW for 15 min stores 400 x 0.25 x 0.95 = 95 kWh: 50 % -> 59.5 %.
// Discharging 200 kW for 15 min takes 200 x 0.25 / 0.96 = 52.083 kWh from the cells.
TEST(BatteryTest, SeparateChargeAndDischargeEfficiency) {
  const Battery b(Spec());
  const auto c = b.Apply(Kilowatts(-400), Hours(0.25));
  EXPECT_DOUBLE_EQ(c.power.value(), -400);
  EXPECT_NEAR(c.next.soc_pct(), 59.5, 1e-9);
  EXPECT_DOUBLE_EQ(c.next.charged().value(), 100);
  const auto d = b.Apply(Kilowatts(200), Hours(0.25));
  EXPECT_NEAR(d.next.stored().value(), 500 - 50.0 / 0.96, 1e-9);
  EXPECT_DOUBLE_EQ(d.next.discharged().value(), 50);
}

// Power ratings and the SoC window clamp the setpoint.
TEST(BatteryTest, PowerAndSocLimits) {
  const Battery b(Spec());
  EXPECT_DOUBLE_EQ(b.Apply(Kilowatts(1000), Hours(0.25)).power.value(), 400);   // discharge rating
  EXPECT_DOUBLE_EQ(b.Apply(Kilowatts(-1000), Hours(0.25)).power.value(), -500); // charge rating
  // From 50 %, 400 kWh above the 10 % floor deliver 400 x 0.96 = 384 kWh: in one hour at most
  // 384 kW.
  EXPECT_NEAR(b.MaxDischarge(Hours(1)).value(), 384, 1e-9);
  // 400 kWh below the 90 % ceiling take 400 / 0.95 = 421.05 kWh of AC in one hour.
  EXPECT_NEAR(b.MaxCharge(Hours(1)).value(), 400 / 0.95, 1e-9);
  Battery full = b;
  for (int i = 0; i < 20; ++i) full = full.Apply(Kilowatts(-500), Hours(0.25)).next;
  EXPECT_NEAR(full.soc_pct(), 90, 1e-9);
  EXPECT_DOUBLE_EQ(full.Apply(Kilowatts(-100), Hours(0.25)).power.value(), 0);
  Battery empty = b;
  for (int i = 0; i < 20; ++i) empty = empty.Apply(Kilowatts(400), Hours(0.25)).next;
  EXPECT_NEAR(empty.soc_pct(), 10, 1e-9);
  EXPECT_DOUBLE_EQ(empty.Apply(Kilowatts(100), Hours(0.25)).power.value(), 0);
}

// Ramp 10 kW/min: in 15 minutes power may rise by 150 kW; it may drop to zero at once.
TEST(BatteryTest, RampLimitAwayFromZeroOnly) {
  EssSpec s = Spec();
  s.ramp_kw_per_min = 10;
  const Battery b(s);
  const auto up = b.Apply(Kilowatts(400), Hours(0.25));
  EXPECT_DOUBLE_EQ(up.power.value(), 150);
  const auto more = up.next.Apply(Kilowatts(400), Hours(0.25));
  EXPECT_DOUBLE_EQ(more.power.value(), 300);
  EXPECT_DOUBLE_EQ(more.next.Apply(Kilowatts(0), Hours(0.25)).power.value(), 0);
  // From +300 kW, charging lies beyond zero, further than the ramp allows: the battery stops.
  EXPECT_DOUBLE_EQ(more.next.Apply(Kilowatts(-400), Hours(0.25)).power.value(), 0);
}

TEST(BatteryTest, CountsCycles) {
  Battery b(Spec());
  b = b.Apply(Kilowatts(-400), Hours(1)).next;  // 400 kWh in
  b = b.Apply(Kilowatts(384), Hours(1)).next;   // 384 kWh out
  EXPECT_NEAR(b.Cycles(), (400 + 384) / 2.0 / 1000, 1e-12);
}

}  // namespace
}  // namespace meg
