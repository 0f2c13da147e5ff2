// Dispatch solve time (issue 4 targets: median under 5 ms for a day-ahead 96-interval problem,
// under 20 ms for 48 h / 192 intervals), on the shipped Jeonju hospital (data/sites/
// jeonju-hospital.toml) from 2024-08-12 00:00 KST, a summer demand-month weekday, with CLP's dual
// simplex. BM_SolveDispatch solves from scratch (the figure); BM_WarmSolveDispatch solves
// the same horizon moved on by 15 minutes from the first solve's basis (ShiftBasis), as `mpc`
// does every interval. Building the model is measured separately.
// Run: build/release/bench/optimize_bench --benchmark_repetitions=20
//      (median and p99 are reported over the repetitions)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "site_fixture.h"
#include "io/text_file.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "optimize/dispatch_problem.h"
#include "sim/site_inputs.h"

namespace meg {
namespace {

using bench::OrDie;
using Fixture = bench::SiteFixture;
const Fixture& GetFixture() { return bench::JeonjuHospital(); }

DispatchInput Input(int hours, bool milp, int shift_intervals = 0) {
  const Fixture& f = GetFixture();
  const Timestamp from =
      FromKst(std::chrono::year{2024} / std::chrono::August / std::chrono::day{12}) + shift_intervals * kInterval;
  const Timestamp to = from + std::chrono::hours(hours);
  DispatchInput in;
  in.site = &f.site;
  in.book = &f.book;
  in.calendar = &f.calendar;
  in.tariff = f.tariff;
  in.load = f.inputs.load.Slice(from, to);
  in.pv = f.inputs.pv.Slice(from, to);
  in.soc_start = KilowattHours(450);
  in.standing_peak = Kilowatts(900);
  in.months_binding = 12;
  in.no_simultaneous = milp;
  return in;
}

void BM_BuildDispatch(benchmark::State& state) {
  const DispatchInput in = Input(static_cast<int>(state.range(0)), false);
  for (auto _ : state) benchmark::DoNotOptimize(BuildDispatchProblem(in));
  state.SetLabel(std::to_string(in.load.size()) + " intervals");
}

void BM_SolveDispatch(benchmark::State& state) {
  const bool milp = state.range(1) != 0;
  const DispatchProblem problem = OrDie(BuildDispatchProblem(Input(static_cast<int>(state.range(0)), milp)), "build");
  ClpCbcSolver solver;
  long iterations = 0;
  for (auto _ : state) {
    const SolveReport r = OrDie(solver.Solve(problem.model, {}), "solve");
    if (r.status != SolveStatus::kOptimal) state.SkipWithError("not optimal");
    iterations = r.iterations;
  }
  state.counters["iterations"] = static_cast<double>(iterations);
  state.SetLabel(std::to_string(problem.intervals.size()) + " intervals, " + (milp ? "MILP (CBC)" : "LP (CLP)"));
}

void BM_WarmSolveDispatch(benchmark::State& state) {
  const int hours = static_cast<int>(state.range(0));
  const DispatchProblem first = OrDie(BuildDispatchProblem(Input(hours, false)), "build");
  ClpCbcSolver solver;
  const SolveReport solved = OrDie(solver.Solve(first.model, {}), "solve");
  const DispatchProblem next = OrDie(BuildDispatchProblem(Input(hours, false, 1)), "build");
  const LpBasis start = ShiftBasis(first, solved.basis, next);
  if (start.empty()) state.SkipWithError("no basis to shift");
  SolveOptions options;
  options.warm_start = &start;
  long iterations = 0;
  for (auto _ : state) {
    const SolveReport r = OrDie(solver.Solve(next.model, options), "solve");
    if (r.status != SolveStatus::kOptimal || !r.warm_started) state.SkipWithError("not a warm optimal solve");
    iterations = r.iterations;
  }
  state.counters["iterations"] = static_cast<double>(iterations);
  state.SetLabel(std::to_string(next.intervals.size()) + " intervals, LP (CLP), warm start");
}

double P99(const std::vector<double>& v) {
  std::vector<double> s = v;
  std::sort(s.begin(), s.end());
  const size_t i = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(s.size()))) - 1;
  return s[std::min(i, s.size() - 1)];
}

BENCHMARK(BM_BuildDispatch)->Arg(24)->Arg(48)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SolveDispatch)
    ->Args({24, 0})
    ->Args({48, 0})
    ->Args({24, 1})
    ->Args({48, 1})
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("p99", P99);
BENCHMARK(BM_WarmSolveDispatch)->Arg(24)->Arg(48)->Unit(benchmark::kMillisecond)->ComputeStatistics("p99", P99);

}  // namespace
}  // namespace meg

BENCHMARK_MAIN();
