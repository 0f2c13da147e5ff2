// PostgresStore against a real PostgreSQL 15 cluster started by the test (tests/support/
// pg_cluster.h): the TelemetryStore contract (store_contract.h), then what is PostgreSQL's own:
// replayed batches, monthly partitions, retention by partition, the fleet queries, errors that
// name the server, and the server killed (kill -9) and restarted under a store in use. Counts
// and sums are checked through psql (an independent client) besides the store's own reads.
#include "store/postgres/postgres_store.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/store_contract.h"
#include "support/pg_cluster.h"

namespace meg {
namespace {

using testing::StoreContractTest;

// One cluster for the tests of this executable (a database each), started on first use and
// stopped and removed at exit.
testing::PgCluster& Cluster() {
  static testing::PgCluster cluster;
  return cluster;
}

// A new, empty database named `name` on the shared cluster; its conninfo.
std::string FreshDatabase(const std::string& name) {
  testing::PgCluster& pg = Cluster();
  EXPECT_TRUE(pg.running()) << pg.error();
  pg.Psql("DROP DATABASE IF EXISTS \"" + name + "\"");
  EXPECT_TRUE(pg.CreateDatabase(name)) << name;
  return pg.conninfo(name);
}

testing::StoreUnderTest PostgresUnderTest() {
  return {"postgres", [](const std::string& test) { return FreshDatabase("contract_" + test); },
          [](const std::string& where, const Clock& clock,
             StoreOptions options) -> Result<std::unique_ptr<TelemetryStore>> {
            MEG_TRY_ASSIGN(store, PostgresStore::Open(where, clock, options));
            return std::unique_ptr<TelemetryStore>(std::move(store));
          }};
}
INSTANTIATE_TEST_SUITE_P(Postgres, StoreContractTest, ::testing::Values(PostgresUnderTest()),
                         testing::StoreContractName);

// 2024-08-12 14:00 KST (05:00 UTC): a minute and a quarter-hour boundary.
const Instant kT0 = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));
Instant At(int seconds) { return kT0 + std::chrono::seconds(seconds); }
std::int64_t Ms(Instant t) { return t.time_since_epoch().count(); }
// A UTC civil time.
Instant Utc(std::chrono::year_month_day day, int hour = 0, int minute = 0, int second = 0) {
  return Instant{std::chrono::duration_cast<Millis>((std::chrono::sys_days{day} + std::chrono::hours(hour) +
                                                     std::chrono::minutes(minute) + std::chrono::seconds(second))
                                                        .time_since_epoch())};
}

StoreOptions Manual() {
  StoreOptions o;
  o.flush_samples = 1'000'000;
  o.flush_interval = Millis(24 * 3600 * 1000);
  return o;
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Cluster().running()) << Cluster().error();
    db_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    conninfo_ = FreshDatabase(db_);
  }
  void OpenStore(StoreOptions options = Manual()) {
    auto s = PostgresStore::Open(conninfo_, clock_, options);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  PointId MustPoint(const std::string& site, const std::string& name) {
    auto id = store_->Point(site, name, "kW");
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : PointId{};
  }
  std::string Psql(const std::string& sql) { return Cluster().Psql(sql, db_); }

  SimClock clock_{kT0};
  std::string db_;
  std::string conninfo_;
  std::unique_ptr<PostgresStore> store_;
};

