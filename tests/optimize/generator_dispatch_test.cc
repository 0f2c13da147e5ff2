// The generator in the dispatch problem (optimize/dispatch_problem.h), on the Jeonju hospital's
// real 2024 days with its battery removed: what it should do worked by hand from the tariff's
// prices and the generator's cost per kWh, the unit-commitment MILP confirmed by glpsol, and the
// rounded commitment (FixCommitment, what the controllers solve) never below the MILP's optimum.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "io/site_config.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "optimize/dispatch_problem.h"
#include "optimize/glpsol.h"
#include "optimize/hospital_day.h"
#include "sim/site_inputs.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

// The hospital with its battery removed: the generator alone.
struct Hospital : testing::ShippedSite {};
const Hospital& TheHospital() {
  static const Hospital* h = [] {
    auto* out = new Hospital{testing::LoadShippedSite()};
    out->site.ess.reset();
    return out;
  }();
  return *h;
}

// A 300 kW fuel cell at 40 % electric efficiency: its kWh costs fuel / 0.4.
GeneratorSpec FuelCell(double fuel_krw_per_kwh, double min_kw = 0, double ramp = 0, double start = 0) {
  GeneratorSpec g;
  g.rating_kw = Kilowatts(300);
  g.min_load_kw = Kilowatts(min_kw);
  g.ramp_kw_per_min = ramp;
  g.electric_efficiency_pct = 40;
  g.fuel_krw_per_kwh = fuel_krw_per_kwh;
  g.start_krw = start;
  return g;
}

// A weekday (2024-11-12); the standing peak far above the load, so no demand charge moves:
// only the energy price against the generator's cost decides.
DispatchInput DayInput(const Site& site, double standing_peak = 100'000) {
  const Hospital& h = TheHospital();
  const Timestamp from = FromKst(testing::Ymd(2024, 11, 12)), to = from + std::chrono::hours(24);
  DispatchInput in;
  in.site = &site;
  in.book = &h.book;
  in.calendar = &h.calendar;
  in.tariff = h.tariff;
  in.load = h.inputs.load.Slice(from, to);
  in.pv = h.inputs.pv.Slice(from, to);
  in.standing_peak = Kilowatts(standing_peak);
  in.months_binding = 1;
  return in;
}

Schedule Solve(DispatchProblem& p, SolveReport* out = nullptr) {
  ClpCbcSolver solver;
  auto report = solver.Solve(p.model, {});
  EXPECT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->status, SolveStatus::kOptimal) << report->message;
  if (out != nullptr) *out = *report;
  return DecodeSchedule(p, *report);
}

TEST(GeneratorDispatchTest, CostPerKwhIsFuelOverEfficiencyLessHeat) {
  // By hand: 50 KRW per kWh of fuel at 40 % is 125 KRW per kWh of electricity; recovering 45 % of
  // the fuel as heat worth 40 KRW/kWh gives back 0.45 x 40 / 0.4 = 45 KRW: 80 KRW per kWh.
  GeneratorSpec g = FuelCell(50);
  EXPECT_DOUBLE_EQ(GeneratorKrwPerKwh(g), 125.0);
  g.heat_recovery_pct = 45;
  g.heat_krw_per_kwh = 40;
  EXPECT_DOUBLE_EQ(GeneratorKrwPerKwh(g), 80.0);
}

// With no minimum load, no ramp and no start cost, the generator runs at its rating exactly where
// the interval's energy price is above its 125 KRW/kWh and stands still where it is below; the
// objective is the import priced plus 125 x its output.
TEST(GeneratorDispatchTest, RunsAtRatingWhereTheGridCostsMore) {
  Site site = TheHospital().site;
  site.generator = FuelCell(50);
  auto p = BuildDispatchProblem(DayInput(site));
  ASSERT_TRUE(p) << p.error().message;
  const Schedule s = Solve(*p);
  int running = 0, above = 0;
  double expected = 0;
  for (size_t t = 0; t < s.intervals.size(); ++t) {
    const ScheduleInterval& iv = s.intervals[t];
    const double price = p->intervals[t].price_krw_per_kwh;
    const double load = p->intervals[t].load_kw - p->intervals[t].pv_kw;  // the hospital never exports
    const double want = price > 125 ? 300.0 : 0.0;
    EXPECT_NEAR(iv.generator.value(), want, 1e-6) << t << " at " << price << " KRW/kWh";
    EXPECT_NEAR(iv.grid_import.value(), load - want, 1e-6) << t;
    expected += (price * (load - want) + 125 * want) * 0.25;
    running += iv.generator.value() > 1 ? 1 : 0;
    above += price > 125 ? 1 : 0;
  }
  EXPECT_EQ(running, above);
  EXPECT_GT(above, 0);   // the day has dearer hours (중간/최대부하) ...
  EXPECT_LT(above, 96);  // ... and cheaper ones (경부하)
  EXPECT_NEAR(s.objective_krw, expected, 1e-6 * expected);
  EXPECT_NEAR(s.generated.value(), 300 * 0.25 * above, 1e-6);
  EXPECT_NEAR(s.generator_krw, 125 * s.generated.value(), 1e-6);
}

