// Decision reasons (control/decision_reason.h, control/explain_plan.h): derived from a small
// hand-built dispatch day solved by the real solver, where the plan follows from hand reasoning,
// and from the planner's guards; rendered as sentences; and the limit stage naming its limit.
#include "control/decision_reason.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "control/explain_plan.h"
#include "control/limits.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "optimize/lossless_site.h"
#include "tariff/tariff_fixture.h"
#include "tariff/tou.h"

namespace meg {
namespace {

// A summer weekday (Tuesday 2024-08-06) of 일반용(을) 고압A 선택II: the load is 1,000 kW all day
// but 1,400 kW from 13:00 to 14:00 (최대부하, demand counts), and the month's standing peak is
// 1,000 kW. The battery (500 kW, 1,000 kWh, no losses, starting empty) is worn at 1,000 KRW per
// kWh of throughput, so that the price spread between bands (about 100 KRW/kWh) never pays for a
// cycle, while a kW of new peak in August costs 12 months of the basic charge (over 100,000 KRW):
// the plan charges the 400 kWh the bump needs where energy is cheapest (경부하, 00:00-08:00; the
// 22:00-24:00 off-peak comes after the bump), discharges 400 kW from 13:00 to 14:00 holding the
// import at the standing 1,000 kW. A reserve of 100 kW on the bump's intervals (a load up to
// 100 kW above the forecast) makes it keep up to 4 x 100 kW x 0.25 h = 100 kWh more stored for
// 13:00-14:00, as far as the 2-hour reserve window reaches the bump.
class DecisionReasonTest : public ::testing::Test {
 protected:
  static constexpr int kBumpFrom = 13 * 4, kBumpTo = 14 * 4;  // intervals of the day

  void SetUp() override {
    book_ = testing::LoadShippedBook();
    calendar_ = testing::LoadSharedCalendar();
    tariff_ = book_.FindTariff("일반용(을) 고압A 선택II").value();
    site_ = testing::LosslessWornSite();
    auto day = ProfileDay(book_, calendar_, tariff_, testing::Ymd(2024, 8, 6));
    ASSERT_TRUE(day) << day.error().message;
    day_ = *day;
  }

  // Solves the day; `reserve_kw` is the load's reserve on the bump's intervals.
  void Solve(double reserve_kw) {
    const Timestamp from = FromKst(testing::Ymd(2024, 8, 6));
    std::vector<std::optional<Kilowatts>> load, pv;
    for (int t = 0; t < 96; ++t) {
      load.push_back(Kilowatts(t >= kBumpFrom && t < kBumpTo ? 1400 : 1000));
      pv.push_back(Kilowatts(0));
    }
    DispatchInput in;
    in.site = &site_;
    in.book = &book_;
    in.calendar = &calendar_;
    in.tariff = tariff_;
    in.load = PowerSeries(from, kInterval, load);
    in.pv = PowerSeries(from, kInterval, pv);
    in.soc_start = KilowattHours(0);
    in.standing_peak = Kilowatts(1000);
    in.months_binding = 12;
    // The energy left at the day's end is worth nothing here, so the plan charges only what the
    // bump needs (the default value would refill the battery at 22:00-24:00 for the next day:
    // DispatchProblemTest.AnIdleBatteryIsRefilledAtTheFirstOfTheCheapestHours).
    in.terminal_krw_per_kwh = 0.0;
    if (reserve_kw > 0) {
      in.peak_reserve_kw.assign(96, 0.0);
      for (int t = kBumpFrom; t < kBumpTo; ++t) in.peak_reserve_kw[static_cast<size_t>(t)] = reserve_kw;
    }
    auto problem = BuildDispatchProblem(in);
    ASSERT_TRUE(problem) << problem.error().message;
    auto report = solver_.Solve(problem->model, {});
    ASSERT_TRUE(report && report->status == SolveStatus::kOptimal);
    plan_ = DecodeSchedule(*problem, *report);
    reserves_ = PlannedReserves(*problem, report->primal, 96);
  }

