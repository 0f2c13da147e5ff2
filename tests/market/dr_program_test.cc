// CommitmentsOf and SettleDrCall (market/dr_program.h) on a synthetic meter, with hand-checked
// CBLs (별표28) and prices (별표26). The DR calls of a whole backtest are in tests/sim/backtest_dr_test.cc.
#include "market/dr_program.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

// CommitmentsOf on a synthetic meter: 100 kW at every quarter-hour of July 2024, except on Wednesday
// 07-31 (the event day) 40 kW from 10:00 to 12:00, when a first call held the load down.
class DrCommitmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calendar_ = testing::LoadSharedCalendar();
    const Timestamp start = FromKst(testing::Ymd(2024, 7, 1));
    std::vector<std::optional<Kilowatts>> v;
    for (int i = 0; i < 31 * 96; ++i) {
      const KstDateTime k = ToKst(start + kInterval * i);
      const bool curtailed = k.date == testing::Ymd(2024, 7, 31) && k.minute_of_day >= 600 && k.minute_of_day < 720;
      v.push_back(Kilowatts(curtailed ? 40.0 : 100.0));
    }
    metered_ = PowerSeries(start, kInterval, std::move(v));
    program_.cbl.method = CblMethod::kMid6of10;
    program_.cbl.saa = true;
    program_.smp = WonPerKwh::FromMilliWon(125'400);
    program_.mgp = WonPerKwh::FromMilliWon(300'000);
    program_.shortfall_krw_per_kwh = 0;  // the floor below is the extra price
  }
  static DrCall Call(DrCallKind kind, int issued_min, int start_min, int end_min, double kw) {
    const Date d = testing::Ymd(2024, 7, 31);
    return DrCall{kind, "site", FromKst(d, issued_min), FromKst(d, start_min), FromKst(d, end_min), Kilowatts(kw)};
  }
  HolidayCalendar calendar_;
  PowerSeries metered_;
  DrProgram program_;
};

// 별표28 3.2.5: a second call of the day takes the first call's SAA. The first call (10:00-12:00)
// has SAA over 06:00-09:00: 100 - 100 = 0 kWh/h. The second (15:00-16:00, 30 kW) would, by itself,
// take 11:00-14:00: (40 + 100 + 100) / 3 - 100 = -20 kWh/h, a CBL of 80. With the first call's
// SAA its CBL is 100 kWh, so the cap is 100 - 30 = 70 kW (not 50). A reliability call's extra
// reduction is worth MGP (300), and the shortfall never less than that.
TEST_F(DrCommitmentsTest, SecondCallOfTheDayUsesTheFirstCallsSaa) {
  program_.calls = {Call(DrCallKind::kReliability, 9 * 60, 10 * 60, 12 * 60, 30),
                    Call(DrCallKind::kReliability, 14 * 60, 15 * 60, 16 * 60, 30)};
  auto c = CommitmentsOf(program_.calls[1], program_, metered_, FromKst(testing::Ymd(2024, 7, 31), 14 * 60), calendar_);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->size(), 1u);
  EXPECT_NEAR(c->front().import_cap.value(), 70.0, 1e-9);
  EXPECT_NEAR(c->front().extra_cap.value(), 6.0, 1e-9);
  EXPECT_DOUBLE_EQ(c->front().extra_krw_per_kwh, 300.0);
  EXPECT_DOUBLE_EQ(c->front().shortfall_krw_per_kwh, 300.0);
  // Alone (no first call that day) the same hour takes its own SAA: cap 80 - 30 = 50 kW.
  program_.calls = {program_.calls[1]};
  auto alone =
      CommitmentsOf(program_.calls[0], program_, metered_, FromKst(testing::Ymd(2024, 7, 31), 14 * 60), calendar_);
  ASSERT_TRUE(alone) << alone.error().message;
  EXPECT_NEAR(alone->front().import_cap.value(), 50.0, 1e-9);
}

// Economic DR: any whole hours (a 6 h call gets a CBL per hour), nothing paid beyond the plan
// (별표26 Ⅰ.1 가: SLR = Min{Max(SR, 0), SSR}), and a shortfall costs at least the lost SMP plus
// the penalty SMP x PPCF (1): 2 x 125.4 = 250.8 KRW/kWh. The bid day (07-30, the issue) is not a
// reference day (별표28 3.3). A test call is paid at SMP (DRTF = 1).
TEST_F(DrCommitmentsTest, EconomicAndTestCallsArePricedByTheirOwnRules) {
  const Date bid_day = testing::Ymd(2024, 7, 30);
  DrCall economic{DrCallKind::kEconomic,
                  "site",
                  FromKst(bid_day, 11 * 60),
                  FromKst(testing::Ymd(2024, 7, 31), 10 * 60),
                  FromKst(testing::Ymd(2024, 7, 31), 16 * 60),
                  Kilowatts(20)};
  program_.cbl.saa = false;
  program_.calls = {economic};
  auto c = CommitmentsOf(economic, program_, metered_, FromKst(bid_day, 11 * 60), calendar_);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->size(), 6u);
  EXPECT_NEAR(c->front().import_cap.value(), 80.0, 1e-9);  // CBL 100 - 20
  EXPECT_DOUBLE_EQ(c->front().extra_cap.value(), 0.0);
  EXPECT_NEAR(c->front().shortfall_krw_per_kwh, 250.8, 1e-9);
  auto settled = SettleDrCall(economic, program_, metered_, calendar_);
  ASSERT_TRUE(settled) << settled.error().message;
  EXPECT_EQ(std::find(settled->cbl.reference_days.begin(), settled->cbl.reference_days.end(), bid_day),
            settled->cbl.reference_days.end());
  const DrCall test = Call(DrCallKind::kTest, 9 * 60, 14 * 60, 16 * 60, 30);
  program_.calls = {test};
  auto t = CommitmentsOf(test, program_, metered_, FromKst(testing::Ymd(2024, 7, 31), 9 * 60), calendar_);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_NEAR(t->front().extra_krw_per_kwh, 125.4, 1e-9);
}

}  // namespace
}  // namespace meg