// Overlapping and replayed batches, by hand. Point grid_kw, value = the second:
//   batch A: seconds 0 .. 89;  batch B: seconds 60 .. 149, where 60 .. 89 carry 1000 (already
//   stored: the first write wins, so no stored value is >= 1000); then A again, whole.
// Stored: seconds 0 .. 149, 150 samples.
//   1-min [0, 60):    0 .. 59,    sum 59 x 60 / 2 = 1770,         mean 29.5,  last 59,  count 60
//   1-min [60, 120):  60 .. 119,  sum (60 + 119) x 60 / 2 = 5370,  mean 89.5,  last 119, count 60
//   1-min [120, 180): 120 .. 149, sum (120 + 149) x 30 / 2 = 4035, mean 134.5, last 149, count 30
//   15-min [0, 900):  0 .. 149,   sum 149 x 150 / 2 = 11175,       mean 74.5,  last 149, count 150
TEST_F(PostgresStoreTest, OverlappingAndReplayedBatchesStoreAndRollUpOnce) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const PointId grid = MustPoint("jeonju", "grid_kw");
  std::vector<Sample> a;
  for (int s = 0; s < 90; ++s) a.push_back({grid, At(s), 1.0 * s, SampleQuality::kGood});
  std::vector<Sample> b;
  for (int s = 60; s < 150; ++s) {
    b.push_back({grid, At(s), s < 90 ? 1000.0 : 1.0 * s, SampleQuality::kGood});
  }
  for (const auto* batch : {&a, &b, &a}) {
    ASSERT_TRUE(store_->Append(*batch));
    ASSERT_TRUE(store_->Flush());
  }
  ASSERT_TRUE(store_->Append(a));  // and a batch holding A twice
  ASSERT_TRUE(store_->Append(a));
  ASSERT_TRUE(store_->Flush());

  EXPECT_EQ(Psql("SELECT count(*), count(DISTINCT time_ms), max(value) FROM samples"), "150|150|149");
  EXPECT_EQ(Psql("SELECT start_ms - " + std::to_string(Ms(At(0))) +
                 ", min, max, sum, count, last FROM rollup_1m ORDER BY start_ms"),
            "0|0|59|1770|60|59\n"
            "60000|60|119|5370|60|119\n"
            "120000|120|149|4035|30|149");
  // Minutes 0 and 60 were folded into their quarter when batch B began minute 120; minute 120
  // is the point's current one, counted by quarter reads from rollup_1m until it is folded.
  EXPECT_EQ(Psql("SELECT sum, count, last FROM rollup_15m"), "7140|120|119");  // 1770 + 5370
  EXPECT_EQ(Psql("SELECT start_ms - " + std::to_string(Ms(At(0))) + " FROM rollup_1m WHERE NOT folded"), "120000");

  auto m = store_->Query(grid, At(0), At(3600), Resolution::kMinute);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[1].mean, 89.5);
  EXPECT_EQ((*m)[2].mean, 134.5);
  auto q = store_->Query(grid, At(0), At(3600), Resolution::kQuarter);
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].mean, 74.5);
  EXPECT_EQ((*q)[0].count, 150);
}

// Samples every second from 2024-08-31 23:59:30 UTC to 2024-09-01 00:00:29 UTC: 30 in August's
// partition, 30 in September's, for samples and for both rollups (the 23:59 minute and the 23:45
// quarter in August; 00:00 of both in September).
TEST_F(PostgresStoreTest, BatchAcrossAMonthBoundaryLandsInTwoPartitions) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const PointId grid = MustPoint("jeonju", "grid_kw");
  const Instant start = Utc(std::chrono::year{2024} / 8 / 31, 23, 59, 30);
  std::vector<Sample> batch;
  for (int s = 0; s < 60; ++s) {
    batch.push_back({grid, start + std::chrono::seconds(s), 2.0, SampleQuality::kGood});
  }
  ASSERT_TRUE(store_->Append(batch));
  ASSERT_TRUE(store_->Flush());

  for (const char* table : {"samples", "rollup_1m", "rollup_15m"}) {
    auto parts = store_->Partitions(table);
    ASSERT_TRUE(parts) << parts.error().message;
    EXPECT_EQ(*parts, (std::vector<std::string>{"2024-08", "2024-09"})) << table;
  }
  EXPECT_EQ(Psql("SELECT tableoid::regclass, count(*) FROM samples GROUP BY 1 ORDER BY 1"),
            "samples_2024_08|30\nsamples_2024_09|30");
  EXPECT_EQ(Psql("SELECT tableoid::regclass, count FROM rollup_1m ORDER BY start_ms"),
            "rollup_1m_2024_08|30\nrollup_1m_2024_09|30");
  // The 23:59 minute is folded into August's 23:45 quarter (a later minute began); September's
  // first quarter is its unfolded 00:00 minute until then.
  EXPECT_EQ(Psql("SELECT tableoid::regclass, count FROM rollup_15m ORDER BY start_ms"), "rollup_15m_2024_08|30");
  auto quarters =
      store_->Query(grid, start - std::chrono::minutes(15), start + std::chrono::minutes(15), Resolution::kQuarter);
  ASSERT_TRUE(quarters) << quarters.error().message;
  ASSERT_EQ(quarters->size(), 2u);
  EXPECT_EQ((*quarters)[0].start, start - std::chrono::seconds(14 * 60 + 30));  // 23:45
  EXPECT_EQ((*quarters)[0].count, 30);
  EXPECT_EQ((*quarters)[1].start, start + std::chrono::seconds(30));  // 00:00
  EXPECT_EQ((*quarters)[1].count, 30);
  EXPECT_EQ(store_->Samples(grid, start, start + std::chrono::minutes(2))->size(), 60u);
}

