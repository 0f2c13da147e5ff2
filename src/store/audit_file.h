// FileAuditLog: the audit log as a file of JSON lines, opened for append only (O_APPEND), each
// batch written with one write(2) and made durable with fdatasync before Append returns; a
// failed write is cut back off the file, so a batch is on file whole or not at all. A process
// killed mid-write leaves at most a torn last line (never an acknowledged record): Open moves it
// to `<path>.torn`, cuts it off and says so (recovery()). Every record whose Append returned is
// intact. Not thread-safe (control thread only).
//
// Line format (units in the names; time in KST with offset):
//   {"seq":12,"time":"2024-08-12T14:00:05.250+09:00","actor":"control-loop","action":"setpoint",
//    "subject":"ess1","detail":"battery_kw=-250.0"}
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/audit.h"
#include "core/result.h"

namespace meg {

class FileAuditLog final : public AuditLog {
 public:
  // Opens (creating if absent) `path` for append. Sequence numbers continue after the last
  // intact record already in the file. A torn last line is moved to `<path>.torn` first.
  static Result<std::unique_ptr<FileAuditLog>> Open(const std::string& path);
  ~FileAuditLog() override;
  FileAuditLog(const FileAuditLog&) = delete;
  FileAuditLog& operator=(const FileAuditLog&) = delete;

  Status Append(std::span<const AuditRecord> records) override;
  std::uint64_t appended() const override { return appended_; }
  const std::string& path() const { return path_; }
  // What Open repaired, for the operator ("audit.jsonl: the last line was torn ... moved to
  // audit.jsonl.torn ..."); empty if the file was whole.
  const std::string& recovery() const { return recovery_; }

 private:
  FileAuditLog(std::string path, int fd, std::uint64_t next_seq)
      : path_(std::move(path)), fd_(fd), next_seq_(next_seq) {}
  std::string path_;
  int fd_ = -1;
  std::uint64_t next_seq_ = 1;
  std::uint64_t appended_ = 0;
  off_t size_ = 0;       // the file's size after the last whole batch
  bool broken_ = false;  // a failed batch could not be cut off: refuse appends
  std::string recovery_;
};

struct AuditFileContents {
  struct Entry {
    std::uint64_t seq = 0;
    AuditRecord record;
  };
  std::vector<Entry> entries;
  int torn_lines = 0;         // lines that are not a whole record (a crash mid-write)
  std::string first_problem;  // "audit.jsonl:812: ..." for the first torn line, if any
};

// Reads an audit file written by FileAuditLog. A missing file is an error; torn lines are
// counted, not fatal.
Result<AuditFileContents> ReadAuditFile(const std::string& path);

}  // namespace meg
