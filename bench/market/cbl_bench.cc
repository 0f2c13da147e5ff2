// CBL for 10,000 synthetic customers x 1 event day: Mid(6/10) with SAA, a 2 h event at 14:00 on
// Monday 2024-08-12, each customer with 30 days of 15-minute history (2,880 intervals, about 0.1 %
// of them missing) and the real holiday calendar. The data is generated before timing.
// Target: the 10,000 customers in well under 1 s.
//
//   build/dev/bench/market_bench --benchmark_filter=Cbl
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "io/text_file.h"
#include "market/cbl.h"

namespace meg {
namespace {

constexpr int kCustomers = 10'000;
constexpr int kHistoryDays = 30;

struct Fleet {
  HolidayCalendar calendar;
  DrWindow event;
  std::vector<IntervalSeries<KilowattHours>> usage;
};

// A working-day load shape: base, a daytime plateau, weekends at 60 %, noise, rare gaps.
const Fleet& TheFleet() {
  static const Fleet fleet = [] {
    Fleet f;
    const std::string path =
        std::string(MEG_BENCH_SHARED_DIR) + "/data/calendar/kr_public_holidays_2018-2027.csv";
    auto text = ReadTextFile(path);
    auto cal = text ? HolidayCalendar::Parse(*text, path) : Result<HolidayCalendar>(text.error());
    if (!cal) {
      std::fprintf(stderr, "market_bench: %s\n", cal.error().message.c_str());
      std::exit(1);
    }
    f.calendar = std::move(*cal);
    const Date event_day = std::chrono::year{2024} / 8 / 12;
    f.event = DrWindow{FromKst(event_day, 14 * 60), FromKst(event_day, 16 * 60)};
    const Date first = AddDays(event_day, -(kHistoryDays - 1));
    const Timestamp start = FromKst(first);
    std::mt19937 rng(20240812);
    std::uniform_real_distribution<double> base_kw(50, 500);
    std::normal_distribution<double> noise(1.0, 0.05);
    std::uniform_int_distribution<int> gap(0, 999);
    f.usage.reserve(kCustomers);
    for (int c = 0; c < kCustomers; ++c) {
      const double base = base_kw(rng);
      std::vector<std::optional<KilowattHours>> v(static_cast<size_t>(kHistoryDays) * kIntervalsPerDay);
      for (size_t i = 0; i < v.size(); ++i) {
        if (gap(rng) == 0) continue;
        const KstDateTime t = ToKst(start + kInterval * static_cast<long>(i));
        const bool workday = IsDrWeekday(t.date, f.calendar);
        const double hour = t.minute_of_day / 60.0;
        const double shape = hour >= 8 && hour < 19 ? 1.0 + 0.3 * std::sin((hour - 8) / 11 * std::numbers::pi) : 0.45;
        const double kw = base * shape * (workday ? 1.0 : 0.6) * noise(rng);
        v[i] = KilowattHours(kw * 0.25);
      }
      f.usage.emplace_back(start, kInterval, std::move(v));
    }
    return f;
  }();
  return fleet;
}

void BM_Cbl10000CustomersMid6of10Saa(benchmark::State& state) {
  const Fleet& f = TheFleet();
  CblOptions options;
  options.method = CblMethod::kMid6of10;
  options.saa = true;
  double total_kwh = 0;
  int failed = 0;
  for (auto _ : state) {
    for (const auto& usage : f.usage) {
      auto r = ComputeCbl(usage, f.calendar, f.event, options);
      if (!r) {
        ++failed;
        continue;
      }
      total_kwh += r->hours.front().baseline.value();
    }
    benchmark::DoNotOptimize(total_kwh);
  }
  state.counters["customers"] = kCustomers;
  state.counters["failed"] = failed;
  state.counters["customers_per_s"] =
      benchmark::Counter(static_cast<double>(kCustomers) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Cbl10000CustomersMid6of10Saa)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The same with a resource sum over all customers (SumCbl).
void BM_SumCbl10000Customers(benchmark::State& state) {
  const Fleet& f = TheFleet();
  CblOptions options;
  options.saa = true;
  std::vector<CblResult> results;
  for (const auto& usage : f.usage) {
    if (auto r = ComputeCbl(usage, f.calendar, f.event, options)) results.push_back(std::move(*r));
  }
  for (auto _ : state) {
    auto sum = SumCbl(results);
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_SumCbl10000Customers)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace meg

BENCHMARK_MAIN();