// Retention 7 / 40 / 3650 days at 2024-08-20 00:00 UTC: cutoffs Aug 13 (raw), Jul 11 (1-minute).
// Samples at 00:00 UTC of Jun 15, Jul 10, Aug 5, Aug 15.
//   raw:      June and July partitions end before Aug 13: dropped; Aug 5 deleted; Aug 15 kept
//   1-minute: June's partition ends Jul 1 <= Jul 11: dropped; July's is kept, its Jul 10 row
//             deleted; Aug 5 and Aug 15 kept
//   15-min:   all four kept, in three partitions
TEST_F(PostgresStoreTest, RetentionDropsWholeMonthsAndDeletesTheRest) {
  StoreOptions o = Manual();
  o.retention = Retention{7, 40, 3650};
  ASSERT_NO_FATAL_FAILURE(OpenStore(o));
  const PointId grid = MustPoint("jeonju", "grid_kw");
  using std::chrono::year;
  const std::vector<Sample> batch{{grid, Utc(year{2024} / 6 / 15), 1, SampleQuality::kGood},
                                  {grid, Utc(year{2024} / 7 / 10), 2, SampleQuality::kGood},
                                  {grid, Utc(year{2024} / 8 / 5), 3, SampleQuality::kGood},
                                  {grid, Utc(year{2024} / 8 / 15), 4, SampleQuality::kGood}};
  ASSERT_TRUE(store_->Append(batch));
  ASSERT_TRUE(store_->Flush());
  ASSERT_EQ(*store_->Partitions("samples"), (std::vector<std::string>{"2024-06", "2024-07", "2024-08"}));
  const Instant now = Utc(year{2024} / 8 / 20);
  ASSERT_TRUE(store_->ApplyRetention(now));

  EXPECT_EQ(*store_->Partitions("samples"), (std::vector<std::string>{"2024-08"}));
  EXPECT_EQ(*store_->Partitions("rollup_1m"), (std::vector<std::string>{"2024-07", "2024-08"}));
  EXPECT_EQ(*store_->Partitions("rollup_15m"), (std::vector<std::string>{"2024-06", "2024-07", "2024-08"}));
  EXPECT_EQ(Psql("SELECT value FROM samples"), "4");
  EXPECT_EQ(Psql("SELECT string_agg(last::text, ',' ORDER BY start_ms) FROM rollup_1m"), "3,4");
  // Retention folded the June and July minutes into their quarters before dropping them; Aug 5
  // was folded when Aug 15 began; Aug 15, the point's newest minute, is not folded yet.
  EXPECT_EQ(Psql("SELECT string_agg(last::text, ',' ORDER BY start_ms) FROM rollup_15m"), "1,2,3");
  auto quarters = store_->Query(grid, Utc(year{2024} / 6 / 1), now, Resolution::kQuarter);
  ASSERT_TRUE(quarters) << quarters.error().message;
  ASSERT_EQ(quarters->size(), 4u);
  EXPECT_EQ((*quarters)[0].last, 1);
  EXPECT_EQ((*quarters)[3].last, 4);

  // A late sample for a dropped month makes its partition again.
  const Sample late{grid, Utc(year{2024} / 7 / 20), 5, SampleQuality::kGood};
  ASSERT_TRUE(store_->Append({&late, 1}));
  ASSERT_TRUE(store_->Flush());
  EXPECT_EQ(*store_->Partitions("samples"), (std::vector<std::string>{"2024-07", "2024-08"}));
}

