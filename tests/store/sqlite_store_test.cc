#include "store/sqlite/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "store/fresh_store_path.h"
#include "store/store_contract.h"

namespace meg {
namespace {

namespace fs = std::filesystem;

// A fresh path in a per-process directory; the store's -wal and -shm files go with it.
std::string StorePath(const std::string& name) { return testing::FreshStorePath("meg-sqlite", name); }

// 2024-08-12 14:00 KST (05:00 UTC): a minute and a quarter-hour boundary.
const Instant kT0 = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));
Instant At(int seconds) { return kT0 + std::chrono::seconds(seconds); }

StoreOptions Manual() {  // flush only when told
  StoreOptions o;
  o.flush_samples = 1'000'000;
  o.flush_interval = Millis(24 * 3600 * 1000);
  return o;
}

// The test's own SQLite handle: forges files the store must refuse and checks what it wrote
// without going through it.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  // Runs `sql`; returns the first column of the first row ("" if none), or "error: ...".
  std::string Run(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      return std::string("error: ") + sqlite3_errmsg(db_);
    }
    std::string out;
    int rc = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      if (out.empty() && sqlite3_column_text(s, 0) != nullptr) {
        out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      }
    }
    if (rc != SQLITE_DONE) out = std::string("error: ") + sqlite3_errmsg(db_);
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  void OpenStore(const std::string& name, StoreOptions options = Manual()) {
    path_ = StorePath(name);
    auto s = SqliteStore::Open(path_, clock_, options);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void Reopen() {
    store_.reset();
    auto s = SqliteStore::Open(path_, clock_, Manual());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  PointId MustPoint(const std::string& name, const std::string& unit) {
    auto id = store_->Point("jeonju", name, unit);
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : PointId{};
  }

  SimClock clock_{kT0};
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

// The TelemetryStore contract (store_contract.h), on a fresh file per test.
using testing::StoreContractTest;
testing::StoreUnderTest SqliteUnderTest() {
  return {"sqlite", [](const std::string& test) { return StorePath("contract-" + test + ".db"); },
          [](const std::string& where, const Clock& clock,
             StoreOptions options) -> Result<std::unique_ptr<TelemetryStore>> {
            MEG_TRY_ASSIGN(store, SqliteStore::Open(where, clock, options));
            return std::unique_ptr<TelemetryStore>(std::move(store));
          }};
}
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest, ::testing::Values(SqliteUnderTest()), testing::StoreContractName);

TEST_F(SqliteStoreTest, DefaultRetentionIsSevenNinetyAndTenYearsOfDays) {
  const Retention r;
  EXPECT_EQ(r.raw_days, 7);
  EXPECT_EQ(r.minute_days, 90);
  EXPECT_EQ(r.quarter_days, 3650);
}

// A reader thread's connection sees every flushed batch and refuses writes.
TEST_F(SqliteStoreTest, ReaderSeesFlushedBatchesAndCannotWrite) {
  OpenStore("reader.db");
  const PointId grid = MustPoint("grid_kw", "kW");
  auto reader = SqliteStore::OpenReader(path_);
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

  auto missing = SqliteStore::OpenReader(StorePath("missing.db"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefusedNamingTheFile) {
  OpenStore("newer.db");
  store_.reset();
  {
    RawDb raw(path_);
    EXPECT_EQ(raw.Run("SELECT max(version) FROM schema_version"), "2");
    EXPECT_EQ(raw.Run("PRAGMA journal_mode"), "wal");
    raw.Run("UPDATE schema_version SET version = 3");
  }
  auto s = SqliteStore::Open(path_, clock_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(s.error().message.find(path_), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("schema version 3 is newer than this meg reads (2)"), std::string::npos)
      << s.error().message;
  EXPECT_FALSE(SqliteStore::OpenReader(path_));
  EXPECT_FALSE(SqliteAuditLog::Open(path_));
}

// A store of schema version 1 (before the weather forecast table) keeps its data and is migrated
// to version 2 when a writer opens it.
TEST_F(SqliteStoreTest, VersionOneStoreIsMigrated) {
  OpenStore("v1.db");
  const Event e{At(0), "jeonju", "info", Severity::kInfo, "kept across the migration"};
  ASSERT_TRUE(store_->AppendEvents(std::span(&e, 1)));
  store_.reset();
  {
    RawDb raw(path_);
    raw.Run("DROP TABLE weather_forecast");
    raw.Run("DELETE FROM schema_version WHERE version = 2");
    EXPECT_EQ(raw.Run("SELECT max(version) FROM schema_version"), "1");
  }
  auto reader = SqliteStore::OpenReader(path_);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_FALSE((*reader)->WeatherForecasts("jeonju", At(0), At(60)));  // no table yet: an error, not a crash
  reader->reset();
  auto s = SqliteStore::Open(path_, clock_);
  ASSERT_TRUE(s) << s.error().message;
  {
    RawDb raw(path_);
    EXPECT_EQ(raw.Run("SELECT max(version) FROM schema_version"), "2");
  }
  EXPECT_EQ(*(*s)->Events("jeonju", At(0), At(60)), std::vector<Event>{e});
  const StoredWeatherForecast f{"jeonju", At(10), "http://127.0.0.1/v1/forecast", R"({"latitude":35.8})"};
  ASSERT_TRUE((*s)->PutWeatherForecast(f));
  EXPECT_EQ(*(*s)->WeatherForecasts("jeonju", At(0), At(60)), std::vector<StoredWeatherForecast>{f});
}

TEST_F(SqliteStoreTest, ForeignDatabaseIsRefused) {
  const std::string path = StorePath("foreign.db");
  {
    RawDb raw(path);
    raw.Run("CREATE TABLE t (x)");
  }
  auto s = SqliteStore::Open(path, clock_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("not an OpenMEG store"), std::string::npos) << s.error().message;
}

// Garbage bytes where a store should be: a clear error naming the file, not a crash.
TEST_F(SqliteStoreTest, GarbageFileIsAClearError) {
  const std::string path = StorePath("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    std::mt19937 rng(7);
    for (int i = 0; i < 16384; ++i) out.put(static_cast<char>(rng() & 0xff));
  }
  auto s = SqliteStore::Open(path, clock_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(s.error().message.find(path), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("not an SQLite database, or corrupt"), std::string::npos) << s.error().message;
  auto r = SqliteStore::OpenReader(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not an SQLite database"), std::string::npos);
}

// A real store whose data pages are overwritten: open or the integrity check names the damage.
TEST_F(SqliteStoreTest, DamagedPagesAreReportedByTheIntegrityCheck) {
  OpenStore("damaged.db");
  const PointId grid = MustPoint("grid_kw", "kW");
  std::vector<Sample> batch;
  for (int i = 0; i < 20000; ++i) batch.push_back({grid, At(i), 0.5 * i, SampleQuality::kGood});
  ASSERT_TRUE(store_->Append(batch));
  ASSERT_TRUE(store_->Flush());
  ASSERT_TRUE(store_->CheckIntegrity());
  store_.reset();  // the last connection checkpoints the WAL into the file
  {
    std::fstream f(path_, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(8 * 4096);
    for (int i = 0; i < 4 * 4096; ++i) f.put(static_cast<char>(0xA5));
  }
  auto s = SqliteStore::Open(path_, clock_);
  if (!s) {
    EXPECT_NE(s.error().message.find(path_), std::string::npos) << s.error().message;
    return;
  }
  // Either the check lists what it found ("integrity check failed: ...") or SQLite stops at
  // the first malformed page ("... corrupt (database disk image is malformed)").
  auto check = (*s)->CheckIntegrity();
  ASSERT_FALSE(check);
  const std::string& m = check.error().message;
  EXPECT_NE(m.find(path_), std::string::npos) << m;
  EXPECT_TRUE(m.find("integrity check failed") != std::string::npos || m.find("corrupt") != std::string::npos) << m;
}

TEST_F(SqliteStoreTest, UnwritablePathIsAClearError) {
  auto s = SqliteStore::Open("/proc/no-such-dir/store.db", clock_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("/proc/no-such-dir/store.db: open: cannot open"), std::string::npos)
      << s.error().message;
}

AuditRecord Audit(int i) {
  return {At(i) + Millis(250), "control-loop", "setpoint", "ess1", "battery_kw=" + std::to_string(i) + ".0"};
}

TEST_F(SqliteStoreTest, AuditLogIsDurableOrderedAndAppendOnly) {
  const std::string path = StorePath("audit.db");
  {
    auto log = SqliteAuditLog::Open(path);
    ASSERT_TRUE(log) << log.error().message;
    const std::vector<AuditRecord> batch{Audit(1), Audit(2)};
    ASSERT_TRUE((*log)->Append(batch));
    const AuditRecord odd{At(3), "kim \"operator\"", "override", "site", "note: 한국어\nline"};
    ASSERT_TRUE((*log)->Append({&odd, 1}));
    EXPECT_EQ((*log)->appended(), 3u);
    // The same file is a telemetry store too.
    auto store = SqliteStore::Open(path, clock_);
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_TRUE((*store)->Point("jeonju", "grid_kw", "kW"));
  }
  {
    RawDb raw(path);
    EXPECT_EQ(raw.Run("SELECT count(*) FROM audit_log"), "3");
    EXPECT_NE(raw.Run("DELETE FROM audit_log").find("append-only"), std::string::npos);
    EXPECT_NE(raw.Run("UPDATE audit_log SET detail = 'x'").find("append-only"), std::string::npos);
  }
  auto log = SqliteAuditLog::Open(path);
  ASSERT_TRUE(log);
  EXPECT_EQ((*log)->appended(), 0u);  // counts this process's appends
  const AuditRecord r = Audit(4);
  ASSERT_TRUE((*log)->Append({&r, 1}));
  auto all = (*log)->Read();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 4u);
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].seq, i + 1);
  EXPECT_EQ((*all)[0].record.time, Audit(1).time);
  EXPECT_EQ((*all)[0].record.detail, "battery_kw=1.0");
  EXPECT_EQ((*all)[2].record.actor, "kim \"operator\"");
  EXPECT_EQ((*all)[2].record.detail, "note: 한국어\nline");
  auto tail = (*log)->Read(2, 1);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].seq, 3u);
  // A reader connection (the dashboard's) sees the newest records first.
  auto reader = SqliteStore::OpenReader(path);
  ASSERT_TRUE(reader) << reader.error().message;
  auto newest = (*reader)->NewestAudit(2);
  ASSERT_TRUE(newest) << newest.error().message;
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].seq, 4u);
  EXPECT_EQ((*newest)[1].seq, 3u);
  EXPECT_EQ((*newest)[1].record.actor, "kim \"operator\"");
}

