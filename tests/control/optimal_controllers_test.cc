// The planning controllers' fallback: when the solver fails, every interval gets the peak-shave
// rule's decision, with the reason "fallback", and the failures are counted with their reason.
// The peak guard's energy check: with too little energy stored to hold the plan's peak to the
// day's end, it holds the level the energy can hold.
#include "control/optimal_controllers.h"

#include <gtest/gtest.h>

#include "optimize/coin/clp_cbc_solver.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

class FailingSolver final : public LpSolver {
 public:
  std::string_view name() const override { return "failing"; }
  Result<SolveReport> Solve(const LpModel&, const SolveOptions&) override {
    SolveReport r;
    r.status = SolveStatus::kInfeasible;
    return r;
  }
};

// 2,000 kW of contract power and a 1,000 kWh / 500 kW battery, SoC 10-90 %, 95 % each way.
Site BatterySite() {
  Site site;
  site.contract_power = Kilowatts(2000);
  EssSpec ess;
  ess.usable_kwh = KilowattHours(1000);
  ess.charge_kw = Kilowatts(500);
  ess.discharge_kw = Kilowatts(500);
  ess.soc_min_pct = 10;
  ess.soc_max_pct = 90;
  site.ess = ess;
  return site;
}

TEST(PlanningControllerTest, FallsBackToPeakShaveWhenTheSolveFails) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  const Site site = BatterySite();
  const auto month = testing::Ym(2024, 8);
  const PowerSeries load = testing::MonthOfUsage(month, [](const KstDateTime& t) {
    return t.minute_of_day >= 13 * 60 && t.minute_of_day < 15 * 60 ? 1500.0 : 800.0;
  });
  const PowerSeries pv = testing::MonthOfUsage(month, [](const KstDateTime&) { return 0.0; });
  FailingSolver solver;
  const TariffId tariff = book.FindTariff("일반용(을) 고압A 선택II").value();
  PlanningController mpc(PlanningController::Mode::kRecedingHorizon, site, book, calendar, tariff, load, pv, solver);
  PeakShave rule(PeakShaveConfig{});
  int discharging = 0;
  for (size_t i = 0; i < 3 * 96; ++i) {  // three days
    SiteImage image;
    image.start = load.TimeAt(i);
    image.load = *load.at(i);
    image.pv_available = Kilowatts(0);
    image.has_battery = true;
    image.soc_pct = 80;
    image.battery_max_discharge = Kilowatts(500);
    image.battery_max_charge = Kilowatts(500);
    image.battery_discharge_rating = Kilowatts(500);
    image.battery_deliverable_full = KilowattHours(760);
    const KstDateTime k = ToKst(image.start);
    image.demand_counts = k.minute_of_day >= 8 * 60 && k.minute_of_day < 22 * 60;
    image.band = image.demand_counts ? Band::kMid : Band::kOffPeak;
    image.contract_power = site.contract_power;
    const Setpoints got = mpc.Decide(image);
    const Setpoints want = rule.Decide(image);
    ASSERT_DOUBLE_EQ(got.battery.value(), want.battery.value()) << i;
    // ... and says so (control/decision_reason.h).
    ASSERT_NE(mpc.reason(), nullptr);
    ASSERT_EQ(mpc.reason()->code, DecisionCode::kFallback) << i;
    ASSERT_FLOAT_EQ(mpc.reason()->battery_kw, static_cast<float>(want.battery.value())) << i;
    discharging += got.battery.value() > 0;
  }
  EXPECT_EQ(mpc.solves(), 3 * 96);
  EXPECT_EQ(mpc.failures(), 3 * 96);
  EXPECT_NE(mpc.last_failure().find("status"), std::string::npos);
  EXPECT_GT(discharging, 0);  // from day two the rule shaves the 13-15 h bump
}

// A plan made on 800 kW all day; at 21:00 on a summer weekday (중간부하, demand counts until
// 22:00) the real demand is 900 kW, and 20 kWh (AC) is left above the SoC minimum. Holding the
// plan's 800 kW would take 100 kW now. With a 60-minute time constant the guard expects the
// 100 kW excess to decay: 900, 800 + 100 e^-0.25 = 877.88, 800 + 100 e^-0.5 = 860.65 and
// 800 + 100 e^-0.75 = 847.24 kW in the four quarter-hours to 22:00. The level L the 20 kWh holds,
// worked by hand: above the three highest, (900 + 877.88 + 860.65 - 3 L) x 0.25 h = 20 kWh gives
// L = 852.84 kW (between 847.24 and 860.65, so the fourth needs none): 47.16 kW now.
TEST(PlanningControllerTest, ThePeakGuardHoldsTheLevelTheStoredEnergyHoldsToTheDaysEnd) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  const Site site = BatterySite();
  const auto month = testing::Ym(2024, 8);
  const PowerSeries load = testing::MonthOfUsage(month, [](const KstDateTime&) { return 800.0; });
  const PowerSeries pv = testing::MonthOfUsage(month, [](const KstDateTime&) { return 0.0; });
  const TariffId tariff = book.FindTariff("일반용(을) 고압A 선택II").value();
  SiteImage image;
  image.start = FromKst(Date{std::chrono::year{2024} / 8 / 6}, 21 * 60);  // a Tuesday
  image.load = Kilowatts(900);
  image.pv_available = Kilowatts(0);
  image.has_battery = true;
  image.soc_pct = 10 + 20 / 0.95 / 10;  // 20 kWh AC above the minimum through 95 % discharge efficiency
  image.battery_max_discharge = Kilowatts(500);
  image.battery_max_charge = Kilowatts(500);
  image.battery_discharge_rating = Kilowatts(500);
  image.battery_deliverable_full = KilowattHours(760);
  image.demand_counts = true;
  image.band = Band::kMid;
  image.month_peak = Kilowatts(800);
  image.contract_power = site.contract_power;

  ClpCbcSolver solver;
  PlanningController off(PlanningController::Mode::kRecedingHorizon, site, book, calendar, tariff, load, pv, solver);
  EXPECT_NEAR(off.Decide(image).battery.value(), 100.0, 1e-6);  // the plan's 800 kW, whatever it costs later
  EXPECT_EQ(off.reason()->code, DecisionCode::kPeakGuard);

  PlanningController on(PlanningController::Mode::kRecedingHorizon, site, book, calendar, tariff, load, pv, solver);
  on.set_guard_bias_tau(std::chrono::minutes{60});
  EXPECT_NEAR(on.Decide(image).battery.value(), 47.16, 0.01);
  ASSERT_EQ(on.reason()->code, DecisionCode::kPeakGuard);
  EXPECT_EQ(RenderDecisionReason(*on.reason(), image.start),
            "discharging 47 kW: the demand 900 kW is above the plan's peak 800 kW; holding 853 kW, the most the "
            "stored energy holds to the day's end if the demand stays this far above the forecast (the plan said "
            "idle)");

  // With the energy to hold 800 kW to 22:00 (100 x (1 + e^-0.25 + e^-0.5 + e^-0.75) x 0.25 = 80.3 kWh
  // needed), the guard holds the plan's peak.
  image.soc_pct = 10 + 81 / 0.95 / 10;
  EXPECT_NEAR(on.Decide(image).battery.value(), 100.0, 1e-6);
}

}  // namespace
}  // namespace meg
