#include "store/postgres/postgres_store.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <string>
#include <tuple>
#include <utility>

namespace meg {

// ---------------------------------------------------------------------------------------------
// Schema (version 1). Times are integer ms since the Unix epoch (UTC); values are in the point's
// unit. samples and the rollups are partitioned by range of time, one partition per UTC month
// (named <table>_YYYY_MM), created on demand by the Flush that first needs it; their primary
// keys (point, time) include the partition key, so ON CONFLICT works on the partitioned parent.
// No foreign key from samples to points: Append checks the ids, and ingest pays no lookup.

namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE schema_version (version integer NOT NULL);
CREATE TABLE points (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site text NOT NULL,
  name text NOT NULL,
  unit text NOT NULL,
  UNIQUE (site, name));
CREATE TABLE samples (
  point bigint NOT NULL,
  time_ms bigint NOT NULL,
  value double precision,         -- NULL: a bad sample without a (finite) value
  quality smallint NOT NULL,      -- 0 good, 1 bad
  PRIMARY KEY (point, time_ms)) PARTITION BY RANGE (time_ms);
CREATE TABLE rollup_1m (
  point bigint NOT NULL,
  start_ms bigint NOT NULL,       -- the bucket [start_ms, start_ms + 60000)
  min double precision NOT NULL,
  max double precision NOT NULL,
  sum double precision NOT NULL,  -- mean = sum / count
  count bigint NOT NULL,          -- good samples
  last double precision NOT NULL,
  last_ms bigint NOT NULL,        -- the time of `last`, so late batches merge right
  folded boolean NOT NULL DEFAULT false,  -- counted in rollup_15m too (see kMoveStaged)
  PRIMARY KEY (point, start_ms)) PARTITION BY RANGE (start_ms);
CREATE INDEX rollup_1m_unfolded ON rollup_1m (point, start_ms) WHERE NOT folded;
CREATE TABLE rollup_15m (
  point bigint NOT NULL,
  start_ms bigint NOT NULL,       -- the bucket [start_ms, start_ms + 900000)
  min double precision NOT NULL,
  max double precision NOT NULL,
  sum double precision NOT NULL,
  count bigint NOT NULL,
  last double precision NOT NULL,
  last_ms bigint NOT NULL,
  PRIMARY KEY (point, start_ms)) PARTITION BY RANGE (start_ms);
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  site text NOT NULL,
  time_ms bigint NOT NULL,
  kind text NOT NULL,
  severity smallint NOT NULL,     -- 0 info, 1 warning, 2 alarm
  message text NOT NULL);
CREATE INDEX events_site_time ON events (site, time_ms);
CREATE TABLE schedules (
  site text NOT NULL,
  made_ms bigint NOT NULL,
  json text NOT NULL,
  PRIMARY KEY (site, made_ms));
CREATE TABLE bills (
  site text NOT NULL,
  month text NOT NULL,            -- "2024-08" (KST billing month)
  json text NOT NULL,
  PRIMARY KEY (site, month));
INSERT INTO schema_version (version) VALUES (1);
)sql";

// Version 2: the weather forecasts the site fetched, as they came (StoredWeatherForecast).
constexpr const char* kMigrateToV2 = R"sql(
CREATE TABLE weather_forecasts (
  site text NOT NULL,
  fetched_ms bigint NOT NULL,
  source text NOT NULL,           -- the URL
  body text NOT NULL,             -- the response, e.g. Open-Meteo's JSON
  PRIMARY KEY (site, fetched_ms));
INSERT INTO schema_version (version) VALUES (2);
)sql";

// The session's staging tables: the batch is COPYed into meg_staging; kMoveStaged notes the
// minutes it created in meg_created. Temporary tables are not WAL-logged; ON COMMIT DELETE ROWS
// empties them with each commit (and a rollback discards what a failed batch put in).
constexpr const char* kCreateStaging = R"sql(
CREATE TEMPORARY TABLE IF NOT EXISTS meg_staging (point bigint NOT NULL, time_ms bigint NOT NULL,
  value double precision, quality smallint NOT NULL) ON COMMIT DELETE ROWS;
CREATE TEMPORARY TABLE IF NOT EXISTS meg_created (point bigint NOT NULL, start_ms bigint NOT NULL)
  ON COMMIT DELETE ROWS)sql";
constexpr const char* kCopyStaging = "COPY meg_staging FROM STDIN (FORMAT binary)";

// The merge of a rollup row with the stored one of its bucket (a batch may end mid-bucket, a late
// batch may come): min/max/sum/count combine, `last` keeps the later sample.
#define MEG_ROLLUP_MERGE                                                                \
  " ON CONFLICT (point, start_ms) DO UPDATE SET "                                       \
  "min = least(r.min, excluded.min), max = greatest(r.max, excluded.max), "             \
  "sum = r.sum + excluded.sum, count = r.count + excluded.count, "                      \
  "last = CASE WHEN excluded.last_ms >= r.last_ms THEN excluded.last ELSE r.last END, " \
  "last_ms = greatest(r.last_ms, excluded.last_ms)"

// The batch's two statements, in its transaction (two, not one: a statement may not update a row
// twice, and the fold may touch a minute the batch also updates).
//
// 1. Insert the staged samples, skipping every (point, time) already stored, and fold the good
//    ones it did store (RETURNING: never a replayed one) into their minutes (rollup_1m). A
//    minute's `last` is the value at its greatest time (a window max: one sort for the batch, not
//    one per group as array_agg(... ORDER BY) would). The 15-minute rollup is not updated sample
//    by sample: a minute is added to its quarter once, when it is folded (2.), and until then a
//    quarter read adds the minute itself (kSelectQuarter). So a 1-second batch updates one rollup
//    row per point, not two. New samples of a minute already folded (late ones) go into its
//    quarter here too. The minutes this batch created are noted for 2. Bucket starts floor also
//    before 1970.
constexpr const char* kMoveStaged = R"sql(
WITH inserted AS (
  INSERT INTO samples (point, time_ms, value, quality)
  SELECT point, time_ms, value, quality FROM meg_staging
  ON CONFLICT (point, time_ms) DO NOTHING
  RETURNING point, time_ms, value, quality),
