// Rule controllers as tables of cycles: inputs -> setpoints (before SafetyLimits).
#include "control/rule_controllers.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace meg {
namespace {

SiteImage At(const char* kst, double load, double pv, Band band, bool counts, double soc = 50) {
  SiteImage i;
  i.start = *ParseIso8601(kst);
  i.load = Kilowatts(load);
  i.pv_available = Kilowatts(pv);
  i.has_battery = true;
  i.soc_pct = soc;
  i.battery_max_discharge = Kilowatts(500);
  i.battery_max_charge = Kilowatts(400);
  i.battery_discharge_rating = Kilowatts(500);
  i.battery_deliverable_full = KilowattHours(800);
  i.band = band;
  i.demand_counts = counts;
  i.contract_power = Kilowatts(2000);
  return i;
}

TEST(NoBatteryTest, NeverMovesTheBattery) {
  NoBattery c;
  const auto s = c.Decide(At("2024-08-12T14:00:00+09:00", 1500, 100, Band::kPeak, true));
  EXPECT_DOUBLE_EQ(s.battery.value(), 0);
  EXPECT_LT(s.pv_limit.value(), 0);
}

TEST(PeakShaveTest, ConfiguredThresholdTableOfCycles) {
  PeakShave c(PeakShaveConfig{Kilowatts(1200), 90});
  struct Row {
    const char* what;
    SiteImage image;
    double battery;
  };
  SiteImage ratchet = At("2024-08-12T16:00:00+09:00", 1500, 0, Band::kPeak, true);
  ratchet.ratchet = Kilowatts(1400);
  SiteImage month = At("2024-08-12T16:15:00+09:00", 1500, 0, Band::kPeak, true);
  month.month_peak = Kilowatts(1450);
  const Row rows[] = {
      {"off-peak: charge at full power", At("2024-08-12T02:00:00+09:00", 600, 0, Band::kOffPeak, false), -400},
      {"off-peak, full: idle", At("2024-08-12T02:15:00+09:00", 600, 0, Band::kOffPeak, false, 90), 0},
      {"peak above threshold: shave the excess", At("2024-08-12T14:00:00+09:00", 1500, 100, Band::kPeak, true), 200},
      {"mid above threshold: shave too (demand counts)", At("2024-08-12T09:00:00+09:00", 1300, 0, Band::kMid, true), 100},
      {"peak below threshold: idle", At("2024-08-12T15:00:00+09:00", 1100, 0, Band::kPeak, true), 0},
      {"holiday peak hours do not count: idle", At("2024-08-15T14:00:00+09:00", 1500, 0, Band::kOffPeak, false, 90), 0},
      {"ratchet already locked at 1,400: shave only above it", ratchet, 100},
      {"month peak already 1,450: shave only above it", month, 50},
  };
  for (const Row& r : rows) {
    EXPECT_DOUBLE_EQ(c.Decide(r.image).battery.value(), r.battery) << r.what;
  }
}

// The adaptive plan: after a whole day whose counted demand was 1,000 kW with two hours at
// 1,400 kW, a 500 kW / 800 kWh (x 0.9 = 720 kWh) battery can hold 1,400 - 720/2 = 1,040 kW
// (2 h x 360 kW = 720 kWh). Before that day it does not shave.
TEST(PeakShaveTest, AdaptivePlanFromYesterday) {
  PeakShave c(PeakShaveConfig{});
  auto day = [&](const char* date, bool expect_shave) {
    for (int slot = 0; slot < kIntervalsPerDay; ++slot) {
      const int minute = slot * 15;
      const std::string ts = fmt::format("{}T{:02d}:{:02d}:00+09:00", date, minute / 60, minute % 60);
      const bool counts = minute >= 8 * 60 && minute < 22 * 60;
      const double load = (minute >= 14 * 60 && minute < 16 * 60) ? 1400 : (counts ? 1000 : 500);
      const auto s = c.Decide(At(ts.c_str(), load, 0, counts ? Band::kMid : Band::kOffPeak, counts));
      if (minute == 14 * 60) {
        if (expect_shave) {
          EXPECT_NEAR(s.battery.value(), 1400 - 1040, 0.01) << date;
        } else {
          EXPECT_DOUBLE_EQ(s.battery.value(), 0) << date;
        }
      }
    }
  };
  day("2024-08-12", false);
  day("2024-08-13", true);
}

}  // namespace
}  // namespace meg
