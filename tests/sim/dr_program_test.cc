// DR calls in the year backtest on the shipped Jeonju hospital: a reliability call reaches the
// controller only at its issue time, the controller holds the import at the CBL less the request
// as far as the battery can, and the call is settled on the metered import with the CBL of
// 별표28 1.2 (Mid(6/10)), recomputed here by hand from the run's own meter.
#include "sim/dr_program.h"

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "control/rule_controllers.h"
#include "sim/backtest.h"
#include "sim/site_inputs.h"
#include "sim/shipped_hospital.h"

namespace meg {
namespace {

class DrProgramTest : public testing::ShippedHospitalTest {
 protected:
  void SetUp() override {
    ShippedHospitalTest::SetUp();
    // 2024-07-01 .. 2024-08-31: enough weekdays before the call for Mid(6/10)'s 10 reference days.
    const Timestamp from = FromKst(testing::Ymd(2024, 7, 1)), to = FromKst(testing::Ymd(2024, 9, 1));
    load_ = inputs_.load.Slice(from, to);
    pv_ = inputs_.pv.Slice(from, to);
    DrCall call;
    call.kind = DrCallKind::kReliability;
    call.resource_id = "site";
    call.issued = FromKst(testing::Ymd(2024, 8, 12), 13 * 60);
    call.start = FromKst(testing::Ymd(2024, 8, 12), 14 * 60);
    call.end = FromKst(testing::Ymd(2024, 8, 12), 16 * 60);
    call.requested = Kilowatts(200);
    program_.calls = {call};
    program_.cbl.method = CblMethod::kMid6of10;
    program_.smp = WonPerKwh::FromMilliWon(125'400);
    program_.shortfall_krw_per_kwh = 1000;
  }

  BacktestRequest Request(const DrProgram* dr) {
    BacktestRequest r = ShippedHospitalTest::Request(load_, pv_);
    r.dr = dr;
    return r;
  }

  PowerSeries load_, pv_;
  DrProgram program_;
};

TEST_F(DrProgramTest, PeakShaveAnswersAReliabilityCallAndIsSettledOnTheMeter) {
  PeakShave plain_controller{PeakShaveConfig{}}, dr_controller{PeakShaveConfig{}};
  auto plain = RunBacktest(Request(nullptr), plain_controller);
  auto with = RunBacktest(Request(&program_), dr_controller);
  ASSERT_TRUE(plain && with) << (plain ? with.error().message : plain.error().message);
  ASSERT_TRUE(with->dr_notes.empty()) << with->dr_notes.front();
  ASSERT_EQ(with->dr.size(), 1u);
  const DrCall& call = program_.calls.front();

  // No look-ahead: every step before the issue time is the same with and without the call.
  const size_t issued = *load_.IndexOf(call.issued);
  for (size_t i = 0; i < issued; ++i) ASSERT_EQ(plain->steps[i].battery_kw, with->steps[i].battery_kw) << i;

  // The CBL by hand: Mid(6/10) of 별표28 1.2 on the run's own meter. The 10 weekdays before
  // Monday 2024-08-12 (no holiday between): 07-29 .. 08-02 and 08-05 .. 08-09. For each trading
  // hour, rank the days by the hour's kWh, drop the top 2 and bottom 2, average the middle 6.
  std::vector<Date> days;
  for (int d = 29; d <= 31; ++d) days.push_back(testing::Ymd(2024, 7, static_cast<unsigned>(d)));
  for (int d : {1, 2, 5, 6, 7, 8, 9}) days.push_back(testing::Ymd(2024, 8, static_cast<unsigned>(d)));
  const auto hour_kwh = [&](const PowerSeries& grid, Date day, int hour) {
    double kwh = 0;
    for (int q = 0; q < 4; ++q) kwh += grid.at(*grid.IndexOf(FromKst(day, hour * 60 + q * 15)))->value() * 0.25;
    return kwh;
  };
  const DrCallOutcome& o = with->dr.front();
  ASSERT_EQ(o.cbl.hours.size(), 2u);
  ASSERT_EQ(o.settlement.hours.size(), 2u);
  for (int h = 0; h < 2; ++h) {
    std::vector<double> kwh;
    for (Date d : days) kwh.push_back(hour_kwh(with->grid, d, 14 + h));
    std::sort(kwh.begin(), kwh.end());
    double cbl = 0;
    for (size_t k = 2; k < 8; ++k) cbl += kwh[k] / 6;
    EXPECT_NEAR(o.cbl.hours[static_cast<size_t>(h)].baseline.value(), cbl, 1e-6) << h;
    const double metered = hour_kwh(with->grid, testing::Ymd(2024, 8, 12), 14 + h);
    EXPECT_NEAR(o.settlement.hours[static_cast<size_t>(h)].measured.value(), cbl - metered, 1e-3) << h;
    EXPECT_NEAR(o.settlement.hours[static_cast<size_t>(h)].requested.value(), 200.0, 1e-9);
  }

  // The controller held the import at CBL - 200 kW wherever the battery could still discharge,
  // and the battery did that work (it was not spent) in at least one interval.
  const size_t start = *load_.IndexOf(call.start);
  int held = 0;
  for (size_t i = start; i < start + 8; ++i) {
    const StepRecord& s = with->steps[i];
    const double cap = o.cbl.hours[(i - start) / 4].baseline.value() - 200;  // kWh per hour = mean kW
    const bool battery_spent = s.soc_pct <= site_.ess->soc_min_pct + 1.0 ||
                               s.battery_kw >= site_.ess->discharge_kw.value() - 1e-6;
    EXPECT_TRUE(s.grid_kw <= cap + 1e-3 || battery_spent) << i << ": grid " << s.grid_kw << " cap " << cap;
    held += !battery_spent && s.grid_kw <= cap + 1e-3 ? 1 : 0;
  }
  EXPECT_GT(held, 0);
  // The hand CBL above assumes no abnormal day among the lookback (a hospital runs every weekday).
  for (const ReferenceDayNote& n : o.cbl.excluded) EXPECT_NE(n.reason, DayExclusion::kAbnormal) << FormatDate(n.date);
  // ... and reduced more than the same controller without the call.
  DrProgram ignored = program_;
  auto plain_settled = SettleDrProgram(ignored, plain->grid, calendar_);
  ASSERT_TRUE(plain_settled);
  EXPECT_GT(o.settlement.measured.value(), plain_settled->front().settlement.measured.value() + 100);
}

// A call on a meter without history: no commitments at issue (noted), and the settlement counts
// the reduction as 0 (제12.5.2.3조 ④); the run goes on.
TEST_F(DrProgramTest, CallWithoutHistoryIsNotedNotFatal) {
  const Timestamp from = FromKst(testing::Ymd(2024, 8, 12)), to = FromKst(testing::Ymd(2024, 8, 13));
  const PowerSeries load = inputs_.load.Slice(from, to), pv = inputs_.pv.Slice(from, to);
  BacktestRequest r = Request(&program_);
  r.load = &load;
  r.pv = &pv;
  PeakShave controller{PeakShaveConfig{}};
  auto run = RunBacktest(r, controller);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->dr_notes.size(), 1u);
  EXPECT_NE(run->dr_notes.front().find("no CBL at issue"), std::string::npos);
  ASSERT_EQ(run->dr.size(), 1u);
  EXPECT_EQ(run->dr.front().settlement.measured.value(), 0.0);
  EXPECT_EQ(run->dr.front().settlement.energy_payment.value(), 0);
}

}  // namespace
}  // namespace meg

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
  auto alone = CommitmentsOf(program_.calls[0], program_, metered_, FromKst(testing::Ymd(2024, 7, 31), 14 * 60), calendar_);
  ASSERT_TRUE(alone) << alone.error().message;
  EXPECT_NEAR(alone->front().import_cap.value(), 50.0, 1e-9);
}

// Economic DR: any whole hours (a 6 h call gets a CBL per hour), nothing paid beyond the plan
// (별표26 Ⅰ.1 가: SLR = Min{Max(SR, 0), SSR}), and a shortfall costs at least the lost SMP plus
// the penalty SMP x PPCF (1): 2 x 125.4 = 250.8 KRW/kWh. The bid day (07-30, the issue) is not a
// reference day (별표28 3.3). A test call is paid at SMP (DRTF = 1).
TEST_F(DrCommitmentsTest, EconomicAndTestCallsArePricedByTheirOwnRules) {
  const Date bid_day = testing::Ymd(2024, 7, 30);
  DrCall economic{DrCallKind::kEconomic, "site", FromKst(bid_day, 11 * 60), FromKst(testing::Ymd(2024, 7, 31), 10 * 60),
                  FromKst(testing::Ymd(2024, 7, 31), 16 * 60), Kilowatts(20)};
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
