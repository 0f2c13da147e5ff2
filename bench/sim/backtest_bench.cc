// Year backtest throughput: one site-year of the shipped Jeonju hospital (data/sites/
// jeonju-hospital.toml: DOE hospital load on 2024, PV from 2024 Jeonbuk weather, its ESS) at
// 15-minute steps with the peak-shave controller, including the 12 monthly bills.
// Target (issue 3): under 50 ms. Preparing the inputs (reading files, the PV model) is measured
// separately. Run: build/release/bench/sim_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "control/rule_controllers.h"
#include "io/site_config.h"
#include "io/text_file.h"
#include "sim/backtest.h"
#include "sim/site_inputs.h"

namespace meg {
namespace {

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "sim_bench: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

struct Fixture {
  TariffBook book;
  HolidayCalendar calendar;
  Site site;
  SiteInputs inputs;
  TariffId tariff;
};

const Fixture& GetFixture() {
  static const Fixture* f = [] {
    auto* fx = new Fixture;
    const std::string data = MEG_BENCH_DATA_DIR, shared = MEG_BENCH_SHARED_DIR;
    auto read = [](const std::string& p) { return ReadTextFile(p); };
    fx->book = OrDie(TariffBook::Load(data + "/tariff/kepco", read), "tariff book");
    const std::string cal = shared + "/data/calendar/kr_public_holidays_2018-2027.csv";
    fx->calendar = OrDie(HolidayCalendar::Parse(OrDie(ReadTextFile(cal), "calendar"), cal), "calendar");
    const std::string path = data + "/sites/jeonju-hospital.toml";
    fx->site = OrDie(LoadSiteFile(path, data, shared), "site");
    fx->inputs = OrDie(PrepareSiteInputs(fx->site, fx->calendar), "inputs");
    fx->tariff = OrDie(fx->book.FindTariff(fx->site.tariff), "tariff");
    return fx;
  }();
  return *f;
}

void BM_BacktestSiteYearPeakShave(benchmark::State& state) {
  const Fixture& f = GetFixture();
  BacktestRequest r;
  r.book = &f.book;
  r.calendar = &f.calendar;
  r.tariff = f.tariff;
  r.site = &f.site;
  r.load = &f.inputs.load;
  r.pv = &f.inputs.pv;
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
