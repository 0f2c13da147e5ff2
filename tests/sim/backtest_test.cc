// The year backtest on real load: energy balance every interval, physical limits on every
// path, and the battery's energy account over the year.
#include "sim/backtest.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "control/rule_controllers.h"
#include "io/doe_hospital.h"
#include "io/text_file.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

class BacktestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    book_ = testing::LoadShippedBook();
    calendar_ = testing::LoadSharedCalendar();
    const std::string doe = std::string(MEG_TEST_SHARED_DIR) + "/data/load/doe_ref_hospital_4A_baltimore.csv";
    auto parsed = ParseDoeHospitalCsv(ReadTextFile(doe).value(), doe);
    ASSERT_TRUE(parsed) << parsed.error().message;
    load_ = DoeHospitalOnYear(*parsed, 2024, calendar_).value();
    // A clear-sky-like PV shape, 06-18 KST, 400 kW at noon: the backtest's bookkeeping does not
    // depend on how PV was computed.
    std::vector<std::optional<Kilowatts>> pv;
    for (size_t i = 0; i < load_.size(); ++i) {
      const double h = ToKst(load_.TimeAt(i)).minute_of_day / 60.0 + 0.125;
      pv.emplace_back(Kilowatts(h > 6 && h < 18 ? 400.0 * std::sin((h - 6) / 12 * M_PI) : 0.0));
    }
    pv_ = PowerSeries(load_.start(), kInterval, std::move(pv));
    site_.name = "test hospital";
    site_.contract_power = Kilowatts(1800);
    EssSpec ess;
    ess.usable_kwh = KilowattHours(1000);
    ess.charge_kw = Kilowatts(500);
    ess.discharge_kw = Kilowatts(500);
    ess.charge_efficiency_pct = 95;
    ess.discharge_efficiency_pct = 96;
    ess.soc_min_pct = 10;
    ess.soc_max_pct = 80;
    ess.soc_initial_pct = 45;
    ess.ramp_kw_per_min = 100;
    ess.degradation_cost = WonPerKwh::FromDecimal("30").value();
    site_.ess = ess;
    tariff_ = book_.FindTariff("일반용(을) 고압A 선택III").value();
  }

  BacktestRequest Request(bool with_pv = true) {
    BacktestRequest r;
    r.book = &book_;
    r.calendar = &calendar_;
    r.tariff = tariff_;
    r.site = &site_;
    r.load = &load_;
    r.pv = with_pv ? &pv_ : nullptr;
    return r;
  }

  TariffBook book_;
  HolidayCalendar calendar_;
  PowerSeries load_, pv_;
  Site site_;
  TariffId tariff_;
};

TEST_F(BacktestTest, EnergyBalanceAndLimitsHoldEveryInterval) {
  PeakShave controller(PeakShaveConfig{});
  auto run = RunBacktest(Request(), controller);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->steps.size(), 35'136u);  // 2024 is a leap year: 366 x 96
  double stored = 1000 * 0.45;            // kWh in the cells at the start
  double charged = 0, discharged = 0;
  for (size_t i = 0; i < run->steps.size(); ++i) {
    const StepRecord& s = run->steps[i];
    const double import_kw = std::max(0.0f, s.grid_kw), export_kw = std::max(0.0f, -s.grid_kw);
    const double curtail = s.pv_available_kw - s.pv_used_kw;
    const double dis = std::max(0.0f, s.battery_kw), ch = std::max(0.0f, -s.battery_kw);
    // load = grid import - export + PV - curtailment + discharge - charge
    ASSERT_NEAR(s.load_kw, import_kw - export_kw + s.pv_available_kw - curtail + dis - ch, 1e-3) << i;
    ASSERT_GE(curtail, -1e-6) << i;
    ASSERT_LE(s.battery_kw, 500 + 1e-6) << i;
    ASSERT_GE(s.battery_kw, -500 - 1e-6) << i;
    ASSERT_GE(s.soc_pct, 10 - 1e-6) << i;
    ASSERT_LE(s.soc_pct, 80 + 1e-6) << i;
    ASSERT_LE(export_kw, 1e-6) << i;  // export not allowed
    if (s.battery_kw < 0) {
      ASSERT_LE(s.grid_kw, 1800 + 1e-3) << i;  // charging never lifts import over contract
    }
    if (i > 0) {  // ramp: 100 kW/min x 15 min
      ASSERT_LE(std::fabs(s.battery_kw - run->steps[i - 1].battery_kw), 1500 + 1e-3) << i;
    }
    stored += ch * 0.25 * 0.95 - dis * 0.25 / 0.96;
    charged += ch * 0.25;
    discharged += dis * 0.25;
    ASSERT_NEAR(stored / 10.0, s.soc_pct, 1e-3) << i;  // 1,000 kWh: 10 kWh per %
  }
  EXPECT_NEAR(run->charged.value(), charged, 1e-3);
  EXPECT_NEAR(run->discharged.value(), discharged, 1e-3);
  EXPECT_GT(run->discharged.value(), 0);  // it did work
  EXPECT_EQ(run->bills.size(), 12u);
}

