// MakeSiteImage: the one builder of the planner's and the limit stage's view, checked field by
// field against hand arithmetic on the Jeonju hospital's ESS (1,000 kWh, 500/500 kW, 96 %/96 %,
// SoC 10-80 %, ramp 100 kW/min).
#include "control/site_image.h"

#include <gtest/gtest.h>

#include "core/jeonju_ess.h"

namespace meg {
namespace {

Site Hospital() {
  Site s;
  s.contract_power = Kilowatts(1700);
  s.ess = testing::JeonjuHospitalEss();
  s.grid.export_allowed = true;
  s.grid.export_limit_kw = Kilowatts(50);
  return s;
}

TEST(SiteImageTest, BatteryLimitsBandsPeaksAndCommitments) {
  const Site site = Hospital();
  const Timestamp start = FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60);  // slot 56
  SiteReading r;
  r.start = start;
  r.dt = Hours(0.25);
  r.load = Kilowatts(1200);
  r.pv_available = Kilowatts(150);
  r.battery = BatteryReading{15.0, Kilowatts(40), Kilowatts(600), Kilowatts(120)};
  DayProfile day;
  day.energy_band[56] = Band::kPeak;
  day.demand_counts[56] = true;
  DemandMeter demand;
  demand.Add(ToInstant(start) - std::chrono::minutes(15), Kilowatts(1300), true);
  demand.Add(ToInstant(start), Kilowatts(1300), true);
  const std::vector<DrCommitment> dr{{start, start, start + std::chrono::hours(1), Kilowatts(900), Kilowatts(0), 0, 0}};

  const SiteImage i = MakeSiteImage(site, r, &day, &demand, dr);
  EXPECT_EQ(i.start, start);
  EXPECT_TRUE(i.has_battery);
  // 15 % of 1,000 kWh = 150 kWh: (150 - 100) x 0.96 / 0.25 h = 192 kW; the devices allow 600.
  EXPECT_NEAR(i.battery_max_discharge.value(), 192.0, 1e-9);
  // Room 800 - 150 = 650 kWh / 0.96 / 0.25 h > the 500 kW rating; the devices allow only 120.
  EXPECT_NEAR(i.battery_max_charge.value(), 120.0, 1e-9);
  EXPECT_NEAR(i.battery_deliverable_full.value(), 672.0, 1e-9);  // (800 - 100) x 0.96
  EXPECT_EQ(i.battery_previous.value(), 40.0);
  EXPECT_NEAR(i.battery_ramp_step.value(), 1500.0, 1e-9);  // 100 kW/min x 15 min
  EXPECT_EQ(i.band, Band::kPeak);
  EXPECT_TRUE(i.demand_counts);
  EXPECT_NEAR(i.month_peak.value(), 1300.0, 1e-9);
  EXPECT_EQ(i.contract_power.value(), 1700.0);
  EXPECT_TRUE(i.export_allowed);
  EXPECT_EQ(i.export_limit.value(), 50.0);
  ASSERT_EQ(i.dr.size(), 1u);
  EXPECT_EQ(i.dr.front().import_cap.value(), 900.0);

  // Without a battery reading (none in use), without a day or a meter: no battery, off-peak,
  // not counted, no peaks.
  r.battery.reset();
  const SiteImage bare = MakeSiteImage(site, r, nullptr, nullptr, {});
  EXPECT_FALSE(bare.has_battery);
  EXPECT_EQ(bare.band, Band::kOffPeak);
  EXPECT_FALSE(bare.demand_counts);
  EXPECT_EQ(bare.month_peak.value(), 0.0);
}

}  // namespace
}  // namespace meg
