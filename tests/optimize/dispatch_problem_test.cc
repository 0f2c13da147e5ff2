// The day dispatch problem of the Jeonju hospital (data/sites/jeonju-hospital.toml) on its real
// 2024 load and PV: CLP's optimum confirmed by glpsol from the written LP file on four days
// (winter weekday, summer weekday, a holiday, an autumn weekday), and the physics of the
// schedule (balance, SoC window, contract power, no simultaneous charge and discharge).
#include "optimize/dispatch_problem.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "io/site_config.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "optimize/glpsol.h"
#include "optimize/hospital_day.h"
#include "optimize/lossless_site.h"
#include "sim/site_inputs.h"
#include "tariff/slot_price.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using Hospital = testing::ShippedSite;

// Loaded once: PrepareSiteInputs runs the PV model over the year.
const Hospital& TheHospital() { return testing::LoadShippedSite(); }

// The day's problem with a standing peak of 900 kW (below the hospital's daytime load, so
// shaving pays) and the start SoC of the site file (45 % of 1,000 kWh).
DispatchInput DayInput(Date day, bool milp = false) {
  const Hospital& h = TheHospital();
  const Timestamp from = FromKst(day), to = from + std::chrono::hours(24);
  DispatchInput in;
  in.site = &h.site;
  in.book = &h.book;
  in.calendar = &h.calendar;
  in.tariff = h.tariff;
  in.load = h.inputs.load.Slice(from, to);
  in.pv = h.inputs.pv.Slice(from, to);
  in.soc_start = KilowattHours(450);
  in.standing_peak = Kilowatts(900);
  in.months_binding = MonthsBinding(std::chrono::year_month{day.year(), day.month()});
  in.no_simultaneous = milp;
  return in;
}

Date Ymd(int y, unsigned m, unsigned d) { return testing::Ymd(y, m, d); }

class DispatchDayTest : public ::testing::TestWithParam<Date> {};

// CLP's optimum equals glpsol's on the exact problem written in LP format.
TEST_P(DispatchDayTest, GlpsolConfirmsClpOptimum) {
  if (!testing::HaveGlpsol()) GTEST_SKIP() << "glpsol missing: run scripts/setup (glpk-utils)";
  auto problem = BuildDispatchProblem(DayInput(GetParam()));
  ASSERT_TRUE(problem) << problem.error().message;
  ClpCbcSolver solver;
  auto report = solver.Solve(problem->model, {});
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->status, SolveStatus::kOptimal) << report->message;
  const std::string name = FormatDate(GetParam());
  auto glpk = testing::GlpsolObjective(WriteLpFormat(problem->model), testing::TempDir("day"), name);
  ASSERT_TRUE(glpk) << "glpsol found no optimum for " << name;
  RecordProperty("clp_objective_krw", std::to_string(report->objective));
  RecordProperty("glpsol_objective_krw", std::to_string(*glpk));
  std::cout << fmt::format("[ figures  ] {}: CLP {:.6f} KRW, glpsol {:.6f} KRW, rel diff {:.2e}\n", name,
                           report->objective, *glpk,
                           std::fabs(report->objective - *glpk) / std::fabs(report->objective));
  EXPECT_NEAR(*glpk, report->objective, 1e-6 * std::fabs(report->objective));
}

// Balance, SoC window, SoC dynamics, contract power, and the objective split adds up.
TEST_P(DispatchDayTest, ScheduleKeepsThePhysics) {
  const Hospital& h = TheHospital();
  for (const bool milp : {false, true}) {
    SCOPED_TRACE(milp ? "MILP" : "LP");
    const DispatchInput in = DayInput(GetParam(), milp);
    auto problem = BuildDispatchProblem(in);
    ASSERT_TRUE(problem) << problem.error().message;
    ClpCbcSolver solver;
    auto report = solver.Solve(problem->model, {});
    ASSERT_TRUE(report) << report.error().message;
    ASSERT_EQ(report->status, SolveStatus::kOptimal) << report->message;
    const Schedule s = DecodeSchedule(*problem, *report);
    ASSERT_EQ(s.intervals.size(), 96u);
    const EssSpec& ess = *h.site.ess;
    double soc = in.soc_start.value();
    for (size_t t = 0; t < s.intervals.size(); ++t) {
      const ScheduleInterval& iv = s.intervals[t];
      const double load = in.load.at(t)->value();
      const double balance = iv.grid_import.value() - iv.grid_export.value() + iv.pv_used.value() +
                             iv.discharge.value() - iv.charge.value();
      EXPECT_NEAR(balance, load, 1e-6) << t;
      soc += (0.96 * iv.charge.value() - iv.discharge.value() / 0.96) * 0.25;
      EXPECT_NEAR(iv.soc_end.value(), soc, 1e-6) << t;
      EXPECT_GE(iv.soc_end.value(), 100 - 1e-6) << t;  // 10 % of 1,000 kWh
      EXPECT_LE(iv.soc_end.value(), 800 + 1e-6) << t;  // 80 %
      EXPECT_LE(iv.grid_import.value(), 1700 + 1e-6) << t;
      EXPECT_LE(iv.grid_export.value(), 1e-9) << t;  // no export allowed
      EXPECT_LE(iv.charge.value(), ess.charge_kw.value() + 1e-6);
      EXPECT_LE(iv.discharge.value(), ess.discharge_kw.value() + 1e-6);
      EXPECT_LE(iv.pv_used.value(), in.pv.at(t)->value() + 1e-6);
      if (milp) {
        EXPECT_LE(std::min(iv.charge.value(), iv.discharge.value()), 1e-6) << t;
      }
      if (iv.demand_counts) {
        EXPECT_LE(iv.grid_import.value(), s.peak.value() + 1e-6) << t;
      }
    }
    EXPECT_NEAR(s.objective_krw, report->objective, 1e-6 * std::fabs(report->objective));
    EXPECT_GE(s.peak.value(), 900);
  }
}