agg AS (
  SELECT point, minute_ms AS start_ms, min(value) AS min, max(value) AS max, sum(value) AS sum,
         count(*) AS count, max(value) FILTER (WHERE time_ms = last_ms) AS last,
         max(last_ms) AS last_ms
  FROM (SELECT point, time_ms, value, minute_ms,
               max(time_ms) OVER (PARTITION BY point, minute_ms) AS last_ms
        FROM (SELECT point, time_ms, value,
                     time_ms - ((time_ms % 60000) + 60000) % 60000 AS minute_ms
              FROM inserted WHERE quality = 0) n) g
  GROUP BY point, minute_ms),
minute AS (
  INSERT INTO rollup_1m AS r (point, start_ms, min, max, sum, count, last, last_ms)
  SELECT point, start_ms, min, max, sum, count, last, last_ms FROM agg)sql" MEG_ROLLUP_MERGE R"sql(
  RETURNING point, start_ms, count, folded),
created AS (
  INSERT INTO meg_created (point, start_ms)
  SELECT m.point, m.start_ms FROM minute m JOIN agg a USING (point, start_ms)
  WHERE m.count = a.count)  -- all of the row is this batch's: it was inserted now
INSERT INTO rollup_15m AS r (point, start_ms, min, max, sum, count, last, last_ms)
SELECT a.point, a.start_ms - ((a.start_ms % 900000) + 900000) % 900000, min(a.min), max(a.max),
       sum(a.sum), sum(a.count), (array_agg(a.last ORDER BY a.last_ms DESC))[1], max(a.last_ms)
FROM agg a JOIN minute m USING (point, start_ms) WHERE m.folded
GROUP BY 1, 2)sql" MEG_ROLLUP_MERGE;

// 2. Fold into rollup_15m every unfolded minute older than the newest minute this batch created
//    for its point (a point's minute is done once a later one has begun): at 1-second batches,
//    once a minute per point. A minute that stays unfolded (the point's last, a late one) is
//    still counted by quarter reads.
constexpr const char* kFoldMinutes = R"sql(
WITH newest AS (SELECT point, max(start_ms) AS start_ms FROM meg_created GROUP BY point),
folded AS (
  UPDATE rollup_1m r SET folded = true FROM newest n
  WHERE r.point = n.point AND NOT r.folded AND r.start_ms < n.start_ms
  RETURNING r.point, r.start_ms, r.min, r.max, r.sum, r.count, r.last, r.last_ms)
INSERT INTO rollup_15m AS r (point, start_ms, min, max, sum, count, last, last_ms)
SELECT point, start_ms - ((start_ms % 900000) + 900000) % 900000, min(min), max(max), sum(sum),
       sum(count), (array_agg(last ORDER BY last_ms DESC))[1], max(last_ms)
FROM folded GROUP BY 1, 2)sql" MEG_ROLLUP_MERGE;

// Retention's fold: every unfolded minute before $1 (about to be dropped) into its quarter.
constexpr const char* kFoldBefore = R"sql(
WITH folded AS (
  UPDATE rollup_1m SET folded = true WHERE NOT folded AND start_ms < $1
  RETURNING point, start_ms, min, max, sum, count, last, last_ms)
INSERT INTO rollup_15m AS r (point, start_ms, min, max, sum, count, last, last_ms)
SELECT point, start_ms - ((start_ms % 900000) + 900000) % 900000, min(min), max(max), sum(sum),
       sum(count), (array_agg(last ORDER BY last_ms DESC))[1], max(last_ms)
FROM folded GROUP BY 1, 2)sql" MEG_ROLLUP_MERGE;
#undef MEG_ROLLUP_MERGE

constexpr const char* kSelectRaw =
    "SELECT time_ms, value FROM samples WHERE point = $1 AND time_ms >= $2 AND time_ms < $3 "
    "AND quality = 0 ORDER BY time_ms";
constexpr const char* kSelectMinute =
    "SELECT start_ms, min, max, sum, count, last FROM rollup_1m "
    "WHERE point = $1 AND start_ms >= $2 AND start_ms < $3 ORDER BY start_ms";
// A quarter is its rollup_15m row combined with its minutes not folded into it yet (through the
// small partial index rollup_1m_unfolded: about one row per point).
constexpr const char* kQuarterRowsOfPoint = R"sql(
  SELECT start_ms AS q, min, max, sum, count, last, last_ms FROM rollup_15m
  WHERE point = $1 AND start_ms >= $2 AND start_ms < $3
  UNION ALL
  SELECT start_ms - ((start_ms % 900000) + 900000) % 900000, min, max, sum, count, last, last_ms
  FROM rollup_1m WHERE point = $1 AND NOT folded AND start_ms >= $2 - 900000 AND start_ms < $3)sql";
constexpr const char* kSelectQuarter =
    "SELECT q, min(min), max(max), sum(sum), sum(count), (array_agg(last ORDER BY last_ms "
    "DESC))[1] FROM ({}) u WHERE q >= $2 AND q < $3 GROUP BY q ORDER BY q";
constexpr const char* kSelectSamples =
    "SELECT time_ms, value, quality FROM samples WHERE point = $1 AND time_ms >= $2 "
    "AND time_ms < $3 ORDER BY time_ms";
constexpr const char* kSelectLatest =
    "SELECT time_ms, value, quality FROM samples WHERE point = $1 ORDER BY time_ms DESC LIMIT 1";
// One backward index probe per point (and per monthly partition it has).
constexpr const char* kSelectLatestOfSite =
    "SELECT p.id, s.time_ms, s.value, s.quality FROM points p CROSS JOIN LATERAL "
    "(SELECT time_ms, value, quality FROM samples WHERE point = p.id ORDER BY time_ms DESC "
    "LIMIT 1) s WHERE p.site = $1 ORDER BY p.id";
constexpr const char* kSelectPoint = "SELECT id, unit FROM points WHERE site = $1 AND name = $2";
constexpr const char* kInsertPoint =
    "INSERT INTO points (site, name, unit) VALUES ($1, $2, $3) ON CONFLICT (site, name) DO "
    "NOTHING RETURNING id";
constexpr const char* kSelectPoints = "SELECT id, site, name, unit FROM points WHERE site = $1 ORDER BY id";
constexpr const char* kSelectPointIds = "SELECT id FROM points ORDER BY id";
constexpr const char* kInsertEvent =
    "INSERT INTO events (site, time_ms, kind, severity, message) VALUES ($1, $2, $3, $4, $5)";
