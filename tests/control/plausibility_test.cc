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
