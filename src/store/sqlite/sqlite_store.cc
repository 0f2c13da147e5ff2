#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace meg {

// ---------------------------------------------------------------------------------------------
// Schema (version 1). Times are integer ms since the Unix epoch (UTC); values are in the point's
// unit. Telemetry and rollups are WITHOUT ROWID tables keyed (point, time): a row is its key and
// value, with no hidden rowid or second index, and a point's range is one contiguous key range.

namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE point (
  id INTEGER PRIMARY KEY,
  site TEXT NOT NULL,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  UNIQUE (site, name));
CREATE TABLE sample (
  point INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  value REAL,                   -- NULL: a bad sample without a value
  quality INTEGER NOT NULL,     -- 0 good, 1 bad
  PRIMARY KEY (point, time_ms)) WITHOUT ROWID;
CREATE TABLE rollup_1m (
  point INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,    -- the bucket [start_ms, start_ms + 60000)
  min REAL NOT NULL,
  max REAL NOT NULL,
  sum REAL NOT NULL,            -- mean = sum / count
  count INTEGER NOT NULL,       -- good samples
  last REAL NOT NULL,
  last_ms INTEGER NOT NULL,     -- the time of `last`, so late batches merge right
  PRIMARY KEY (point, start_ms)) WITHOUT ROWID;
CREATE TABLE rollup_15m (
  point INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,    -- the bucket [start_ms, start_ms + 900000)
  min REAL NOT NULL,
  max REAL NOT NULL,
  sum REAL NOT NULL,
  count INTEGER NOT NULL,
  last REAL NOT NULL,
  last_ms INTEGER NOT NULL,
  PRIMARY KEY (point, start_ms)) WITHOUT ROWID;
CREATE TABLE event (
  id INTEGER PRIMARY KEY,
  site TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  severity INTEGER NOT NULL,    -- 0 info, 1 warning, 2 alarm
  message TEXT NOT NULL);
CREATE INDEX event_site_time ON event (site, time_ms);
CREATE TABLE schedule (
  site TEXT NOT NULL,
  made_ms INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (site, made_ms)) WITHOUT ROWID;
CREATE TABLE bill (
  site TEXT NOT NULL,
  month TEXT NOT NULL,          -- "2024-08" (KST billing month)
  json TEXT NOT NULL,
  PRIMARY KEY (site, month)) WITHOUT ROWID;
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,      -- 1, 2, ... in append order
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
INSERT INTO schema_version (version) VALUES (1);
)sql";

// Version 2: the weather forecasts the site fetched, as they came (StoredWeatherForecast).
constexpr const char* kMigrateToV2 = R"sql(
CREATE TABLE weather_forecast (
  site TEXT NOT NULL,
  fetched_ms INTEGER NOT NULL,
  source TEXT NOT NULL,         -- the URL
  body TEXT NOT NULL,           -- the response, e.g. Open-Meteo's JSON
  PRIMARY KEY (site, fetched_ms)) WITHOUT ROWID;
INSERT INTO schema_version (version) VALUES (2);
)sql";

constexpr const char* kInsertSample =
    "INSERT OR IGNORE INTO sample (point, time_ms, value, quality) VALUES (?1, ?2, ?3, ?4)";
// The same for kRowsPerInsert samples at once (parameters 4k+1 .. 4k+4 for row k).
constexpr int kRowsPerInsert = 64;
const char* InsertSamplesSql() {
  static const std::string sql = [] {
    std::string text = "INSERT OR IGNORE INTO sample (point, time_ms, value, quality) VALUES ";
    for (int k = 0; k < kRowsPerInsert; ++k) text += k == 0 ? "(?,?,?,?)" : ",(?,?,?,?)";
    return text;
  }();
  return sql.c_str();
}
// A rollup row merges with the one already stored for its bucket (a batch may end mid-minute,
// and late samples may arrive): min/max/sum/count combine, `last` keeps the later sample.
constexpr const char* kUpsertMinute = R"sql(
INSERT INTO rollup_1m (point, start_ms, min, max, sum, count, last, last_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (point, start_ms) DO UPDATE SET
  min = min(min, excluded.min), max = max(max, excluded.max), sum = sum + excluded.sum,
  count = count + excluded.count,
  last = CASE WHEN excluded.last_ms >= last_ms THEN excluded.last ELSE last END,
  last_ms = max(last_ms, excluded.last_ms))sql";
constexpr const char* kUpsertQuarter = R"sql(
INSERT INTO rollup_15m (point, start_ms, min, max, sum, count, last, last_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (point, start_ms) DO UPDATE SET
  min = min(min, excluded.min), max = max(max, excluded.max), sum = sum + excluded.sum,
  count = count + excluded.count,
  last = CASE WHEN excluded.last_ms >= last_ms THEN excluded.last ELSE last END,
  last_ms = max(last_ms, excluded.last_ms))sql";
constexpr const char* kSelectRaw =
    "SELECT time_ms, value FROM sample WHERE point = ?1 AND time_ms >= ?2 AND time_ms < ?3 "
    "AND quality = 0 ORDER BY time_ms";
constexpr const char* kSelectMinute =
    "SELECT start_ms, min, max, sum, count, last FROM rollup_1m "
    "WHERE point = ?1 AND start_ms >= ?2 AND start_ms < ?3 ORDER BY start_ms";