INSTANTIATE_TEST_SUITE_P(Jeonju2024, DispatchDayTest,
                         ::testing::Values(Ymd(2024, 1, 15), Ymd(2024, 8, 12), Ymd(2024, 10, 9), Ymd(2024, 11, 12)),
                         [](const auto& info) {
                           std::string s = FormatDate(info.param);
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

// A holiday (한글날 2024-10-09) has no counted demand: the peak stays at the standing peak and
// the demand part is zero.
TEST(DispatchProblemTest, HolidayHasNoDemandCharge) {
  auto problem = BuildDispatchProblem(DayInput(Ymd(2024, 10, 9)));
  ASSERT_TRUE(problem) << problem.error().message;
  for (const auto& iv : problem->intervals) EXPECT_FALSE(iv.demand_counts);
  ClpCbcSolver solver;
  auto report = solver.Solve(problem->model, {});
  ASSERT_TRUE(report);
  const Schedule s = DecodeSchedule(*problem, *report);
  EXPECT_EQ(s.demand_krw, 0);
  EXPECT_EQ(s.peak.value(), 900);
}

// Every interval's energy price and the month's demand price are the tariff's slot prices
// (PriceDay), with and without VAT and the fund. The hospital (일반용(을) 고압A 선택II) on Mon
// 2024-08-12 at 11:00, summer 최대부하: 222.3 + 9.0 climate + 5.0 fuel = 236.3 KRW/kWh; x (1 + 10 %
// + 3.2 %) = 267.4916. Basic 8,320 KRW/kW x 12 bills (August is a demand month), x 1.132 taxed.
TEST(DispatchProblemTest, PricesAreTheTariffsSlotPrices) {
  const Hospital& h = TheHospital();
  for (const bool taxes : {false, true}) {
    SCOPED_TRACE(taxes ? "with taxes" : "before taxes");
    DispatchInput in = DayInput(Ymd(2024, 8, 12));
    in.with_taxes = taxes;
    auto problem = BuildDispatchProblem(in);
    ASSERT_TRUE(problem) << problem.error().message;
    PriceOptions options;
    options.with_taxes = taxes;
    auto day = PriceDay(h.book, h.calendar, h.tariff, Ymd(2024, 8, 12), options);
    ASSERT_TRUE(day) << day.error().message;
    ASSERT_EQ(problem->intervals.size(), 96u);
    for (int s = 0; s < kIntervalsPerDay; ++s) {
      const DispatchInterval& iv = problem->intervals[static_cast<size_t>(s)];
      EXPECT_EQ(iv.price_krw_per_kwh, day->KrwPerKwh(s)) << s;
      EXPECT_EQ(iv.demand_counts, day->slots[static_cast<size_t>(s)].demand_counts) << s;
    }
    EXPECT_NEAR(problem->intervals[44].price_krw_per_kwh, taxes ? 267.4916 : 236.3, 1e-9);
    EXPECT_NEAR(problem->months.front().demand_krw_per_kw, 8320 * 12 * (taxes ? 1.132 : 1.0), 1e-6);
  }
}

TEST(DispatchProblemTest, MonthsBindingIsTwelveInDemandMonths) {
  using std::chrono::year;
  EXPECT_EQ(MonthsBinding(year{2024} / std::chrono::August), 12);
  EXPECT_EQ(MonthsBinding(year{2024} / std::chrono::December), 12);
  EXPECT_EQ(MonthsBinding(year{2024} / std::chrono::February), 12);
  EXPECT_EQ(MonthsBinding(year{2024} / std::chrono::October), 1);
  EXPECT_EQ(MonthsBinding(year{2024} / std::chrono::June), 1);
}

// A horizon across a month end (2024-06-30 12:00 to 07-01 12:00 KST) prices each month's peak on
// its own: June (not a demand month) against June's standing peak, July (a demand month: 12 bills)
// against the later standing peak. With June's standing peak out of reach (2,000 kW) and July's at
// 900 kW, the plan shaves July's morning and leaves June alone; one peak for the whole horizon
// (June's) would have valued no shaving at all.
TEST(DispatchProblemTest, HorizonAcrossAMonthEndPricesEachMonthsPeak) {
  const Hospital& h = TheHospital();
  DispatchInput in = DayInput(Ymd(2024, 6, 30));
  const Timestamp from = FromKst(Ymd(2024, 6, 30)) + std::chrono::hours(12), to = from + std::chrono::hours(24);
  in.load = h.inputs.load.Slice(from, to);
  in.pv = h.inputs.pv.Slice(from, to);
  in.standing_peak = Kilowatts(2000);
  in.months_binding = MonthsBinding(std::chrono::year{2024} / std::chrono::June);
  in.later_standing_peak = Kilowatts(900);
  auto problem = BuildDispatchProblem(in);
  ASSERT_TRUE(problem) << problem.error().message;
  ASSERT_EQ(problem->months.size(), 2u);
  const DispatchMonth& june = problem->months[0];
  const DispatchMonth& july = problem->months[1];
  EXPECT_EQ(june.month, std::chrono::year{2024} / std::chrono::June);
  EXPECT_EQ(july.month, std::chrono::year{2024} / std::chrono::July);
  EXPECT_EQ(june.months_binding, 1);
  EXPECT_EQ(july.months_binding, 12);
  EXPECT_EQ(june.standing_peak_kw, 2000);
  EXPECT_EQ(july.standing_peak_kw, 900);
  // The basic rate is the same all year (art. 68), so July's price per kW is 12 x June's.
  EXPECT_DOUBLE_EQ(july.demand_krw_per_kw, 12 * june.demand_krw_per_kw);
  ClpCbcSolver solver;
  auto report = solver.Solve(problem->model, {});
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->status, SolveStatus::kOptimal) << report->message;
  const Schedule s = DecodeSchedule(*problem, *report);
  double july_net_peak = 0, july_import_peak = 0;
  for (size_t t = 0; t < s.intervals.size(); ++t) {
    const DispatchInterval& iv = problem->intervals[t];
    const ScheduleInterval& o = s.intervals[t];
    if (iv.month == 0) {
      EXPECT_EQ(o.month_peak.value(), 2000) << t;
      continue;
    }
    EXPECT_GE(o.month_peak.value(), 900 - 1e-6) << t;
    if (!iv.demand_counts) continue;
    july_net_peak = std::max(july_net_peak, iv.load_kw - iv.pv_kw);
    july_import_peak = std::max(july_import_peak, o.grid_import.value());
    EXPECT_LE(o.grid_import.value(), o.month_peak.value() + 1e-6) << t;
  }
  ASSERT_GT(july_net_peak, 900);  // the morning of 07-01 is worth shaving
  EXPECT_LT(july_import_peak, july_net_peak - 10);
  EXPECT_GT(s.demand_krw, 0);
}

// bill_months_only prices each month of the horizon once, prorated by its days in the horizon, on
// its billing demand, a later month's including the peak of an earlier demand month (the ratchet).
// Without a battery nothing is decided: 2024-07-31 to 08-02 KST, the hospital's import is its load
// (August's at 85 %) less PV, July's charge is the basic rate x 1/31 x July 31's peak and August's
// the basic rate x 2/31 x the larger of August's two days' peak and July's (July's), with taxes.
TEST(DispatchProblemTest, BillMonthsOnlyLinksALaterMonthToAnEarlierDemandMonthsPeak) {
  const Hospital& h = TheHospital();
  Site no_ess = h.site;
  no_ess.ess.reset();
  DispatchInput in = DayInput(Ymd(2024, 7, 31));
  in.site = &no_ess;
  const Timestamp from = FromKst(Ymd(2024, 7, 31)), to = from + std::chrono::hours(72);
  // August's load at 85 %, so that July's peak stands above August's own.
  std::vector<std::optional<Kilowatts>> load;
  for (Timestamp t = from; t < to; t += kInterval) {
    const double kw = h.inputs.load.at(*h.inputs.load.IndexOf(t))->value();
    load.emplace_back(Kilowatts(t < FromKst(Ymd(2024, 8, 1)) ? kw : 0.85 * kw));
  }
  in.load = PowerSeries(from, kInterval, std::move(load));
  in.pv = h.inputs.pv.Slice(from, to);
  in.soc_start = KilowattHours(0);
  in.standing_peak = Kilowatts(0);
  in.later_standing_peak = Kilowatts(0);
  in.with_taxes = true;
  in.bill_months_only = true;
  auto problem = BuildDispatchProblem(in);
  ASSERT_TRUE(problem) << problem.error().message;
  ASSERT_EQ(problem->months.size(), 2u);
  EXPECT_EQ(problem->months[0].bill_excess, -1);  // July: no demand month before it in the horizon
  EXPECT_GE(problem->months[1].bill_excess, 0);   // August: after July
  double peak[2] = {0, 0};
  for (const DispatchInterval& iv : problem->intervals) {
    if (iv.demand_counts) peak[iv.month] = std::max(peak[iv.month], iv.load_kw - iv.pv_kw);
  }
  ASSERT_GT(peak[0], 0);
  ASSERT_GT(peak[1], 0);
  ASSERT_GT(peak[0], peak[1]);  // July's peak is the one August's bill pays
  const auto basic = [&](Date d) {
    return PriceDay(h.book, h.calendar, h.tariff, d, {.with_taxes = true, .fuel_override = {}})->BasicKrwPerKw();
  };
  const double expected =
      basic(Ymd(2024, 7, 31)) / 31 * peak[0] + basic(Ymd(2024, 8, 1)) * 2 / 31 * std::max(peak[0], peak[1]);
  ClpCbcSolver solver;
  auto report = solver.Solve(problem->model, {});
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->status, SolveStatus::kOptimal) << report->message;
  const Schedule s = DecodeSchedule(*problem, *report);
  EXPECT_NEAR(s.demand_krw, expected, 1e-6 * expected);
  EXPECT_NEAR(s.intervals.front().month_peak.value(), peak[0], 1e-6);
  EXPECT_NEAR(s.intervals.back().month_peak.value(), peak[1], 1e-6);
  // A re-plan on 07-31 of a run billed from 07-01 still pays July's whole basic charge.
  in.billed_from = FromKst(Ymd(2024, 7, 1));
  auto replanned = BuildDispatchProblem(in);
  ASSERT_TRUE(replanned) << replanned.error().message;
  EXPECT_NEAR(replanned->months[0].demand_krw_per_kw, basic(Ymd(2024, 7, 31)), 1e-9);
  EXPECT_NEAR(replanned->months[1].demand_krw_per_kw, basic(Ymd(2024, 8, 1)) * 2 / 31, 1e-9);

  // A meter history: July stands on an older ratchet 200 kW above its own peak, which August's
  // ratchet no longer holds (August stands on 0). What carries into August is July's own peak, not
  // the ratchet July stood on: August pays max(July's peak, its own), July pays the older ratchet
  // (no excess above it), as the bill engine would (art. 68 ①).
  in.billed_from.reset();
  in.standing_peak = Kilowatts(peak[0] + 200);
  in.later_standing_by_month = {{std::chrono::year{2024} / 8, 0.0}};
  auto history = BuildDispatchProblem(in);
  ASSERT_TRUE(history) << history.error().message;
  auto solved = solver.Solve(history->model, {});
  ASSERT_TRUE(solved && solved->status == SolveStatus::kOptimal);
  const Schedule with_history = DecodeSchedule(*history, *solved);
  const double august = basic(Ymd(2024, 8, 1)) * 2 / 31 * std::max(peak[0], peak[1]);
  EXPECT_NEAR(with_history.demand_krw, august, 1e-6 * august);
}