constexpr const char* kSelectEvents =
    "SELECT time_ms, site, kind, severity, message FROM events WHERE site = $1 AND time_ms >= $2 "
    "AND time_ms < $3 ORDER BY time_ms, id";
constexpr const char* kPutSchedule =
    "INSERT INTO schedules (site, made_ms, json) VALUES ($1, $2, $3) ON CONFLICT (site, made_ms) "
    "DO UPDATE SET json = excluded.json";
constexpr const char* kLatestSchedule =
    "SELECT made_ms, json FROM schedules WHERE site = $1 ORDER BY made_ms DESC LIMIT 1";
constexpr const char* kPutWeatherForecast =
    "INSERT INTO weather_forecasts (site, fetched_ms, source, body) VALUES ($1, $2, $3, $4) ON CONFLICT "
    "(site, fetched_ms) DO UPDATE SET source = excluded.source, body = excluded.body";
constexpr const char* kSelectWeatherForecasts =
    "SELECT fetched_ms, source, body FROM weather_forecasts WHERE site = $1 AND fetched_ms >= $2 AND fetched_ms < $3 "
    "ORDER BY fetched_ms";
constexpr const char* kPutBill =
    "INSERT INTO bills (site, month, json) VALUES ($1, $2, $3) ON CONFLICT (site, month) DO "
    "UPDATE SET json = excluded.json";
constexpr const char* kSelectBill = "SELECT json FROM bills WHERE site = $1 AND month = $2";
constexpr const char* kCountSamples =
    "SELECT count(*) FROM samples s JOIN points p ON p.id = s.point WHERE p.site = $1 "
    "AND s.time_ms >= $2 AND s.time_ms < $3";
constexpr const char* kSelectPartitions =
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = to_regclass($1) ORDER BY c.relname";
// Per bucket: the sum of the sites' means (rollups) or raw good values; $2 NULL: every site.
constexpr const char* kFleetSumMinute =
    "SELECT r.start_ms, sum(r.sum / r.count), count(*) FROM rollup_1m r JOIN points p ON p.id = "
    "r.point WHERE p.name = $1 AND ($2::text[] IS NULL OR p.site = ANY ($2::text[])) AND "
    "r.start_ms >= $3 AND r.start_ms < $4 GROUP BY r.start_ms ORDER BY r.start_ms";
// Quarters: each point's quarter combined first (its row and its unfolded minutes), then summed.
constexpr const char* kFleetSumQuarter = R"sql(
WITH chosen AS (
  SELECT id FROM points WHERE name = $1 AND ($2::text[] IS NULL OR site = ANY ($2::text[]))),
per_point AS (
  SELECT point, q, sum(sum) AS sum, sum(count) AS count FROM (
    SELECT r.point, r.start_ms AS q, r.sum, r.count FROM rollup_15m r JOIN chosen c ON c.id = r.point
    WHERE r.start_ms >= $3 AND r.start_ms < $4
    UNION ALL
    SELECT r.point, r.start_ms - ((r.start_ms % 900000) + 900000) % 900000, r.sum, r.count
    FROM rollup_1m r JOIN chosen c ON c.id = r.point
    WHERE NOT r.folded AND r.start_ms >= $3 - 900000 AND r.start_ms < $4) u
  WHERE q >= $3 AND q < $4 GROUP BY point, q)
SELECT q, sum(sum / count), count(*) FROM per_point GROUP BY q ORDER BY q)sql";
constexpr const char* kFleetSumRaw =
    "SELECT s.time_ms, sum(s.value), count(*) FROM samples s JOIN points p ON p.id = s.point "
    "WHERE p.name = $1 AND ($2::text[] IS NULL OR p.site = ANY ($2::text[])) AND s.time_ms >= $3 "
    "AND s.time_ms < $4 AND s.quality = 0 GROUP BY s.time_ms ORDER BY s.time_ms";

// The partitioned tables and the column each is partitioned (and retained) by.
// A minute's rollup row is updated by every batch that has samples in it (each second at 1 s
// flushes): pages half full leave room for the new row version on its page, so the update is
// HOT (no new index entry) and the old version is pruned on the page without a vacuum.
// Measured at 20,000 points: fillfactor 100 left 99.6 % of the updates non-HOT and the rollup
// step grew from 250 to 520 ms per batch over ten batches; at 50 it stays flat. A quarter's row
// is updated once per folded minute, and kept for years: full pages.
struct PartitionedTable {
  const char* name;
  const char* time_column;
  int fillfactor;
};
constexpr PartitionedTable kSamplesTable{"samples", "time_ms", 100};
constexpr PartitionedTable kMinuteTable{"rollup_1m", "start_ms", 50};
constexpr PartitionedTable kQuarterTable{"rollup_15m", "start_ms", 100};
constexpr PartitionedTable kPartitioned[] = {kSamplesTable, kMinuteTable, kQuarterTable};

// SQLSTATE 23514 (check_violation) is what an insert gets when no partition holds its row.
constexpr const char* kNoPartitionState = "23514";

std::int64_t Ms(Instant t) { return t.time_since_epoch().count(); }
Instant FromMs(std::int64_t ms) { return Instant{Millis{ms}}; }

// The start (ms) of the UTC month holding `ms`, and of the month after it.
std::int64_t MonthStartMs(std::int64_t ms) {
  using namespace std::chrono;
  const year_month_day day{floor<days>(sys_time<milliseconds>(milliseconds(ms)))};
  return duration_cast<milliseconds>(sys_days{day.year() / day.month() / 1}.time_since_epoch()).count();
}
std::int64_t NextMonthMs(std::int64_t month_start_ms) {
  using namespace std::chrono;
  const year_month_day day{floor<days>(sys_time<milliseconds>(milliseconds(month_start_ms)))};
  const year_month next = year_month{day.year(), day.month()} + months{1};
  return duration_cast<milliseconds>(sys_days{next / 1}.time_since_epoch()).count();
}
// "2024_08", the suffix of a month's partitions.
std::string MonthSuffix(std::int64_t month_start_ms) {
  using namespace std::chrono;
  const year_month_day day{floor<days>(sys_time<milliseconds>(milliseconds(month_start_ms)))};
  return fmt::format("{:04}_{:02}", static_cast<int>(day.year()), static_cast<unsigned>(day.month()));
}
// The month start (ms) a partition name "<table>_YYYY_MM" stands for, if it is one of ours.
std::optional<std::int64_t> PartitionMonth(std::string_view table, std::string_view relname) {
  if (relname.size() != table.size() + 8 || relname.substr(0, table.size()) != table) return {};
  const std::string_view s = relname.substr(table.size());  // "_2024_08"
  if (s[0] != '_' || s[5] != '_') return {};
  int year = 0;
  int month = 0;
  for (const char c : s.substr(1, 4)) {
    if (c < '0' || c > '9') return {};
    year = year * 10 + (c - '0');
  }
  for (const char c : s.substr(6, 2)) {
    if (c < '0' || c > '9') return {};
    month = month * 10 + (c - '0');
  }
  if (month < 1 || month > 12) return {};
  using namespace std::chrono;
  const sys_days first{std::chrono::year{year} / month / 1};
  return duration_cast<milliseconds>(first.time_since_epoch()).count();
}

