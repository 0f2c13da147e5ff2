// The generator through the live loop over the twin (the year backtest's path): a week of the DOE
// hospital's January load with a 300 kW fuel cell whose kWh costs less than any grid kWh, planned
// by mpc with perfect foresight. By hand: it runs at its rating wherever the load less the PV
// takes 300 kW (no export is allowed), the meter sees the load less PV and generator, and the
// fuel is the output / 40 % x the fuel price.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "control/optimal_controllers.h"
#include "io/doe_hospital.h"
#include "io/text_file.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "sim/backtest.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

TEST(GeneratorBacktestTest, ACheapFuelCellRunsAtItsRatingAndIsBilledAndFuelledExactly) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  const std::string doe = std::string(MEG_TEST_SHARED_DIR) + "/data/load/doe_ref_hospital_4A_baltimore.csv";
  auto parsed = ParseDoeHospitalCsv(ReadTextFile(doe).value(), doe);
  ASSERT_TRUE(parsed) << parsed.error().message;
  const PowerSeries year = DoeHospitalOnYear(*parsed, 2024, calendar).value();
  const Timestamp from = FromKst(testing::Ymd(2024, 1, 8)), to = FromKst(testing::Ymd(2024, 1, 15));
  const PowerSeries load = year.Slice(from, to);
  // PV at noon up to 900 kW: some middays leave the fuel cell less than its rating (no export).
  std::vector<std::optional<Kilowatts>> pv_values;
  for (size_t i = 0; i < load.size(); ++i) {
    const double h = ToKst(load.TimeAt(i)).minute_of_day / 60.0 + 0.125;
    pv_values.emplace_back(Kilowatts(h > 6 && h < 18 ? 900.0 * std::sin((h - 6) / 12 * M_PI) : 0.0));
  }
  const PowerSeries pv(load.start(), kInterval, std::move(pv_values));

  Site site;
  site.name = "hospital with a fuel cell";
  site.contract_power = Kilowatts(1800);
  GeneratorSpec g;
  g.rating_kw = Kilowatts(300);
  g.electric_efficiency_pct = 40;
  g.fuel_krw_per_kwh = 20;  // 50 KRW per kWh of electricity: below every 2024 energy price
  site.generator = g;
  const TariffId tariff = book.FindTariff("일반용(을) 고압A 선택III").value();

  ClpCbcSolver solver;
  PlanningController mpc(PlanningController::Mode::kRecedingHorizon, site, book, calendar, tariff, load, pv, solver);
  BacktestRequest r;
  r.book = &book;
  r.calendar = &calendar;
  r.tariff = tariff;
  r.site = &site;
  r.load = &load;
  r.pv = &pv;
  auto run = RunBacktest(r, mpc);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(mpc.failures(), 0) << mpc.last_failure();

  double expected_kwh = 0;
  int short_of_rating = 0;
  for (size_t i = 0; i < load.size(); ++i) {
    const StepRecord& s = run->steps[i];
    const double net = load.at(i)->value() - pv.at(i)->value();
    const double want = std::clamp(net, 0.0, 300.0);
    short_of_rating += want < 300 ? 1 : 0;
    expected_kwh += want * 0.25;
    // The loop starts in safe mode and leaves it at its recover_after_cycles-th good cycle (here a
    // cycle is a quarter-hour): the generator stands still until then.
    if (i + 1 < static_cast<size_t>(LoopConfig{}.recover_after_cycles)) {
      EXPECT_EQ(s.generator_kw, 0.0);
      expected_kwh -= want * 0.25;
      continue;
    }
    EXPECT_NEAR(s.generator_kw, want, 0.01) << FormatKst(load.TimeAt(i));
    EXPECT_NEAR(s.grid_kw, net - want, 0.01) << FormatKst(load.TimeAt(i));
    EXPECT_GE(s.grid_kw, -0.01);  // never an export
  }
  EXPECT_GT(short_of_rating, 0);  // the PV's middays are in the test
  EXPECT_NEAR(run->generated.value(), expected_kwh, 0.1);
  EXPECT_EQ(run->generator_fuel_cost.value(), std::llround(run->generated.value() / 0.4 * 20));
  EXPECT_EQ(run->generator_heat_value.value(), 0);
  EXPECT_GE(run->generator_starts, 1);
  EXPECT_EQ(GeneratorNetCost(*run).value(), run->generator_fuel_cost.value());
  // Without it, the same week imports the generator's energy more.
  r.use_generator = false;
  PlanningController idle(PlanningController::Mode::kRecedingHorizon, site, book, calendar, tariff, load, pv, solver);
  auto without = RunBacktest(r, idle);
  ASSERT_TRUE(without) << without.error().message;
  EXPECT_NEAR(without->generated.value(), 0, 1e-9);
  double import_with = 0, import_without = 0;
  for (size_t i = 0; i < load.size(); ++i) {
    import_with += run->steps[i].grid_kw * 0.25;
    import_without += without->steps[i].grid_kw * 0.25;
  }
  EXPECT_NEAR(import_without - import_with, run->generated.value(), 0.5);
}

}  // namespace
}  // namespace meg