constexpr const char* kSelectQuarter =
    "SELECT start_ms, min, max, sum, count, last FROM rollup_15m "
    "WHERE point = ?1 AND start_ms >= ?2 AND start_ms < ?3 ORDER BY start_ms";
constexpr const char* kSelectSamples =
    "SELECT time_ms, value, quality FROM sample WHERE point = ?1 AND time_ms >= ?2 "
    "AND time_ms < ?3 ORDER BY time_ms";
constexpr const char* kSelectLatest =
    "SELECT time_ms, value, quality FROM sample WHERE point = ?1 ORDER BY time_ms DESC LIMIT 1";
constexpr const char* kSelectPoint = "SELECT id, unit FROM point WHERE site = ?1 AND name = ?2";
constexpr const char* kInsertPoint = "INSERT INTO point (site, name, unit) VALUES (?1, ?2, ?3)";
constexpr const char* kSelectPoints = "SELECT id, site, name, unit FROM point WHERE site = ?1 ORDER BY id";
constexpr const char* kSelectPointIds = "SELECT id FROM point ORDER BY id";
constexpr const char* kInsertEvent =
    "INSERT INTO event (site, time_ms, kind, severity, message) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kSelectEvents =
    "SELECT time_ms, site, kind, severity, message FROM event WHERE site = ?1 AND time_ms >= ?2 "
    "AND time_ms < ?3 ORDER BY time_ms, id";
constexpr const char* kPutSchedule = "INSERT OR REPLACE INTO schedule (site, made_ms, json) VALUES (?1, ?2, ?3)";
constexpr const char* kLatestSchedule =
    "SELECT made_ms, json FROM schedule WHERE site = ?1 ORDER BY made_ms DESC LIMIT 1";
constexpr const char* kPutWeatherForecast =
    "INSERT OR REPLACE INTO weather_forecast (site, fetched_ms, source, body) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kSelectWeatherForecasts =
    "SELECT fetched_ms, source, body FROM weather_forecast WHERE site = ?1 AND fetched_ms >= ?2 AND fetched_ms < ?3 "
    "ORDER BY fetched_ms";
constexpr const char* kPutBill = "INSERT OR REPLACE INTO bill (site, month, json) VALUES (?1, ?2, ?3)";
constexpr const char* kSelectBill = "SELECT json FROM bill WHERE site = ?1 AND month = ?2";
constexpr const char* kDropRaw = "DELETE FROM sample WHERE point = ?1 AND time_ms < ?2";
constexpr const char* kDropMinute = "DELETE FROM rollup_1m WHERE point = ?1 AND start_ms < ?2";
constexpr const char* kDropQuarter = "DELETE FROM rollup_15m WHERE point = ?1 AND start_ms < ?2";
constexpr const char* kInsertAudit =
    "INSERT INTO audit_log (time_ms, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kSelectAudit =
    "SELECT seq, time_ms, actor, action, subject, detail FROM audit_log WHERE seq > ?1 "
    "ORDER BY seq LIMIT ?2";
constexpr const char* kSelectNewestAudit =
    "SELECT seq, time_ms, actor, action, subject, detail FROM audit_log ORDER BY seq DESC LIMIT ?1";

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kQuarterMs = 900'000;

std::int64_t Ms(Instant t) { return t.time_since_epoch().count(); }
Instant FromMs(std::int64_t ms) { return Instant{Millis{ms}}; }

// The start of the bucket of width `width_ms` holding `ms` (floor, also before 1970).
std::int64_t BucketStart(std::int64_t ms, std::int64_t width_ms) {
  const std::int64_t r = ms % width_ms;
  return r < 0 ? ms - r - width_ms : ms - r;
}

// Why SQLite failed, naming the file and what to do. The primary result code picks the kind.
Error SqliteError(const std::string& path, sqlite3* db, int rc, std::string_view doing) {
  const std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return InvalidInput(
          fmt::format("{}: {}: not an SQLite database, or corrupt ({}); move the file aside and restore a "
                      "backup, or start a new store",
                      path, doing, why));
    case SQLITE_CANTOPEN:
      return IoError(
          fmt::format("{}: {}: cannot open ({}); check that the directory exists and is writable", path, doing, why));
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return IoError(
          fmt::format("{}: {}: not writable ({}); check the permissions of the file, its -wal and -shm "
                      "files and its directory",
                      path, doing, why));
    case SQLITE_FULL: return IoError(fmt::format("{}: {}: disk full ({})", path, doing, why));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return IoError(fmt::format("{}: {}: locked ({}); only one process may write a store", path, doing, why));
    default: return IoError(fmt::format("{}: {}: {}", path, doing, why));
  }
}

// A prepared statement, finalized with its owner.
struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// A cached statement in use: binds, steps and reads columns; resets it (for reuse) when the
// scope ends. Parameters and columns count from 1 and 0, as in SQLite.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() { sqlite3_reset(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Int(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  // NaN and infinities are stored as NULL (SQLite turns NaN into NULL anyway).
  Stmt& Real(int i, double v) {
    if (std::isfinite(v)) {
      sqlite3_bind_double(s_, i, v);
    } else {
      sqlite3_bind_null(s_, i);
    }
    return *this;
  }
  Stmt& Text(int i, std::string_view v) {
    sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }

  std::int64_t ColumnInt(int i) const { return sqlite3_column_int64(s_, i); }
  // NULL reads as NaN.
  double ColumnReal(int i) const {
    return sqlite3_column_type(s_, i) == SQLITE_NULL ? std::numeric_limits<double>::quiet_NaN()
                                                     : sqlite3_column_double(s_, i);
  }
  std::string ColumnText(int i) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return text != nullptr ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(s_, i))) : std::string();
  }

 private:
  sqlite3_stmt* s_;
};