// A text parameter of a query; null for SQL NULL.
struct Param {
  std::string text;
  bool null = false;
};
Param P(std::int64_t v) { return {std::to_string(v), false}; }
Param P(std::string_view v) { return {std::string(v), false}; }
Param Null() { return {"", true}; }

// A PostgreSQL text[] literal of `items`: {"a","b\"c"}.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

// The rows of a query (text format). Columns count from 0.
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r) {}
  int size() const { return PQntuples(r_.get()); }
  bool Null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::int64_t Int(int row, int col) const { return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10); }
  // NULL reads as NaN; "NaN", "Infinity" and "-Infinity" as themselves.
  double Real(int row, int col) const {
    if (Null(row, col)) return std::numeric_limits<double>::quiet_NaN();
    return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
  }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
  }
  PGresult* raw() const { return r_.get(); }

 private:
  std::unique_ptr<PGresult, ResultDeleter> r_;
};

SampleQuality QualityOf(std::int64_t q) { return q == 0 ? SampleQuality::kGood : SampleQuality::kBad; }

// Big-endian writers for the binary COPY format (PostgreSQL docs, "COPY", "Binary Format").
void PutBe16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
void PutBe32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
void PutBe64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

// The batch as COPY ... (FORMAT binary) data: a header, one tuple of 4 fields per sample (int8,
// int8, float8 or NULL, int2), the trailer.
std::string CopyData(std::span<const Sample> samples) {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with its \0
  std::string out;
  out.reserve(19 + samples.size() * 46 + 2);
  out.append(kSignature, sizeof kSignature);
  PutBe32(out, 0);  // flags
  PutBe32(out, 0);  // header extension length
  for (const Sample& s : samples) {
    PutBe16(out, 4);
    PutBe32(out, 8);
    PutBe64(out, static_cast<std::uint64_t>(s.point.value));
    PutBe32(out, 8);
    PutBe64(out, static_cast<std::uint64_t>(Ms(s.time)));
    if (std::isfinite(s.value)) {
      PutBe32(out, 8);
      PutBe64(out, std::bit_cast<std::uint64_t>(s.value));
    } else {
      PutBe32(out, 0xffffffffu);  // -1: NULL
    }
    PutBe32(out, 2);
    PutBe16(out, static_cast<std::uint16_t>(s.quality));
  }
  PutBe16(out, 0xffffu);  // -1: the end
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PgConnection: one PGconn. Every call first makes sure the connection is up: after a loss
// (server restarted, network cut) it reconnects and sets the session up again, except inside a
// transaction, which a new session could not continue.

class PgConnection {
 public:
  enum class Mode { kReader, kWriter };

  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo, Mode mode) {
    PGconn* raw = PQconnectdb(conninfo.c_str());
    if (raw == nullptr) return IoError("postgres: out of memory creating a connection");
    auto db = std::unique_ptr<PgConnection>(new PgConnection(raw, mode));
    PQsetNoticeProcessor(
        raw, [](void*, const char*) {}, nullptr);  // "already exists, skipping"
    if (PQstatus(raw) != CONNECTION_OK) {
      return IoError(
          fmt::format("{}: cannot connect ({}); is the server running, and are the conninfo's host, port, "
                      "user and dbname right?",
                      db->server_, LastError(raw)));
    }
    if (PQserverVersion(raw) < 110000) {
      return IoError(
          fmt::format("{}: PostgreSQL {} is too old; the store needs 11 or later (partitioned tables with ON "
                      "CONFLICT), and is tested on 15",
                      db->server_, PQparameterStatus(raw, "server_version")));
    }
    MEG_TRY(db->SetUpSession());
    return db;
  }

  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  const std::string& server() const { return server_; }
  Mode mode() const { return mode_; }

  // Runs `sql` (one statement with $1.. parameters; several separated by ';' when there are
  // none) and returns its rows (none for a command). Outside a transaction, a statement that
  // finds the connection lost (the server restarted since the last call) is run once more on a
  // new connection: every statement this store runs outside a transaction is a read or
  // idempotent (BEGIN, upserts, CREATE ... IF NOT EXISTS, inserts ON CONFLICT DO NOTHING).
  Result<Rows> Exec(std::string_view doing, const std::string& sql, std::initializer_list<Param> params = {}) {
    for (int attempt = 0;; ++attempt) {
      MEG_TRY(Ready(doing));
      PGresult* r = nullptr;
      if (params.size() == 0) {
        r = PQexec(conn_, sql.c_str());
      } else {
        std::vector<const char*> values;
        for (const Param& p : params) values.push_back(p.null ? nullptr : p.text.c_str());
        r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr,
                         0);
      }
      Rows rows(r);
      const ExecStatusType status = PQresultStatus(r);
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;
      const bool lost = PQstatus(conn_) != CONNECTION_OK;
      if (attempt > 0 || in_transaction_ || !lost) return Fail(doing, r);
    }
  }

  // COPY `sql` FROM STDIN with `data` (the whole of it, in COPY's format).
  Status CopyIn(std::string_view doing, const char* sql, const std::string& data) {
    MEG_TRY(Ready(doing));
    {
      Rows start(PQexec(conn_, sql));
      if (PQresultStatus(start.raw()) != PGRES_COPY_IN) return Fail(doing, start.raw());
    }
    constexpr std::size_t kChunk = 1 << 20;
    for (std::size_t at = 0; at < data.size(); at += kChunk) {
      const int n = static_cast<int>(std::min(kChunk, data.size() - at));
      if (PQputCopyData(conn_, data.data() + at, n) != 1) {
        (void)PQputCopyEnd(conn_, "meg: send failed");
        DrainResults();
        return Fail(doing, nullptr);
      }
    }
    if (PQputCopyEnd(conn_, nullptr) != 1) {
      DrainResults();
      return Fail(doing, nullptr);
    }
    Status status = Ok{};
    while (PGresult* r = PQgetResult(conn_)) {
      Rows rows(r);
      if (status && PQresultStatus(r) != PGRES_COMMAND_OK) status = Fail(doing, r);
    }
    return status;
  }

  // Transactions: Begin, then Commit or Rollback. Between them a lost connection is not
  // replaced: the statements after the loss fail, and the transaction with them.
  Status Begin(std::string_view doing) {
    MEG_TRY(Exec(doing, "BEGIN"));
    in_transaction_ = true;
    return Ok{};
  }
  Status Commit(std::string_view doing) {
    auto r = Exec(doing, "COMMIT");
    in_transaction_ = false;
    if (!r) return r.error();
    return Ok{};
  }
  void Rollback() {
    if (in_transaction_ && PQstatus(conn_) == CONNECTION_OK) {
      PQclear(PQexec(conn_, "ROLLBACK"));
    }
    in_transaction_ = false;
  }

  // The SQLSTATE of the last failed statement ("" if none or if the connection failed).
  const std::string& last_state() const { return last_state_; }

 private:
  PgConnection(PGconn* conn, Mode mode) : conn_(conn), mode_(mode), server_(ServerName(conn)) {}

  // postgresql://user@host:port/dbname (no password), as libpq resolved the conninfo.
  static std::string ServerName(PGconn* c) {
    auto text = [](const char* s) { return std::string(s != nullptr ? s : ""); };
    return fmt::format("postgresql://{}@{}:{}/{}", text(PQuser(c)), text(PQhost(c)), text(PQport(c)), text(PQdb(c)));
  }

  static std::string LastError(PGconn* c) {
    std::string m = PQerrorMessage(c);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    std::replace(m.begin(), m.end(), '\n', ' ');
    return m;
  }

  void DrainResults() {
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
  }

  // Reconnects and sets the session up if the connection was lost (and no transaction is open).
  Status Ready(std::string_view doing) {
    if (PQstatus(conn_) == CONNECTION_OK) return Ok{};
    if (in_transaction_) {
      return IoError(fmt::format("{}: {}: the connection was lost inside a transaction", server_, doing));
    }
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return IoError(
          fmt::format("{}: {}: cannot reconnect ({}); is the server running?", server_, doing, LastError(conn_)));
    }
    return SetUpSession();
  }

  // The session's settings: commits wait for the WAL to reach the disk whatever the server's
  // default (Flush promises durability); readers' transactions are read-only; the writer gets its
  // staging table.
  Status SetUpSession() {
    std::string sql = "SET synchronous_commit = on; SET client_min_messages = warning;";
    if (mode_ == Mode::kReader) {
      sql += "SET default_transaction_read_only = on;";
    } else {
      sql += kCreateStaging;
    }
    PGresult* r = PQexec(conn_, sql.c_str());
    Rows rows(r);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return Fail("set up the session", r);
    return Ok{};
  }

  // The error of a failed statement (`r`, or the connection's when null), naming the server.
  Error Fail(std::string_view doing, PGresult* r) {
    last_state_.clear();
    std::string why;
    if (r != nullptr && PQresultErrorMessage(r)[0] != '\0') {
      why = PQresultErrorMessage(r);
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      if (state != nullptr) last_state_ = state;
    } else {
      why = PQerrorMessage(conn_);
    }
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    std::replace(why.begin(), why.end(), '\n', ' ');
    if (PQstatus(conn_) != CONNECTION_OK) {
      return IoError(
          fmt::format("{}: {}: connection lost ({}); the server may be down or restarting: the next call "
                      "reconnects",
                      server_, doing, why));
    }
    if (last_state_ == "25006") {  // read_only_sql_transaction
      return InvalidInput(
          fmt::format("{}: {}: this connection is read-only (OpenReader); writes go through the writer's store",
                      server_, doing));
    }
    return IoError(fmt::format("{}: {}: {}", server_, doing, why));
  }

  PGconn* conn_;
  Mode mode_;
  std::string server_;
  bool in_transaction_ = false;
  std::string last_state_;
};