// A receding horizon moved on by one interval, warm-started from the basis of the solve before
// (ShiftBasis), reaches the same optimum as a cold solve in fewer simplex iterations, step after
// step.
TEST(DispatchProblemTest, WarmStartFromShiftedBasisReachesTheSameOptimum) {
  const Hospital& h = TheHospital();
  ClpCbcSolver solver;
  DispatchInput in = DayInput(Ymd(2024, 8, 12));
  auto previous = BuildDispatchProblem(in);
  ASSERT_TRUE(previous) << previous.error().message;
  auto report = solver.Solve(previous->model, {});
  ASSERT_TRUE(report);
  ASSERT_EQ(report->status, SolveStatus::kOptimal);
  ASSERT_EQ(report->basis.variables.size(), static_cast<size_t>(previous->model.num_variables()));
  ASSERT_EQ(report->basis.rows.size(), static_cast<size_t>(previous->model.num_rows()));
  LpBasis basis = report->basis;
  long cold_iterations = 0, warm_iterations = 0;
  for (int step = 1; step <= 8; ++step) {
    SCOPED_TRACE(step);
    const Timestamp from = FromKst(Ymd(2024, 8, 12)) + step * kInterval;
    in.load = h.inputs.load.Slice(from, from + std::chrono::hours(24));
    in.pv = h.inputs.pv.Slice(from, from + std::chrono::hours(24));
    auto problem = BuildDispatchProblem(in);
    ASSERT_TRUE(problem) << problem.error().message;
    auto cold = solver.Solve(problem->model, {});
    const LpBasis start = ShiftBasis(*previous, basis, *problem);
    ASSERT_FALSE(start.empty());
    SolveOptions options;
    options.warm_start = &start;
    auto warm = solver.Solve(problem->model, options);
    ASSERT_TRUE(cold && warm);
    ASSERT_EQ(cold->status, SolveStatus::kOptimal);
    ASSERT_EQ(warm->status, SolveStatus::kOptimal);
    EXPECT_TRUE(warm->warm_started);
    EXPECT_FALSE(cold->warm_started);
    EXPECT_NEAR(warm->objective, cold->objective, 1e-7 * std::fabs(cold->objective));
    cold_iterations += cold->iterations;
    warm_iterations += warm->iterations;
    basis = warm->basis;
    previous = std::move(problem);
  }
  std::cout << fmt::format("[ figures  ] 8 shifted solves: {} simplex iterations cold, {} warm\n", cold_iterations,
                           warm_iterations);
  EXPECT_LT(warm_iterations, cold_iterations / 2);
}

