// Year backtest throughput: one site-year of the shipped Jeonju hospital (data/sites/
// jeonju-hospital.toml: DOE hospital load on 2024, PV from 2024 Jeonbuk weather, its ESS) at
// 15-minute steps with the peak-shave controller, including the 12 monthly bills.
// Target (issue 3): under 50 ms. Preparing the inputs (reading files, the PV model) is measured
// separately.
// BM_BacktestSiteYearMpc: the same year with `mpc` as `meg simulate --controller mpc` runs it
// (the learned load model, retrained every week on a worker thread, a dispatch LP every 15
// minutes). Target (issue 18): under 60 s on the 2-core machine, retraining included (214 s
// before). Run: build/release/bench/sim_bench [--benchmark_filter=Mpc]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "control/optimal_controllers.h"
#include "control/rule_controllers.h"
#include "forecast/plan_forecast.h"
#include "io/text_file.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "sim/backtest.h"
#include "sim/site_inputs.h"
#include "site_fixture.h"

namespace meg {
namespace {

using Fixture = bench::SiteFixture;
const Fixture& GetFixture() { return bench::JeonjuHospital(); }

// The hospital's year, its PV and battery.
BacktestRequest YearRequest(const Fixture& f) {
  BacktestRequest r;
  r.book = &f.book;
  r.calendar = &f.calendar;
  r.tariff = f.tariff;
  r.site = &f.site;
  r.load = &f.inputs.load;
  r.pv = &f.inputs.pv;
  return r;
}

void BM_BacktestSiteYearPeakShave(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const BacktestRequest r = YearRequest(f);
  for (auto _ : state) {
    PeakShave controller(PeakShaveConfig{});
    auto run = RunBacktest(r, controller);
    if (!run) state.SkipWithError(run.error().message.c_str());
    benchmark::DoNotOptimize(run->bills.back().total);
  }
  state.counters["intervals"] = static_cast<double>(f.inputs.load.size());
  state.counters["target_ms"] = 50;
}
BENCHMARK(BM_BacktestSiteYearPeakShave)->Unit(benchmark::kMillisecond);

void BM_BacktestSiteYearMpc(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const BacktestRequest r = YearRequest(f);
  const LoadData history{ToDoubleSeries(f.inputs.load), f.inputs.temp_c};
  for (auto _ : state) {
    ClpCbcSolver solver;
    LearnedPlanForecast forecast(history, f.inputs.pv, f.calendar, LearnedPlanOptions{});
    PlanningController mpc(PlanningController::Mode::kRecedingHorizon, f.site, f.book, f.calendar, f.tariff, forecast,
                           solver);
    auto run = RunBacktest(r, mpc);
    if (!run) state.SkipWithError(run.error().message.c_str());
    benchmark::DoNotOptimize(run->bills.back().total);
    state.counters["trainings"] = forecast.trainings();
    state.counters["train_s"] = forecast.train_seconds();
    state.counters["solves"] = mpc.solves();
  }
  state.counters["target_s"] = 60;
}
BENCHMARK(BM_BacktestSiteYearMpc)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

void BM_PrepareSiteInputs(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto inputs = PrepareSiteInputs(f.site, f.calendar);
    if (!inputs) state.SkipWithError(inputs.error().message.c_str());
    benchmark::DoNotOptimize(inputs->pv_energy);
  }
}
BENCHMARK(BM_PrepareSiteInputs)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace meg

BENCHMARK_MAIN();