SampleQuality QualityOf(std::int64_t q) { return q == 0 ? SampleQuality::kGood : SampleQuality::kBad; }

}  // namespace

// One sqlite3 handle, the file's path for messages, and the statements prepared on it.
class SqliteConnection {
 public:
  enum class Mode { kReader, kWriter };
  // How commits reach the disk: kNormal syncs the WAL at checkpoints only (a commit survives a
  // killed process at once, a power cut once checkpointed); kFull fsyncs the WAL at each commit.
  enum class Sync { kNormal, kFull };

  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, Mode mode, Sync sync) {
    std::error_code ec;
    if (mode == Mode::kReader && !std::filesystem::exists(path, ec)) {
      return NotFound(fmt::format("{}: no such store (the writer creates it)", path));
    }
    sqlite3* raw = nullptr;
    const int flags = (mode == Mode::kWriter ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
                      SQLITE_OPEN_NOMUTEX;  // one thread per connection (header's contract)
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    auto db = std::unique_ptr<SqliteConnection>(new SqliteConnection(path, raw));
    if (rc != SQLITE_OK) return db->Fail(rc, "open");
    sqlite3_extended_result_codes(raw, 1);
    // A second writer (the audit log's connection) may hold the write lock for one commit.
    sqlite3_busy_timeout(raw, 5000);
    MEG_TRY(db->Configure(mode, sync));
    MEG_TRY(mode == Mode::kWriter ? db->CreateOrCheckSchema() : db->CheckSchema());
    return db;
  }

  ~SqliteConnection() {
    cache_.clear();  // statements are finalized before the handle closes
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }
  Error Fail(int rc, std::string_view doing) const { return SqliteError(path_, db_, rc, doing); }

  Status Exec(const char* sql, std::string_view doing) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Fail(rc, doing);
    return Ok{};
  }

  // The statement for `sql` (a string constant above: cached by its address), prepared once.
  Result<sqlite3_stmt*> Cached(const char* sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second.get();
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return Fail(rc, "prepare a statement");
    cache_.emplace(sql, Statement(s));
    return s;
  }

  // Runs a statement that returns no rows.
  Status Run(Stmt& stmt, std::string_view doing) {
    const int rc = stmt.Step();
    if (rc != SQLITE_DONE) return Fail(rc, doing);
    return Ok{};
  }

  // Runs a one-row, one-column query (a PRAGMA or a count) and returns its text.
  Result<std::string> Scalar(const char* sql, std::string_view doing) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
    const Statement s(raw);
    if (rc != SQLITE_OK) return Fail(rc, doing);
    rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) return std::string();
    if (rc != SQLITE_ROW) return Fail(rc, doing);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    return std::string(text != nullptr ? text : "");
  }

 private:
  SqliteConnection(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  Status Configure(Mode mode, Sync sync) {
    // The first statement reads the header: a file of garbage fails here (SQLITE_NOTADB).
    MEG_TRY(Scalar("PRAGMA schema_version", "read the header"));
    if (mode == Mode::kWriter) {
      // 4 KiB pages (the default): 8 and 16 KiB measured no smaller and no faster for these
      // rows (docs/store.md). Only takes effect when the file is created.
      MEG_TRY(Exec("PRAGMA page_size = 4096", "set page_size"));
      MEG_TRY_ASSIGN(journal, Scalar("PRAGMA journal_mode = WAL", "switch to WAL"));
      if (journal != "wal") {
        return IoError(fmt::format("{}: could not switch to WAL (journal mode '{}')", path_, journal));
      }
      MEG_TRY(
          Exec(sync == Sync::kFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", "set synchronous"));
      // Debian builds SQLite with SECURE_DELETE (zeroing deleted rows); retention deletes
      // whole days of telemetry that is not secret, so the extra writes buy nothing.
      MEG_TRY(Exec("PRAGMA secure_delete = OFF", "set secure_delete"));
      // Checkpoint every 64 MiB of WAL (16384 pages) rather than SQLite's 4 MiB: a point's last
      // pages, rewritten by every commit, are copied into the file once per checkpoint, and
      // fsyncs are fewer (ingest 1.0 M samples/s instead of 0.79 M, docs/store.md). The cost: a
      // Flush that checkpoints takes up to ~72 ms instead of ~24 ms, and up to 64 MiB of WAL to
      // replay after a crash. The WAL file is truncated back to 64 MiB after a checkpoint.
      MEG_TRY(Exec("PRAGMA wal_autocheckpoint = 16384", "set wal_autocheckpoint"));
      MEG_TRY(Exec("PRAGMA journal_size_limit = 67108864", "set journal_size_limit"));
    }
    MEG_TRY(Exec("PRAGMA cache_size = -65536", "set cache_size"));  // 64 MiB
    MEG_TRY(Exec("PRAGMA temp_store = MEMORY", "set temp_store"));
    return Ok{};
  }

  Result<int> SchemaVersion() {
    MEG_TRY_ASSIGN(has, Scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                               "name = 'schema_version'",
                               "read the schema"));
    if (has == "0") return 0;
    MEG_TRY_ASSIGN(version, Scalar("SELECT max(version) FROM schema_version", "read the schema"));
    if (version.empty() || version.size() > 9 || version.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidInput(
          fmt::format("{}: table schema_version holds no version ('{}'); not an OpenMEG store", path_, version));
    }
    return std::stoi(version);
  }

  Status RequireKnownVersion(int version) {
    if (version > kSqliteSchemaVersion) {
      return InvalidInput(
          fmt::format("{}: schema version {} is newer than this meg reads ({}); upgrade meg, or open "
                      "another file",
                      path_, version, kSqliteSchemaVersion));
    }
    if (version < 1) {
      return InvalidInput(fmt::format("{}: unknown schema version {}; not an OpenMEG store", path_, version));
    }
    return Ok{};
  }

  Status CheckSchema() {
    MEG_TRY_ASSIGN(version, SchemaVersion());
    if (version == 0) {
      return InvalidInput(fmt::format("{}: no schema_version table; not an OpenMEG store", path_));
    }
    return RequireKnownVersion(version);
  }

  Status CreateOrCheckSchema() {
    // IMMEDIATE: two processes creating the same new store do not both create the schema.
    MEG_TRY(Exec("BEGIN IMMEDIATE", "begin"));
    auto done = [&](Status s) -> Status {
      if (!s) {
        (void)Exec("ROLLBACK", "roll back");
        return s;
      }
      return Exec("COMMIT", "create the schema");
    };
    auto version = SchemaVersion();
    if (!version) return done(version.error());
    if (*version != 0) {
      if (auto known = RequireKnownVersion(*version); !known) return done(known);
      return done(*version < 2 ? Exec(kMigrateToV2, "add the weather forecast table (schema version 2)") : Ok{});
    }
    auto tables = Scalar("SELECT count(*) FROM sqlite_schema", "read the schema");
    if (!tables) return done(tables.error());
    if (*tables != "0") {
      return done(InvalidInput(
          fmt::format("{}: holds tables but no schema_version; not an OpenMEG store (choose another file)", path_)));
    }
    if (auto created = Exec(kSchemaV1, "create the schema"); !created) return done(created);
    return done(Exec(kMigrateToV2, "create the schema"));
  }

  std::string path_;
  sqlite3* db_;
  std::unordered_map<const char*, Statement> cache_;
};

namespace {

// BEGIN IMMEDIATE ... COMMIT; rolls back when it goes out of scope uncommitted.
class Transaction {
 public:
  static Result<Transaction> Begin(SqliteConnection& db) {
    MEG_TRY(db.Exec("BEGIN IMMEDIATE", "begin a transaction"));
    return Transaction(&db);
  }
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    if (db_ != nullptr) (void)db_->Exec("ROLLBACK", "roll back");
  }
  Status Commit() {
    MEG_TRY(db_->Exec("COMMIT", "commit"));
    db_ = nullptr;
    return Ok{};
  }

 private:
  explicit Transaction(SqliteConnection* db) : db_(db) {}
  SqliteConnection* db_;
};

// Folds good samples, sorted by (point, time), into rows of one rollup table.
class RollupRows {
 public:
  struct Row {
    std::int64_t point = 0;
    std::int64_t start_ms = 0;
    double min = 0, max = 0, sum = 0, last = 0;
    std::int64_t count = 0;
    std::int64_t last_ms = 0;
  };
  explicit RollupRows(std::int64_t width_ms) : width_ms_(width_ms) {}

  void Add(std::int64_t point, std::int64_t ms, double value) {
    const std::int64_t start = BucketStart(ms, width_ms_);
    if (rows_.empty() || rows_.back().point != point || rows_.back().start_ms != start) {
      rows_.push_back(Row{point, start, value, value, 0, value, 0, ms});
    }
    Row& r = rows_.back();
    r.min = std::min(r.min, value);
    r.max = std::max(r.max, value);
    r.sum += value;
    ++r.count;
    r.last = value;  // sorted by time within a point
    r.last_ms = ms;
  }
  const std::vector<Row>& rows() const { return rows_; }

 private:
  std::int64_t width_ms_;
  std::vector<Row> rows_;
};

Status UpsertRollups(SqliteConnection& db, const char* sql, const RollupRows& rollups) {
  MEG_TRY_ASSIGN(s, db.Cached(sql));
  for (const RollupRows::Row& r : rollups.rows()) {
    Stmt stmt(s);
    stmt.Int(1, r.point).Int(2, r.start_ms).Real(3, r.min).Real(4, r.max).Real(5, r.sum);
    stmt.Int(6, r.count).Real(7, r.last).Int(8, r.last_ms);
    MEG_TRY(db.Run(stmt, "write rollups"));
  }
  return Ok{};
}

Result<std::vector<std::int64_t>> LoadPointIds(SqliteConnection& db) {
  MEG_TRY_ASSIGN(s, db.Cached(kSelectPointIds));
  Stmt stmt(s);
  std::vector<std::int64_t> ids;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) ids.push_back(stmt.ColumnInt(0));
  if (rc != SQLITE_DONE) return db.Fail(rc, "read points");
  return ids;
}

