// Cold storage quantities (core/thermal.h), worked by hand for an ice store of 6,000 kWh of
// cooling, 1,000 kW each way, 0.5 % lost an hour, ice made at 70 % of the chillers' COP.
#include "core/thermal.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

ThermalStorageSpec Ice() {
  ThermalStorageSpec s;
  s.kind = "ice";
  s.capacity_kwh_th = KilowattHours(6000);
  s.charge_kw_th = Kilowatts(1000);
  s.discharge_kw_th = Kilowatts(1000);
  s.loss_pct_per_h = 0.5;
  s.charge_cop_pct = 70;
  return s;
}

TEST(ThermalTest, CopFollowsTheOutdoorTemperature) {
  CoolingSpec c;
  c.cop = 5;
  c.rated_temp_c = 35;
  c.cop_change_pct_per_c = 2;
  EXPECT_DOUBLE_EQ(ChillerCop(c, 35), 5.0);
  EXPECT_DOUBLE_EQ(ChillerCop(c, 25), 6.0);   // 10 C cooler: 5 x (1 + 0.2)
  EXPECT_DOUBLE_EQ(ChillerCop(c, 40), 4.5);   // 5 C hotter: 5 x (1 - 0.1)
  EXPECT_DOUBLE_EQ(ChillerCop(c, -200), 15);  // held at 3 x
  EXPECT_DOUBLE_EQ(ChillerCop(c, 200), 1.5);  // held at 0.3 x
}

TEST(ThermalTest, LimitsLevelAndElectricity) {
  const ThermalStorageSpec s = Ice();
  EXPECT_DOUBLE_EQ(ThermalStoredAt(s, 50).value(), 3000);
  EXPECT_DOUBLE_EQ(ThermalSocPct(s, KilowattHours(1500)), 25);
  const Hours q(0.25);
  EXPECT_DOUBLE_EQ(ThermalKeep(s, q), 1 - 0.005 * 0.25);
  // 100 kWh stored, a quarter-hour: 100 x 0.99875 / 0.25 = 399.5 kW; its rating 1,000; a demand
  // of 300 kW: the store serves at most the demand.
  EXPECT_DOUBLE_EQ(ThermalMaxDischarge(s, KilowattHours(100), q, Kilowatts(5000)).value(), 399.5);
  EXPECT_DOUBLE_EQ(ThermalMaxDischarge(s, KilowattHours(100), q, Kilowatts(300)).value(), 300);
  // Nearly full: (6,000 - 5,900 x 0.99875) / 0.25 = 429.5 kW of room; the chillers (3,600) serving
  // 3,400 have 200 to spare.
  EXPECT_NEAR(ThermalMaxCharge(s, KilowattHours(5900), q, Kilowatts(0), Kilowatts(10000)).value(), 429.5, 1e-9);
  EXPECT_DOUBLE_EQ(ThermalMaxCharge(s, KilowattHours(5900), q, Kilowatts(3400), Kilowatts(3600)).value(), 200);
  // Holding 400 kW of discharge for a quarter-hour from 3,000: 3,000 x 0.99875 - 100 = 2,896.25.
  EXPECT_DOUBLE_EQ(ThermalNext(s, KilowattHours(3000), Kilowatts(400), q).value(), 2896.25);
  EXPECT_DOUBLE_EQ(ThermalNext(s, KilowattHours(3000), Kilowatts(-400), q).value(), 3096.25);
  // At COP 5: 400 kW of cooling discharged saves 80 kW; 350 charged costs 350 / (5 x 0.7) = 100.
  EXPECT_DOUBLE_EQ(ThermalElectric(s, Kilowatts(400), 5).value(), 80);
  EXPECT_DOUBLE_EQ(ThermalElectric(s, Kilowatts(-350), 5).value(), -100);
}

}  // namespace
}  // namespace meg