namespace {

// BEGIN ... COMMIT on a PgConnection; rolls back when it goes out of scope uncommitted.
class Transaction {
 public:
  static Result<Transaction> Begin(PgConnection& db, std::string_view doing) {
    MEG_TRY(db.Begin(doing));
    return Transaction(&db);
  }
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    if (db_ != nullptr) db_->Rollback();
  }
  Status Commit(std::string_view doing) {
    PgConnection* db = std::exchange(db_, nullptr);
    return db->Commit(doing);
  }

 private:
  explicit Transaction(PgConnection* db) : db_(db) {}
  PgConnection* db_;
};

Result<std::vector<std::int64_t>> LoadPointIds(PgConnection& db) {
  MEG_TRY_ASSIGN(rows, db.Exec("read points", kSelectPointIds));
  std::vector<std::int64_t> ids;
  ids.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) ids.push_back(rows.Int(i, 0));
  return ids;
}

// The version in schema_version, 0 if the table is absent. Refuses a database holding tables
// named like ours without one (another program's, or a half-made store).
Result<int> SchemaVersion(PgConnection& db) {
  MEG_TRY_ASSIGN(tables, db.Exec("read the schema",
                                 "SELECT to_regclass('schema_version') IS NOT NULL, "
                                 "to_regclass('points') IS NOT NULL OR to_regclass('samples') IS "
                                 "NOT NULL"));
  if (tables.Text(0, 0) != "t") {
    if (tables.Text(0, 1) == "t") {
      return InvalidInput(
          fmt::format("{}: holds tables points or samples but no schema_version; not an OpenMEG store "
                      "(choose another database)",
                      db.server()));
    }
    return 0;
  }
  MEG_TRY_ASSIGN(version, db.Exec("read the schema", "SELECT max(version) FROM schema_version"));
  if (version.Null(0, 0)) {
    return InvalidInput(fmt::format("{}: table schema_version holds no version; not an OpenMEG store", db.server()));
  }
  return static_cast<int>(version.Int(0, 0));
}