// With no PV and no battery, the backtest's bills are exactly `meg bill` on the load.
// A planner that always wishes 900 kW of discharge and says why.
class OverWisher final : public Controller {
 public:
  OverWisher() {
    reason_.code = DecisionCode::kDischargePrice;
    reason_.battery_kw = 900;
  }
  std::string_view name() const override { return "over-wisher"; }
  Setpoints Decide(const SiteImage&) override { return {Kilowatts(900), Kilowatts(-1)}; }
  const DecisionReason* reason() const override { return &reason_; }

 private:
  DecisionReason reason_;
};

// Each step keeps the planner's reason and the limit that clipped it: the loop's first cycles are
// in safe mode (nothing trusted yet: no schedule followed, the battery at 0 kW); then the 500 kW rating (and, once
// the battery is at its SoC floor, what its energy allows) clips the 900 kW wish.
TEST_F(BacktestTest, StepsKeepThePlannersReasonAndTheLimitThatClippedIt) {
  const Timestamp from = FromKst(testing::Ymd(2024, 3, 4)), to = FromKst(testing::Ymd(2024, 3, 6));
  const PowerSeries load = load_.Slice(from, to), pv = pv_.Slice(from, to);
  BacktestRequest r = Request();
  r.load = &load;
  r.pv = &pv;
  OverWisher planner;
  auto run = RunBacktest(r, planner);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->steps.size(), 2u * 96);
  // The safe-mode cycles follow no schedule: nothing is wished, so no limit clipped anything.
  EXPECT_EQ(run->steps[0].reason.limit, LimitStage::kNone);
  EXPECT_NEAR(run->steps[0].battery_kw, 0, 1e-3);
  int clipped_by_rating = 0;
  for (size_t i = 0; i < run->steps.size(); ++i) {
    const DecisionReason& why = run->steps[i].reason;
    EXPECT_EQ(why.code, DecisionCode::kDischargePrice) << i;
    if (why.limit == LimitStage::kNone) {  // the safe-mode start only
      EXPECT_LT(i, 5u);
      EXPECT_NEAR(run->steps[i].battery_kw, 0, 1e-3) << i;
      continue;
    }
    EXPECT_EQ(why.limit, LimitStage::kBattery) << i;
    EXPECT_LE(why.limited_kw, 500 + 1e-3) << i;
    EXPECT_NEAR(why.limited_kw, run->steps[i].battery_kw, 0.5) << i;  // as metered
    clipped_by_rating += std::abs(why.limited_kw - 500) < 1e-3;
  }
  EXPECT_GT(clipped_by_rating, 0);
}

TEST_F(BacktestTest, NoneWithoutPvBillsTheLoadItself) {
  NoBattery none;
  BacktestRequest r = Request(false);
  r.use_battery = false;
  auto run = RunBacktest(r, none);
  ASSERT_TRUE(run) << run.error().message;
  BillRequest b;
  b.tariff = tariff_;
  b.contract_power = site_.contract_power;
  b.usage = &load_;
  DemandHistory history;
  std::vector<Month> months;
  for (unsigned m = 1; m <= 12; ++m) months.push_back(std::chrono::year{2024} / std::chrono::month{m});
  auto direct = BillMonths(book_, calendar_, b, months, history);
  ASSERT_TRUE(direct);
  ASSERT_EQ(run->bills.size(), direct->size());
  for (size_t i = 0; i < direct->size(); ++i) EXPECT_EQ(run->bills[i].total, (*direct)[i].total);
}