// Three sites with grid_kw (one named with quotes, a comma and braces, for the site filter's
// array literal) and one pv_kw that must stay out of grid_kw's sums. By hand:
//   minute [0, 60):   s1 10 (:00), 20 (:30): mean 15; s2 100 (:10); s3 only a bad sample (:20)
//   minute [60, 120): s3 7 (:60); s1's pv_kw 50 (:60)
//   FleetSum(grid_kw, all, 1-min):  [0: 15 + 100 = 115 (2 sites)], [60: 7 (1 site)]
//   FleetSum(grid_kw, {s1, s3}):     [0: 15 (1)], [60: 7 (1)]
//   FleetSum(grid_kw, all, 15-min): [0: 15 + 100 + 7 = 122 (3)]
//   FleetSum(grid_kw, all, raw):    [0: 10], [10: 100], [30: 20], [60: 7]
//   CountSamples: s1 3 (two grid, one pv), s2 1, s3 2 (the bad one counts: it is stored)
TEST_F(PostgresStoreTest, FleetSumCountSamplesAndLatestOfSite) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const std::string s2 = R"(s2 "b",{c}\)";
  const PointId g1 = MustPoint("s1", "grid_kw");
  const PointId pv1 = MustPoint("s1", "pv_kw");
  const PointId g2 = MustPoint(s2, "grid_kw");
  const PointId g3 = MustPoint("s3", "grid_kw");
  const std::vector<Sample> batch{{g1, At(0), 10, SampleQuality::kGood},   {g1, At(30), 20, SampleQuality::kGood},
                                  {g2, At(10), 100, SampleQuality::kGood}, {g3, At(20), 5, SampleQuality::kBad},
                                  {g3, At(60), 7, SampleQuality::kGood},   {pv1, At(60), 50, SampleQuality::kGood}};
  ASSERT_TRUE(store_->Append(batch));
  ASSERT_TRUE(store_->Flush());

  auto all = store_->FleetSum("grid_kw", {}, At(0), At(3600), Resolution::kMinute);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, (std::vector<FleetBucket>{{At(0), 115, 2}, {At(60), 7, 1}}));
  auto some = store_->FleetSum("grid_kw", {"s1", "s3"}, At(0), At(3600), Resolution::kMinute);
  ASSERT_TRUE(some) << some.error().message;
  EXPECT_EQ(*some, (std::vector<FleetBucket>{{At(0), 15, 1}, {At(60), 7, 1}}));
  auto odd = store_->FleetSum("grid_kw", {s2}, At(0), At(3600), Resolution::kMinute);
  ASSERT_TRUE(odd) << odd.error().message;
  EXPECT_EQ(*odd, (std::vector<FleetBucket>{{At(0), 100, 1}}));
  auto quarter = store_->FleetSum("grid_kw", {}, At(0), At(3600), Resolution::kQuarter);
  ASSERT_TRUE(quarter);
  EXPECT_EQ(*quarter, (std::vector<FleetBucket>{{At(0), 122, 3}}));
  auto raw = store_->FleetSum("grid_kw", {}, At(0), At(3600), Resolution::kRaw);
  ASSERT_TRUE(raw);
  EXPECT_EQ(*raw, (std::vector<FleetBucket>{{At(0), 10, 1}, {At(10), 100, 1}, {At(30), 20, 1}, {At(60), 7, 1}}));
  EXPECT_TRUE(store_->FleetSum("grid_kw", {}, At(60), At(120), Resolution::kQuarter)->empty());

  EXPECT_EQ(*store_->CountSamples("s1", At(0), At(3600)), 3);
  EXPECT_EQ(*store_->CountSamples(s2, At(0), At(3600)), 1);
  EXPECT_EQ(*store_->CountSamples("s3", At(0), At(3600)), 2);
  EXPECT_EQ(*store_->CountSamples("s1", At(0), At(30)), 1);  // [from, to)
  EXPECT_EQ(*store_->CountSamples("nobody", At(0), At(3600)), 0);

  auto latest = store_->LatestOfSite("s1");
  ASSERT_TRUE(latest) << latest.error().message;
  EXPECT_EQ(*latest,
            (std::vector<Sample>{{g1, At(30), 20, SampleQuality::kGood}, {pv1, At(60), 50, SampleQuality::kGood}}));
  EXPECT_EQ(*store_->LatestOfSite("s3"), (std::vector<Sample>{{g3, At(60), 7, SampleQuality::kGood}}));
  EXPECT_TRUE(store_->LatestOfSite("nobody")->empty());
}