// Unit commitment: a 200 kW minimum load, a 10 kW/min ramp and a start cost. The MILP's optimum
// is glpsol's; every interval runs at 0 or at least the minimum; rises are at most 150 kW an
// interval except a start to the minimum; the rounded commitment (two LPs) is feasible and no
// better than the MILP, and the LP relaxation no worse.
TEST(GeneratorDispatchTest, UnitCommitmentMilpAgainstGlpsolAndTheRoundedLp) {
  Site site = TheHospital().site;
  site.generator = FuelCell(50, /*min_kw=*/200, /*ramp=*/10, /*start=*/30'000);
  DispatchInput in = DayInput(site, 1200);  // a standing peak the day's load crosses: demand counts too
  in.unit_commitment = true;
  auto milp = BuildDispatchProblem(in);
  ASSERT_TRUE(milp) << milp.error().message;
  ASSERT_TRUE(milp->model.HasIntegers());
  SolveReport milp_report;
  const Schedule exact = Solve(*milp, &milp_report);
  if (testing::HaveGlpsol()) {
    auto glpk = testing::GlpsolObjective(WriteLpFormat(milp->model), testing::TempDir("gen"), "uc");
    ASSERT_TRUE(glpk) << "glpsol found no optimum";
    EXPECT_NEAR(*glpk, milp_report.objective, 1e-6 * std::abs(milp_report.objective));
  }
  const auto keeps_the_rules = [](const Schedule& s, const char* what) {
    double before = 0;
    for (size_t t = 0; t < s.intervals.size(); ++t) {
      const double q = s.intervals[t].generator.value();
      EXPECT_TRUE(q <= 1e-6 || q >= 200 - 1e-6) << what << " " << t << ": " << q << " kW";
      EXPECT_LE(q, 300 + 1e-6);
      if (before > 1e-6) {
        EXPECT_LE(q - before, 150 + 1e-6) << what << " " << t;
      } else {
        EXPECT_LE(q, 200 + 1e-6) << what << " " << t << ": a start goes to the minimum load";
      }
      before = q;
    }
  };
  keeps_the_rules(exact, "MILP");
  EXPECT_GT(exact.generated.value(), 0);

  in.unit_commitment = false;
  auto relaxed = BuildDispatchProblem(in);
  ASSERT_TRUE(relaxed);
  SolveReport relaxed_report;
  Solve(*relaxed, &relaxed_report);
  EXPECT_LE(relaxed_report.objective, milp_report.objective + 1e-6 * std::abs(milp_report.objective));
  EXPECT_GT(FixCommitment(*relaxed, relaxed_report.primal), 0);
  SolveReport rounded_report;
  const Schedule rounded = Solve(*relaxed, &rounded_report);
  keeps_the_rules(rounded, "rounded");
  EXPECT_GE(rounded_report.objective, milp_report.objective - 1e-6 * std::abs(milp_report.objective));
  std::cout << "[ figures  ] unit commitment on 2024-11-12: MILP " << milp_report.objective << " KRW, LP relaxation "
            << relaxed_report.objective << ", rounded LP " << rounded_report.objective << " (" << exact.starts
            << " and " << rounded.starts << " starts)\n";
}

// A start dearer than anything a day of running could save: a stopped generator stays stopped;
// one running before the horizon keeps running through the cheap hours rather than stop and
// restart, and stops after the last dear one.
TEST(GeneratorDispatchTest, AStartCostBeyondTheDaysSavingKeepsTheCommitment) {
  Site site = TheHospital().site;
  site.generator = FuelCell(50, /*min_kw=*/100, /*ramp=*/0, /*start=*/1e9);
  DispatchInput in = DayInput(site);
  in.unit_commitment = true;
  auto stopped = BuildDispatchProblem(in);
  ASSERT_TRUE(stopped);
  const Schedule off = Solve(*stopped);
  EXPECT_NEAR(off.generated.value(), 0, 1e-6);
  EXPECT_EQ(off.starts, 0);
  in.previous_generator = Kilowatts(300);
  auto running = BuildDispatchProblem(in);
  ASSERT_TRUE(running);
  const Schedule on = Solve(*running);
  EXPECT_EQ(on.starts, 0);
  // Running until the day's last interval dearer than its 125 KRW/kWh (at its rating there, at its
  // minimum load between), then stopped: a stop costs nothing, and nothing after it would pay.
  size_t last_dear = 0;
  for (size_t t = 0; t < on.intervals.size(); ++t) {
    if (on.intervals[t].price_krw_per_kwh > 125) last_dear = t;
  }
  ASSERT_GT(last_dear, 0u);
  for (size_t t = 0; t < on.intervals.size(); ++t) {
    const ScheduleInterval& iv = on.intervals[t];
    const double want = t > last_dear ? 0.0 : iv.price_krw_per_kwh > 125 ? 300.0 : 100.0;
    EXPECT_NEAR(iv.generator.value(), want, 1e-6) << t;
  }
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// Ice storage in the dispatch problem (data/sites/jeonju-hospital-ice.toml, its battery removed)
// on an August weekday: glpsol confirms the optimum; in every interval the store gives at most
// the demand and the chillers make the rest and the charge within their capacity; its level
// follows its actions and loss; the balance carries its electricity (discharge / COP, charge /
// (COP x 0.7)); ice made in the cheap hours is used in the dear ones.
TEST(ThermalDispatchTest, IceShiftsTheChillersToTheCheapHours) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  auto site = LoadSiteFile(std::string(MEG_TEST_DATA_DIR) + "/sites/jeonju-hospital-ice.toml", MEG_TEST_DATA_DIR,
                           MEG_TEST_SHARED_DIR);
  ASSERT_TRUE(site) << site.error().message;
  site->ess.reset();
  auto inputs = PrepareSiteInputs(*site, calendar);
  ASSERT_TRUE(inputs) << inputs.error().message;
  const Timestamp from = FromKst(testing::Ymd(2024, 8, 12)), to = from + std::chrono::hours(24);
  DispatchInput in;
  in.site = &*site;
  in.book = &book;
  in.calendar = &calendar;
  in.tariff = book.FindTariff(site->tariff).value();
  in.load = inputs->load.Slice(from, to);
  in.pv = inputs->pv.Slice(from, to);
  in.standing_peak = Kilowatts(100'000);  // the energy price alone decides
  const PowerSeries cooling = inputs->cooling_kw_th.Slice(from, to);
  const IntervalSeries<double> cop = inputs->cop.Slice(from, to);
  for (size_t t = 0; t < cooling.size(); ++t) {
    in.cooling_kw_th.push_back(cooling.at(t)->value());
    in.cop.push_back(*cop.at(t));
  }
  in.thermal_start = KilowattHours(3000);
  auto p = BuildDispatchProblem(in);
  ASSERT_TRUE(p) << p.error().message;
  SolveReport report;
  const Schedule s = Solve(*p, &report);
  if (testing::HaveGlpsol()) {
    auto glpk = testing::GlpsolObjective(WriteLpFormat(p->model), testing::TempDir("ice"), "ice");
    ASSERT_TRUE(glpk) << "glpsol found no optimum";
    EXPECT_NEAR(*glpk, report.objective, 1e-6 * std::abs(report.objective));
  }
  double level = 3000, cheap_made = 0, dear_used = 0;
  for (size_t t = 0; t < s.intervals.size(); ++t) {
    const ScheduleInterval& iv = s.intervals[t];
    const double a = iv.thermal.value(), demand = in.cooling_kw_th[t], k = in.cop[t];
    EXPECT_LE(a, demand + 1e-6) << t;
    EXPECT_LE(demand - a, 5000 + 1e-6) << t;
    EXPECT_LE(a, 1000 + 1e-6);
    EXPECT_GE(a, -1000 - 1e-6);
    level = level * (1 - 0.005 * 0.25) - a * 0.25;
    EXPECT_NEAR(iv.thermal_level_end.value(), level, 1e-6) << t;
    const double electric = a >= 0 ? a / k : a / (k * 0.7);
    EXPECT_NEAR(iv.grid_import.value(), p->intervals[t].load_kw - iv.pv_used.value() - electric, 1e-6) << t;
    if (iv.price_krw_per_kwh < 110) cheap_made += std::max(0.0, -a) * 0.25;
    if (iv.price_krw_per_kwh > 150) dear_used += std::max(0.0, a) * 0.25;
  }
  EXPECT_GT(cheap_made, 1000);
  EXPECT_GT(dear_used, 1000);
}

}  // namespace
}  // namespace meg