// The good samples of a batch, folded into both rollup tables.
struct Rollups {
  RollupRows minutes{kMinuteMs};
  RollupRows quarters{kQuarterMs};
  void Add(const Sample& s) {
    if (s.quality != SampleQuality::kGood) return;
    minutes.Add(s.point.value, Ms(s.time), s.value);
    quarters.Add(s.point.value, Ms(s.time), s.value);
  }
};

// Binds `s` to parameters first + 1 .. first + 4 of an insert into `sample`.
void BindSample(Stmt& stmt, int first, const Sample& s) {
  stmt.Int(first + 1, s.point.value).Int(first + 2, Ms(s.time)).Real(first + 3, s.value);
  stmt.Int(first + 4, static_cast<std::int64_t>(s.quality));
}

// Inserts one sample unless its (point, time) is stored; returns whether it was inserted.
Result<bool> InsertOne(SqliteConnection& db, const Sample& s) {
  MEG_TRY_ASSIGN(one, db.Cached(kInsertSample));
  Stmt stmt(one);
  BindSample(stmt, 0, s);
  MEG_TRY(db.Run(stmt, "write samples"));
  return sqlite3_changes(db.handle()) == 1;
}

// The time of the newest stored sample of `point`, if any.
Result<std::optional<std::int64_t>> NewestTime(SqliteConnection& db, PointId point) {
  MEG_TRY_ASSIGN(s, db.Cached(kSelectLatest));
  Stmt stmt(s);
  stmt.Int(1, point.value);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
  if (rc != SQLITE_ROW) return db.Fail(rc, "read the latest sample");
  return std::optional<std::int64_t>(stmt.ColumnInt(0));
}

