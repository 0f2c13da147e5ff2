#include "store/audit_file.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace meg {
namespace {

std::string TempPath(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("meg-audit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  std::filesystem::remove(p);
  return p.string();
}

AuditRecord Rec(int i) {
  return {ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60)) + Millis(250 + i), "control-loop", "setpoint",
          "ess1", "battery_kw=" + std::to_string(i) + ".0"};
}

TEST(FileAuditLogTest, RecordsRoundTripWithSequenceAndMilliseconds) {
  const std::string path = TempPath("round.jsonl");
  {
    auto log = FileAuditLog::Open(path);
    ASSERT_TRUE(log) << log.error().message;
    const std::vector<AuditRecord> batch{Rec(1), Rec(2)};
    ASSERT_TRUE((*log)->Append(batch));
    AuditRecord odd{Rec(3).time, "kim \"the operator\"", "override", "site", "note: 한국어 \n newline"};
    ASSERT_TRUE((*log)->Append({&odd, 1}));
    EXPECT_EQ((*log)->appended(), 3u);
  }
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, R"({"action":"setpoint","actor":"control-loop","detail":"battery_kw=1.0","seq":1,"subject":"ess1",)"
                   R"("time":"2024-08-12T14:00:00.251+09:00"})");
  auto read = ReadAuditFile(path);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->entries.size(), 3u);
  EXPECT_EQ(read->torn_lines, 0);
  EXPECT_EQ(read->entries[2].seq, 3u);
  EXPECT_EQ(read->entries[2].record.actor, "kim \"the operator\"");
  EXPECT_EQ(read->entries[2].record.detail, "note: 한국어 \n newline");
  EXPECT_EQ(read->entries[1].record.time, Rec(2).time);
  // Reopening continues the sequence.
  auto again = FileAuditLog::Open(path);
  ASSERT_TRUE(again);
  const AuditRecord r = Rec(4);
  ASSERT_TRUE((*again)->Append({&r, 1}));
  EXPECT_EQ(ReadAuditFile(path)->entries.back().seq, 4u);
}

TEST(FileAuditLogTest, UnwritablePathIsAClearError) {
  auto log = FileAuditLog::Open("/proc/no-such-dir/audit.jsonl");
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().message.find("/proc/no-such-dir/audit.jsonl"), std::string::npos);
  EXPECT_FALSE(ReadAuditFile("/proc/no-such-dir/audit.jsonl"));
}

// A writer killed with SIGKILL mid-stream: every record whose Append had returned (reported
// through a pipe) is in the file, intact, in sequence; at most one torn line; a reopened log
// continues after the last intact record on a fresh line.
TEST(FileAuditLogTest, KillNineLosesNoAppendedRecord) {
  const std::string path = TempPath("kill.jsonl");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto log = FileAuditLog::Open(path);
    if (!log) ::_exit(2);
    for (int i = 1;; ++i) {
      std::vector<AuditRecord> batch(1 + i % 7, Rec(i));
      if (!(*log)->Append(batch)) ::_exit(3);
      const std::uint64_t done = (*log)->appended();
      if (::write(fds[1], &done, sizeof done) != sizeof done) ::_exit(4);
    }
  }
  ::close(fds[1]);
  std::uint64_t acknowledged = 0, v = 0;
  while (acknowledged < 3000 && ::read(fds[0], &v, sizeof v) == sizeof v) acknowledged = v;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  while (::read(fds[0], &v, sizeof v) == sizeof v) acknowledged = v;  // drain what was reported before death
  ::close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto read = ReadAuditFile(path);
  ASSERT_TRUE(read);
  ASSERT_GE(read->entries.size(), acknowledged);
  EXPECT_LE(read->torn_lines, 1);
  for (size_t i = 0; i < read->entries.size(); ++i) ASSERT_EQ(read->entries[i].seq, i + 1);
  auto again = FileAuditLog::Open(path);
  ASSERT_TRUE(again);
  const AuditRecord r = Rec(0);
  ASSERT_TRUE((*again)->Append({&r, 1}));
  auto after = ReadAuditFile(path);
  EXPECT_EQ(after->entries.back().seq, read->entries.size() + 1);
  EXPECT_EQ(after->entries.size(), read->entries.size() + 1);
  EXPECT_EQ(after->torn_lines, 0);  // a torn last line was moved aside by the reopen
  EXPECT_EQ((*again)->recovery().empty(), read->torn_lines == 0) << (*again)->recovery();
}