Status RequireKnownVersion(const PgConnection& db, int version) {
  if (version > kPostgresSchemaVersion) {
    return InvalidInput(
        fmt::format("{}: schema version {} is newer than this meg reads ({}); upgrade meg, or use another "
                    "database",
                    db.server(), version, kPostgresSchemaVersion));
  }
  if (version < 1) {
    return InvalidInput(fmt::format("{}: unknown schema version {}; not an OpenMEG store", db.server(), version));
  }
  return Ok{};
}

// Creates the schema if the database has none; under an advisory lock, so two centers opening
// the same new database do not both create it.
Status CreateOrCheckSchema(PgConnection& db) {
  MEG_TRY_ASSIGN(tx, Transaction::Begin(db, "create the schema"));
  MEG_TRY(db.Exec("create the schema", "SELECT pg_advisory_xact_lock(7317002417)"));
  MEG_TRY_ASSIGN(version, SchemaVersion(db));
  if (version != 0) {
    MEG_TRY(RequireKnownVersion(db, version));
    if (version >= 2) return Ok{};
    MEG_TRY(db.Exec("add the weather forecast table (schema version 2)", kMigrateToV2));
    return tx.Commit("add the weather forecast table (schema version 2)");
  }
  MEG_TRY(db.Exec("create the schema", kSchemaV1));
  MEG_TRY(db.Exec("create the schema", kMigrateToV2));
  return tx.Commit("create the schema");
}

Status CheckSchema(PgConnection& db) {
  MEG_TRY_ASSIGN(version, SchemaVersion(db));
  if (version == 0) {
    return NotFound(
        fmt::format("{}: no OpenMEG schema (table schema_version); the writer (PostgresStore::Open) creates it",
                    db.server()));
  }
  return RequireKnownVersion(db, version);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PostgresStore

PostgresStore::PostgresStore(std::unique_ptr<PgConnection> db, const Clock* clock, StoreOptions options)
    : db_(std::move(db)), clock_(clock), options_(options) {}

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& conninfo, const Clock& clock,
                                                           StoreOptions options) {
  MEG_TRY_ASSIGN(db, PgConnection::Open(conninfo, PgConnection::Mode::kWriter));
  MEG_TRY(CreateOrCheckSchema(*db));
  MEG_TRY_ASSIGN(ids, LoadPointIds(*db));
  auto store = std::unique_ptr<PostgresStore>(new PostgresStore(std::move(db), &clock, options));
  store->points_ = std::move(ids);
  store->buffer_.reserve(std::min<std::size_t>(options.flush_samples, 1 << 16));
  return store;
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::OpenReader(const std::string& conninfo) {
  MEG_TRY_ASSIGN(db, PgConnection::Open(conninfo, PgConnection::Mode::kReader));
  MEG_TRY(CheckSchema(*db));
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(db), nullptr, {}));
}

PostgresStore::~PostgresStore() {
  if (clock_ != nullptr && !buffer_.empty()) (void)Flush();
}

const std::string& PostgresStore::server() const { return db_->server(); }

Status PostgresStore::RequireWriter() const {
  if (clock_ == nullptr) {
    return InvalidInput(
        fmt::format("{}: opened read-only (OpenReader); writes go through the writer's store", server()));
  }
  return Ok{};
}

Result<PointId> PostgresStore::Point(std::string_view site, std::string_view name, std::string_view unit) {
  MEG_TRY(RequireWriter());
  if (site.empty() || name.empty()) {
    return InvalidInput(fmt::format("{}: a point needs a site and a name (got '{}' / '{}')", server(), site, name));
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    MEG_TRY_ASSIGN(found, db_->Exec("read points", kSelectPoint, {P(site), P(name)}));
    if (found.size() == 1) {
      const std::string registered = found.Text(0, 1);
      if (registered != unit) {
        return InvalidInput(
            fmt::format("{}: point {}/{} is registered in '{}', not '{}'; a name carries one unit for its "
                        "life (register a new name)",
                        server(), site, name, registered, unit));
      }
      return PointId{found.Int(0, 0)};
    }
    MEG_TRY_ASSIGN(inserted, db_->Exec("register a point", kInsertPoint, {P(site), P(name), P(unit)}));
    if (inserted.size() == 1) {  // else another connection registered it just now: read it
      const std::int64_t id = inserted.Int(0, 0);
      points_.insert(std::upper_bound(points_.begin(), points_.end(), id), id);
      return PointId{id};
    }
  }
  return IoError(fmt::format("{}: point {}/{} could not be registered", server(), site, name));
}

Result<std::vector<PointInfo>> PostgresStore::Points(std::string_view site) {
  MEG_TRY_ASSIGN(rows, db_->Exec("read points", kSelectPoints, {P(site)}));
  std::vector<PointInfo> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(PointInfo{PointId{rows.Int(i, 0)}, rows.Text(i, 1), rows.Text(i, 2), rows.Text(i, 3)});
  }
  return out;
}

Result<bool> PostgresStore::KnownPoint(PointId point) {
  if (std::binary_search(points_.begin(), points_.end(), point.value)) return true;
  MEG_TRY_ASSIGN(ids, LoadPointIds(*db_));  // registered by another connection since Open
  points_ = std::move(ids);
  return std::binary_search(points_.begin(), points_.end(), point.value);
}

Status PostgresStore::Append(std::span<const Sample> samples) {
  MEG_TRY(RequireWriter());
  MEG_TRY(CheckSamples(samples, server(), [this](PointId p) { return KnownPoint(p); }));
  if (samples.empty()) return Ok{};
  if (buffer_.empty()) oldest_buffered_ = clock_->Now();
  buffer_.insert(buffer_.end(), samples.begin(), samples.end());
  if (buffer_.size() >= options_.flush_samples || clock_->Now() - oldest_buffered_ >= options_.flush_interval) {
    return Flush();
  }
  return Ok{};
}

Status PostgresStore::Flush() {
  MEG_TRY(RequireWriter());
  if (buffer_.empty()) return Ok{};
  MEG_TRY(WriteBuffer());
  buffer_.clear();
  return Ok{};
}

