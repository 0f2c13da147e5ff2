// TelemetryStore: the interface every store fills (store/sqlite/ now, store/postgres/ for fleets
// later): telemetry samples with 1-minute and 15-minute rollups, events, schedules and bills.
// Callers see only this header. An instance is not thread-safe: one per thread (the control
// thread writes; each reader thread opens its own, see the implementation's Open).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/time.h"

namespace meg {

// A registered telemetry point (one measured quantity of one site), e.g. site "jeonju-hospital",
// name "grid_kw". Ids are issued by the store and stable for its life.
struct PointId {
  std::int64_t value = 0;
  auto operator<=>(const PointId&) const = default;
};

// Whether the device vouched for a value. Bad samples are stored (with the value, or NaN when
// the device had none) but left out of every rollup and of Query.
enum class SampleQuality : std::uint8_t { kGood = 0, kBad = 1 };

// One measurement. The value's unit is the point's (its name says it: "grid_kw", "soc_pct");
// signs as in docs/conventions.md (grid + import, battery + discharge, PV + production).
struct Sample {
  PointId point;
  Instant time;  // UTC, ms
  double value = 0;
  SampleQuality quality = SampleQuality::kGood;
  bool operator==(const Sample&) const = default;
};

struct PointInfo {
  PointId id;
  std::string site;
  std::string name;  // carries the unit: "grid_kw", "soc_pct", "pv_kw"
  std::string unit;  // "kW", "%", "kWh"
};

enum class Resolution { kRaw, kMinute, kQuarter };

// A summary of the good samples in [start, start + resolution); for kRaw, one sample
// (min == mean == max == last, count == 1). Buckets with no good sample are absent, not zero.
struct Bucket {
  Instant start;
  double min = 0;
  double mean = 0;
  double max = 0;
  double last = 0;  // the value of the latest sample in the bucket
  std::int64_t count = 0;
};

// The sum over sites of one point name in one bucket (a fleet sum): `sum` is the sum of the sites'
// bucket means (kMinute, kQuarter) or of their raw good values (kRaw); `sites` is how many sites
// had a good sample in the bucket (a site without one adds nothing: it is not counted as zero).
struct FleetBucket {
  Instant start;
  double sum = 0;
  std::int64_t sites = 0;
  bool operator==(const FleetBucket&) const = default;
};

enum class Severity : std::uint8_t { kInfo = 0, kWarning = 1, kAlarm = 2 };

// Something an operator should see: a mode change, a device fault, a limit hit.
struct Event {
  Instant time;
  std::string site;
  std::string kind;  // "fail-safe", "device-fault", "peak-guard"
  Severity severity = Severity::kInfo;
  std::string message;
  bool operator==(const Event&) const = default;
};

// A dispatch schedule as the planner made it: JSON text the store does not interpret.
struct StoredSchedule {
  std::string site;
  Instant made;      // when the planner made it
  std::string json;  // the schedule's intervals, e.g. {"intervals":[{"start":...,"battery_kw":...}]}
  bool operator==(const StoredSchedule&) const = default;
};

// A monthly bill as the bill engine computed it: JSON text the store does not interpret.
struct StoredBill {
  std::string site;
  Month month;       // the billing month (KST)
  std::string json;  // the bill's lines, e.g. {"total_krw":...}
  bool operator==(const StoredBill&) const = default;
};

// A weather forecast as the provider sent it (e.g. Open-Meteo's JSON), kept whole so that a later
// backtest can replay exactly what was known when: the store does not interpret `body`.
struct StoredWeatherForecast {
  std::string site;
  Instant fetched;     // when this center received it (the provider's forecast as of then)
  std::string source;  // the URL it was fetched from
  std::string body;
  bool operator==(const StoredWeatherForecast&) const = default;
};

// How long each resolution is kept, in days before `now` (ApplyRetention).
struct Retention {
  int raw_days = 7;         // 1 Hz data: ~16 MB per point-week (27 bytes per sample)
  int minute_days = 90;     // a season of 1-minute rollups, for the dashboard
  int quarter_days = 3650;  // ten years of 15-minute rollups: the billing and forecast history
};

// Batching: Append buffers, and flushes on its own when the buffer holds `flush_samples`
// samples or the oldest buffered one was appended `flush_interval` ago (by the store's Clock).
// The interval bounds what a crash can lose, and sets what the disk pays: each commit rewrites
// the last pages of every point it touches, so at 100 points x 1 Hz a 1 s interval writes
// ~5.6 KB per sample (49 GB a day), 10 s ~1.5 KB, 60 s ~0.36 KB (docs/store.md).
struct StoreOptions {
  std::size_t flush_samples = 10000;
  Millis flush_interval{10000};
  Retention retention;
};

// The check every store's Append makes before it buffers anything: each sample names a registered
// point (`registered`, asked once per run of the same point) and a good sample has a finite value.
// Errors name the store (`store`: its file or server), the point and the time.
Status CheckSamples(std::span<const Sample> samples, std::string_view store,
                    const std::function<Result<bool>(PointId)>& registered);

// TelemetryStore: a site's history, as the control thread writes it and the dashboard, the
// forecaster and the bill engine read it. One writer per store; samples pass through the
// writer's buffer (owned by the instance) into durable batches. Times are UTC instants;
// intervals are half-open [from, to).
class TelemetryStore {
 public:
  virtual ~TelemetryStore() = default;

