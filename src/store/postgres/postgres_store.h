// The fleet center's store: TelemetryStore on PostgreSQL (15; 11 or later works) through libpq
// (docs/store.md "PostgreSQL (the fleet center)": schema, ingest, partitions, retention). The only
// place libpq appears. Thread-safety: each object is one connection, used by one thread at a time;
// the ingest thread opens the writer (PostgresStore::Open), each reader thread its own
// (PostgresStore::OpenReader). Readers see whole flushed batches (a batch and its rollups commit in
// one transaction).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace meg {

class PgConnection;  // postgres_store.cc: one PGconn, reconnected after the server comes back

// The schema this build reads and writes (table schema_version). A database with a newer version
// is refused with an error naming the server; an older one is migrated when a writer opens it
// (1 -> 2: the weather forecast table).
inline constexpr int kPostgresSchemaVersion = 2;

// FleetBucket (store/store.h): the sum over sites of one point name in one bucket.

// PostgresStore: TelemetryStore on a PostgreSQL database shared by a fleet's sites. Flush sends the
// buffer with binary COPY into a temporary staging table, then inserts it into `samples` (ON
// CONFLICT DO NOTHING: the first write of a (point, time) wins) and folds only the rows it did
// insert (RETURNING) into the 1-minute rollups, and finished minutes into the 15-minute ones, so a
// replayed batch counts once; staging, samples and rollups are one transaction, committed with
// synchronous_commit = on (the WAL is on disk when Flush returns). Samples and rollups are
// partitioned by UTC month; a month's partitions are created by the first Flush that needs them.
// Connection loss: each call reconnects first if the connection was lost; a statement outside a
// transaction that finds it lost runs once more on a new connection. A loss inside a transaction
// fails the call with an error naming the server; a failed Flush keeps its buffer, and the retry
// is idempotent (a batch whose COMMIT did land before the loss is not stored or rolled up twice).
// The buffer lives in this object; it is flushed (best effort) on destruction.
class PostgresStore final : public TelemetryStore {
 public:
  // Connects to `conninfo` (libpq: "host=/run/pg port=5432 dbname=meg user=meg" or
  // "postgresql://..."), creating the schema if absent. `clock` times
  // StoreOptions::flush_interval and must outlive the store. Errors name the server
  // (postgresql://user@host:port/dbname): cannot connect (is it running?), refused login, a newer
  // schema, a database holding other tables named like ours.
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& conninfo, const Clock& clock,
                                                     StoreOptions options = {});
  // A reader thread's own connection (the session is read-only: writes return errors). The
  // schema must exist (the writer creates it).
  static Result<std::unique_ptr<PostgresStore>> OpenReader(const std::string& conninfo);
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  Result<PointId> Point(std::string_view site, std::string_view name, std::string_view unit) override;
  Result<std::vector<PointInfo>> Points(std::string_view site) override;
  Status Append(std::span<const Sample> samples) override;
  Status Flush() override;
  Result<std::vector<Bucket>> Query(PointId point, Instant from, Instant to, Resolution resolution) override;
  Result<std::vector<Sample>> Samples(PointId point, Instant from, Instant to) override;
  Result<std::optional<Sample>> Latest(PointId point) override;
  Status AppendEvents(std::span<const Event> events) override;
  Result<std::vector<Event>> Events(std::string_view site, Instant from, Instant to) override;
  Status PutSchedule(const StoredSchedule& schedule) override;
  Result<std::optional<StoredSchedule>> LatestSchedule(std::string_view site) override;
  Status PutWeatherForecast(const StoredWeatherForecast& forecast) override;
  Result<std::vector<StoredWeatherForecast>> WeatherForecasts(std::string_view site, Instant from, Instant to) override;
  Status PutBill(const StoredBill& bill) override;
  Result<std::optional<StoredBill>> Bill(std::string_view site, Month month) override;
  // Drops whole monthly partitions that end before each resolution's cutoff (no row-by-row
  // delete, no dead tuples), then deletes the older rows of the partition the cutoff falls in.
  Status ApplyRetention(Instant now) override;

  // Fleet queries (the center's; not part of TelemetryStore).

  // Per bucket with start in [from, to), by start: the sum over `sites` (empty: every site) of
  // the bucket mean of their point `point_name` (e.g. the fleet's "grid_kw"), read from the
  // rollups (kMinute, kQuarter) or the raw good samples (kRaw). Buckets no site has are absent.
  Result<std::vector<FleetBucket>> FleetSum(std::string_view point_name, const std::vector<std::string>& sites,
                                            Instant from, Instant to, Resolution resolution);
  // The stored samples (good and bad) of every point of `site` with time in [from, to): what the
  // fault tests compare with an edge's own count.
  Result<std::int64_t> CountSamples(std::string_view site, Instant from, Instant to);
  // The newest stored sample (good or bad) of each point of `site`, by point id, in one query;
  // points without samples are absent.
  Result<std::vector<Sample>> LatestOfSite(std::string_view site);

  // The monthly partitions of `table` ("samples", "rollup_1m", "rollup_15m"), oldest first, as
  // UTC months ("2024-08").
  Result<std::vector<std::string>> Partitions(std::string_view table);
  // Samples appended but not yet flushed.
  std::size_t buffered() const { return buffer_.size(); }
  // The server this store talks to, for messages: postgresql://user@host:port/dbname.
  const std::string& server() const;

 private:
  PostgresStore(std::unique_ptr<PgConnection> db, const Clock* clock, StoreOptions options);
  Status RequireWriter() const;
  Result<bool> KnownPoint(PointId point);
  Status EnsurePartitions(const std::set<std::int64_t>& months);
  Status WriteBuffer();

  std::unique_ptr<PgConnection> db_;
  const Clock* clock_;  // null for a reader
  StoreOptions options_;
  std::vector<Sample> buffer_;
  Instant oldest_buffered_{};            // clock time of the first Append into an empty buffer
  std::vector<std::int64_t> points_;     // registered ids, sorted (Append validates against it)
  std::set<std::int64_t> months_ready_;  // UTC month starts (ms) whose partitions exist
};

}  // namespace meg