  // The reason of interval t when the planner followed the plan.
  DecisionReason Explain(size_t t) const {
    const ScheduleInterval& s = plan_.intervals[t];
    DecisionContext c;
    c.band = day_.energy_band[t];
    c.demand_counts = day_.demand_counts[t];
    c.month_peak = Kilowatts(1000);
    c.ratchet = Kilowatts(0);
    c.planned = c.guarded = c.decided = s.discharge - s.charge;
    c.soc_floor = KilowattHours(0);
    return ExplainPlannedInterval(plan_, t, reserves_[t], c);
  }

  // Off-peak intervals in [t, 96) as a rounded % of them: the rank of an off-peak price.
  int OffPeakSharePct(size_t t) const {
    int n = 0;
    for (size_t u = t; u < 96; ++u) n += day_.energy_band[u] == Band::kOffPeak;
    return static_cast<int>(std::lround(100.0 * n / static_cast<double>(96 - t)));
  }

  TariffBook book_;
  HolidayCalendar calendar_;
  TariffId tariff_;
  Site site_;
  DayProfile day_;
  ClpCbcSolver solver_;
  Schedule plan_;
  std::vector<PlannedReserve> reserves_;
};

TEST_F(DecisionReasonTest, TwoBandDayChargesCheapAndHoldsThePeak) {
  // The day as the tariff has it: 13-14 h is 최대부하 and counts; 00-08 h is 경부하.
  ASSERT_EQ(day_.energy_band[kBumpFrom], Band::kPeak);
  ASSERT_TRUE(day_.demand_counts[kBumpFrom]);
  ASSERT_EQ(day_.energy_band[0], Band::kOffPeak);
  Solve(0);
  double charged = 0;
  for (size_t t = 0; t < 96; ++t) {
    const DecisionReason r = Explain(t);
    const double b = plan_.intervals[t].discharge.value() - plan_.intervals[t].charge.value();
    if (t >= kBumpFrom && t < kBumpTo) {
      EXPECT_NEAR(b, 400, 1e-6) << t;
      EXPECT_EQ(r.code, DecisionCode::kDischargePeak) << t;
      EXPECT_NEAR(r.peak_kw, 1000, 1e-3);
      EXPECT_EQ(r.band, Band::kPeak);
      EXPECT_EQ(r.reserve_kwh, 0);
    } else if (b < -0.05) {
      charged -= b * 0.25;
      EXPECT_EQ(r.code, DecisionCode::kChargeCheap) << t;
      EXPECT_EQ(day_.energy_band[t], Band::kOffPeak) << t;
      EXPECT_LT(t, 8u * 4) << "charged after 08:00";
      EXPECT_EQ(r.cheaper_pct, OffPeakSharePct(t)) << t;
      EXPECT_EQ(r.dearer_pct, 100) << t;
      EXPECT_EQ(r.rank_hours, (96 - t + 3) / 4) << t;
      EXPECT_EQ(r.next_discharge, kBumpFrom - t) << t;  // for the bump
    } else {
      EXPECT_NEAR(b, 0, 0.05) << t;
      EXPECT_EQ(r.code, DecisionCode::kIdle) << t;
      // Idle with energy stored (after charging) holds it for the bump; idle empty, for nothing.
      const bool stored = plan_.intervals[t].soc_end.value() > 0.5;
      EXPECT_EQ(r.next_discharge, t < kBumpFrom && stored ? kBumpFrom - t : 0) << t;
    }
  }
  EXPECT_NEAR(charged, 400, 1e-3);
  // The sentence a person reads, from the hand figures.
  EXPECT_EQ(RenderDecisionReason(Explain(kBumpFrom), plan_.intervals[kBumpFrom].start),
            "discharging 400 kW: holding the month peak 1,000 kW (최대부하 peak, demand counts; this month so "
            "far 1,000 kW)");
  // The first interval's price: off-peak, 40 of the day's 96 intervals are off-peak (00-08, 22-24).
  EXPECT_EQ(Explain(0).cheaper_pct, 42);
  // The first interval the solver chose to charge in (any of the off-peak ones before 08:00).
  size_t tc = 0;
  while (tc < 96 && plan_.intervals[tc].charge.value() < 0.05) ++tc;
  ASSERT_LT(tc, 8u * 4);
  EXPECT_EQ(RenderDecisionReason(Explain(tc), plan_.intervals[tc].start),
            fmt::format("charging {} kW: energy is cheap now (경부하 off-peak, {:.1f} KRW/kWh, among the cheapest {} % "
                        "of the next {} h), for the discharge from 13:00",
                        std::llround(plan_.intervals[tc].charge.value()), plan_.intervals[tc].price_krw_per_kwh,
                        OffPeakSharePct(tc), (96 - tc + 3) / 4));
  EXPECT_EQ(RenderDecisionReason(Explain(kBumpFrom - 1), plan_.intervals[kBumpFrom - 1].start),
            "idle: holding the stored energy for the discharge from 13:00");
  EXPECT_EQ(RenderDecisionReason(Explain(kBumpTo), plan_.intervals[kBumpTo].start).substr(0, 65),
            "idle: no price spread or peak to shave worth the battery's wear (");
}

TEST_F(DecisionReasonTest, ReserveKeptForTheBump) {
  Solve(100);
  for (size_t t = 0; t < 96; ++t) {
    const DecisionReason r = Explain(t);
    // At the start of interval t the reserve covers the bump's intervals within the next 2 h
    // (8 intervals), 100 kW x 0.25 h = 25 kWh each: from 11:15 (13:00 enters the window) on.
    const int first = std::max<int>(kBumpFrom, static_cast<int>(t)),
              end = std::min<int>(kBumpTo, static_cast<int>(t) + 8);
    const int n = std::max(0, end - first);
    EXPECT_NEAR(r.reserve_kwh, 25.0 * n, 1e-3) << t;
    // On the bump the import is at the peak, so a load 100 kW above it would need 100 kW more.
    EXPECT_NEAR(reserves_[t].extra_kw, t >= kBumpFrom && t < kBumpTo ? 100 : 0, 1e-3) << t;
    if (n > 0) {
      EXPECT_EQ(r.reserve_from, first - static_cast<int>(t)) << t;
      EXPECT_EQ(r.reserve_to, end - static_cast<int>(t)) << t;
      EXPECT_EQ(r.code, t < kBumpFrom ? DecisionCode::kIdleReserve : DecisionCode::kDischargePeak) << t;
    }
  }
  EXPECT_EQ(RenderDecisionReason(Explain(kBumpFrom - 4), plan_.intervals[kBumpFrom - 4].start),
            "idle: keeping 100 kWh stored as reserve for 13:00-14:00, in case the demand comes above the forecast");
  EXPECT_EQ(RenderDecisionReason(Explain(kBumpFrom - 6), plan_.intervals[kBumpFrom - 6].start),
            "idle: keeping 50 kWh stored as reserve for 13:00-13:30, in case the demand comes above the forecast");
  EXPECT_EQ(RenderDecisionReason(Explain(kBumpFrom + 1), plan_.intervals[kBumpFrom + 1].start),
            "discharging 400 kW: holding the month peak 1,000 kW (최대부하 peak, demand counts; this month so far "
            "1,000 kW); 75 kWh of reserve kept for 13:15-14:00");
}

// The planner's guards come first: a real demand above the plan's peak, charging cut at a
// counted interval, a DR cap; and the fallback.
TEST_F(DecisionReasonTest, GuardsAndFallback) {
  Solve(0);
  const size_t t = kBumpFrom;
  DecisionContext c;
  c.band = Band::kPeak;
  c.demand_counts = true;
  c.month_peak = Kilowatts(1000);
  c.ratchet = Kilowatts(1200);
  c.demand = Kilowatts(1530);
  c.planned = Kilowatts(400);
  c.guarded = c.decided = Kilowatts(530);  // 1,530 - 1,000
  c.held = Kilowatts(1000);
  DecisionReason r = ExplainPlannedInterval(plan_, t, {}, c);
  EXPECT_EQ(r.code, DecisionCode::kPeakGuard);
  EXPECT_EQ(RenderDecisionReason(r, plan_.intervals[t].start),
            "discharging 530 kW: the demand 1,530 kW is above the plan's peak 1,000 kW (the plan said discharging "
            "400 kW)");
  c.planned = Kilowatts(-300);
  c.guarded = c.decided = Kilowatts(-120);
  c.held = Kilowatts(1000);
  r = ExplainPlannedInterval(plan_, t, {}, c);
  EXPECT_EQ(r.code, DecisionCode::kChargeHeld);
  EXPECT_EQ(RenderDecisionReason(r, plan_.intervals[t].start),
            "charging 120 kW: the plan's 300 kW of charging cut, as more would lift the counted demand above 1,000 kW");
  c.planned = c.guarded = Kilowatts(400);
  c.decided = Kilowatts(450);
  c.dr_cap = Kilowatts(950);
  r = ExplainPlannedInterval(plan_, t, {}, c);
  EXPECT_EQ(r.code, DecisionCode::kDischargeDr);
  EXPECT_EQ(RenderDecisionReason(r, plan_.intervals[t].start),
            "discharging 450 kW: holding the grid import at the DR commitment's cap 950 kW");
  r = FallbackReason(c, Kilowatts(200));
  EXPECT_EQ(r.code, DecisionCode::kFallback);
  r.limit = LimitStage::kRamp;
  r.limited_kw = 150;
  EXPECT_EQ(RenderDecisionReason(r, plan_.intervals[t].start),
            "discharging 200 kW: no plan (the forecast or solve failed); the peak-shave rule decided; a DR commitment "
            "caps the import at 950 kW; clipped to discharging 150 kW by the battery's ramp limit");
}

// Every code and limit has a distinct, stable name (docs/simulate.md lists them).
TEST(DecisionCodeTest, NamesAreStable) {
  const char* codes[] = {"",           "idle",           "idle_reserve",    "charge_cheap",
                         "charge_pv",  "discharge_peak", "discharge_price", "discharge_dr",
                         "peak_guard", "charge_held",    "fallback"};
  for (int k = 0; k < kDecisionCodeCount; ++k) EXPECT_EQ(DecisionCodeName(static_cast<DecisionCode>(k)), codes[k]);
  const char* limits[] = {"",
                          "untrusted_input",
                          "battery_limits",
                          "ramp",
                          "contract_power",
                          "export_limit",
                          "generator_limits",
                          "thermal_storage_limits"};
  for (int k = 0; k < kLimitStageCount; ++k) EXPECT_EQ(LimitStageName(static_cast<LimitStage>(k)), limits[k]);
  EXPECT_EQ(RenderDecisionReason(DecisionReason{}, Timestamp{}), "");
}

// The limit stage names the first limit that changed the wish.
TEST(LimitStageTest, NamesTheLimitThatClipped) {
  SiteImage image;
  image.has_battery = true;
  image.load = Kilowatts(800);
  image.pv_available = Kilowatts(0);
  image.battery_max_discharge = Kilowatts(500);
  image.battery_max_charge = Kilowatts(500);
  image.contract_power = Kilowatts(1000);
  image.battery_ramp_step = Kilowatts(std::numeric_limits<double>::infinity());
  const auto limit = [&](double wish) { return ApplySafetyLimits(image, {Kilowatts(wish), Kilowatts(-1)}).limit; };
  EXPECT_EQ(limit(300), LimitStage::kNone);
  EXPECT_EQ(limit(600), LimitStage::kBattery);    // above 500 kW of discharge
  EXPECT_EQ(limit(-400), LimitStage::kContract);  // 800 + 400 > 1,000 kW
  EXPECT_EQ(limit(std::numeric_limits<double>::quiet_NaN()), LimitStage::kUntrusted);
  image.load = Kilowatts(200);
  EXPECT_EQ(limit(300), LimitStage::kExport);  // 100 kW would be exported
  image.load = Kilowatts(800);
  image.battery_previous = Kilowatts(0);
  image.battery_ramp_step = Kilowatts(100);
  EXPECT_EQ(limit(300), LimitStage::kRamp);
  const LimitedSetpoints done = ApplySafetyLimits(image, {Kilowatts(300), Kilowatts(-1)});
  EXPECT_TRUE(done.clamped);
  EXPECT_DOUBLE_EQ(done.battery.value(), 100);
}

}  // namespace
}  // namespace meg
