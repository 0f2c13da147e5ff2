#include "store/audit_file.h"

#include <signal.h>
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
  EXPECT_EQ(first,
            R"({"action":"setpoint","actor":"control-loop","detail":"battery_kw=1.0","seq":1,"subject":"ess1",)"
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
  EXPECT_EQ(after->torn_lines, read->torn_lines);
}

// A torn line in the middle (a crash, then more records) is counted and named, not fatal.
TEST(FileAuditLogTest, TornLineIsReportedAndSkipped) {
  const std::string path = TempPath("torn.jsonl");
  {
    std::ofstream out(path);
    out << R"({"seq":1,"time":"2024-08-12T14:00:00.000+09:00","actor":"a","action":"mode","subject":"site","detail":"x"})"
        << "\n"
        << R"({"seq":2,"time":"2024-08-12T14:00:0)";
  }
  auto log = FileAuditLog::Open(path);
  ASSERT_TRUE(log);
  const AuditRecord r = Rec(1);
  ASSERT_TRUE((*log)->Append({&r, 1}));
  auto read = ReadAuditFile(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->entries.size(), 2u);
  EXPECT_EQ(read->torn_lines, 1);
  EXPECT_EQ(read->entries.back().seq, 2u);  // continues after the last intact record
  EXPECT_NE(read->first_problem.find(":2:"), std::string::npos) << read->first_problem;
}

}  // namespace
}  // namespace meg