TEST_F(PostgresStoreTest, ReaderSeesFlushedBatchesAndCannotWrite) {
  auto early = PostgresStore::OpenReader(conninfo_);
  ASSERT_FALSE(early);  // no schema yet: the writer makes it
  EXPECT_EQ(early.error().code, ErrorCode::kNotFound);
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const PointId grid = MustPoint("jeonju", "grid_kw");
  auto reader = PostgresStore::OpenReader(conninfo_);
  ASSERT_TRUE(reader) << reader.error().message;
  const Sample s{grid, At(0), 5, SampleQuality::kGood};
  ASSERT_TRUE(store_->Append({&s, 1}));
  EXPECT_EQ((*reader)->Samples(grid, At(0), At(1))->size(), 0u);
  ASSERT_TRUE(store_->Flush());
  EXPECT_EQ((*reader)->Samples(grid, At(0), At(1))->size(), 1u);
  EXPECT_EQ((*reader)->Points("jeonju")->size(), 1u);
  auto refused = (*reader)->Append({&s, 1});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("read-only"), std::string::npos);
  EXPECT_FALSE((*reader)->Point("jeonju", "pv_kw", "kW"));
}

// A database of schema version 1 (before the weather forecast table) keeps its data and is
// migrated to version 2 when a writer opens it.
TEST_F(PostgresStoreTest, VersionOneDatabaseIsMigrated) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const Event e{At(0), "jeonju", "info", Severity::kInfo, "kept across the migration"};
  ASSERT_TRUE(store_->AppendEvents(std::span(&e, 1)));
  store_.reset();
  Psql("DROP TABLE weather_forecasts");
  Psql("DELETE FROM schema_version WHERE version = 2");
  EXPECT_EQ(Psql("SELECT max(version) FROM schema_version"), "1");
  auto s = PostgresStore::Open(conninfo_, clock_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(Psql("SELECT max(version) FROM schema_version"), "2");
  EXPECT_EQ(*(*s)->Events("jeonju", At(0), At(60)), std::vector<Event>{e});
  const StoredWeatherForecast f{"jeonju", At(10), "http://127.0.0.1/v1/forecast", R"({"latitude":35.8})"};
  ASSERT_TRUE((*s)->PutWeatherForecast(f));
  EXPECT_EQ(*(*s)->WeatherForecasts("jeonju", At(0), At(60)), std::vector<StoredWeatherForecast>{f});
}

TEST_F(PostgresStoreTest, NewerSchemaAndForeignTablesAreRefusedNamingTheServer) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  const std::string server = store_->server();
  EXPECT_EQ(server.rfind("postgresql://meg@", 0), 0u) << server;
  store_.reset();
  EXPECT_EQ(Psql("SELECT max(version) FROM schema_version"), "2");
  Psql("UPDATE schema_version SET version = 3");
  auto s = PostgresStore::Open(conninfo_, clock_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(s.error().message.find(server + ": schema version 3 is newer than this meg reads (2)"), std::string::npos)
      << s.error().message;
  EXPECT_FALSE(PostgresStore::OpenReader(conninfo_));

  const std::string foreign = FreshDatabase(db_ + "_foreign");
  Cluster().Psql("CREATE TABLE points (x integer)", db_ + "_foreign");
  auto f = PostgresStore::Open(foreign, clock_);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("not an OpenMEG store"), std::string::npos) << f.error().message;
}