  // Returns the id of (site, name), registering it on first use. An empty site or name, or an
  // existing point registered with another unit, is an error (a name keeps its unit for life).
  virtual Result<PointId> Point(std::string_view site, std::string_view name, std::string_view unit) = 0;
  // The points of `site`, by id.
  virtual Result<std::vector<PointInfo>> Points(std::string_view site) = 0;

  // Buffers `samples` (validated first: known points, finite values for good samples; on error
  // nothing is buffered). May flush (see StoreOptions); a flush error is returned and the
  // buffer is kept for the next Flush. A sample with the (point, time) of a stored one is
  // dropped: the first write wins, so a producer may resend a batch it is unsure of.
  virtual Status Append(std::span<const Sample> samples) = 0;
  // Makes every buffered sample durable, with its rollups, in one transaction. After a crash
  // (kill -9) everything flushed is there; only the buffer since the last Flush may be lost.
  virtual Status Flush() = 0;

  // Reads see flushed data only. Query returns the buckets of `point` whose start lies in
  // [from, to), by time; kMinute and kQuarter read the rollups kept at ingest.
  virtual Result<std::vector<Bucket>> Query(PointId point, Instant from, Instant to, Resolution resolution) = 0;
  // The raw samples of `point` in [from, to), good and bad, by time.
  virtual Result<std::vector<Sample>> Samples(PointId point, Instant from, Instant to) = 0;
  // The newest stored raw sample of `point` (good or bad), if any.
  virtual Result<std::optional<Sample>> Latest(PointId point) = 0;

  // Events are written at once (not batched).
  virtual Status AppendEvents(std::span<const Event> events) = 0;
  // The events of `site` with time in [from, to), by time then insertion order.
  virtual Result<std::vector<Event>> Events(std::string_view site, Instant from, Instant to) = 0;

  // Schedules: each one kept; the latest `made` wins.
  virtual Status PutSchedule(const StoredSchedule& schedule) = 0;
  virtual Result<std::optional<StoredSchedule>> LatestSchedule(std::string_view site) = 0;

  // Weather forecasts: each one kept (one per (site, fetched); Put replaces). The forecasts of
  // `site` fetched in [from, to), by fetch time.
  virtual Status PutWeatherForecast(const StoredWeatherForecast& forecast) = 0;
  virtual Result<std::vector<StoredWeatherForecast>> WeatherForecasts(std::string_view site, Instant from,
                                                                      Instant to) = 0;

  // Bills: one per (site, month); Put replaces.
  virtual Status PutBill(const StoredBill& bill) = 0;
  virtual Result<std::optional<StoredBill>> Bill(std::string_view site, Month month) = 0;

  // Drops raw samples older than now - raw_days, 1-minute rollups older than now - minute_days
  // and 15-minute rollups older than now - quarter_days. Events, schedules, weather forecasts, bills
  // and the audit log are kept.
  virtual Status ApplyRetention(Instant now) = 0;
};

}  // namespace meg