// ---------------------------------------------------------------------------------------------
// Crash tests. A child process ingests batches of kBatch samples (kPoints points, 1 s apart)
// without end: before each Flush it reports "flushing batch b" through a pipe, after it "batch b
// acknowledged". The child dies by SIGKILL in the middle of ingest; the parent reopens the store
// and checks (CheckStoreAfterCrash): PRAGMA integrity_check is ok (on an independent
// connection), every acknowledged batch is there sample by sample, at most the one batch in
// flight is extra, no batch is there in part, and the 1-minute rollups count exactly the stored
// samples. Each round's child resumes where the store ends (its WAL recovered by the reopen).

constexpr int kPoints = 10;
constexpr int kSecondsPerBatch = 250;  // not a multiple of 60: minutes straddle batches
constexpr int kBatch = kPoints * kSecondsPerBatch;
constexpr std::uint64_t kFlushing = 1ull << 62;

double CrashValue(int point, std::int64_t second) { return 1000.0 * point + 0.5 * static_cast<double>(second) + 0.25; }

// Fault injection for the second test: SQLite's unix VFS lets a program replace the system
// calls it makes (xSetSystemCall). The child replaces write, pwrite and pwrite64 with versions
// that count down once armed; the write that reaches zero puts down half its bytes and the
// process SIGKILLs itself: a commit torn inside the WAL at a write the test chooses. (Globals
// because a system call has no user data; they live in the child only.)
sqlite3_syscall_ptr real_write = nullptr;
sqlite3_syscall_ptr real_pwrite = nullptr;
sqlite3_syscall_ptr real_pwrite64 = nullptr;
int writes_until_kill = -1;  // -1: disarmed