// Writes one point's samples (sorted by time, no two alike) and rolls up those that were new.
// Samples after the point's newest stored one are new for sure (this transaction holds the
// write lock), so they go kRowsPerInsert to a statement: a fifth less CPU per sample than one
// by one (docs/store.md). Earlier ones (late or resent) go one by one, and only those SQLite
// did insert are rolled up.
Status WritePointRun(SqliteConnection& db, std::span<const Sample> run, Rollups& rollups) {
  MEG_TRY_ASSIGN(newest, NewestTime(db, run.front().point));
  const std::size_t late =
      newest
          ? static_cast<std::size_t>(std::upper_bound(run.begin(), run.end(), *newest,
                                                      [](std::int64_t t, const Sample& s) { return t < Ms(s.time); }) -
                                     run.begin())
          : 0;
  for (const Sample& s : run.first(late)) {
    MEG_TRY_ASSIGN(inserted, InsertOne(db, s));
    if (inserted) rollups.Add(s);
  }
  const std::span<const Sample> fresh = run.subspan(late);
  MEG_TRY_ASSIGN(many, db.Cached(InsertSamplesSql()));
  std::size_t i = 0;
  for (; i + kRowsPerInsert <= fresh.size(); i += kRowsPerInsert) {
    Stmt stmt(many);
    for (int k = 0; k < kRowsPerInsert; ++k) BindSample(stmt, 4 * k, fresh[i + k]);
    MEG_TRY(db.Run(stmt, "write samples"));
    if (sqlite3_changes(db.handle()) != kRowsPerInsert) {
      return IoError(
          fmt::format("{}: samples of point {} appeared while this batch held the "
                      "write lock; is another program writing the store?",
                      db.path(), run.front().point.value));
    }
  }
  for (const Sample& s : fresh.subspan(i)) MEG_TRY(InsertOne(db, s));
  for (const Sample& s : fresh) rollups.Add(s);
  return Ok{};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SqliteStore

SqliteStore::SqliteStore(std::string path, std::unique_ptr<SqliteConnection> db, const Clock* clock,
                         StoreOptions options)
    : path_(std::move(path)), db_(std::move(db)), clock_(clock), options_(options) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, const Clock& clock,
                                                       StoreOptions options) {
  MEG_TRY_ASSIGN(db, SqliteConnection::Open(path, SqliteConnection::Mode::kWriter, SqliteConnection::Sync::kNormal));
  MEG_TRY_ASSIGN(ids, LoadPointIds(*db));
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(path, std::move(db), &clock, options));
  store->points_ = std::move(ids);
  store->buffer_.reserve(std::min<std::size_t>(options.flush_samples, 1 << 16));
  return store;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenReader(const std::string& path) {
  MEG_TRY_ASSIGN(db, SqliteConnection::Open(path, SqliteConnection::Mode::kReader, SqliteConnection::Sync::kNormal));
  return std::unique_ptr<SqliteStore>(new SqliteStore(path, std::move(db), nullptr, {}));
}

SqliteStore::~SqliteStore() {
  if (clock_ != nullptr && !buffer_.empty()) (void)Flush();
}

Status SqliteStore::RequireWriter() const {
  if (clock_ == nullptr) {
    return InvalidInput(fmt::format("{}: opened read-only (OpenReader); writes go through the writer's store", path_));
  }
  return Ok{};
}

