// The fleet center's ingest path alone (issue 17): replayed batches into PostgreSQL through
// PostgresStore, on a private PostgreSQL 15 cluster this benchmark starts (tests/support/
// pg_cluster.h: initdb + pg_ctl in a temporary folder, fsync on, removed at the end).
// Target: at least 100,000 samples/s into PostgreSQL (the OpenEMS backend's published figure per
// instance), on this 2-core machine with the server on the same cores.
//   build/release/bench/postgres_ingest_bench
// BM_FleetIngest: 1,000 sites x 20 points at 1 s, 120 s of fleet data (2.4 M samples) per case,
// appended and flushed in batches (each one transaction: COPY, insert, both rollups, commit
// fsynced). Args: seconds of fleet data per batch (1: a center flushing every second, 20,000
// samples a batch, every rollup row of the fleet updated by each batch; 10: a center flushing
// every 10 s, or edges sending 10 s at once), and writers (1, or 2 connections each with its half
// of the sites, one PostgresStore per thread). Counters: samples_per_s (wall clock, the server
// included) beside target_samples_per_s, flush_p50/p99/max_ms, client_cpu_s and server_cpu_s (this
// process; the cluster's processes), samples_per_cpu_s (samples over both: the rate on CPU of
// one's own, which a shared machine's wall clock hides). BM_FleetReplay: the first case's batches sent again (a center
// restarted and its edges resending): every sample a duplicate, nothing stored or rolled up; its rate.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/postgres_store.h"
#include "support/pg_cluster.h"

namespace meg {
namespace {

constexpr int kSites = 1000;
constexpr int kPointsPerSite = 20;
// 2024-08-12 00:00 KST.
const Instant kStart = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 0));

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "postgres_ingest_bench: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

// A measured-looking value with a full mantissa (no small-integer shortcut).
double Value(std::int64_t point, std::int64_t second) {
  std::uint64_t x = static_cast<std::uint64_t>(point) * 0x9E3779B97F4A7C15ull ^
                    static_cast<std::uint64_t>(second) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  return 10.0 * static_cast<double>(point % 97) + static_cast<double>(x >> 11) * 0x1.0p-53 * 50.0;
}

// The cluster and a store with the fleet's points registered, made once for both benchmarks.
struct Fleet {
  testing::PgCluster cluster{{{"max_wal_size", "2GB"}}};
  SimClock clock{kStart};
  std::unique_ptr<PostgresStore> store;
  std::vector<PointId> points;

  Fleet() {
    if (!cluster.running()) {
      std::fprintf(stderr, "postgres_ingest_bench: %s\n", cluster.error().c_str());
      std::exit(1);
    }
    StoreOptions options;
    options.flush_samples = 1 << 30;  // Flush is called once per batch
    options.flush_interval = Millis(24 * 3600 * 1000);
    store = OrDie(PostgresStore::Open(cluster.conninfo(), clock, options), "open");
    for (int s = 0; s < kSites; ++s) {
      const std::string site = "site-" + std::to_string(s);
      for (int p = 0; p < kPointsPerSite; ++p) {
        points.push_back(OrDie(store->Point(site, "p" + std::to_string(p) + "_kw", "kW"), "point"));
      }
    }
  }
};

Fleet& TheFleet() {
  static Fleet fleet;
  return fleet;
}

// A batch: `seconds` seconds (from `first`) of the points of the sites with site % writers ==
// writer (points are registered site by site, kPointsPerSite each).
std::vector<Sample> Batch(const Fleet& fleet, std::int64_t first, int seconds, int writer, int writers) {
  std::vector<Sample> out;
  for (std::size_t i = 0; i < fleet.points.size(); ++i) {
    if (static_cast<int>(i / kPointsPerSite) % writers != writer) continue;
    for (std::int64_t s = first; s < first + seconds; ++s) {
      out.push_back(Sample{fleet.points[i], kStart + std::chrono::seconds(s), Value(fleet.points[i].value, s),
                           SampleQuality::kGood});
    }
  }
  return out;
}

// Ingests `total` seconds of the fleet from second `first`: `writers` threads, each with its own
// PostgresStore (connection) and its share of the sites, each flushing batches of `per_batch`
// seconds. Sets the counters.
void Ingest(benchmark::State& state, std::int64_t first, int total, int per_batch, int writers) {
  Fleet& fleet = TheFleet();
  std::vector<std::unique_ptr<PostgresStore>> stores;
  std::vector<std::vector<std::vector<Sample>>> batches(writers);
  for (int w = 0; w < writers; ++w) {
    stores.push_back(OrDie(PostgresStore::Open(fleet.cluster.conninfo(), fleet.clock, {}), "open"));
    for (std::int64_t s = first; s < first + total; s += per_batch) {
      batches[w].push_back(Batch(fleet, s, per_batch, w, writers));
    }
  }
  std::vector<std::vector<double>> flush_ms(writers);
  double seconds = 0;
  double cpu_seconds = 0;
  double server_cpu_seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    const double server_cpu_start = fleet.cluster.ServerCpuSeconds();
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&, w] {
        for (const auto& batch : batches[w]) {
          const auto t = std::chrono::steady_clock::now();
          OrDie(Result<Ok>(stores[w]->Append(batch)), "append");
          OrDie(Result<Ok>(stores[w]->Flush()), "flush");
          flush_ms[w].push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
        }
      });
    }
    for (std::thread& t : threads) t.join();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    server_cpu_seconds = fleet.cluster.ServerCpuSeconds() - server_cpu_start;
  }
  std::vector<double> all;
  for (const auto& f : flush_ms) all.insert(all.end(), f.begin(), f.end());
  std::sort(all.begin(), all.end());
  const double samples = static_cast<double>(total) * static_cast<double>(fleet.points.size());
  state.counters["seconds_per_batch"] = per_batch;
  state.counters["writers"] = writers;
  state.counters["samples"] = samples;
  state.counters["samples_per_s"] = samples / seconds;
  state.counters["target_samples_per_s"] = 100000;
  state.counters["client_cpu_s"] = cpu_seconds;
  state.counters["server_cpu_s"] = server_cpu_seconds;
  // The rate if the server and this process had the CPU they used to themselves.
  state.counters["samples_per_cpu_s"] = samples / (cpu_seconds + server_cpu_seconds);
  state.counters["flush_p50_ms"] = all[all.size() / 2];
  state.counters["flush_p99_ms"] = all[all.size() * 99 / 100];
  state.counters["flush_max_ms"] = all.back();
}

// Args: seconds of fleet data per batch, writers. Each case writes its own hour of data.
constexpr int kTotalSeconds = 120;
void BM_FleetIngest(benchmark::State& state) {
  const int per_batch = static_cast<int>(state.range(0));
  const int writers = static_cast<int>(state.range(1));
  static std::int64_t next_hour = 0;
  Ingest(state, 3600 * next_hour++, kTotalSeconds, per_batch, writers);
}
BENCHMARK(BM_FleetIngest)
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({10, 1})
    ->Args({10, 2})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

// The first case's data (hour 0), sent again in 1-second batches by one writer (a center
// restarted and its edges resending): every sample a duplicate; nothing stored or rolled up.
void BM_FleetReplay(benchmark::State& state) {
  Ingest(state, 0, kTotalSeconds, 1, 1);
  const auto stored = OrDie(TheFleet().store->CountSamples("site-0", kStart, kStart + std::chrono::hours(1)), "count");
  if (stored != kTotalSeconds * kPointsPerSite) {
    state.SkipWithError("the replay changed what is stored");
  }
}
BENCHMARK(BM_FleetReplay)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
}  // namespace meg

BENCHMARK_MAIN();
