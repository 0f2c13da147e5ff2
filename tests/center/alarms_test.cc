// The alarm rules of the live site (center/alarms.h): threshold parsing, the alarms of a cycle,
// the store alarm's transitions, and the board that raises and clears.
#include "center/alarms.h"

#include <gtest/gtest.h>

#include <cmath>

namespace meg {
namespace {

const Instant kT0 = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));

CycleRecord Normal() {
  CycleRecord r;
  r.time = kT0;
  r.mode = LoopMode::kNormal;
  r.grid = Kilowatts(1200);
  r.pv = Kilowatts(100);
  r.battery = Kilowatts(50);
  r.load = Kilowatts(1350);
  r.soc_pct = 40;
  r.window_average = Kilowatts(900);
  r.demand_target = Kilowatts(1000);  // 900 is 90 %: not near
  return r;
}

TEST(ThresholdAlarmTest, ParsesAPointAComparisonAndANumber) {
  auto low = ParseThresholdAlarm("soc_pct<15");
  ASSERT_TRUE(low) << low.error().message;
  EXPECT_EQ(low->point, "soc_pct");
  EXPECT_FALSE(low->above);
  EXPECT_DOUBLE_EQ(low->value, 15);
  EXPECT_EQ(low->text, "soc_pct<15");
  auto high = ParseThresholdAlarm("grid_kw>1600.5");
  ASSERT_TRUE(high) << high.error().message;
  EXPECT_TRUE(high->above);
  EXPECT_DOUBLE_EQ(high->value, 1600.5);
  for (const char* bad :
       {"soc_pct", "<15", "soc_pct<", "soc_pct<15kW", "temperature>30", "grid_kw>nan", "soc_pct=15"}) {
    auto r = ParseThresholdAlarm(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("expected POINT<VALUE or POINT>VALUE"), std::string::npos) << bad;
  }
}

TEST(CycleAlarmsTest, ANormalCycleShowsNone) { EXPECT_TRUE(CycleAlarms(Normal(), {}).empty()); }

// Issue 21 item 6: a loop starts in safe mode until its first good cycles; with good readings
// that is a normal start and raises no critical alarm. A bad reading at start is one.
TEST(CycleAlarmsTest, ANormalStartRaisesNoCriticalAlarm) {
  CycleRecord start = Normal();
  start.mode = LoopMode::kSafe;
  start.reason = std::string(kLoopStartingReason);
  EXPECT_TRUE(CycleAlarms(start, {}).empty());
  start.reason = "telemetry: meter stale";
  EXPECT_EQ(CycleAlarms(start, {}).at("fail-safe").severity, "critical");
}

// Each rule alone: safe mode (critical), local rules, a stale device, and a window above 95 %
// of the target: 960 of 1,000 kW is 96 %; 950 is exactly 95 %, not above.
TEST(CycleAlarmsTest, EachRuleRaisesItsKind) {
  CycleRecord safe = Normal();
  safe.mode = LoopMode::kSafe;
  safe.reason = "meter stale";
  auto a = CycleAlarms(safe, {});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.at("fail-safe").severity, "critical");
  EXPECT_EQ(a.at("fail-safe").message, "safe mode: meter stale");
  EXPECT_EQ(a.at("fail-safe").since, kT0);

  CycleRecord local = Normal();
  local.mode = LoopMode::kLocal;
  local.reason = "schedule stale";
  EXPECT_EQ(CycleAlarms(local, {}).at("local-mode").message, "local rules: schedule stale");

  CycleRecord stale = Normal();
  stale.devices_stale = 2;
  EXPECT_EQ(CycleAlarms(stale, {}).at("stale-data").message, "2 device(s) stale or lost");

  CycleRecord near = Normal();
  near.window_average = Kilowatts(960);
  EXPECT_EQ(CycleAlarms(near, {}).at("demand-near-target").message,
            "15-minute demand 960.0 kW is above 95 % of the target 1000.0 kW");
  near.window_average = Kilowatts(950);
  EXPECT_TRUE(CycleAlarms(near, {}).empty());
  near.window_average = Kilowatts(2000);
  near.demand_target = Kilowatts(0);  // the window does not count: no target
  EXPECT_TRUE(CycleAlarms(near, {}).empty());
}