Result<PointId> SqliteStore::Point(std::string_view site, std::string_view name, std::string_view unit) {
  MEG_TRY(RequireWriter());
  if (site.empty() || name.empty()) {
    return InvalidInput(fmt::format("{}: a point needs a site and a name (got '{}' / '{}')", path_, site, name));
  }
  {
    MEG_TRY_ASSIGN(s, db_->Cached(kSelectPoint));
    Stmt stmt(s);
    stmt.Text(1, site).Text(2, name);
    const int rc = stmt.Step();
    if (rc == SQLITE_ROW) {
      const std::string registered = stmt.ColumnText(1);
      if (registered != unit) {
        return InvalidInput(
            fmt::format("{}: point {}/{} is registered in '{}', not '{}'; a name carries one unit for its "
                        "life (register a new name)",
                        path_, site, name, registered, unit));
      }
      return PointId{stmt.ColumnInt(0)};
    }
    if (rc != SQLITE_DONE) return db_->Fail(rc, "read points");
  }
  MEG_TRY_ASSIGN(s, db_->Cached(kInsertPoint));
  Stmt stmt(s);
  stmt.Text(1, site).Text(2, name).Text(3, unit);
  MEG_TRY(db_->Run(stmt, "register a point"));
  const std::int64_t id = sqlite3_last_insert_rowid(db_->handle());
  points_.insert(std::upper_bound(points_.begin(), points_.end(), id), id);
  return PointId{id};
}

Result<std::vector<PointInfo>> SqliteStore::Points(std::string_view site) {
  MEG_TRY_ASSIGN(s, db_->Cached(kSelectPoints));
  Stmt stmt(s);
  stmt.Text(1, site);
  std::vector<PointInfo> out;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    out.push_back(PointInfo{PointId{stmt.ColumnInt(0)}, stmt.ColumnText(1), stmt.ColumnText(2), stmt.ColumnText(3)});
  }
  if (rc != SQLITE_DONE) return db_->Fail(rc, "read points");
  return out;
}

Result<bool> SqliteStore::KnownPoint(PointId point) {
  if (std::binary_search(points_.begin(), points_.end(), point.value)) return true;
  MEG_TRY_ASSIGN(ids, LoadPointIds(*db_));  // registered by another connection since Open
  points_ = std::move(ids);
  return std::binary_search(points_.begin(), points_.end(), point.value);
}

Status SqliteStore::Append(std::span<const Sample> samples) {
  MEG_TRY(RequireWriter());
  MEG_TRY(CheckSamples(samples, path_, [this](PointId p) { return KnownPoint(p); }));
  if (samples.empty()) return Ok{};
  if (buffer_.empty()) oldest_buffered_ = clock_->Now();
  buffer_.insert(buffer_.end(), samples.begin(), samples.end());
  if (buffer_.size() >= options_.flush_samples || clock_->Now() - oldest_buffered_ >= options_.flush_interval) {
    return Flush();
  }
  return Ok{};
}

Status SqliteStore::Flush() {
  MEG_TRY(RequireWriter());
  if (buffer_.empty()) return Ok{};
  MEG_TRY(WriteBuffer());
  buffer_.clear();
  return Ok{};
}

// One transaction: the samples in (point, time) order (each point's rows are then appended at
// the end of its key range, page after page), and the rollup rows of the samples that were new.
Status SqliteStore::WriteBuffer() {
  std::stable_sort(buffer_.begin(), buffer_.end(), [](const Sample& a, const Sample& b) {
    return std::tie(a.point.value, a.time) < std::tie(b.point.value, b.time);
  });
  // Within a batch too the first write of a (point, time) wins (the stable sort kept it first).
  buffer_.erase(std::unique(buffer_.begin(), buffer_.end(),
                            [](const Sample& a, const Sample& b) { return a.point == b.point && a.time == b.time; }),
                buffer_.end());
  MEG_TRY_ASSIGN(tx, Transaction::Begin(*db_));
  Rollups rollups;
  for (auto run = buffer_.begin(); run != buffer_.end();) {
    const auto end = std::find_if(run, buffer_.end(), [&](const Sample& s) { return s.point != run->point; });
    MEG_TRY(WritePointRun(*db_, std::span<const Sample>(run, end), rollups));
    run = end;
  }
  MEG_TRY(UpsertRollups(*db_, kUpsertMinute, rollups.minutes));
  MEG_TRY(UpsertRollups(*db_, kUpsertQuarter, rollups.quarters));
  return tx.Commit();
}

Result<std::vector<Bucket>> SqliteStore::Query(PointId point, Instant from, Instant to, Resolution resolution) {
  std::vector<Bucket> out;
  if (resolution == Resolution::kRaw) {
    MEG_TRY_ASSIGN(s, db_->Cached(kSelectRaw));
    Stmt stmt(s);
    stmt.Int(1, point.value).Int(2, Ms(from)).Int(3, Ms(to));
    int rc = 0;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      const double v = stmt.ColumnReal(1);
      out.push_back(Bucket{FromMs(stmt.ColumnInt(0)), v, v, v, v, 1});
    }
    if (rc != SQLITE_DONE) return db_->Fail(rc, "read samples");
    return out;
  }
  MEG_TRY_ASSIGN(s, db_->Cached(resolution == Resolution::kMinute ? kSelectMinute : kSelectQuarter));
  Stmt stmt(s);
  stmt.Int(1, point.value).Int(2, Ms(from)).Int(3, Ms(to));
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    const std::int64_t count = stmt.ColumnInt(4);
    out.push_back(Bucket{FromMs(stmt.ColumnInt(0)), stmt.ColumnReal(1), stmt.ColumnReal(3) / static_cast<double>(count),
                         stmt.ColumnReal(2), stmt.ColumnReal(5), count});
  }
  if (rc != SQLITE_DONE) return db_->Fail(rc, "read rollups");
  return out;
}