// Creates the partitions of each of `months` (UTC month starts, ms) not known to exist, each
// month's three in one implicit transaction of its own (CREATE TABLE ... PARTITION OF locks the
// parent; the batch's transaction should not hold that lock). IF NOT EXISTS makes a second
// center's creation harmless; if two race, the loser's error goes and its retry finds them.
Status PostgresStore::EnsurePartitions(const std::set<std::int64_t>& months) {
  for (const std::int64_t month : months) {
    if (months_ready_.contains(month)) continue;
    std::string sql;
    for (const PartitionedTable& t : kPartitioned) {
      sql += fmt::format(
          "CREATE TABLE IF NOT EXISTS \"{0}_{1}\" PARTITION OF {0} FOR VALUES FROM ({2}) TO "
          "({3}) WITH (fillfactor = {4});",
          t.name, MonthSuffix(month), month, NextMonthMs(month), t.fillfactor);
    }
    auto made = db_->Exec("create the month's partitions", sql);
    if (!made) made = db_->Exec("create the month's partitions", sql);
    if (!made) return made.error();
    months_ready_.insert(month);
  }
  return Ok{};
}

// The batch: sorted by (point, time) (each point's rows reach its index in order), the first of
// two alike kept; COPYed into the staging table and moved into samples and the rollups by two
// statements (kMoveStaged, kFoldMinutes), in one transaction. If a partition went missing (dropped by
// another connection's retention), the partitions are made again and the batch retried once.
Status PostgresStore::WriteBuffer() {
  std::stable_sort(buffer_.begin(), buffer_.end(), [](const Sample& a, const Sample& b) {
    return std::tie(a.point.value, a.time) < std::tie(b.point.value, b.time);
  });
  buffer_.erase(std::unique(buffer_.begin(), buffer_.end(),
                            [](const Sample& a, const Sample& b) { return a.point == b.point && a.time == b.time; }),
                buffer_.end());
  std::set<std::int64_t> months;
  std::int64_t month_start = 0;
  std::int64_t month_end = 0;  // [month_start, month_end): the month of the last sample seen
  for (const Sample& s : buffer_) {
    const std::int64_t ms = Ms(s.time);
    if (ms < month_start || ms >= month_end) {
      month_start = MonthStartMs(ms);
      month_end = NextMonthMs(month_start);
      months.insert(month_start);
    }
  }
  const std::string data = CopyData(buffer_);
  for (int attempt = 0;; ++attempt) {
    MEG_TRY(EnsurePartitions(months));
    auto written = [&]() -> Status {
      MEG_TRY_ASSIGN(tx, Transaction::Begin(*db_, "write samples"));
      MEG_TRY(db_->CopyIn("write samples", kCopyStaging, data));
      MEG_TRY(db_->Exec("write samples", kMoveStaged));
      MEG_TRY(db_->Exec("write rollups", kFoldMinutes));
      return tx.Commit("write samples");
    }();
    if (written || attempt > 0 || db_->last_state() != kNoPartitionState) return written;
    months_ready_.clear();
  }
}

Result<std::vector<Bucket>> PostgresStore::Query(PointId point, Instant from, Instant to, Resolution resolution) {
  std::vector<Bucket> out;
  if (resolution == Resolution::kRaw) {
    MEG_TRY_ASSIGN(rows, db_->Exec("read samples", kSelectRaw, {P(point.value), P(Ms(from)), P(Ms(to))}));
    out.reserve(static_cast<std::size_t>(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
      const double v = rows.Real(i, 1);
      out.push_back(Bucket{FromMs(rows.Int(i, 0)), v, v, v, v, 1});
    }
    return out;
  }
  const std::string sql =
      resolution == Resolution::kMinute ? std::string(kSelectMinute) : fmt::format(kSelectQuarter, kQuarterRowsOfPoint);
  MEG_TRY_ASSIGN(rows, db_->Exec("read rollups", sql, {P(point.value), P(Ms(from)), P(Ms(to))}));
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    const std::int64_t count = rows.Int(i, 4);
    out.push_back(Bucket{FromMs(rows.Int(i, 0)), rows.Real(i, 1), rows.Real(i, 3) / static_cast<double>(count),
                         rows.Real(i, 2), rows.Real(i, 5), count});
  }
  return out;
}

Result<std::vector<Sample>> PostgresStore::Samples(PointId point, Instant from, Instant to) {
  MEG_TRY_ASSIGN(rows, db_->Exec("read samples", kSelectSamples, {P(point.value), P(Ms(from)), P(Ms(to))}));
  std::vector<Sample> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(Sample{point, FromMs(rows.Int(i, 0)), rows.Real(i, 1), QualityOf(rows.Int(i, 2))});
  }
  return out;
}

Result<std::optional<Sample>> PostgresStore::Latest(PointId point) {
  MEG_TRY_ASSIGN(rows, db_->Exec("read the latest sample", kSelectLatest, {P(point.value)}));
  if (rows.size() == 0) return std::optional<Sample>();
  return std::optional<Sample>(Sample{point, FromMs(rows.Int(0, 0)), rows.Real(0, 1), QualityOf(rows.Int(0, 2))});
}

Result<std::vector<Sample>> PostgresStore::LatestOfSite(std::string_view site) {
  MEG_TRY_ASSIGN(rows, db_->Exec("read the latest samples", kSelectLatestOfSite, {P(site)}));
  std::vector<Sample> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(Sample{PointId{rows.Int(i, 0)}, FromMs(rows.Int(i, 1)), rows.Real(i, 2), QualityOf(rows.Int(i, 3))});
  }
  return out;
}

Result<std::vector<FleetBucket>> PostgresStore::FleetSum(std::string_view point_name,
                                                         const std::vector<std::string>& sites, Instant from,
                                                         Instant to, Resolution resolution) {
  std::string sql;
  switch (resolution) {
    case Resolution::kRaw: sql = kFleetSumRaw; break;
    case Resolution::kMinute: sql = kFleetSumMinute; break;
    case Resolution::kQuarter: sql = kFleetSumQuarter; break;
  }
  MEG_TRY_ASSIGN(rows,
                 db_->Exec("sum the fleet", sql,
                           {P(point_name), sites.empty() ? Null() : P(TextArray(sites)), P(Ms(from)), P(Ms(to))}));
  std::vector<FleetBucket> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(FleetBucket{FromMs(rows.Int(i, 0)), rows.Real(i, 1), rows.Int(i, 2)});
  }
  return out;
}

