// The cold store through the live loop over the twin (the year backtest's path): a week of the
// Jeonju hospital with ice storage (data/sites/jeonju-hospital-ice.toml, its battery removed),
// planned by mpc with perfect foresight. Checked in every interval: the cooling demand is met
// (the store gives at most the demand, the chillers make the rest and the charge within their
// capacity), the meter sees the load less the electricity the store saved, and the store's level
// follows its actions and its loss; over the week, ice made at night is used in the dear hours.
#include <gtest/gtest.h>

#include "control/optimal_controllers.h"
#include "core/thermal.h"
#include "io/site_config.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "sim/backtest.h"
#include "sim/site_inputs.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

// The backtest of `site` over `week` with its cooling plant (everything must outlive the run).
BacktestRequest WeekRequest(const TariffBook& book, const HolidayCalendar& calendar, TariffId tariff, const Site& site,
                            const SiteInputs& week) {
  BacktestRequest r;
  r.book = &book;
  r.calendar = &calendar;
  r.tariff = tariff;
  r.site = &site;
  r.load = &week.load;
  r.pv = &week.pv;
  r.cooling_kw_th = &week.cooling_kw_th;
  r.cop = &week.cop;
  return r;
}

TEST(ThermalBacktestTest, IceMadeAtNightMeetsTheCoolingDemandOfTheDearHours) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  auto loaded = LoadSiteFile(std::string(MEG_TEST_DATA_DIR) + "/sites/jeonju-hospital-ice.toml", MEG_TEST_DATA_DIR,
                             MEG_TEST_SHARED_DIR);
  ASSERT_TRUE(loaded) << loaded.error().message;
  Site site = *loaded;
  site.ess.reset();
  // A COP that does not change with load, so each interval's electricity is action / COP by hand
  // (the part-load plant's electricity is worked by hand in tests/core/thermal_test.cc).
  site.cooling->part_load_curve = {0, 1, 0};
  site.cooling->min_part_load_pct = 0;
  auto inputs = PrepareSiteInputs(site, calendar);
  ASSERT_TRUE(inputs) << inputs.error().message;
  const Timestamp from = FromKst(testing::Ymd(2024, 8, 5)), to = FromKst(testing::Ymd(2024, 8, 12));
  const SiteInputs week = SliceInputs(*inputs, from, to);
  const TariffId tariff = book.FindTariff(site.tariff).value();
  ClpCbcSolver solver;
  PlanningController mpc(PlanningController::Mode::kRecedingHorizon, site, book, calendar, tariff, week.load, week.pv,
                         solver);
  mpc.SetCooling(&week.cooling_kw_th, &week.cop, true);
  auto run = RunBacktest(WeekRequest(book, calendar, tariff, site, week), mpc);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(mpc.failures(), 0) << mpc.last_failure();
  const ThermalStorageSpec& s = *site.thermal_storage;
  double level = ThermalStoredAt(s, s.soc_initial_pct).value();
  double night_charge = 0, dear_discharge = 0;
  for (size_t i = 0; i < week.load.size(); ++i) {
    const StepRecord& step = run->steps[i];
    const double demand = week.cooling_kw_th.at(i)->value(), cop = *week.cop.at(i);
    const double action = step.thermal_kw_th;
    ASSERT_LE(action, demand + 0.01) << i;                                        // the store serves the demand ...
    ASSERT_LE(demand - action, site.cooling->chiller_kw_th.value() + 0.01) << i;  // ... the chillers the rest
    ASSERT_LE(action, s.discharge_kw_th.value() + 0.01);
    ASSERT_GE(action, -s.charge_kw_th.value() - 0.01);
    const double electric = action >= 0 ? action / cop : action / (cop * 0.7);
    ASSERT_NEAR(step.thermal_electric_kw, electric, 0.01) << i;
    ASSERT_NEAR(step.grid_kw, step.load_kw - step.pv_used_kw - step.thermal_electric_kw, 0.01) << i;
    level = level * (1 - 0.005 * 0.25) - action * 0.25;
    ASSERT_NEAR(step.thermal_soc_pct, 100 * level / 6000, 0.01) << i;
    if (step.band == Band::kOffPeak) night_charge += std::max(0.0, -action) * 0.25;
    if (step.band == Band::kPeak) dear_discharge += std::max(0.0, action) * 0.25;
  }
  EXPECT_GT(night_charge, 1000);    // kWh of cooling: ice made in the cheap hours ...
  EXPECT_GT(dear_discharge, 1000);  // ... and used in the dear ones
  std::cout << "[ figures  ] a week of ice: " << run->thermal_charged.value() << " kWh of cooling made, "
            << run->thermal_discharged.value() << " used, " << mpc.solves() << " solves\n";
}

// The battery and the ice store together (the shipped site as it is, chillers at part load), a
// week planned by the period oracle: the loop follows the plan, so it is re-planned only while the
// loop starts (its first hour: the battery does not take the first charges). (The peak guard once
// reckoned the demand without the store's saving, saw a peak the plan had taken care of,
// discharged the battery off its plan, and the oracle re-planned every quarter-hour after.)
TEST(ThermalBacktestTest, TheOraclesPlanForABatteryAndAColdStoreIsFollowed) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  auto site = LoadSiteFile(std::string(MEG_TEST_DATA_DIR) + "/sites/jeonju-hospital-ice.toml", MEG_TEST_DATA_DIR,
                           MEG_TEST_SHARED_DIR);
  ASSERT_TRUE(site) << site.error().message;
  ASSERT_TRUE(site->ess && site->thermal_storage);
  auto inputs = PrepareSiteInputs(*site, calendar);
  ASSERT_TRUE(inputs) << inputs.error().message;
  const SiteInputs week = SliceInputs(*inputs, FromKst(testing::Ymd(2024, 8, 5)), FromKst(testing::Ymd(2024, 8, 12)));
  const TariffId tariff = book.FindTariff(site->tariff).value();
  ClpCbcSolver solver;
  PlanningController oracle(PlanningController::Mode::kPeriodOracle, *site, book, calendar, tariff, week.load, week.pv,
                            solver);
  oracle.SetCooling(&week.cooling_kw_th, &week.cop, true);
  auto run = RunBacktest(WeekRequest(book, calendar, tariff, *site, week), oracle);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(oracle.failures(), 0) << oracle.last_failure();
  EXPECT_GT(run->thermal_discharged.value(), 1000);  // both assets at work
  EXPECT_GT(run->battery_cycles, 1);
  EXPECT_LE(oracle.solves(), 5);
}

}  // namespace
}  // namespace meg