// A peak reserve keeps energy stored for a load above the forecast: at the start of every
// interval, the energy above the SoC minimum covers the extra discharge (max(0, import + 80 kW -
// P), from the definition) of the counted intervals of the next 2 hours. Checked on the decoded
// schedule; negative or mis-sized reserves are refused.
TEST(DispatchProblemTest, PeakReserveKeepsEnergyForALoadAboveTheForecast) {
  const Hospital& h = TheHospital();
  const EssSpec& ess = *h.site.ess;
  const double soc_min = ess.usable_kwh.value() * ess.soc_min_pct / 100.0;
  const double eta_d = ess.discharge_efficiency_pct / 100.0;
  ClpCbcSolver solver;
  DispatchInput in = DayInput(Ymd(2024, 8, 12));
  auto plain = BuildDispatchProblem(in);
  ASSERT_TRUE(plain);
  const Schedule s0 = DecodeSchedule(*plain, solver.Solve(plain->model, {}).value());
  in.peak_reserve_kw.assign(in.load.size(), 80.0);
  auto reserved = BuildDispatchProblem(in);
  ASSERT_TRUE(reserved) << reserved.error().message;
  auto report = solver.Solve(reserved->model, {});
  ASSERT_TRUE(report && report->status == SolveStatus::kOptimal);
  const Schedule s1 = DecodeSchedule(*reserved, *report);
  const size_t n = s1.intervals.size();
  std::vector<double> extra_kw(n, 0.0);
  for (size_t t = 0; t < n; ++t) {
    const ScheduleInterval& iv = s1.intervals[t];
    if (!iv.demand_counts) continue;
    EXPECT_LE(iv.grid_import.value(), s1.peak.value() + 1e-6) << t;
    extra_kw[t] = std::max(0.0, iv.grid_import.value() + 80.0 - s1.peak.value());
    // The extra discharge fits the rating on top of what the plan already discharges.
    EXPECT_LE(extra_kw[t] + iv.discharge.value() - iv.charge.value(), ess.discharge_kw.value() + 1e-6) << t;
  }
  bool binding = false;
  for (size_t t = 0; t < n; ++t) {
    const double soc_start = t == 0 ? in.soc_start.value() : s1.intervals[t - 1].soc_end.value();
    double need_kwh = 0;
    for (size_t u = t; u < std::min(n, t + 8); ++u) need_kwh += extra_kw[u] * 0.25 / eta_d;
    EXPECT_GE(soc_start - need_kwh, soc_min - 1e-6) << t;
    binding = binding || (need_kwh > 1 && soc_start - need_kwh < soc_min + 1e-3);
  }
  EXPECT_TRUE(binding);  // the reserve held energy back at some point: the test is not vacuous
  EXPECT_GT(s1.objective_krw, s0.objective_krw + 1);  // and holding it back cost something
  in.peak_reserve_kw.assign(in.load.size(), -1.0);
  EXPECT_FALSE(BuildDispatchProblem(in));
  in.peak_reserve_kw.assign(3, 10.0);
  EXPECT_FALSE(BuildDispatchProblem(in));
}

// 1,000 kW all day on Tuesday 2024-08-06 (일반용(을) 고압A 선택II), no PV, the lossless battery
// worn at 1,000 KRW/kWh (tests/optimize/lossless_site.h). Input() points into this object.
struct FlatAugustDay {
  TariffBook book = testing::LoadShippedBook();
  HolidayCalendar calendar = testing::LoadSharedCalendar();
  Site site = testing::LosslessWornSite();
  DispatchInput Input() const {
    const Timestamp from = FromKst(Ymd(2024, 8, 6));
    DispatchInput in;
    in.site = &site;
    in.book = &book;
    in.calendar = &calendar;
    in.tariff = book.FindTariff("일반용(을) 고압A 선택II").value();
    in.load = PowerSeries(from, kInterval, std::vector<std::optional<Kilowatts>>(96, Kilowatts(1000)));
    in.pv = PowerSeries(from, kInterval, std::vector<std::optional<Kilowatts>>(96, Kilowatts(0)));
    return in;
  }
};