Result<std::int64_t> PostgresStore::CountSamples(std::string_view site, Instant from, Instant to) {
  MEG_TRY_ASSIGN(rows, db_->Exec("count samples", kCountSamples, {P(site), P(Ms(from)), P(Ms(to))}));
  return rows.Int(0, 0);
}

Status PostgresStore::AppendEvents(std::span<const Event> events) {
  MEG_TRY(RequireWriter());
  if (events.empty()) return Ok{};
  MEG_TRY_ASSIGN(tx, Transaction::Begin(*db_, "write events"));
  for (const Event& e : events) {
    MEG_TRY(db_->Exec("write events", kInsertEvent,
                      {P(e.site), P(Ms(e.time)), P(e.kind), P(static_cast<std::int64_t>(e.severity)), P(e.message)}));
  }
  return tx.Commit("write events");
}

Result<std::vector<Event>> PostgresStore::Events(std::string_view site, Instant from, Instant to) {
  MEG_TRY_ASSIGN(rows, db_->Exec("read events", kSelectEvents, {P(site), P(Ms(from)), P(Ms(to))}));
  std::vector<Event> out;
  for (int i = 0; i < rows.size(); ++i) {
    const std::int64_t severity = std::clamp<std::int64_t>(rows.Int(i, 3), 0, 2);
    out.push_back(Event{FromMs(rows.Int(i, 0)), rows.Text(i, 1), rows.Text(i, 2), static_cast<Severity>(severity),
                        rows.Text(i, 4)});
  }
  return out;
}

Status PostgresStore::PutSchedule(const StoredSchedule& schedule) {
  MEG_TRY(RequireWriter());
  MEG_TRY(db_->Exec("write a schedule", kPutSchedule, {P(schedule.site), P(Ms(schedule.made)), P(schedule.json)}));
  return Ok{};
}

Result<std::optional<StoredSchedule>> PostgresStore::LatestSchedule(std::string_view site) {
  MEG_TRY_ASSIGN(rows, db_->Exec("read schedules", kLatestSchedule, {P(site)}));
  if (rows.size() == 0) return std::optional<StoredSchedule>();
  return std::optional<StoredSchedule>(StoredSchedule{std::string(site), FromMs(rows.Int(0, 0)), rows.Text(0, 1)});
}

Status PostgresStore::PutWeatherForecast(const StoredWeatherForecast& forecast) {
  MEG_TRY(RequireWriter());
  MEG_TRY(db_->Exec("write a weather forecast", kPutWeatherForecast,
                    {P(forecast.site), P(Ms(forecast.fetched)), P(forecast.source), P(forecast.body)}));
  return Ok{};
}

Result<std::vector<StoredWeatherForecast>> PostgresStore::WeatherForecasts(std::string_view site, Instant from,
                                                                           Instant to) {
  MEG_TRY_ASSIGN(rows, db_->Exec("read weather forecasts", kSelectWeatherForecasts, {P(site), P(Ms(from)), P(Ms(to))}));
  std::vector<StoredWeatherForecast> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(StoredWeatherForecast{std::string(site), FromMs(rows.Int(i, 0)), rows.Text(i, 1), rows.Text(i, 2)});
  }
  return out;
}

Status PostgresStore::PutBill(const StoredBill& bill) {
  MEG_TRY(RequireWriter());
  MEG_TRY(db_->Exec("write a bill", kPutBill, {P(bill.site), P(FormatMonth(bill.month)), P(bill.json)}));
  return Ok{};
}

Result<std::optional<StoredBill>> PostgresStore::Bill(std::string_view site, Month month) {
  MEG_TRY_ASSIGN(rows, db_->Exec("read bills", kSelectBill, {P(site), P(FormatMonth(month))}));
  if (rows.size() == 0) return std::optional<StoredBill>();
  return std::optional<StoredBill>(StoredBill{std::string(site), month, rows.Text(0, 0)});
}

Result<std::vector<std::string>> PostgresStore::Partitions(std::string_view table) {
  MEG_TRY_ASSIGN(rows, db_->Exec("list partitions", kSelectPartitions, {P(table)}));
  std::vector<std::string> out;
  for (int i = 0; i < rows.size(); ++i) {
    if (auto month = PartitionMonth(table, rows.Text(i, 0))) {
      std::string text = MonthSuffix(*month);
      text[4] = '-';
      out.push_back(std::move(text));
    }
  }
  return out;
}

// One transaction: for each table, DROP the monthly partitions that end at or before its cutoff
// (a whole month goes without a row-by-row delete or dead tuples to vacuum), then DELETE the
// older rows of the partition the cutoff falls in (partition pruning keeps it to that one).
Status PostgresStore::ApplyRetention(Instant now) {
  MEG_TRY(Flush());  // a buffered old sample must not come back after its range is dropped
  using Days = std::chrono::days;
  const Retention& keep = options_.retention;
  const std::pair<PartitionedTable, Instant> cutoffs[] = {
      {kSamplesTable, now - Days(keep.raw_days)},
      {kMinuteTable, now - Days(keep.minute_days)},
      {kQuarterTable, now - Days(keep.quarter_days)},
  };
  MEG_TRY_ASSIGN(tx, Transaction::Begin(*db_, "apply retention"));
  // Minutes about to go are added to their quarters first (those not folded yet).
  MEG_TRY(db_->Exec("apply retention", kFoldBefore, {P(Ms(cutoffs[1].second))}));
  for (const auto& [table, before] : cutoffs) {
    MEG_TRY_ASSIGN(parts, db_->Exec("apply retention", kSelectPartitions, {P(table.name)}));
    for (int i = 0; i < parts.size(); ++i) {
      const std::string relname = parts.Text(i, 0);
      const auto month = PartitionMonth(table.name, relname);
      if (!month || NextMonthMs(*month) > Ms(before)) continue;
      MEG_TRY(db_->Exec("apply retention", fmt::format("DROP TABLE \"{}\"", relname)));
      months_ready_.erase(*month);  // the next Flush into that month makes all three again
    }
    MEG_TRY(db_->Exec("apply retention", fmt::format("DELETE FROM {} WHERE {} < $1", table.name, table.time_column),
                      {P(Ms(before))}));
  }
  return tx.Commit("apply retention");
}

}  // namespace meg
