// DR calls in the year backtest on the shipped Jeonju hospital: a reliability call reaches the
// controller only at its issue time, the controller holds the import at the CBL less the request
// as far as the battery can, and the call is settled on the metered import with the CBL of
// 별표28 1.2 (Mid(6/10)), recomputed here by hand from the run's own meter.
#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "control/rule_controllers.h"
#include "market/dr_program.h"
#include "sim/backtest.h"
#include "sim/shipped_hospital.h"
#include "sim/site_inputs.h"

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
    program_ = testing::JeonjuAugustCall();
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
    const bool battery_spent =
        s.soc_pct <= site_.ess->soc_min_pct + 1.0 || s.battery_kw >= site_.ess->discharge_kw.value() - 1e-6;
    EXPECT_TRUE(s.grid_kw <= cap + 1e-3 || battery_spent) << i << ": grid " << s.grid_kw << " cap " << cap;
    held += !battery_spent && s.grid_kw <= cap + 1e-3 ? 1 : 0;
  }
  EXPECT_GT(held, 0);
  // The hand CBL above assumes no abnormal day among the lookback (a hospital runs every weekday).
  for (const ReferenceDayNote& n : o.cbl.excluded) EXPECT_NE(n.reason, DayExclusion::kAbnormal) << FormatDate(n.date);
  // ... and reduced more than the same controller without the call.
  auto plain_settled = SettleDrCall(call, program_, plain->grid, calendar_);
  ASSERT_TRUE(plain_settled);
  EXPECT_GT(o.settlement.measured.value(), plain_settled->settlement.measured.value() + 100);
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
