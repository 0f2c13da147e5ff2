// The split LP of an aggregated DR call (optimize/dr_split.h): a 4-hour call over N members with
// random capacities, costs and (for a third of them) battery energy limits, as FleetDr solves it
// (one share per member for the call) and with a share per member and hour. Both phases (least
// shortfall, then least cost) on CLP.
//   build/release/bench/optimize_bench --benchmark_filter=DrSplit
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>

#include "optimize/coin/clp_cbc_solver.h"
#include "optimize/dr_split.h"

namespace meg {
namespace {

DrSplitInput Instance(int members, bool constant) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> cap(20, 200), cost(0, 120), energy(50, 400);
  DrSplitInput in;
  in.constant_shares = constant;
  double total = 0;
  for (int i = 0; i < members; ++i) {
    DrSplitMember m;
    m.id = "m" + std::to_string(i);
    for (int h = 0; h < 4; ++h) m.capacity_kw.push_back(cap(rng));
    total += *std::min_element(m.capacity_kw.begin(), m.capacity_kw.end());
    m.cost_krw_per_kwh = cost(rng);
    if (i % 3 == 0) m.energy_kwh = energy(rng);
    in.members.push_back(std::move(m));
  }
  in.hours.assign(4, DrSplitHour{60, total * 0.3});  // a call of 30 % of what the fleet holds
  return in;
}

void BM_DrSplit(benchmark::State& state) {
  const DrSplitInput in = Instance(static_cast<int>(state.range(0)), state.range(1) != 0);
  ClpCbcSolver solver;
  for (auto _ : state) {
    auto split = SplitDrCall(in, solver);
    if (!split || !split->Meets()) state.SkipWithError("no split");
    benchmark::DoNotOptimize(split);
  }
}
BENCHMARK(BM_DrSplit)
    ->ArgsProduct({{20, 1000, 16000}, {1, 0}})
    ->ArgNames({"members", "constant"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace meg