// The default value of the energy left stored (DispatchInput::terminal_krw_per_kwh): what storing
// it again would cost, (the cheapest price + half the wear) / charge efficiency, and 1 KRW a kWh
// more, with 1 KRW a kWh-day for every interval it is held. A battery (1,000 kWh, 500 kW, no
// losses, worn at 1,000 KRW a kWh so that no price spread pays for a cycle) empty at midnight of
// a flat 1,000 kW day with nothing to shave is refilled: 500 kW in the first eight quarter-hours
// of 경부하 (00:00-02:00), the first of the equally cheap hours and not the last (22:00-24:00).
// Held: 125 + 250 + ... + 1,000 kWh over the first 8 intervals (4,500) and 1,000 over the other 88,
// 92,500 kWh x 0.25 h / 24 h x 1 KRW. With the value at the cheapest price alone (the value before
// issue 18), filling costs its wear for nothing: the battery stays empty.
TEST(DispatchProblemTest, AnIdleBatteryIsRefilledAtTheFirstOfTheCheapestHours) {
  const FlatAugustDay day;
  DispatchInput in = day.Input();
  in.soc_start = KilowattHours(0);
  in.standing_peak = Kilowatts(1000);
  in.months_binding = 12;
  ClpCbcSolver solver;
  auto problem = BuildDispatchProblem(in);
  ASSERT_TRUE(problem) << problem.error().message;
  double cheapest = 1e9;
  for (const DispatchInterval& iv : problem->intervals) cheapest = std::min(cheapest, iv.price_krw_per_kwh);
  EXPECT_NEAR(problem->terminal_krw_per_kwh, cheapest + 500 + 1, 1e-9);
  auto report = solver.Solve(problem->model, {});
  ASSERT_TRUE(report && report->status == SolveStatus::kOptimal);
  const Schedule s = DecodeSchedule(*problem, *report);
  ASSERT_EQ(s.intervals.size(), 96u);
  for (size_t t = 0; t < 96; ++t) {
    EXPECT_NEAR(s.intervals[t].charge.value(), t < 8 ? 500 : 0, 1e-6) << t;
    EXPECT_NEAR(s.intervals[t].discharge.value(), 0, 1e-6) << t;
  }
  EXPECT_NEAR(s.intervals.back().soc_end.value(), 1000, 1e-6);
  EXPECT_NEAR(s.terminal_krw, -(1000 * (cheapest + 501) + 92'500 * 0.25 / 24), 1e-6);
  in.terminal_krw_per_kwh = cheapest;
  auto old = BuildDispatchProblem(in);
  ASSERT_TRUE(old);
  const Schedule s_old = DecodeSchedule(*old, solver.Solve(old->model, {}).value());
  EXPECT_NEAR(s_old.charged.value(), 0, 1e-6);
}

// The value of the energy left stored where no peak can bind, worked by hand. Tuesday 2024-04-16
// on 교육용(갑) 고압A 선택II: one energy rate p for every hour of the season (art. 67 ⑧). 100 kW
// all day, no PV; the lossless battery (tests/optimize/lossless_site.h) worn at 30 KRW/kWh, empty
// at midnight. Buying a kWh to store costs p + 15 (the charge's half of the wear); a stored kWh
// saves at most p - 15 (the discharge's half).
//  * Standing peak 200 kW: the load never reaches it, so no peak can bind and a kWh left stored
//    is worth min(p + 15 + 1, p - 15 + 1) = p - 14: the battery stays empty (the grid would fill it
//    only for it to stand full).
//  * One counted quarter-hour at 200 kW (the standing peak), or 100 kW all day with a peak reserve
//    of 100 kW: a peak may bind, the value is p + 16 and the battery is refilled (the first: to
//    1,000 kWh, charging in the other quarter-hours without lifting the demand above 200 kW; the
//    second as far as the reserve rows let a charge raise the counted demand the reserve is kept
//    for).
TEST(DispatchProblemTest, WhereNoPeakCanBindStoredEnergyIsWorthWhatItSavesNotItsRefill) {
  const TariffBook book = testing::LoadShippedBook();
  const HolidayCalendar calendar = testing::LoadSharedCalendar();
  Site site = testing::LosslessWornSite();
  site.ess->degradation_cost = WonPerKwh::FromMilliWon(30 * 1000);
  const Timestamp from = FromKst(Ymd(2024, 4, 16));
  DispatchInput in;
  in.site = &site;
  in.book = &book;
  in.calendar = &calendar;
  in.tariff = book.FindTariff("교육용(갑) 고압A 선택II").value();
  in.pv = PowerSeries(from, kInterval, std::vector<std::optional<Kilowatts>>(96, Kilowatts(0)));
  in.soc_start = KilowattHours(0);
  in.standing_peak = Kilowatts(200);
  const auto flat = [&](std::optional<size_t> peak_at) {
    std::vector<std::optional<Kilowatts>> kw(96, Kilowatts(100));
    if (peak_at) kw[*peak_at] = Kilowatts(200);
    return PowerSeries(from, kInterval, std::move(kw));
  };
  in.load = flat(std::nullopt);
  auto premise = BuildDispatchProblem(in);
  ASSERT_TRUE(premise) << premise.error().message;
  const double p = premise->intervals.front().price_krw_per_kwh;
  std::optional<size_t> counted;
  for (size_t t = 0; t < 96; ++t) {
    ASSERT_NEAR(premise->intervals[t].price_krw_per_kwh, p, 1e-9);  // one rate all day
    if (premise->intervals[t].demand_counts && !counted) counted = t;
  }
  ASSERT_TRUE(counted);
  ClpCbcSolver solver;
  const auto plan = [&](double* terminal) {
    auto problem = BuildDispatchProblem(in);
    EXPECT_TRUE(problem) << problem.error().message;
    if (!problem) return Schedule{};
    *terminal = problem->terminal_krw_per_kwh;
    return DecodeSchedule(*problem, solver.Solve(problem->model, {}).value());
  };
  double terminal = 0;
  const Schedule free = plan(&terminal);
  EXPECT_NEAR(terminal, p - 14, 1e-9);
  EXPECT_NEAR(free.charged.value(), 0, 1e-6);
  in.load = flat(counted);
  const Schedule reached = plan(&terminal);
  EXPECT_NEAR(terminal, p + 16, 1e-9);
  EXPECT_NEAR(reached.intervals.back().soc_end.value(), 1000, 1e-6);
  in.load = flat(std::nullopt);
  in.peak_reserve_kw.assign(96, 100.0);
  const Schedule reserved = plan(&terminal);
  EXPECT_NEAR(terminal, p + 16, 1e-9);
  EXPECT_GT(reserved.charged.value(), 100);
}

// A demand month's own peak against the bills it ratchets into, worked by hand. August 2024 (a
// demand month), 1,000 kW all day, 일반용(을) 고압A 선택II (demand counts 08:00-22:00, 56
// intervals; basic 8,320 KRW/kW), the lossless battery worn at 1,000 KRW/kWh, 800 kWh stored. An
// older ratchet R = 1,100 kW stands this month; the month's own peak so far is 800 kW; the next
// 11 bills stand at 950 kW (10 of them) and 300 kW (one: the old ratchet has dropped out).
// Shaving the own peak O by 1 kW takes 14 kWh: 7,000 KRW of wear and 14 x (cheapest + 501) of the
// energy left stored, less 14 kWh of mid- or on-peak energy not bought, about 13,000 KRW.
// - Without the later bills (12 x (P - R)): 1,000 kW is below R, free; the battery stays idle.
// - With them: a kW of O above 950 kW costs 11 bills (91,520 KRW), below it one (8,320 KRW), so
//   O = 950 kW, 50 kW discharged in each counted interval (700 kWh, within the 800 kWh), and the
//   demand part is 8,320 x (0 above R + 10 x 0 + 1 x (950 - 300)) = 5,408,000 KRW.
TEST(DispatchProblemTest, AnOwnPeakBelowAnOldRatchetCountsInTheBillsAfterItDropsOut) {
  const FlatAugustDay day;
  DispatchInput in = day.Input();
  in.soc_start = KilowattHours(800);
  in.standing_peak = Kilowatts(1100);
  in.months_binding = 12;
  in.first_month_peak = Kilowatts(800);
  ClpCbcSolver solver;
  const auto solve = [&] {
    auto problem = BuildDispatchProblem(in);
    EXPECT_TRUE(problem) << problem.error().message;
    auto report = solver.Solve(problem->model, {});
    EXPECT_TRUE(report && report->status == SolveStatus::kOptimal);
    return DecodeSchedule(*problem, *report);
  };
  const auto counted_peak = [](const Schedule& s) {
    double peak = 0;
    for (const ScheduleInterval& iv : s.intervals) peak = std::max(peak, iv.demand_counts ? iv.grid_import.value() : 0);
    return peak;
  };
  const Schedule old = solve();
  EXPECT_NEAR(counted_peak(old), 1000, 1e-6);
  EXPECT_FALSE(std::isfinite(old.own_peak.value()));
  EXPECT_NEAR(old.demand_krw, 0, 1e-6);

  in.first_month_later_standing_kw = std::vector<double>(10, 950.0);
  in.first_month_later_standing_kw.push_back(300);
  const Schedule s = solve();
  EXPECT_NEAR(s.own_peak.value(), 950, 1e-6);
  EXPECT_NEAR(counted_peak(s), 950, 1e-6);
  int counted = 0;
  for (const ScheduleInterval& iv : s.intervals) {
    if (!iv.demand_counts) continue;
    ++counted;
    EXPECT_NEAR(iv.discharge.value() - iv.charge.value(), 50, 1e-6) << FormatKst(iv.start);
  }
  EXPECT_EQ(counted, 56);
  EXPECT_NEAR(s.demand_krw, 8320.0 * (950 - 300), 1e-3);
  // The peak the plan accepts is the own peak; the month's billing demand stays at R.
  EXPECT_NEAR(s.intervals[50].month_peak.value(), 950, 1e-6);
  EXPECT_NEAR(s.peak.value(), 1100, 1e-6);
}

// A DR call of 2 h (14:00-16:00 on 2024-08-12) asking 200 kW below what the site would import
// without its battery: with the shortfall priced above any saving (1,000,000 KRW/kWh, far above
// the 12 months of basic charge a kW of new peak costs), the plan holds the import at the cap in
// every event interval; the reduction beyond the request earns SMP up to 0.2 x 200 kW.
// glpsol confirms the optimum. An unreachable cap keeps the problem feasible: the shortfall is
// exactly the import above the cap.
TEST(DispatchProblemTest, DrCommitmentHoldsTheImportAtTheCap) {
  if (!testing::HaveGlpsol()) GTEST_SKIP() << "glpsol missing: run scripts/setup (glpk-utils)";
  const Timestamp from = FromKst(Ymd(2024, 8, 12), 14 * 60), to = from + std::chrono::hours(2);
  DispatchInput in = DayInput(Ymd(2024, 8, 12));
  ClpCbcSolver solver;
  auto plain = BuildDispatchProblem(in);
  ASSERT_TRUE(plain);
  const Schedule s0 = DecodeSchedule(*plain, solver.Solve(plain->model, {}).value());
  // The cap of each hour: the hour's mean net load (load - PV, no battery) less 200 kW.
  std::vector<double> cap_kw;
  for (int h = 0; h < 2; ++h) {
    double net = 0;
    for (int q = 0; q < 4; ++q) {
      const Timestamp t = from + std::chrono::minutes(60 * h + 15 * q);
      net += in.load.at(*in.load.IndexOf(t))->value() - in.pv.at(*in.pv.IndexOf(t))->value();
    }
    cap_kw.push_back(net / 4 - 200);
    in.dr.push_back(DrCommitment{from - std::chrono::hours(2), from + std::chrono::hours(h),
                                 from + std::chrono::hours(h + 1), Kilowatts(cap_kw.back()), Kilowatts(40),
                                 /*extra_krw_per_kwh=*/130, /*shortfall_krw_per_kwh=*/1e6});
  }
  bool above_without_dr = false;
  for (const ScheduleInterval& iv : s0.intervals) {
    if (iv.start >= from && iv.start < to) {
      above_without_dr =
          above_without_dr || iv.grid_import.value() > cap_kw[(iv.start - from) / std::chrono::hours(1)] + 1;
    }
  }
  EXPECT_TRUE(above_without_dr);  // the call asks for something the plain plan does not do
  auto problem = BuildDispatchProblem(in);
  ASSERT_TRUE(problem) << problem.error().message;
  auto report = solver.Solve(problem->model, {});
  ASSERT_TRUE(report && report->status == SolveStatus::kOptimal);
  const Schedule s = DecodeSchedule(*problem, *report);
  int in_event = 0;
  for (const ScheduleInterval& iv : s.intervals) {
    if (iv.start < from || iv.start >= to) {
      EXPECT_FALSE(iv.dr_cap) << FormatKst(iv.start);
      continue;
    }
    ++in_event;
    const double cap = cap_kw[(iv.start - from) / std::chrono::hours(1)];
    ASSERT_TRUE(iv.dr_cap);
    EXPECT_NEAR(iv.dr_cap->value(), cap, 1e-9);
    EXPECT_LE(iv.grid_import.value(), cap + 1e-6) << FormatKst(iv.start);
  }
  EXPECT_EQ(in_event, 8);
  EXPECT_NEAR(s.objective_krw, report->objective, 1e-6 * std::fabs(report->objective));
  auto glpk = testing::GlpsolObjective(WriteLpFormat(problem->model), testing::TempDir("dr"), "dr");
  ASSERT_TRUE(glpk);
  EXPECT_NEAR(*glpk, report->objective, 1e-6 * std::fabs(report->objective));

  // Unreachable: 2,000 kW below the net load. Still optimal; the shortfall carries the rest.
  for (DrCommitment& c : in.dr) c.import_cap = Kilowatts(c.import_cap.value() - 1800);
  auto hard = BuildDispatchProblem(in);
  ASSERT_TRUE(hard);
  auto hard_report = solver.Solve(hard->model, {});
  ASSERT_TRUE(hard_report && hard_report->status == SolveStatus::kOptimal);
  const Schedule sh = DecodeSchedule(*hard, *hard_report);
  double shortfall_kwh = 0;
  for (const ScheduleInterval& iv : sh.intervals) {
    if (iv.dr_cap) shortfall_kwh += std::max(0.0, iv.grid_import.value() - iv.dr_cap->value()) * 0.25;
  }
  EXPECT_GT(shortfall_kwh, 100);
  EXPECT_GT(sh.dr_krw, shortfall_kwh * 1e6 - 1);

  // A shortfall priced below the extra reduction's earning is refused (the LP would book phantom
  // reduction: extra and shortfall both up).
  in.dr.front().shortfall_krw_per_kwh = 100;
  EXPECT_FALSE(BuildDispatchProblem(in));
}

// A basis that does not belong to the problem it claims is refused (empty), not misapplied.
TEST(DispatchProblemTest, ShiftBasisRefusesAForeignBasis) {
  auto problem = BuildDispatchProblem(DayInput(Ymd(2024, 8, 12)));
  ASSERT_TRUE(problem);
  LpBasis wrong;
  wrong.variables.assign(3, BasisStatus::kBasic);
  EXPECT_TRUE(ShiftBasis(*problem, wrong, *problem).empty());
}

TEST(DispatchProblemTest, RefusesGapsAndStartSocOutsideWindow) {
  DispatchInput in = DayInput(Ymd(2024, 8, 12));
  in.soc_start = KilowattHours(900);
  auto p = BuildDispatchProblem(in);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("outside the window"), std::string::npos);
  in = DayInput(Ymd(2024, 8, 12));
  in.load.at(10).reset();
  p = BuildDispatchProblem(in);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("no load value"), std::string::npos);
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// An EV session in the plan, on a day where only the energy price matters: no battery, a flat
// 500 kW load under the 900 kW standing peak (no demand charge moves), a car of 7.04 kW from 09:00
// wanting 20 kWh by 17:50. The optimum of this separable problem is known without the LP: fill the
// cheapest quarter-hours first, each up to 7.04 kW x its share before the departure x 0.25 h (the
// 17:45 quarter-hour: a third). The LP's energy at each price level must be the greedy fill's; and
// glpsol must agree on the optimum.
TEST(DispatchProblemTest, AnEvSessionChargesInTheCheapestQuarterHoursBeforeItLeaves) {
  const testing::ShippedSite& h = testing::LoadShippedSite();
  Site site = h.site;
  site.ess.reset();
  site.pv.clear();
  const Date day = Ymd(2024, 8, 12);
  const Timestamp from = FromKst(day, 9 * 60), to = FromKst(day, 24 * 60);
  const size_t n = static_cast<size_t>((to - from) / kInterval);
  DispatchInput in;
  in.site = &site;
  in.book = &h.book;
  in.calendar = &h.calendar;
  in.tariff = h.tariff;
  in.load = PowerSeries(from, kInterval, std::vector<std::optional<Kilowatts>>(n, Kilowatts(500)));
  in.pv = PowerSeries(from, kInterval, std::vector<std::optional<Kilowatts>>(n, Kilowatts(0)));
  in.standing_peak = Kilowatts(900);
  const Timestamp leaves = FromKst(day, 17 * 60 + 50);
  in.ev.push_back(EvFlexLoad{7.04, 20, leaves});
  auto problem = BuildDispatchProblem(in);
  ASSERT_TRUE(problem) << problem.error().message;
  ClpCbcSolver solver;
  auto report = solver.Solve(problem->model, {});
  ASSERT_TRUE(report && report->status == SolveStatus::kOptimal);
  const Schedule s = DecodeSchedule(*problem, *report);
  EXPECT_NEAR(s.ev_short.value(), 0, 1e-9);
  // The greedy fill, by price level.
  std::vector<std::pair<double, double>> room;  // (price, kWh it can take)
  for (const DispatchInterval& iv : problem->intervals) {
    const double share = std::clamp((leaves - iv.start) / std::chrono::seconds(1) / 900.0, 0.0, 1.0);
    room.emplace_back(iv.price_krw_per_kwh, 7.04 * share * 0.25);
  }
  std::map<double, double> greedy, planned;  // price -> kWh
  std::vector<std::pair<double, double>> sorted = room;
  std::sort(sorted.begin(), sorted.end());
  double left = 20;
  for (const auto& [price, kwh] : sorted) {
    const double give = std::min(left, kwh);
    greedy[price] += give;
    left -= give;
  }
  ASSERT_NEAR(left, 0, 1e-9);
  double after = 0;
  for (size_t t = 0; t < s.intervals.size(); ++t) {
    planned[problem->intervals[t].price_krw_per_kwh] += s.intervals[t].ev.value() * 0.25;
    if (s.intervals[t].start >= leaves) after += s.intervals[t].ev.value();
  }
  EXPECT_NEAR(after, 0, 1e-12);  // nothing after it left
  for (const auto& [price, kwh] : greedy) EXPECT_NEAR(planned[price], kwh, 1e-6) << price << " KRW/kWh";
  EXPECT_GE(greedy.size(), 2u);  // the day has more than one price before 17:50
  // The objective: the load's energy and the car's, at the slot prices.
  EXPECT_NEAR(s.objective_krw, report->objective, 1e-6 * std::fabs(report->objective));
  if (testing::HaveGlpsol()) {
    auto glpk = testing::GlpsolObjective(WriteLpFormat(problem->model), testing::TempDir("ev"), "ev");
    ASSERT_TRUE(glpk);
    EXPECT_NEAR(*glpk, report->objective, 1e-6 * std::fabs(report->objective));
  }
  // Too much for the time left: 200 kWh by 17:50 is short by 200 - 7.04 x (8 h 50 min).
  in.ev.front().energy_kwh = 200;
  auto hard = BuildDispatchProblem(in);
  ASSERT_TRUE(hard);
  const Schedule sh = DecodeSchedule(*hard, solver.Solve(hard->model, {}).value());
  EXPECT_NEAR(sh.ev_short.value(), 200 - 7.04 * (8 + 50.0 / 60), 1e-6);
  EXPECT_NEAR(sh.ev_krw, sh.ev_short.value() * 2000, 1e-3);
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// Issue 21 item 5: the operator's battery modes and backup reserve in the plan, on the hospital's
// 2024-08-12 (a summer weekday; 1,000 kWh from 450 kWh). Each is checked against the plan without
// it, so that the check cannot pass by accident: the plain plan does what the mode forbids.
TEST(DispatchProblemTest, BatteryModesAndTheReserveShapeThePlan) {
  const Date day = Ymd(2024, 8, 12);
  const auto at = [&](int hh, int mm) { return ToInstant(FromKst(day, hh * 60 + mm)); };
  ClpCbcSolver solver;
  const auto plan = [&](const DispatchInput& in) {
    auto problem = BuildDispatchProblem(in);
    EXPECT_TRUE(problem) << problem.error().message;
    auto report = solver.Solve(problem->model, {});
    EXPECT_TRUE(report && report->status == SolveStatus::kOptimal);
    return DecodeSchedule(*problem, *report);
  };
  const Schedule plain = plan(DayInput(day));
  const auto index = [&](int hh, int mm) { return static_cast<size_t>((hh * 60 + mm) / 15); };

  // Hold 14:00-16:00: the plain plan discharges there (the summer peak), the held one does not move.
  DispatchInput hold = DayInput(day);
  hold.battery_mode = {BatteryModeKind::kHoldSoc, at(14, 0), at(16, 0), 0, Kilowatts(0)};
  const Schedule held = plan(hold);
  double moved = 0;
  for (size_t t = index(14, 0); t < index(16, 0); ++t) {
    moved += plain.intervals[t].discharge.value() + plain.intervals[t].charge.value();
    EXPECT_EQ(held.intervals[t].discharge.value(), 0.0) << t;
    EXPECT_EQ(held.intervals[t].charge.value(), 0.0) << t;
  }
  EXPECT_GT(moved, 1.0);

  // Reserve 40 % (400 kWh): the plain plan goes below it, the reserved one never ends an interval there.
  DispatchInput reserve = DayInput(day);
  reserve.battery_reserve_pct = 40;
  double lowest = 1e9;
  for (const auto& iv : plain.intervals) lowest = std::min(lowest, iv.soc_end.value());
  EXPECT_LT(lowest, 399.0);
  for (const auto& iv : plan(reserve).intervals) EXPECT_GE(iv.soc_end.value(), 400 - 1e-6);

  // Charge to 75 % by 12:00: 750 kWh at the end of 11:45-12:00, charged where the plan finds it cheapest.
  DispatchInput charge = DayInput(day);
  charge.battery_mode = {BatteryModeKind::kChargeTo, at(0, 0), at(12, 0), 75, Kilowatts(0)};
  EXPECT_LT(plain.intervals[index(11, 45)].soc_end.value(), 749.0);
  EXPECT_GE(plan(charge).intervals[index(11, 45)].soc_end.value(), 750 - 1e-6);
  if (testing::HaveGlpsol()) {
    auto problem = BuildDispatchProblem(charge);
    ASSERT_TRUE(problem);
    auto clp = solver.Solve(problem->model, {});
    auto glpk = testing::GlpsolObjective(WriteLpFormat(problem->model), testing::TempDir("mode"), "charge-to");
    ASSERT_TRUE(glpk && clp);
    EXPECT_NEAR(*glpk, clp->objective, 1e-6 * std::fabs(clp->objective));
  }

  // Discharge 300 kW 10:00-11:00: the plain plan does not; 300 kW x 1 h / 0.95 fits in the 350 kWh above the floor.
  DispatchInput window = DayInput(day);
  window.battery_mode = {BatteryModeKind::kDischargeWindow, at(10, 0), at(11, 0), 0, Kilowatts(300)};
  const Schedule w = plan(window);
  for (size_t t = index(10, 0); t < index(11, 0); ++t) {
    EXPECT_LT(plain.intervals[t].discharge.value(), 299.0) << t;
    EXPECT_NEAR(w.intervals[t].discharge.value(), 300.0, 1e-6)
        << t << " soc " << w.intervals[t].soc_end.value() << " imp " << w.intervals[t].grid_import.value() << " pv "
        << w.intervals[t].pv_used.value() << " xp " << w.intervals[t].grid_export.value();
    EXPECT_EQ(w.intervals[t].charge.value(), 0.0) << t;
  }
}

// A mode or a reserve set while the battery moves faster than its ramp lets it stop: the plan
// ramps it towards 0 as fast as it may, and is feasible (it was not: a hold right after a 400 kW
// discharge on a 10 kW/min battery left the LP no solution, and the loop fell back to its local
// rules). 10 kW/min is 150 kW per quarter-hour: from 400 kW the battery can be at 250 kW, then
// 100 kW, then 0, and no faster.
TEST(DispatchProblemTest, AModeOrReserveSetWhileTheBatteryMovesRampsItTowardsZero) {
  const Date day = Ymd(2024, 8, 12);
  const auto at = [&](int hh, int mm) { return ToInstant(FromKst(day, hh * 60 + mm)); };
  Site slow = TheHospital().site;
  slow.ess->ramp_kw_per_min = 10;
  ClpCbcSolver solver;
  const auto plan = [&](DispatchInput in) -> std::optional<Schedule> {
    in.site = &slow;
    auto problem = BuildDispatchProblem(in);
    EXPECT_TRUE(problem) << problem.error().message;
    if (!problem) return std::nullopt;
    auto report = solver.Solve(problem->model, {});
    EXPECT_TRUE(report && report->status == SolveStatus::kOptimal) << (report ? report->message : "");
    if (!report || report->status != SolveStatus::kOptimal) return std::nullopt;
    return DecodeSchedule(*problem, *report);
  };
  const auto power = [](const Schedule& s, size_t t) {
    return s.intervals[t].discharge.value() - s.intervals[t].charge.value();
  };

  DispatchInput hold = DayInput(day);
  hold.previous_battery = Kilowatts(400);
  hold.battery_mode = {BatteryModeKind::kHoldSoc, at(0, 0), at(6, 0), 0, Kilowatts(0)};
  const auto held = plan(hold);
  ASSERT_TRUE(held);
  EXPECT_NEAR(power(*held, 0), 250, 1e-6);
  EXPECT_NEAR(power(*held, 1), 100, 1e-6);
  for (size_t t = 2; t < 24; ++t) EXPECT_NEAR(power(*held, t), 0, 1e-6) << t;

  // A reserve at the start's 45 % (450 kWh): the ramp down spends (250 + 100) kW x 0.25 h / 0.96
  // = 91.146 kWh of it first; the plan then never goes lower.
  DispatchInput reserve = DayInput(day);
  reserve.previous_battery = Kilowatts(400);
  reserve.battery_reserve_pct = 45;
  const auto reserved = plan(reserve);
  ASSERT_TRUE(reserved);
  const double lowest_possible = 450 - 350 * 0.25 / 0.96;
  EXPECT_NEAR(reserved->intervals[1].soc_end.value(), lowest_possible, 1e-6);
  for (const auto& iv : reserved->intervals) EXPECT_GE(iv.soc_end.value(), lowest_possible - 1e-6);

  // A discharge window from now while charging at 400 kW: charging 250, then 100, then discharging.
  DispatchInput window = DayInput(day);
  window.previous_battery = Kilowatts(-400);
  window.battery_mode = {BatteryModeKind::kDischargeWindow, at(0, 0), at(2, 0), 0, Kilowatts(300)};
  const auto w = plan(window);
  ASSERT_TRUE(w);
  EXPECT_NEAR(power(*w, 0), -250, 1e-6);
  EXPECT_NEAR(power(*w, 1), -100, 1e-6);
  EXPECT_NEAR(power(*w, 2), 50, 1e-6);  // the ramp again: -100 + 150
  EXPECT_NEAR(power(*w, 3), 200, 1e-6);
  EXPECT_NEAR(power(*w, 4), 300, 1e-6);
}

}  // namespace
}  // namespace meg