bool KillNow() { return writes_until_kill >= 0 && writes_until_kill-- == 0; }

ssize_t CountedWrite(int fd, const void* buf, size_t n) {
  using Fn = ssize_t (*)(int, const void*, size_t);
  const auto write = reinterpret_cast<Fn>(real_write);
  if (KillNow()) {
    write(fd, buf, n / 2);
    ::raise(SIGKILL);
  }
  return write(fd, buf, n);
}
ssize_t CountedPwrite(int fd, const void* buf, size_t n, off_t offset) {
  using Fn = ssize_t (*)(int, const void*, size_t, off_t);
  const auto pwrite = reinterpret_cast<Fn>(real_pwrite);
  if (KillNow()) {
    pwrite(fd, buf, n / 2, offset);
    ::raise(SIGKILL);
  }
  return pwrite(fd, buf, n, offset);
}
ssize_t CountedPwrite64(int fd, const void* buf, size_t n, off_t offset) {
  using Fn = ssize_t (*)(int, const void*, size_t, off_t);
  const auto pwrite64 = reinterpret_cast<Fn>(real_pwrite64);
  if (KillNow()) {
    pwrite64(fd, buf, n / 2, offset);
    ::raise(SIGKILL);
  }
  return pwrite64(fd, buf, n, offset);
}