TEST_F(PostgresStoreTest, WrongConninfoOrNoServerIsAClearError) {
  const int port = testing::FreePort();
  auto none =
      PostgresStore::Open("host=127.0.0.1 port=" + std::to_string(port) + " user=meg dbname=fleet connect_timeout=5",
                          clock_);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kIo);
  const std::string& m = none.error().message;
  EXPECT_NE(m.find("postgresql://meg@127.0.0.1:" + std::to_string(port) + "/fleet: cannot connect"), std::string::npos)
      << m;
  EXPECT_NE(m.find("is the server running"), std::string::npos) << m;

  auto missing = PostgresStore::Open(Cluster().conninfo("no_such_db"), clock_);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("database \"no_such_db\" does not exist"), std::string::npos)
      << missing.error().message;

  auto garbled = PostgresStore::Open("host=127.0.0.1 nonsense", clock_);
  ASSERT_FALSE(garbled);
  EXPECT_NE(garbled.error().message.find("cannot connect"), std::string::npos) << garbled.error().message;
}

// ---------------------------------------------------------------------------------------------
// The server killed under a store in use. Ten points x 100 s per batch (1,000 samples), value =
// 1000 x point + second. Five batches flushed; the postmaster and its processes SIGKILLed; batch 5
// appended and flushed during the outage (fails, the buffer kept, and again: the reconnect
// fails); the server restarted (crash recovery); the five batches all there (psql); the retry of
// Flush stores batch 5; then batches 4 and 5 replayed: nothing changes. Expected: 6,000 samples,
// 600 per point, rollups counting 6,000, no value twice. Last, a crash and restart between two
// calls is invisible: the next Flush reconnects and stores batch 6.

TEST(PostgresStoreCrashTest, ServerKilledAndRestartedLosesNothingFlushedAndCountsNothingTwice) {
  testing::PgCluster pg;
  ASSERT_TRUE(pg.running()) << pg.error();
  SimClock clock(kT0);
  auto opened = PostgresStore::Open(pg.conninfo(), clock, Manual());
  ASSERT_TRUE(opened) << opened.error().message;
  PostgresStore& store = **opened;
  std::vector<PointId> ids;
  for (int p = 0; p < 10; ++p) {
    auto id = store.Point("crash", "p" + std::to_string(p) + "_kw", "kW");
    ASSERT_TRUE(id) << id.error().message;
    ids.push_back(*id);
  }
  auto batch = [&](int b) {
    std::vector<Sample> out;
    for (int s = 100 * b; s < 100 * (b + 1); ++s) {
      for (int p = 0; p < 10; ++p) out.push_back({ids[p], At(s), 1000.0 * p + s, SampleQuality::kGood});
    }
    return out;
  };
  for (int b = 0; b < 5; ++b) {
    ASSERT_TRUE(store.Append(batch(b)));
    ASSERT_TRUE(store.Flush());
  }

  ASSERT_TRUE(pg.KillNine());
  ASSERT_TRUE(store.Append(batch(5)));
  auto failed = store.Flush();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kIo);
  EXPECT_NE(failed.error().message.find(store.server()), std::string::npos) << failed.error().message;
  EXPECT_EQ(store.buffered(), 1000u);
  auto again = store.Flush();  // still down: the reconnect fails
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("is the server running"), std::string::npos) << again.error().message;
  EXPECT_EQ(store.buffered(), 1000u);

  ASSERT_TRUE(pg.Start()) << pg.error();
  EXPECT_EQ(pg.Psql("SELECT count(*) FROM samples"), "5000");  // every flushed batch
  auto retried = store.Flush();
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(store.buffered(), 0u);
  ASSERT_TRUE(store.Append(batch(4)));
  ASSERT_TRUE(store.Append(batch(5)));
  ASSERT_TRUE(store.Flush());

  EXPECT_EQ(pg.Psql("SELECT count(*), count(DISTINCT (point, time_ms)) FROM samples"), "6000|6000");
  EXPECT_EQ(pg.Psql("SELECT min(c), max(c) FROM (SELECT count(*) c FROM samples GROUP BY point) t"), "600|600");
  EXPECT_EQ(pg.Psql("SELECT sum(count) FROM rollup_1m"), "6000");
  EXPECT_EQ(pg.Psql("SELECT (SELECT sum(count) FROM rollup_15m) + (SELECT sum(count) FROM "
                    "rollup_1m WHERE NOT folded)"),
            "6000");  // every sample in one quarter: folded, or in a minute not folded yet
  // Point p0's second-0..599 values are 0..599: 1-minute sums are hand sums of 60 seconds.
  EXPECT_EQ(pg.Psql("SELECT sum FROM rollup_1m WHERE point = " + std::to_string(ids[0].value) +
                    " ORDER BY start_ms LIMIT 1"),
            "1770");  // 0 + 1 + ... + 59
  EXPECT_EQ(*store.CountSamples("crash", At(0), At(600)), 6000);

  // A crash and restart between two calls: the next call finds its connection lost and runs again
  // on a new one; the caller sees no error.
  ASSERT_TRUE(pg.KillNine());
  ASSERT_TRUE(pg.Start()) << pg.error();
  ASSERT_TRUE(store.Append(batch(6)));
  auto after = store.Flush();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(*store.CountSamples("crash", At(0), At(700)), 7000);
}