// A file ending in a torn line (a crash mid-write): Open keeps the good records, moves the torn
// tail to <path>.torn, cuts it off and says so; the next record starts its own line and continues
// the sequence after the last intact record. Before issue 16 the torn bytes stayed in the file.
TEST(FileAuditLogTest, TornLastLineIsMovedAsideOnOpen) {
  const std::string path = TempPath("torn.jsonl");
  std::filesystem::remove(path + ".torn");
  const std::string good =
      R"({"seq":1,"time":"2024-08-12T14:00:00.000+09:00","actor":"a","action":"mode","subject":"site","detail":"x"})";
  const std::string torn = R"({"seq":2,"time":"2024-08-12T14:00:0)";
  std::ofstream(path, std::ios::binary) << good << "\n" << torn;
  auto log = FileAuditLog::Open(path);
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_NE((*log)->recovery().find("torn.jsonl: the last line was torn by a crash mid-write (35 bytes"),
            std::string::npos)
      << (*log)->recovery();
  EXPECT_NE((*log)->recovery().find("moved to " + path + ".torn"), std::string::npos) << (*log)->recovery();
  std::ifstream aside(path + ".torn", std::ios::binary);
  std::string kept((std::istreambuf_iterator<char>(aside)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, torn + "\n");
  const AuditRecord r = Rec(1);
  ASSERT_TRUE((*log)->Append({&r, 1}));
  auto read = ReadAuditFile(path);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->entries.size(), 2u);
  EXPECT_EQ(read->torn_lines, 0);
  EXPECT_EQ(read->entries[0].seq, 1u);
  EXPECT_EQ(read->entries[1].seq, 2u);  // continues after the last intact record
  // A whole file is opened without a repair.
  auto whole = FileAuditLog::Open(path);
  ASSERT_TRUE(whole);
  EXPECT_TRUE((*whole)->recovery().empty()) << (*whole)->recovery();
}

// A torn line in the middle (left by an older version, which wrote a newline after it) is counted
// and named, not fatal.
TEST(FileAuditLogTest, TornLineInTheMiddleIsReportedAndSkipped) {
  const std::string path = TempPath("torn-middle.jsonl");
  std::ofstream(path, std::ios::binary)
      << R"({"seq":1,"time":"2024-08-12T14:00:00.000+09:00","actor":"a","action":"mode","subject":"site","detail":"x"})"
      << "\n"
      << R"({"seq":2,"time":"2024-08-12T14:00:0)"
      << "\n";
  auto log = FileAuditLog::Open(path);
  ASSERT_TRUE(log);
  EXPECT_TRUE((*log)->recovery().empty());
  const AuditRecord r = Rec(1);
  ASSERT_TRUE((*log)->Append({&r, 1}));
  auto read = ReadAuditFile(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->entries.size(), 2u);
  EXPECT_EQ(read->torn_lines, 1);
  EXPECT_EQ(read->entries.back().seq, 2u);
  EXPECT_NE(read->first_problem.find(":2:"), std::string::npos) << read->first_problem;
}

// A write that stops part way (here the file size limit, RLIMIT_FSIZE, 40 bytes into a record)
// fails the Append and is cut back off: the next record is whole and readable. Before issue 16 the
// partial bytes stayed and the next, acknowledged, record glued onto them and was lost to readers.
TEST(FileAuditLogTest, PartialWriteIsCutOffAndTheNextRecordIsWhole) {
  const std::string path = TempPath("partial.jsonl");
  const pid_t child = ::fork();  // the limit is the process's: set it in a child
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // write returns EFBIG instead of killing the process
    auto log = FileAuditLog::Open(path);
    if (!log) ::_exit(2);
    const AuditRecord first = Rec(1);
    if (!(*log)->Append({&first, 1})) ::_exit(3);
    rlimit lim{};
    ::getrlimit(RLIMIT_FSIZE, &lim);
    const rlimit old = lim;
    lim.rlim_cur = static_cast<rlim_t>(std::filesystem::file_size(path) + 40);
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(4);
    const AuditRecord refused = Rec(2);
    if ((*log)->Append({&refused, 1})) ::_exit(5);  // must fail: only 40 bytes fit
    if (::setrlimit(RLIMIT_FSIZE, &old) != 0) ::_exit(6);
    const AuditRecord next = Rec(3);
    if (!(*log)->Append({&next, 1})) ::_exit(7);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto read = ReadAuditFile(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->torn_lines, 0) << read->first_problem;
  ASSERT_EQ(read->entries.size(), 2u);
  EXPECT_EQ(read->entries[0].record.detail, "battery_kw=1.0");
  EXPECT_EQ(read->entries[1].record.detail, "battery_kw=3.0");
  EXPECT_EQ(read->entries[1].seq, 2u);  // the refused record took no sequence number
}

}  // namespace
}  // namespace meg