// Thresholds are strict, per point, and never raised by an unknown value.
TEST(CycleAlarmsTest, ThresholdsAreStrictAndIgnoreUnknownValues) {
  const std::vector<ThresholdAlarm> t = {*ParseThresholdAlarm("grid_kw>1200"), *ParseThresholdAlarm("soc_pct<41"),
                                         *ParseThresholdAlarm("demand_window_kw>899")};
  auto a = CycleAlarms(Normal(), t);  // grid 1,200 is not above 1,200; SoC 40 < 41; window 900 > 899
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a.at("threshold soc_pct<41").message, "soc_pct = 40.00 is below 41");
  EXPECT_EQ(a.at("threshold demand_window_kw>899").message, "demand_window_kw = 900.00 is above 899");
  CycleRecord unknown = Normal();
  unknown.soc_pct = std::nan("");
  unknown.window_average = Kilowatts(0);
  EXPECT_TRUE(CycleAlarms(unknown, t).empty());
}

// The store alarm: the first refusal of a kind is kFailed, repeats are counted (kNone), the first
// success after them kRecovered; the alarm lasts while any kind fails.
TEST(StoreWriteAlarmTest, RaisedWhileAKindOfWriteFailsClearedWhenEachSucceedsAgain) {
  StoreWriteAlarm s;
  using Change = StoreWriteAlarm::Change;
  EXPECT_EQ(s.Record("samples", Ok{}, kT0), Change::kNone);
  EXPECT_FALSE(s.Alarm());
  EXPECT_EQ(s.Record("samples", IoError("disk full"), kT0 + std::chrono::seconds(1)), Change::kFailed);
  EXPECT_EQ(s.Record("samples", IoError("disk still full"), kT0 + std::chrono::seconds(2)), Change::kNone);
  EXPECT_EQ(s.Record("bill", IoError("disk full"), kT0 + std::chrono::seconds(3)), Change::kFailed);
  auto a = s.Alarm();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, "store");
  EXPECT_EQ(a->severity, "critical");
  EXPECT_EQ(a->since, kT0 + std::chrono::seconds(1));
  EXPECT_EQ(a->message,
            "the store refuses writes: bill (once since 2024-08-12T14:00:03+09:00: disk full); "
            "samples (2 times "
            "since 2024-08-12T14:00:01+09:00: disk still full)");
  EXPECT_EQ(s.Record("samples", Ok{}, kT0 + std::chrono::seconds(4)), Change::kRecovered);
  ASSERT_TRUE(s.Alarm());  // the bill still fails
  EXPECT_EQ(s.Alarm()->since, kT0 + std::chrono::seconds(3));
  EXPECT_EQ(s.Record("bill", Ok{}, kT0 + std::chrono::seconds(5)), Change::kRecovered);
  EXPECT_FALSE(s.Alarm());
}

// The board raises new kinds, keeps a raised alarm's time while updating its message, and
// clears the kinds that are gone, stamped with the time they cleared.
TEST(AlarmBoardTest, RaisesKeepsAndClears) {
  AlarmBoard board;
  const Instant t1 = kT0 + std::chrono::seconds(1), t2 = kT0 + std::chrono::seconds(2);
  auto c = board.Update({{"stale-data", {"stale-data", "warning", "1 device(s) stale or lost", kT0}}}, kT0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].raised);
  EXPECT_EQ(c[0].alarm.kind, "stale-data");

  c = board.Update({{"stale-data", {"stale-data", "warning", "2 device(s) stale or lost", t1}},
                    {"fail-safe", {"fail-safe", "critical", "safe mode: meter lost", t1}}},
                   t1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].alarm.kind, "fail-safe");
  auto active = board.Active();
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[1].kind, "stale-data");
  EXPECT_EQ(active[1].message, "2 device(s) stale or lost");
  EXPECT_EQ(active[1].since, kT0);

  c = board.Update({}, t2);
  ASSERT_EQ(c.size(), 2u);
  for (const AlarmChange& x : c) {
    EXPECT_FALSE(x.raised);
    EXPECT_EQ(x.alarm.since, t2);
  }
  EXPECT_TRUE(board.Active().empty());
}

TEST(AlarmEventTest, SeverityFollowsTheAlarmAndClearsAreInfo) {
  const AlarmView a{"fail-safe", "critical", "safe mode: meter lost", kT0};
  Event raised = AlarmEvent({a, true}, "h1");
  EXPECT_EQ(raised, (Event{kT0, "h1", "fail-safe", Severity::kAlarm, "raised: safe mode: meter lost"}));
  EXPECT_EQ(AlarmEvent({{"stale-data", "warning", "x", kT0}, true}, "h1").severity, Severity::kWarning);
  Event cleared = AlarmEvent({a, false}, "h1");
  EXPECT_EQ(cleared.severity, Severity::kInfo);
  EXPECT_EQ(cleared.message, "cleared: safe mode: meter lost");
}

}  // namespace
}  // namespace meg
