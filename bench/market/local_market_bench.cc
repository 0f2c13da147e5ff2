// Clearing time of the local 15-minute double auction (market/local_market.h): N sites x 96
// intervals, each site one or two orders per interval on a random side (fixed seed).
//   build/release/bench/local_market_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "market/local_market.h"

namespace meg {
namespace {

std::vector<MarketOrder> RandomBook(int sites, int intervals) {
  std::mt19937 rng(8);
  std::uniform_int_distribution<int> coin(0, 1), wh(1, 200'000), milli(60'000, 250'000);
  const Timestamp day = FromKst(std::chrono::year{2024} / 8 / 12);
  std::vector<std::string> names;
  for (int s = 0; s < sites; ++s) names.push_back("site-" + std::to_string(s));
  std::vector<MarketOrder> orders;
  for (int t = 0; t < intervals; ++t) {
    for (int s = 0; s < sites; ++s) {
      const OrderSide side = coin(rng) ? OrderSide::kBuy : OrderSide::kSell;
      for (int k = 1 + coin(rng); k > 0; --k) {
        orders.push_back({names[static_cast<size_t>(s)], day + kInterval * t, side,
                          KilowattHours(wh(rng) / 1000.0), WonPerKwh::FromMilliWon(milli(rng))});
      }
    }
  }
  return orders;
}

void BM_ClearLocalMarket(benchmark::State& state) {
  const auto orders = RandomBook(static_cast<int>(state.range(0)), kIntervalsPerDay);
  for (auto _ : state) {
    auto m = ClearLocalMarket(orders);
    benchmark::DoNotOptimize(m);
  }
  state.counters["orders"] = static_cast<double>(orders.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(orders.size()));
}
BENCHMARK(BM_ClearLocalMarket)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace meg

BENCHMARK_MAIN();
