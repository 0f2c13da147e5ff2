// The planning controllers' fallback: when the solver fails, every interval gets the peak-shave
// rule's decision, with the reason "fallback", and the failures are counted with their reason.
#include "control/optimal_controllers.h"

#include <gtest/gtest.h>

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

TEST(PlanningControllerTest, FallsBackToPeakShaveWhenTheSolveFails) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  Site site;
  site.contract_power = Kilowatts(2000);
  EssSpec ess;
  ess.usable_kwh = KilowattHours(1000);
  ess.charge_kw = Kilowatts(500);
  ess.discharge_kw = Kilowatts(500);
  ess.soc_min_pct = 10;
  ess.soc_max_pct = 90;
  site.ess = ess;
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

}  // namespace
}  // namespace meg
