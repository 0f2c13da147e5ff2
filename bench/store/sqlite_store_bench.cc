// The embedded store (issue 7) on this machine's disk: telemetry ingest into SQLite (WAL) and
// the dashboard's query, a day of 1-second data of 100 points at 1-minute resolution.
// Targets: ingest >= 500,000 samples/s sustained; a 1-minute query of a point-day under 50 ms.
//   build/release/bench/store_bench
// BM_Ingest stores a day of 100 points x 1 s (8.64 M samples) the way the control thread would:
// one Append per second of 100 samples, flushed automatically every 10,000. Counters:
// samples_per_s (wall clock, with the target beside it; the machine is shared, so also
// samples_per_cpu_s, the rate if this process had its core to itself), bytes_per_sample (file size
// after a checkpoint, rollups included, over samples), flush_p50/p99/max_ms (the flushing Appends:
// a 10,000-sample commit, now and then with a WAL checkpoint). The query benchmarks read that file
// (building it if absent).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string_view>

#include "store/sqlite/sqlite_store.h"

namespace meg {
namespace {

namespace fs = std::filesystem;

constexpr int kPoints = 100;
constexpr int kDaySeconds = 86400;
constexpr std::size_t kBatch = 10000;
// 2024-08-12 00:00 KST.
const Instant kDay = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 0));

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "store_bench: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

fs::path BenchDir() {
  const fs::path dir = fs::temp_directory_path() / "meg-bench-store";
  fs::create_directories(dir);
  return dir;
}

void RemoveStore(const fs::path& p) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix);
}

// A measured-looking value: the point's level plus noise with a full 53-bit mantissa, so
// SQLite stores every value as an 8-byte REAL (no small-integer shortcut flatters the size).
double Value(int point, std::int64_t second) {
  std::uint64_t x = static_cast<std::uint64_t>(point) * 0x9E3779B97F4A7C15ull ^
                    static_cast<std::uint64_t>(second) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  return 10.0 * point + static_cast<double>(x >> 11) * 0x1.0p-53 * 50.0;
}

std::vector<PointId> RegisterPoints(SqliteStore& store) {
  std::vector<PointId> ids;
  for (int p = 0; p < kPoints; ++p) {
    ids.push_back(OrDie(store.Point("bench", "p" + std::to_string(p) + "_kw", "kW"), "point"));
  }
  return ids;
}

