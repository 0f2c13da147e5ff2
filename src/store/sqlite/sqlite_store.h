// The embedded store: TelemetryStore and AuditLog on one SQLite file in WAL mode (docs/store.md:
// schema, durability, retention, figures). The only place SQLite appears.
// Thread-safety: each object is one connection, used by one thread at a time. The control thread
// opens the writer (SqliteStore::Open) and the audit log; each reader thread (the HTTP server)
// opens its own SqliteStore::OpenReader: WAL lets readers run beside the writer, and each reader
// sees whole flushed batches (a batch, its rollups and its commit are one transaction).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/audit.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace meg {

class SqliteConnection;  // sqlite_store.cc: one sqlite3 handle and its prepared statements

// The schema this build reads and writes (table schema_version). A file with a newer version is
// refused with an error naming the file; an older one is migrated when a writer opens it (1 -> 2:
// the weather forecast table).
inline constexpr int kSqliteSchemaVersion = 2;

struct StoredAuditRecord {
  std::uint64_t seq = 0;
  AuditRecord record;
};

// SqliteStore: TelemetryStore on SQLite. Telemetry commits use synchronous=NORMAL: a commit is
// in the WAL (the OS's page cache) when Flush returns, so a killed process loses nothing flushed;
// a power cut may lose the last commits but never corrupts the file (SQLite's WAL guarantee).
// The buffer lives in this object; it is flushed (best effort) on destruction.
class SqliteStore final : public TelemetryStore {
 public:
  // Opens the store at `path` for writing, creating it (and its schema) if absent. `clock`
  // times StoreOptions::flush_interval and must outlive the store. Errors name the file: not a
  // database or corrupt, newer schema, unwritable directory or file, locked by another writer.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, const Clock& clock,
                                                   StoreOptions options = {});
  // Opens an existing store read-only (a reader thread's own connection). Writes return errors.
  static Result<std::unique_ptr<SqliteStore>> OpenReader(const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

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
  // The newest `limit` records of the file's audit log (SqliteAuditLog), newest first; for
  // reader connections (the dashboard's audit trail).
  Result<std::vector<StoredAuditRecord>> NewestAudit(std::size_t limit);
  Status ApplyRetention(Instant now) override;

  // PRAGMA integrity_check: Ok, or an error naming the file and the first problems found.
  Status CheckIntegrity();
  // Copies the WAL into the database file and truncates it (PRAGMA wal_checkpoint(TRUNCATE)):
  // afterwards the file size is the store's size.
  Status Checkpoint();
  // Samples appended but not yet flushed.
  std::size_t buffered() const { return buffer_.size(); }
  const std::string& path() const { return path_; }

 private:
  SqliteStore(std::string path, std::unique_ptr<SqliteConnection> db, const Clock* clock, StoreOptions options);
  Status RequireWriter() const;
  Result<bool> KnownPoint(PointId point);
  Status WriteBuffer();

  std::string path_;
  std::unique_ptr<SqliteConnection> db_;
  const Clock* clock_;  // null for a reader
  StoreOptions options_;
  std::vector<Sample> buffer_;
  Instant oldest_buffered_{};         // clock time of the first Append into an empty buffer
  std::vector<std::int64_t> points_;  // registered ids, sorted (Append validates against it)
};

// An audit record as stored, with its sequence number (1, 2, ... in append order).

// SqliteAuditLog: the audit log as table audit_log of a store file, append-only (triggers refuse
// UPDATE and DELETE). Its own connection commits with synchronous=FULL, so each Append is on
// disk (the WAL fsynced) before it returns, whatever the telemetry's looser setting.
// Control thread only, like every AuditLog.
class SqliteAuditLog final : public AuditLog {
 public:
  // Opens the audit log of the store at `path`, creating the store if absent.
  static Result<std::unique_ptr<SqliteAuditLog>> Open(const std::string& path);
  ~SqliteAuditLog() override;
  SqliteAuditLog(const SqliteAuditLog&) = delete;
  SqliteAuditLog& operator=(const SqliteAuditLog&) = delete;

  Status Append(std::span<const AuditRecord> records) override;
  std::uint64_t appended() const override { return appended_; }
  // The records with seq > `after_seq`, oldest first, at most `limit` of them.
  Result<std::vector<StoredAuditRecord>> Read(std::uint64_t after_seq = 0, std::size_t limit = 10000);

 private:
  SqliteAuditLog(std::string path, std::unique_ptr<SqliteConnection> db);
  std::string path_;
  std::unique_ptr<SqliteConnection> db_;
  std::uint64_t appended_ = 0;
};

}  // namespace meg
