// The real-time controllers of the control cycle, each alone, as tables of cycles: a frozen view
// and a wish in, the refined wish out. Expected powers are hand arithmetic, written beside them.
#include "control/cycle_controllers.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "core/time.h"

namespace meg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// 2024-08-12 (a Monday) 14:00 KST, a window start.
Instant At(int minutes_after_14h) {
  return ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60)) + std::chrono::minutes(minutes_after_14h);
}

SiteImage Image(double load_kw) {
  SiteImage i;
  i.load = Kilowatts(load_kw);
  i.has_battery = true;
  i.battery_max_discharge = Kilowatts(500);
  i.battery_max_charge = Kilowatts(500);
  i.contract_power = Kilowatts(1700);
  return i;
}

struct Fixture {
  SiteImage image = Image(1200);
  DemandMeter demand;
  CycleView view;
  CycleRecord record;
  Fixture() {
    view.cycle = Millis(1000);
    view.mode = LoopMode::kNormal;
    view.image = &image;
    view.window_counts = true;
    view.demand = &demand;
  }
};

TEST(ScheduleFollowerTest, HoldsTheScheduleInNormalModeOnly) {
  const ScheduleEntry schedule{At(0), Kilowatts(120), Kilowatts(80), Kilowatts(1000), "planner:test"};
  ScheduleFollower follower;
  for (const LoopMode mode : {LoopMode::kNormal, LoopMode::kLocal, LoopMode::kSafe}) {
    Fixture f;
    f.view.mode = mode;
    f.view.schedule = &schedule;
    Setpoints wish{Kilowatts(0), Kilowatts(-1)};
    follower.Run(f.view, wish, f.record);
    EXPECT_EQ(wish.battery.value(), mode == LoopMode::kNormal ? 120.0 : 0.0) << LoopModeName(mode);
    EXPECT_EQ(wish.pv_limit.value(), mode == LoopMode::kNormal ? 80.0 : -1.0) << LoopModeName(mode);
  }
}

TEST(ManualOverrideTest, HoldsUntilItsEndOutsideSafeMode) {
  struct Row {
    const char* what;
    int minute;
    LoopMode mode;
    double expect;
  };
  const Row rows[] = {
      {"before the end", 5, LoopMode::kLocal, -200},
      {"safe mode ignores it", 6, LoopMode::kSafe, 30},
      {"at the end it is gone", 10, LoopMode::kNormal, 30},
      {"and stays gone", 7, LoopMode::kNormal, 30},
  };
  ManualOverride override_;
  override_.Set(Kilowatts(-200), At(10));
  for (const Row& r : rows) {
    Fixture f;
    f.view.now = At(r.minute);
    f.view.mode = r.mode;
    Setpoints wish{Kilowatts(30), Kilowatts(-1)};
    override_.Run(f.view, wish, f.record);
    EXPECT_EQ(wish.battery.value(), r.expect) << r.what;
  }
  EXPECT_FALSE(override_.battery().has_value());
}

TEST(PeakGuardTest, HoldsTheRunningWindowUnderTheMonthPeak) {
  Fixture f;
  // One closed counted window at 1,000 kW: the month peak. Then the next window opens at 14:15.
  f.demand.Add(At(0), Kilowatts(1000), true);
  f.demand.Add(At(15), Kilowatts(1100), true);
  ASSERT_DOUBLE_EQ(f.demand.month_peak().value(), 1000.0);
  PeakGuard guard(Kilowatts(0), 1.0);
  f.view.now = At(15);
  Setpoints wish{Kilowatts(0), Kilowatts(-1)};
  guard.Run(f.view, wish, f.record);
  // Target 1,000 x 0.99 = 990 kW over a whole window left: discharge 1,200 - 990 = 210 kW.
  EXPECT_NEAR(wish.battery.value(), 210.0, 1e-9);
  EXPECT_NEAR(f.record.demand_target.value(), 990.0, 1e-9);

  // Five minutes at 1,100 kW later: 91.67 kWh used of 990 x 0.25 = 247.5; the last 10 minutes may
  // import (247.5 - 91.667) / (10/60 h) = 935 kW, so 1,200 - 935 = 265 kW of discharge.
  f.demand.Add(At(20), Kilowatts(1100), true);
  f.view.now = At(20);
  wish = {Kilowatts(100), Kilowatts(-1)};
  guard.Run(f.view, wish, f.record);
  EXPECT_NEAR(wish.battery.value(), 265.0, 1e-6);

  // More discharge wished than needed is kept; an uncounted window or safe mode is left alone.
  wish = {Kilowatts(400), Kilowatts(-1)};
  guard.Run(f.view, wish, f.record);
  EXPECT_EQ(wish.battery.value(), 400.0);
  f.view.window_counts = false;
  wish = {Kilowatts(0), Kilowatts(-1)};
  guard.Run(f.view, wish, f.record);
  EXPECT_EQ(wish.battery.value(), 0.0);
  f.view.window_counts = true;
  f.view.mode = LoopMode::kSafe;
  guard.Run(f.view, wish, f.record);
  EXPECT_EQ(wish.battery.value(), 0.0);
}