void InstallWriteFaults() {
  sqlite3_vfs* vfs = sqlite3_vfs_find(nullptr);
  real_write = vfs->xGetSystemCall(vfs, "write");
  real_pwrite = vfs->xGetSystemCall(vfs, "pwrite");
  real_pwrite64 = vfs->xGetSystemCall(vfs, "pwrite64");
  vfs->xSetSystemCall(vfs, "write", reinterpret_cast<sqlite3_syscall_ptr>(&CountedWrite));
  vfs->xSetSystemCall(vfs, "pwrite", reinterpret_cast<sqlite3_syscall_ptr>(&CountedPwrite));
  vfs->xSetSystemCall(vfs, "pwrite64", reinterpret_cast<sqlite3_syscall_ptr>(&CountedPwrite64));
}

// How the child dies: killed by the parent (torn_at_write < 0), or by itself at its
// torn_at_write-th write (0: the first) counted from the Flush of batch `arm_at`.
struct CrashPlan {
  std::uint64_t arm_at = 0;
  int torn_at_write = -1;
};

[[noreturn]] void IngestForever(const std::string& path, int report_fd, CrashPlan plan) {
  if (plan.torn_at_write >= 0) InstallWriteFaults();
  SimClock clock(kT0);
  auto store = SqliteStore::Open(path, clock, Manual());
  if (!store) ::_exit(2);
  std::vector<PointId> ids;
  for (int p = 0; p < kPoints; ++p) {
    auto id = (*store)->Point("crash", "p" + std::to_string(p) + "_kw", "kW");
    if (!id) ::_exit(3);
    ids.push_back(*id);
  }
  auto latest = (*store)->Latest(ids[0]);
  if (!latest) ::_exit(4);
  std::uint64_t b = 0;
  if (latest->has_value()) {
    b = static_cast<std::uint64_t>(((**latest).time - kT0) / std::chrono::seconds(1)) / kSecondsPerBatch + 1;
  }
  std::vector<Sample> batch(kBatch);
  for (;; ++b) {
    for (int k = 0; k < kSecondsPerBatch; ++k) {
      const std::int64_t second = static_cast<std::int64_t>(b) * kSecondsPerBatch + k;
      for (int p = 0; p < kPoints; ++p) {
        batch[k * kPoints + p] =
            Sample{ids[p], At(0) + std::chrono::seconds(second), CrashValue(p, second), SampleQuality::kGood};
      }
    }
    if (!(*store)->Append(batch)) ::_exit(5);
    const std::uint64_t flushing = kFlushing | b;
    if (::write(report_fd, &flushing, sizeof flushing) != sizeof flushing) ::_exit(6);
    if (b == plan.arm_at && plan.torn_at_write >= 0) writes_until_kill = plan.torn_at_write;
    if (!(*store)->Flush()) ::_exit(7);
    const std::uint64_t acknowledged = b + 1;  // batches 0..b are durable
    if (::write(report_fd, &acknowledged, sizeof acknowledged) != sizeof acknowledged) ::_exit(8);
  }
}

struct Child {
  pid_t pid = -1;
  int reports = -1;  // the read end of the pipe
};

Child StartIngest(const std::string& path, CrashPlan plan) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    IngestForever(path, fds[1], plan);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads reports until the child starts flushing batch `batch` (or dies), keeping the last
// acknowledgement in `acknowledged`. Returns false when the pipe closed first.
bool AwaitFlushOf(const Child& child, std::uint64_t batch, std::uint64_t& acknowledged) {
  std::uint64_t v = 0;
  while (::read(child.reports, &v, sizeof v) == sizeof v) {
    if (!(v & kFlushing)) {
      acknowledged = v;
    } else if ((v & ~kFlushing) >= batch) {
      return true;
    }
  }
  return false;
}

// Waits for the child's death and reads the acknowledgements it sent before; returns its status.
int Reap(const Child& child, std::uint64_t& acknowledged) {
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  std::uint64_t v = 0;
  while (::read(child.reports, &v, sizeof v) == sizeof v) {
    if (!(v & kFlushing)) acknowledged = v;
  }
  ::close(child.reports);
  return status;
}