// Peak shaving lowers the year's bill against the PV-only baseline, and never raises any
// month's billing demand.
TEST_F(BacktestTest, PeakShaveSavesAgainstTheBaseline) {
  NoBattery none;
  PeakShave shave(PeakShaveConfig{});
  auto base = RunBacktest(Request(), none);
  auto run = RunBacktest(Request(), shave);
  ASSERT_TRUE(base && run);
  std::int64_t base_total = 0, run_total = 0;
  for (size_t i = 0; i < base->bills.size(); ++i) {
    base_total += base->bills[i].total.value();
    run_total += run->bills[i].total.value();
    EXPECT_LE(run->bills[i].billing_demand_kw, base->bills[i].billing_demand_kw) << i;
  }
  EXPECT_LT(run_total, base_total);
}

// A gap in the PV series (a missing inverter reading) produces nothing in that interval and
// stops nothing; a cycle that does not divide 15 minutes is refused with the reason.
TEST_F(BacktestTest, APvGapProducesNothingAndABadCycleIsRefused) {
  std::vector<std::optional<Kilowatts>> values = pv_.values();
  const size_t noon = *pv_.IndexOf(FromKst(std::chrono::year{2024} / 6 / 3, 12 * 60));
  values[noon].reset();
  const PowerSeries gappy(pv_.start(), kInterval, std::move(values));
  NoBattery none;
  BacktestRequest r = Request();
  r.pv = &gappy;
  auto run = RunBacktest(r, none);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->steps[noon].pv_used_kw, 0.0f);
  EXPECT_NEAR(run->steps[noon].grid_kw, run->steps[noon].load_kw, 1e-3);
  EXPECT_GT(run->steps[noon + 1].pv_used_kw, 300.0f);  // 400 kW x sin(~0.51 pi) at 12:15

  r.cycle = Millis(7 * 60 * 1000);
  auto refused = RunBacktest(r, none);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("must divide 15 minutes"), std::string::npos) << refused.error().message;
}

// A site's meter history before the run (meg simulate --history-from): its peaks are the ratchet
// of the first months, for the bill and for the controller alike (supply terms art. 68 ①: the
// largest peak of the demand months among the 11 months before). December 2023 peaked at
// 1,700 kW, above any 2024 January quarter-hour of the load (1,521 kW), so January's billing
// demand is 1,700 kW and the loop's image carries a 1,700 kW ratchet from the first cycle.
TEST_F(BacktestTest, TheMeterHistoryCarriesIntoTheRatchetOfBillAndController) {
  struct SeesRatchet final : Controller {
    std::string_view name() const override { return "sees-ratchet"; }
    Setpoints Decide(const SiteImage& image) override {
      lowest = std::min(lowest, image.ratchet.value());
      return Setpoints{Kilowatts(0), Kilowatts(-1)};
    }
    double lowest = 1e9;
  } controller;
  const PowerSeries january =
      load_.Slice(FromKst(Date{std::chrono::year{2024} / 1 / 1}), FromKst(Date{std::chrono::year{2024} / 2 / 1}));
  DemandHistory history;
  history.Record(MonthDemand{.month = std::chrono::year{2023} / 12, .peak_kw = 1700});
  history.Record(MonthDemand{.month = std::chrono::year{2023} / 11, .peak_kw = 1750});  // not a demand month
  BacktestRequest r = Request(false);
  r.load = &january;
  r.demand_history = &history;
  auto run = RunBacktest(r, controller);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->bills.size(), 1u);
  EXPECT_EQ(run->bills[0].billing_demand_kw, 1700);
  EXPECT_EQ(run->bills[0].billing_demand_month, std::chrono::year{2023} / 12);
  EXPECT_DOUBLE_EQ(controller.lowest, 1700);
  // Without the history the month's own peak sets it.
  r.demand_history = nullptr;
  auto cold = RunBacktest(r, controller);
  ASSERT_TRUE(cold) << cold.error().message;
  EXPECT_LT(cold->bills[0].billing_demand_kw, 1700);
  EXPECT_NE(cold->demand.Find(std::chrono::year{2024} / 1), nullptr);
}

}  // namespace
}  // namespace meg