TEST(PeakGuardTest, ThePlansOwnImportIsHeldWhenHigherAndTheOperatorsTargetWhenSet) {
  Fixture f;
  f.demand.Add(At(0), Kilowatts(1000), true);
  f.demand.Add(At(15), Kilowatts(1100), true);
  f.view.now = At(15);
  const ScheduleEntry plan{At(15), Kilowatts(0), Kilowatts(-1), Kilowatts(1150), "planner:test"};
  f.view.schedule = &plan;
  Setpoints wish{Kilowatts(0), Kilowatts(-1)};
  PeakGuard(Kilowatts(0), 1.0).Run(f.view, wish, f.record);
  EXPECT_NEAR(wish.battery.value(), 50.0, 1e-9);  // 1,200 - 1,150
  f.view.schedule = nullptr;
  wish = {Kilowatts(0), Kilowatts(-1)};
  PeakGuard(Kilowatts(1100), 0.0).Run(f.view, wish, f.record);  // the operator's 1,100 kW, no margin
  EXPECT_NEAR(wish.battery.value(), 100.0, 1e-9);
}

TEST(DrGuardTest, HoldsTheImportAtTheCapWhileTheCallIsInForce) {
  Fixture f;
  f.demand.Add(At(0), Kilowatts(1200), false);
  std::vector<DrCommitment> dr{{FromKst(std::chrono::year{2024} / 8 / 12, 13 * 60), ToTimestamp(At(0)),
                                ToTimestamp(At(60)), Kilowatts(800), Kilowatts(kNaN), 0, 1000}};
  f.view.dr = &dr;
  DrGuard guard;
  f.view.now = At(0);
  Setpoints wish{Kilowatts(0), Kilowatts(-1)};
  guard.Run(f.view, wish, f.record);
  EXPECT_NEAR(wish.battery.value(), 400.0, 1e-9);  // 1,200 - 800
  EXPECT_EQ(f.record.dr_cap.value(), 800.0);
  // After the commitment's end: nothing held.
  Fixture later;
  later.demand.Add(At(60), Kilowatts(1200), false);
  later.view.dr = &dr;
  later.view.now = At(60);
  wish = {Kilowatts(0), Kilowatts(-1)};
  guard.Run(later.view, wish, later.record);
  EXPECT_EQ(wish.battery.value(), 0.0);
}

TEST(ExportLimiterTest, CurtailsPvToWhatTheBatteryReallyTakes) {
  struct Row {
    const char* what;
    double battery_wish, max_charge, expect_pv_limit;
  };
  // Load 100 kW, PV 300 kW, no export: the meter would show -200 kW with the battery idle.
  const Row rows[] = {
      {"battery idle: PV held to the load", 0, 500, 100},
      {"charging 150 kW takes part of the surplus", -150, 500, 250},
      {"a wish beyond the battery's 50 kW counts only the 50 kW", -150, 50, 150},
      {"charging all of it needs no limit", -200, 500, -1},
  };
  for (const Row& r : rows) {
    Fixture f;
    f.image = Image(100);
    f.image.battery_max_charge = Kilowatts(r.max_charge);
    f.view.pv_now = Kilowatts(300);
    f.image.pv_available = Kilowatts(300);
    Setpoints wish{Kilowatts(r.battery_wish), Kilowatts(-1)};
    ExportLimiter().Run(f.view, wish, f.record);
    EXPECT_NEAR(wish.pv_limit.value(), r.expect_pv_limit, 1e-9) << r.what;
  }
}

}  // namespace
}  // namespace meg