// The checks after a crash; sets `stored` to the number of whole batches in the store.
void CheckStoreAfterCrash(const std::string& path, std::uint64_t acknowledged, std::uint64_t& stored) {
  {
    RawDb raw(path);  // an independent connection: the file is whole
    ASSERT_EQ(raw.Run("PRAGMA integrity_check"), "ok");
  }
  SimClock clock(kT0);
  auto store = SqliteStore::Open(path, clock, Manual());
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->CheckIntegrity());
  auto points = (*store)->Points("crash");
  ASSERT_TRUE(points);
  ASSERT_EQ(points->size(), static_cast<size_t>(kPoints));
  const Instant end = At(0) + std::chrono::days(365);
  for (int p = 0; p < kPoints; ++p) {
    const PointId id = (*points)[p].id;
    auto samples = (*store)->Samples(id, At(0), end);
    ASSERT_TRUE(samples);
    // Whole batches only, the same number for every point: a batch is one transaction.
    ASSERT_EQ(samples->size() % kSecondsPerBatch, 0u) << "point " << p;
    const std::uint64_t batches = samples->size() / kSecondsPerBatch;
    if (p == 0) stored = batches;
    ASSERT_EQ(batches, stored) << "point " << p;
    for (size_t i = 0; i < samples->size(); ++i) {
      const Sample& s = (*samples)[i];
      ASSERT_EQ(s.time, At(static_cast<int>(i))) << "point " << p << " sample " << i;
      ASSERT_EQ(s.value, CrashValue(p, static_cast<std::int64_t>(i)));
    }
    auto minutes = (*store)->Query(id, At(0), end, Resolution::kMinute);
    ASSERT_TRUE(minutes);
    std::int64_t rolled_up = 0;
    for (const Bucket& m : *minutes) rolled_up += m.count;
    ASSERT_EQ(rolled_up, static_cast<std::int64_t>(samples->size())) << "point " << p;
  }
  // Every acknowledged batch is there; at most the one in flight beyond it.
  ASSERT_GE(stored, acknowledged);
  ASSERT_LE(stored, acknowledged + 1);
}

// The parent SIGKILLs the child 0, 0.4, ... 4.4 ms after it hears a flush begin: the kill
// moves through Flush (building the transaction, writing the WAL, committing, reporting) and
// past it into the next batch's Append.
TEST(SqliteStoreCrashTest, KillNineMidIngestLosesAtMostTheUnflushedBatch) {
  const std::string path = StorePath("crash.db");
  std::uint64_t acknowledged = 0;
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const Child child = StartIngest(path, CrashPlan{});
    ASSERT_GT(child.pid, 0);
    const std::uint64_t kill_at = acknowledged + 3 + static_cast<std::uint64_t>(round % 4);
    EXPECT_TRUE(AwaitFlushOf(child, kill_at, acknowledged));
    const auto flush_began = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - flush_began < std::chrono::microseconds(400) * round) {
    }
    ::kill(child.pid, SIGKILL);
    const int status = Reap(child, acknowledged);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    ASSERT_GE(acknowledged, kill_at);
    std::uint64_t stored = 0;
    ASSERT_NO_FATAL_FAILURE(CheckStoreAfterCrash(path, acknowledged, stored));
    acknowledged = stored;  // the next child resumes after what is stored
  }
}

// The child kills itself in the middle of a commit's WAL writes, at the 1st, 2nd, 3rd, 8th,
// 21st, 45th and 90th write of the flush (a frame is a 24-byte header write and a 4 KiB page
// write; a 2,500-sample batch commits about 55 frames, 110 writes), leaving half of that write on
// disk: recovery must drop the torn commit (its frames fail the WAL checksums) and keep every
// acknowledged one.
TEST(SqliteStoreCrashTest, KillNineInsideTheWalWriteDropsOnlyTheTornCommit) {
  const std::string path = StorePath("torn.db");
  std::uint64_t acknowledged = 0;
  for (const int write : {0, 1, 2, 7, 20, 44, 89}) {
    SCOPED_TRACE("torn at write " + std::to_string(write));
    const Child child = StartIngest(path, CrashPlan{acknowledged + 2, write});
    ASSERT_GT(child.pid, 0);
    const int status = Reap(child, acknowledged);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited with " << WEXITSTATUS(status);
    std::uint64_t stored = 0;
    ASSERT_NO_FATAL_FAILURE(CheckStoreAfterCrash(path, acknowledged, stored));
    EXPECT_GE(stored, 2u);
    acknowledged = stored;
  }
}

}  // namespace
}  // namespace meg