// The server killed in the middle of ingest, three rounds: batches of 10 points x 100 s are
// flushed back to back while another thread SIGKILLs the server 0, 5 or 20 ms after the 3rd
// acknowledgement of the round, so the kill lands anywhere in a flush (COPY, insert, rollups,
// COMMIT, its reply). The failed batch stays buffered; the flush in flight may or may not have
// committed (its reply lost). After the restart the retry stores it exactly once: all acknowledged
// batches and the failed one are there, each sample once, the rollups counting each once.
TEST(PostgresStoreCrashTest, ServerKilledMidIngestKeepsEveryAcknowledgedBatchOnce) {
  testing::PgCluster pg;
  ASSERT_TRUE(pg.running()) << pg.error();
  SimClock clock(kT0);
  auto opened = PostgresStore::Open(pg.conninfo(), clock, Manual());
  ASSERT_TRUE(opened) << opened.error().message;
  PostgresStore& store = **opened;
  std::vector<PointId> ids;
  for (int p = 0; p < 10; ++p) ids.push_back(*store.Point("crash", "p" + std::to_string(p), "kW"));
  auto batch = [&](int b) {
    std::vector<Sample> out;
    for (int s = 100 * b; s < 100 * (b + 1); ++s) {
      for (int p = 0; p < 10; ++p) out.push_back({ids[p], At(s), 1000.0 * p + s, SampleQuality::kGood});
    }
    return out;
  };
  int next = 0;  // the next batch to append
  for (const int delay_ms : {0, 5, 20}) {
    SCOPED_TRACE("kill " + std::to_string(delay_ms) + " ms after the 3rd acknowledgement");
    std::atomic<int> acknowledged{0};
    std::thread killer([&] {
      testing::WaitFor([&] { return acknowledged.load() >= 3; }, std::chrono::seconds{60});
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      pg.KillNine();
    });
    Status flushed = Ok{};
    for (int round_batches = 0; round_batches < 100000; ++round_batches) {
      ASSERT_TRUE(store.Append(batch(next)));
      ++next;
      flushed = store.Flush();
      if (!flushed) break;
      ++acknowledged;
    }
    killer.join();
    ASSERT_FALSE(flushed) << "the server was not killed during ingest";
    EXPECT_EQ(store.buffered(), 1000u);  // the failed batch, kept
    ASSERT_TRUE(pg.Start()) << pg.error();
    const int before = std::stoi(pg.Psql("SELECT count(*) FROM samples"));
    // Every acknowledged batch is there; the one in flight is there whole or not at all.
    EXPECT_TRUE(before == 1000 * next || before == 1000 * (next - 1)) << before << " " << next;
    auto retried = store.Flush();
    ASSERT_TRUE(retried) << retried.error().message;
    EXPECT_EQ(pg.Psql("SELECT count(*), count(DISTINCT (point, time_ms)) FROM samples"),
              std::to_string(1000 * next) + "|" + std::to_string(1000 * next));
    EXPECT_EQ(pg.Psql("SELECT sum(count) FROM rollup_1m"), std::to_string(1000 * next));
    EXPECT_EQ(pg.Psql("SELECT (SELECT coalesce(sum(count), 0) FROM rollup_15m) + (SELECT "
                      "sum(count) FROM rollup_1m WHERE NOT folded)"),
              std::to_string(1000 * next));
  }
}

}  // namespace
}  // namespace meg