Result<std::vector<Sample>> SqliteStore::Samples(PointId point, Instant from, Instant to) {
  MEG_TRY_ASSIGN(s, db_->Cached(kSelectSamples));
  Stmt stmt(s);
  stmt.Int(1, point.value).Int(2, Ms(from)).Int(3, Ms(to));
  std::vector<Sample> out;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    out.push_back(Sample{point, FromMs(stmt.ColumnInt(0)), stmt.ColumnReal(1), QualityOf(stmt.ColumnInt(2))});
  }
  if (rc != SQLITE_DONE) return db_->Fail(rc, "read samples");
  return out;
}

Result<std::optional<Sample>> SqliteStore::Latest(PointId point) {
  MEG_TRY_ASSIGN(s, db_->Cached(kSelectLatest));
  Stmt stmt(s);
  stmt.Int(1, point.value);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<Sample>();
  if (rc != SQLITE_ROW) return db_->Fail(rc, "read the latest sample");
  return std::optional<Sample>(
      Sample{point, FromMs(stmt.ColumnInt(0)), stmt.ColumnReal(1), QualityOf(stmt.ColumnInt(2))});
}

Status SqliteStore::AppendEvents(std::span<const Event> events) {
  MEG_TRY(RequireWriter());
  if (events.empty()) return Ok{};
  MEG_TRY_ASSIGN(s, db_->Cached(kInsertEvent));
  MEG_TRY_ASSIGN(tx, Transaction::Begin(*db_));
  for (const Event& e : events) {
    Stmt stmt(s);
    stmt.Text(1, e.site).Int(2, Ms(e.time)).Text(3, e.kind);
    stmt.Int(4, static_cast<std::int64_t>(e.severity)).Text(5, e.message);
    MEG_TRY(db_->Run(stmt, "write events"));
  }
  return tx.Commit();
}

Result<std::vector<Event>> SqliteStore::Events(std::string_view site, Instant from, Instant to) {
  MEG_TRY_ASSIGN(s, db_->Cached(kSelectEvents));
  Stmt stmt(s);
  stmt.Text(1, site).Int(2, Ms(from)).Int(3, Ms(to));
  std::vector<Event> out;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    const std::int64_t severity = std::clamp<std::int64_t>(stmt.ColumnInt(3), 0, 2);
    out.push_back(Event{FromMs(stmt.ColumnInt(0)), stmt.ColumnText(1), stmt.ColumnText(2),
                        static_cast<Severity>(severity), stmt.ColumnText(4)});
  }
  if (rc != SQLITE_DONE) return db_->Fail(rc, "read events");
  return out;
}

Status SqliteStore::PutSchedule(const StoredSchedule& schedule) {
  MEG_TRY(RequireWriter());
  MEG_TRY_ASSIGN(s, db_->Cached(kPutSchedule));
  Stmt stmt(s);
  stmt.Text(1, schedule.site).Int(2, Ms(schedule.made)).Text(3, schedule.json);
  return db_->Run(stmt, "write a schedule");
}

Result<std::optional<StoredSchedule>> SqliteStore::LatestSchedule(std::string_view site) {
  MEG_TRY_ASSIGN(s, db_->Cached(kLatestSchedule));
  Stmt stmt(s);
  stmt.Text(1, site);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<StoredSchedule>();
  if (rc != SQLITE_ROW) return db_->Fail(rc, "read schedules");
  return std::optional<StoredSchedule>(
      StoredSchedule{std::string(site), FromMs(stmt.ColumnInt(0)), stmt.ColumnText(1)});
}

Status SqliteStore::PutWeatherForecast(const StoredWeatherForecast& forecast) {
  MEG_TRY(RequireWriter());
  MEG_TRY_ASSIGN(s, db_->Cached(kPutWeatherForecast));
  Stmt stmt(s);
  stmt.Text(1, forecast.site).Int(2, Ms(forecast.fetched)).Text(3, forecast.source).Text(4, forecast.body);
  return db_->Run(stmt, "write a weather forecast");
}

Result<std::vector<StoredWeatherForecast>> SqliteStore::WeatherForecasts(std::string_view site, Instant from,
                                                                         Instant to) {
  MEG_TRY_ASSIGN(s, db_->Cached(kSelectWeatherForecasts));
  Stmt stmt(s);
  stmt.Text(1, site).Int(2, Ms(from)).Int(3, Ms(to));
  std::vector<StoredWeatherForecast> out;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    out.push_back(
        StoredWeatherForecast{std::string(site), FromMs(stmt.ColumnInt(0)), stmt.ColumnText(1), stmt.ColumnText(2)});
  }
  if (rc != SQLITE_DONE) return db_->Fail(rc, "read weather forecasts");
  return out;
}

Status SqliteStore::PutBill(const StoredBill& bill) {
  MEG_TRY(RequireWriter());
  MEG_TRY_ASSIGN(s, db_->Cached(kPutBill));
  Stmt stmt(s);
  stmt.Text(1, bill.site).Text(2, FormatMonth(bill.month)).Text(3, bill.json);
  return db_->Run(stmt, "write a bill");
}

