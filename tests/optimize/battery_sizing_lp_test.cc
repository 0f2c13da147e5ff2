// The battery's size as a variable of the dispatch LP (optimize/dispatch_problem.h BatterySizing),
// on three January days of the Jeonju hospital: glpsol confirms the optimum; the size it picks,
// built as a fixed battery of that size, costs the same less the capex (the sizing rows model the
// same battery as the fixed one); a capex above any saving sizes it at 0.
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

// The hospital without its battery's ramp: sizing has none, the fixed battery it is compared with
// neither.
struct Hospital : testing::ShippedSite {};
const Hospital& TheHospital() {
  static const Hospital* h = [] {
    auto* out = new Hospital{testing::LoadShippedSite()};
    out->site.ess->ramp_kw_per_min = 0;
    return out;
  }();
  return *h;
}

// Three weekdays of January 2024 (a demand month: each kW of new peak billed 12 times) from a
// standing peak of 1,200 kW, below the days' peaks, so that both the energy and the peak pay.
DispatchInput Days(const Site& site) {
  const Hospital& h = TheHospital();
  const Timestamp from = FromKst(testing::Ymd(2024, 1, 9)), to = from + std::chrono::hours(72);
  DispatchInput in;
  in.site = &site;
  in.book = &h.book;
  in.calendar = &h.calendar;
  in.tariff = h.tariff;
  in.load = h.inputs.load.Slice(from, to);
  in.pv = h.inputs.pv.Slice(from, to);
  in.standing_peak = Kilowatts(1200);
  in.months_binding = 12;
  in.terminal_krw_per_kwh = 0.0;
  return in;
}

// 3 days' share of a year of 40,000 KRW per kWh (about 400,000 KRW/kWh installed x a CRF of
// 0.093 plus O&M) and 20,000 per kW.
BatterySizing Sizing(double annual_per_kwh = 40'000) {
  return BatterySizing{.max_kwh = 3000,
                       .energy_to_power_h = 2,
                       .annual_krw_per_kwh = annual_per_kwh,
                       .annual_krw_per_kw = 20'000,
                       .horizon_years = 3.0 / 365.0};
}

SolveReport SolveOk(const DispatchProblem& p) {
  ClpCbcSolver solver;
  auto report = solver.Solve(p.model, {});
  EXPECT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->status, SolveStatus::kOptimal) << report->message;
  return *report;
}

TEST(BatterySizingLpTest, GlpsolConfirmsAndTheSizeCostsTheSameAsAFixedBatteryOfIt) {
  const Hospital& h = TheHospital();
  DispatchInput in = Days(h.site);
  in.sizing = Sizing();
  auto sized = BuildDispatchProblem(in);
  ASSERT_TRUE(sized) << sized.error().message;
  const SolveReport report = SolveOk(*sized);
  if (testing::HaveGlpsol()) {
    auto glpk = testing::GlpsolObjective(WriteLpFormat(sized->model), testing::TempDir("sizing"), "sizing");
    ASSERT_TRUE(glpk) << "glpsol found no optimum";
    EXPECT_NEAR(*glpk, report.objective, 1e-6 * std::abs(report.objective));
  }
  const double e = report.primal[static_cast<size_t>(sized->battery_kwh)];
  EXPECT_GT(e, 10);    // a battery pays at this cost ...
  EXPECT_LT(e, 2999);  // ... but not the largest
  // The same days with the battery fixed at that size (its power E / 2 h, its start 45 % of E).
  Site fixed_site = h.site;
  fixed_site.ess->usable_kwh = KilowattHours(e);
  fixed_site.ess->charge_kw = fixed_site.ess->discharge_kw = Kilowatts(e / 2);
  DispatchInput fixed = Days(fixed_site);
  fixed.soc_start = KilowattHours(e * fixed_site.ess->soc_initial_pct / 100.0);
  auto problem = BuildDispatchProblem(fixed);
  ASSERT_TRUE(problem) << problem.error().message;
  const SolveReport fixed_report = SolveOk(*problem);
  const double capex = (40'000 + 20'000 / 2.0) * 3.0 / 365.0 * e;
  EXPECT_NEAR(fixed_report.objective + capex, report.objective, 1e-6 * std::abs(report.objective));
}

TEST(BatterySizingLpTest, ACapexAboveAnySavingSizesItAtZero) {
  DispatchInput in = Days(TheHospital().site);
  in.sizing = Sizing(1e9);
  auto sized = BuildDispatchProblem(in);
  ASSERT_TRUE(sized);
  const SolveReport report = SolveOk(*sized);
  EXPECT_NEAR(report.primal[static_cast<size_t>(sized->battery_kwh)], 0.0, 1e-9);
  // Refused: sizing in the MILP (the sizing rows are for the LP).
  in.sizing = Sizing();
  in.no_simultaneous = true;
  EXPECT_FALSE(BuildDispatchProblem(in));
}

}  // namespace
}  // namespace meg