// Appends a day of 1-second samples of every point, one Append per second. Returns how long
// each flushing Append took, in ms (a flush, and now and then a WAL checkpoint).
std::vector<double> IngestDay(SqliteStore& store, const std::vector<PointId>& ids) {
  std::vector<Sample> second(ids.size());
  std::vector<double> flush_ms;
  for (std::int64_t s = 0; s < kDaySeconds; ++s) {
    const Instant t = kDay + std::chrono::seconds(s);
    for (size_t p = 0; p < ids.size(); ++p) {
      second[p] = Sample{ids[p], t, Value(static_cast<int>(p), s), SampleQuality::kGood};
    }
    const auto start = std::chrono::steady_clock::now();
    OrDie(Result<Ok>(store.Append(second)), "append");
    if (store.buffered() == 0) {
      flush_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
  }
  OrDie(Result<Ok>(store.Flush()), "flush");
  return flush_ms;
}

StoreOptions BenchOptions() {
  StoreOptions o;
  o.flush_samples = kBatch;
  return o;
}

const fs::path kDayFile = BenchDir() / "day.db";

void BM_Ingest(benchmark::State& state) {
  const fs::path path = kDayFile;
  double seconds = 0;
  double cpu_seconds = 0;
  double bytes = 0;
  std::vector<double> flush_ms;
  for (auto _ : state) {
    RemoveStore(path);
    SimClock clock(kDay);
    auto store = OrDie(SqliteStore::Open(path.string(), clock, BenchOptions()), "open");
    const auto ids = RegisterPoints(*store);
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    flush_ms = IngestDay(*store, ids);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    OrDie(Result<Ok>(store->Checkpoint()), "checkpoint");
    bytes = static_cast<double>(fs::file_size(path));
  }
  const double samples = static_cast<double>(kPoints) * kDaySeconds;
  state.counters["samples"] = samples;
  state.counters["samples_per_s"] = samples / seconds;
  state.counters["target_samples_per_s"] = 500000;
  state.counters["samples_per_cpu_s"] = samples / cpu_seconds;
  state.counters["bytes_per_sample"] = bytes / samples;
  state.counters["file_mb"] = bytes / 1e6;
  std::sort(flush_ms.begin(), flush_ms.end());
  state.counters["flush_p50_ms"] = flush_ms[flush_ms.size() / 2];
  state.counters["flush_p99_ms"] = flush_ms[flush_ms.size() * 99 / 100];
  state.counters["flush_max_ms"] = flush_ms.back();
}
BENCHMARK(BM_Ingest)->Iterations(1)->Unit(benchmark::kSecond);

// Bytes this process has handed to write(2) and pwrite(2) so far (/proc/self/io "wchar").
double WrittenBytes() {
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (f == nullptr) return 0;
  char key[64];
  long long value = 0;
  double wchar = 0;
  while (std::fscanf(f, "%63s %lld", key, &value) == 2) {
    if (std::string_view(key) == "wchar:") wchar = static_cast<double>(value);
  }
  std::fclose(f);
  return wchar;
}

// What the flush interval costs the disk at a live site's rate: 100 points at 1 Hz, one flush
// every Arg seconds, over 10 minutes after 2 hours already stored. Counter: bytes written (WAL
// and checkpoints) per sample; each commit rewrites the last page of each point in the sample
// table and both rollup tables, however few samples it carries.
void BM_WriteVolume(benchmark::State& state) {
  const int flush_every_s = static_cast<int>(state.range(0));
  const fs::path path = BenchDir() / "volume.db";
  double per_sample = 0;
  for (auto _ : state) {
    RemoveStore(path);
    SimClock clock(kDay);
    StoreOptions options;
    options.flush_samples = 1 << 20;
    options.flush_interval = Millis(1000) * flush_every_s;
    auto store = OrDie(SqliteStore::Open(path.string(), clock, options), "open");
    const auto ids = RegisterPoints(*store);
    std::vector<Sample> second(ids.size());
    double written_before = 0;
    constexpr int kWarmS = 7200;
    constexpr int kMeasuredS = 600;
    for (int s = 0; s < kWarmS + kMeasuredS; ++s) {
      if (s == kWarmS) {
        OrDie(Result<Ok>(store->Flush()), "flush");
        OrDie(Result<Ok>(store->Checkpoint()), "checkpoint");
        written_before = WrittenBytes();
      }
      clock.Advance(Millis(1000));
      for (size_t p = 0; p < ids.size(); ++p) {
        second[p] = Sample{ids[p], kDay + std::chrono::seconds(s), Value(static_cast<int>(p), s),
                           SampleQuality::kGood};
      }
      OrDie(Result<Ok>(store->Append(second)), "append");
    }
    OrDie(Result<Ok>(store->Flush()), "flush");
    per_sample = (WrittenBytes() - written_before) / (static_cast<double>(kPoints) * kMeasuredS);
  }
  RemoveStore(path);
  state.counters["flush_every_s"] = flush_every_s;
  state.counters["written_bytes_per_sample"] = per_sample;
  state.counters["written_gb_per_day"] = per_sample * kPoints * kDaySeconds / 1e9;
}
BENCHMARK(BM_WriteVolume)->Arg(1)->Arg(10)->Arg(60)->Iterations(1)->Unit(benchmark::kSecond);

// The day file, built if BM_Ingest did not run (a --benchmark_filter run).
std::unique_ptr<SqliteStore> DayStore() {
  {
    SimClock clock(kDay);
    auto store = OrDie(SqliteStore::Open(kDayFile.string(), clock, BenchOptions()), "open");
    const auto ids = RegisterPoints(*store);
    auto last = OrDie(store->Latest(ids.back()), "latest");
    if (!last || last->time != kDay + std::chrono::seconds(kDaySeconds - 1)) {
      store.reset();
      RemoveStore(kDayFile);
      store = OrDie(SqliteStore::Open(kDayFile.string(), clock, BenchOptions()), "open");
      IngestDay(*store, RegisterPoints(*store));
    }
  }
  return OrDie(SqliteStore::OpenReader(kDayFile.string()), "open reader");
}

void QueryDay(benchmark::State& state, Resolution resolution, int points, size_t expected) {
  auto store = DayStore();
  std::vector<PointInfo> infos = OrDie(store->Points("bench"), "points");
  const Instant end = kDay + std::chrono::days(1);
  int next = 0;
  size_t buckets = 0;
  for (auto _ : state) {
    buckets = 0;
    for (int i = 0; i < points; ++i) {
      auto day = OrDie(store->Query(infos[next].id, kDay, end, resolution), "query");
      buckets += day.size();
      benchmark::DoNotOptimize(day.data());
      next = (next + 1) % kPoints;
    }
  }
  if (buckets != expected * static_cast<size_t>(points)) {
    state.SkipWithError("wrong number of buckets");
    return;
  }
  state.counters["points"] = points;
  state.counters["buckets"] = static_cast<double>(buckets);
  state.counters["target_ms"] = 50;
}

// The dashboard's day chart of one point: 1,440 one-minute buckets from the rollups.
void BM_QueryDayMinute_OnePoint(benchmark::State& state) {
  QueryDay(state, Resolution::kMinute, 1, 1440);
}
BENCHMARK(BM_QueryDayMinute_OnePoint)->Unit(benchmark::kMillisecond);

// Every point of the site at once: 144,000 buckets.
void BM_QueryDayMinute_AllPoints(benchmark::State& state) {
  QueryDay(state, Resolution::kMinute, kPoints, 1440);
}
BENCHMARK(BM_QueryDayMinute_AllPoints)->Unit(benchmark::kMillisecond);

// An HTTP handler that opens its own connection per request: open, check the schema, query.
void BM_QueryDayMinute_OnePointNewConnection(benchmark::State& state) {
  const auto infos = OrDie(DayStore()->Points("bench"), "points");
  const Instant end = kDay + std::chrono::days(1);
  int next = 0;
  for (auto _ : state) {
    auto store = OrDie(SqliteStore::OpenReader(kDayFile.string()), "open reader");
    auto day = OrDie(store->Query(infos[next].id, kDay, end, Resolution::kMinute), "query");
    benchmark::DoNotOptimize(day.data());
    next = (next + 1) % kPoints;
  }
  state.counters["target_ms"] = 50;
}
BENCHMARK(BM_QueryDayMinute_OnePointNewConnection)->Unit(benchmark::kMillisecond);

// For scale: one point's day of 15-minute buckets, and of raw samples (86,400 rows).
void BM_QueryDayQuarter_OnePoint(benchmark::State& state) {
  QueryDay(state, Resolution::kQuarter, 1, 96);
}
BENCHMARK(BM_QueryDayQuarter_OnePoint)->Unit(benchmark::kMillisecond);

void BM_QueryDayRaw_OnePoint(benchmark::State& state) {
  QueryDay(state, Resolution::kRaw, 1, kDaySeconds);
}
BENCHMARK(BM_QueryDayRaw_OnePoint)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace meg

BENCHMARK_MAIN();
