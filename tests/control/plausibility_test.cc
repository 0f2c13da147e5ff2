#include "control/plausibility.h"

#include <cmath>

#include <gtest/gtest.h>

#include "control/loop_test_site.h"

namespace meg {
namespace {

// The loop test site: 1,000 kW contract, 100 kW of PV, a 200 kW / 200 kW battery. By hand:
// meter 3 x 1,000 = 3,000 kW each way (1.2 x (100 + 200) = 360 kW of export is less); PV
// -0.1 x 100 .. 1.2 x 100; battery 1.2 x 200 each way.
TEST(PlausibilityTest, BoundsComeFromTheSiteFile) {
  const Site site = testing::LoopTestSite("bounds");
  const PlausibleBounds meter = BoundsOf(site, DeviceKind::kMeter);
  EXPECT_DOUBLE_EQ(meter.power_min.value(), -3000);
  EXPECT_DOUBLE_EQ(meter.power_max.value(), 3000);
  const PlausibleBounds pv = BoundsOf(site, DeviceKind::kPv);
  EXPECT_DOUBLE_EQ(pv.power_min.value(), -10);
  EXPECT_DOUBLE_EQ(pv.power_max.value(), 120);
  EXPECT_DOUBLE_EQ(pv.rating_max.value(), 120);
  const PlausibleBounds ess = BoundsOf(site, DeviceKind::kBattery);
  EXPECT_DOUBLE_EQ(ess.power_min.value(), -240);
  EXPECT_DOUBLE_EQ(ess.power_max.value(), 240);
  EXPECT_DOUBLE_EQ(ess.rating_max.value(), 240);
}

// A site whose generation dwarfs its contract may export it: 100 kW contract, 1,000 kW of PV:
// export down to -1.2 x 1,000 kW, import up to 3 x 100 kW.
TEST(PlausibilityTest, ExportMayReachTheGenerationOfTheSite) {
  Site site = testing::LoopTestSite("big pv");
  site.contract_power = Kilowatts(100);
  site.ess.reset();
  site.pv.front().inverter_kw = Kilowatts(1000);
  const PlausibleBounds meter = BoundsOf(site, DeviceKind::kMeter);
  EXPECT_DOUBLE_EQ(meter.power_min.value(), -1200);
  EXPECT_DOUBLE_EQ(meter.power_max.value(), 300);
  // No [ess]: a battery device takes the meter's bounds.
  EXPECT_DOUBLE_EQ(BoundsOf(site, DeviceKind::kBattery).power_max.value(), 300);
}

// A chilled-water store of 1,000 kW of cooling each way beside chillers of COP 5: its power is
// electricity, at most 1,000 / (0.3 x 5 x 1.0) = 666.7 kW (the lowest COP there is), x 1.2; what it
// can give and take is cooling, at most 1.2 x 1,000 kW. (Found by a chilled-water year: its
// 1,000 kW of cooling had been held to the electric bound, 800 kW, and read as a lie.)
TEST(PlausibilityTest, AColdStoresLimitsAreCoolingAndItsPowerElectricity) {
  Site site = testing::LoopTestSite("cold");
  site.cooling = CoolingSpec{};
  site.cooling->chiller_kw_th = Kilowatts(5000);
  site.cooling->cop = 5;
  site.thermal_storage = ThermalStorageSpec{};
  site.thermal_storage->kind = "chilled-water";
  site.thermal_storage->capacity_kwh_th = KilowattHours(6000);
  site.thermal_storage->charge_kw_th = Kilowatts(1000);
  site.thermal_storage->discharge_kw_th = Kilowatts(1000);
  site.thermal_storage->charge_cop_pct = 100;
  const PlausibleBounds b = BoundsOf(site, DeviceKind::kThermalStorage);
  EXPECT_NEAR(b.power_max.value(), 1.2 * 1000 / 1.5, 1e-9);
  EXPECT_NEAR(b.power_min.value(), -1.2 * 1000 / 1.5, 1e-9);
  EXPECT_DOUBLE_EQ(b.rating_max.value(), 1200);
  Telemetry t;
  t.power = Kilowatts(150);
  t.soc_pct = 50;
  t.max_charge = Kilowatts(1000);
  t.max_discharge = Kilowatts(1000);
  EXPECT_FALSE(CheckPlausible(t, b));
  t.max_discharge = Kilowatts(1201);
  EXPECT_TRUE(CheckPlausible(t, b));
}

TEST(PlausibilityTest, EachReportedValueIsChecked) {
  const Site site = testing::LoopTestSite("check");
  const PlausibleBounds ess = BoundsOf(site, DeviceKind::kBattery);
  Telemetry t;
  t.power = Kilowatts(100);
  t.soc_pct = 50;
  t.rated_power = Kilowatts(200);
  EXPECT_FALSE(CheckPlausible(t, ess));
  t.power = Kilowatts(241);
  ASSERT_TRUE(CheckPlausible(t, ess));
  EXPECT_EQ(*CheckPlausible(t, ess),
            "power 241 kW is outside -240..240 kW (1.2 x ESS rating (charge 200 kW, discharge 200 kW))");
  t.power = Kilowatts(std::nan(""));
  EXPECT_TRUE(CheckPlausible(t, ess));
  t.power = Kilowatts(0);
  t.soc_pct = 100.5;
  EXPECT_EQ(*CheckPlausible(t, ess), "state of charge 100.5 % is outside 0..100 %");
  t.soc_pct = 0;
  t.max_charge = Kilowatts(-1);
  EXPECT_NE(CheckPlausible(t, ess)->find("max charge -1 kW is outside 0..240 kW"), std::string::npos);
  t.max_charge.reset();
  t.rated_power = Kilowatts(1e9);
  EXPECT_NE(CheckPlausible(t, ess)->find("rated power 1e+09 kW is outside 0..240 kW"), std::string::npos);
}

}  // namespace
}  // namespace meg
