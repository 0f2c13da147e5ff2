// SafetyLimits as a table of cycles: image + wish -> what the site does.
#include "control/limits.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

SiteImage Image(double load, double pv, double max_dis, double max_ch, bool export_allowed = false,
                double export_limit = 0) {
  SiteImage i;
  i.load = Kilowatts(load);
  i.pv_available = Kilowatts(pv);
  i.has_battery = true;
  i.battery_max_discharge = Kilowatts(max_dis);
  i.battery_max_charge = Kilowatts(max_ch);
  i.contract_power = Kilowatts(1000);
  i.export_allowed = export_allowed;
  i.export_limit = Kilowatts(export_limit);
  return i;
}

TEST(SafetyLimitsTest, TableOfCycles) {
  struct Row {
    const char* what;
    SiteImage image;
    double wish_battery, wish_pv_limit;
    double battery, pv_used, grid;
  };
  const Row rows[] = {
      {"within limits", Image(800, 100, 300, 300), 200, -1, 200, 100, 500},
      {"battery rating", Image(800, 100, 300, 300), 500, -1, 300, 100, 400},
      {"charge rating", Image(500, 0, 300, 250), -400, -1, -250, 0, 750},
      {"charge under contract", Image(900, 0, 300, 300), -300, -1, -100, 0, 1000},
      {"no charging over contract", Image(1100, 0, 300, 300), -300, -1, 0, 0, 1100},
      {"no export: discharge cut", Image(300, 200, 300, 300), 250, -1, 100, 200, 0},
      {"no export: PV curtailed", Image(100, 300, 300, 0), 0, -1, 0, 100, 0},
      {"export allowed to its limit", Image(100, 300, 300, 0, true, 50), 0, -1, 0, 150, -50},
      {"controller curtails PV", Image(500, 300, 300, 300), 0, 100, 0, 100, 400},
  };
  for (const Row& r : rows) {
    const auto out = ApplySafetyLimits(r.image, Setpoints{Kilowatts(r.wish_battery), Kilowatts(r.wish_pv_limit)});
    EXPECT_DOUBLE_EQ(out.battery.value(), r.battery) << r.what;
    EXPECT_DOUBLE_EQ(out.pv_used.value(), r.pv_used) << r.what;
    EXPECT_DOUBLE_EQ(out.grid.value(), r.grid) << r.what;
    EXPECT_DOUBLE_EQ(out.grid.value(), r.image.load.value() - out.pv_used.value() - out.battery.value()) << r.what;
  }
}

TEST(SafetyLimitsTest, NoBatteryMeansNoBatteryPower) {
  SiteImage i = Image(500, 0, 300, 300);
  i.has_battery = false;
  const auto out = ApplySafetyLimits(i, Setpoints{Kilowatts(200), Kilowatts(-1)});
  EXPECT_DOUBLE_EQ(out.battery.value(), 0);
  EXPECT_TRUE(out.clamped);
}

}  // namespace
}  // namespace meg