Result<std::optional<StoredBill>> SqliteStore::Bill(std::string_view site, Month month) {
  MEG_TRY_ASSIGN(s, db_->Cached(kSelectBill));
  Stmt stmt(s);
  stmt.Text(1, site).Text(2, FormatMonth(month));
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return std::optional<StoredBill>();
  if (rc != SQLITE_ROW) return db_->Fail(rc, "read bills");
  return std::optional<StoredBill>(StoredBill{std::string(site), month, stmt.ColumnText(0)});
}

// Deletes per point, so each delete is one key-range of a WITHOUT ROWID table, not a scan.
Status SqliteStore::ApplyRetention(Instant now) {
  MEG_TRY(Flush());  // a buffered old sample must not come back after its range is dropped
  using Days = std::chrono::days;
  const Retention& keep = options_.retention;
  const std::pair<const char*, Instant> drops[] = {
      {kDropRaw, now - Days(keep.raw_days)},
      {kDropMinute, now - Days(keep.minute_days)},
      {kDropQuarter, now - Days(keep.quarter_days)},
  };
  MEG_TRY_ASSIGN(ids, LoadPointIds(*db_));
  MEG_TRY_ASSIGN(tx, Transaction::Begin(*db_));
  for (const auto& [sql, before] : drops) {
    MEG_TRY_ASSIGN(s, db_->Cached(sql));
    for (const std::int64_t id : ids) {
      Stmt stmt(s);
      stmt.Int(1, id).Int(2, Ms(before));
      MEG_TRY(db_->Run(stmt, "apply retention"));
    }
  }
  return tx.Commit();
}

Status SqliteStore::CheckIntegrity() {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_->handle(), "PRAGMA integrity_check", -1, &raw, nullptr);
  const Statement s(raw);
  if (rc != SQLITE_OK) return db_->Fail(rc, "check integrity");
  std::vector<std::string> problems;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    problems.emplace_back(text != nullptr ? text : "");
  }
  if (rc != SQLITE_DONE) return db_->Fail(rc, "check integrity");
  if (problems.size() == 1 && problems[0] == "ok") return Ok{};
  if (problems.size() > 5) problems.resize(5);
  return InvalidInput(
      fmt::format("{}: integrity check failed: {}; restore a backup", path_, fmt::join(problems, "; ")));
}

Status SqliteStore::Checkpoint() {
  MEG_TRY(RequireWriter());
  int log_frames = 0;
  int copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &copied);
  if (rc != SQLITE_OK) return db_->Fail(rc, "checkpoint");
  return Ok{};
}

// ---------------------------------------------------------------------------------------------
// SqliteAuditLog

SqliteAuditLog::SqliteAuditLog(std::string path, std::unique_ptr<SqliteConnection> db)
    : path_(std::move(path)), db_(std::move(db)) {}

SqliteAuditLog::~SqliteAuditLog() = default;

Result<std::unique_ptr<SqliteAuditLog>> SqliteAuditLog::Open(const std::string& path) {
  MEG_TRY_ASSIGN(db, SqliteConnection::Open(path, SqliteConnection::Mode::kWriter, SqliteConnection::Sync::kFull));
  return std::unique_ptr<SqliteAuditLog>(new SqliteAuditLog(path, std::move(db)));
}

Status SqliteAuditLog::Append(std::span<const AuditRecord> records) {
  if (records.empty()) return Ok{};
  MEG_TRY_ASSIGN(s, db_->Cached(kInsertAudit));
  MEG_TRY_ASSIGN(tx, Transaction::Begin(*db_));
  for (const AuditRecord& r : records) {
    Stmt stmt(s);
    stmt.Int(1, Ms(r.time)).Text(2, r.actor).Text(3, r.action).Text(4, r.subject);
    stmt.Text(5, r.detail);
    MEG_TRY(db_->Run(stmt, "write the audit log"));
  }
  MEG_TRY(tx.Commit());  // synchronous=FULL: the WAL is fsynced before COMMIT returns
  appended_ += records.size();
  return Ok{};
}

// The rows of an audit_log query (seq, time_ms, actor, action, subject, detail).
Result<std::vector<StoredAuditRecord>> AuditRows(Stmt& stmt, SqliteConnection& db) {
  std::vector<StoredAuditRecord> out;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    out.push_back(StoredAuditRecord{static_cast<std::uint64_t>(stmt.ColumnInt(0)),
                                    AuditRecord{FromMs(stmt.ColumnInt(1)), stmt.ColumnText(2), stmt.ColumnText(3),
                                                stmt.ColumnText(4), stmt.ColumnText(5)}});
  }
  if (rc != SQLITE_DONE) return db.Fail(rc, "read the audit log");
  return out;
}

Result<std::vector<StoredAuditRecord>> SqliteStore::NewestAudit(std::size_t limit) {
  MEG_TRY_ASSIGN(s, db_->Cached(kSelectNewestAudit));
  Stmt stmt(s);
  stmt.Int(1, static_cast<std::int64_t>(limit));
  return AuditRows(stmt, *db_);
}

Result<std::vector<StoredAuditRecord>> SqliteAuditLog::Read(std::uint64_t after_seq, std::size_t limit) {
  MEG_TRY_ASSIGN(s, db_->Cached(kSelectAudit));
  Stmt stmt(s);
  stmt.Int(1, static_cast<std::int64_t>(after_seq)).Int(2, static_cast<std::int64_t>(limit));
  return AuditRows(stmt, *db_);
}

}  // namespace meg
