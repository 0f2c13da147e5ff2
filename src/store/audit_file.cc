#include "store/audit_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>

#include <fmt/format.h>

#include "core/time.h"

namespace meg {

namespace {

// An existing audit file as Open finds it, read once, line by line.
struct Scan {
  std::uint64_t last_seq = 0;  // of the last intact record among the whole lines (0 if none)
  off_t whole_bytes = 0;       // bytes up to and including the last newline
  std::string tail;            // bytes after the last newline: a torn record
  bool read_failed = false;
};

Scan ScanFile(const std::string& path) {
  Scan scan;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) {  // the file ends without a newline after this line
      scan.tail = std::move(line);
      break;
    }
    scan.whole_bytes += static_cast<off_t>(line.size() + 1);
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) {
      scan.last_seq = j["seq"].get<std::uint64_t>();
    }
  }
  scan.read_failed = in.bad();
  return scan;
}

Status AppendDurably(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && ::fdatasync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) return IoError(fmt::format("{}: cannot write: {}", path, std::strerror(err)));
  return Ok{};
}

}  // namespace

Result<std::unique_ptr<FileAuditLog>> FileAuditLog::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return IoError(fmt::format("{}: cannot open the audit log: {}", path, std::strerror(errno)));
  const auto fail = [&](const std::string& what) {
    ::close(fd);
    return IoError(fmt::format("{}: {}: {}", path, what, std::strerror(errno)));
  };
  Scan scan = ScanFile(path);
  if (scan.read_failed) return fail("cannot read the audit log");
  // Every acknowledged record ends with its newline (one write, then fdatasync), so bytes after
  // the last newline are a record torn by a crash mid-write, never acknowledged. They are kept in
  // `<path>.torn` for inspection and cut off here, so that the next record starts a line of its own.
  std::string recovery;
  if (!scan.tail.empty()) {
    const std::string aside = path + ".torn";
    if (auto st = AppendDurably(aside, scan.tail + "\n"); !st) {
      ::close(fd);
      return IoError(fmt::format("{}: a torn last line ({} bytes) could not be moved aside: {}", path, scan.tail.size(),
                                 st.error().message));
    }
    if (::ftruncate(fd, scan.whole_bytes) != 0 || ::fdatasync(fd) != 0) {
      return fail("cannot cut the torn last line off the audit log");
    }
    recovery = fmt::format(
        "{}: the last line was torn by a crash mid-write ({} bytes, never acknowledged): moved to {}; the records "
        "before it are kept",
        path, scan.tail.size(), aside);
  }
  auto log = std::unique_ptr<FileAuditLog>(new FileAuditLog(path, fd, scan.last_seq + 1));
  log->size_ = scan.whole_bytes;
  log->recovery_ = std::move(recovery);
  return log;
}

FileAuditLog::~FileAuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileAuditLog::Append(std::span<const AuditRecord> records) {
  if (records.empty()) return Ok{};
  if (broken_) {
    return IoError(fmt::format("{}: the audit log holds a partial record that could not be removed; reopen it", path_));
  }
  std::string batch;
  std::uint64_t seq = next_seq_;
  for (const AuditRecord& r : records) {
    nlohmann::json j;
    j["seq"] = seq++;
    j["time"] = FormatKstMillis(r.time);
    j["actor"] = r.actor;
    j["action"] = r.action;
    j["subject"] = r.subject;
    j["detail"] = r.detail;
    // Replace, not throw, on invalid UTF-8 in a device-supplied string.
    batch += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    batch += '\n';
  }
  // A batch is written whole or not at all: a write that stops part way (disk full, a file size
  // limit, EIO) is cut back off, so that the next batch does not glue onto a partial record.
  const auto undo = [&](const std::string& what) -> Status {
    const int err = errno;
    if (::ftruncate(fd_, size_) != 0) broken_ = true;
    return IoError(fmt::format("{}: {}: {}", path_, what, std::strerror(err)));
  };
  size_t done = 0;
  while (done < batch.size()) {
    const ssize_t n = ::write(fd_, batch.data() + done, batch.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return undo("audit write failed");
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return undo("audit fdatasync failed");
  size_ += static_cast<off_t>(batch.size());
  next_seq_ = seq;
  appended_ += records.size();
  return Ok{};
}

Result<AuditFileContents> ReadAuditFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(fmt::format("{}: no such audit log", path));
  AuditFileContents out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const bool whole = j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned() && j.contains("time") &&
                       j["time"].is_string() && j.contains("actor") && j["actor"].is_string() && j.contains("action") &&
                       j["action"].is_string() && j.contains("subject") && j["subject"].is_string() &&
                       j.contains("detail") && j["detail"].is_string();
    Result<Instant> time =
        whole ? ParseIso8601Millis(j["time"].get<std::string>()) : Result<Instant>(InvalidInput("not a record"));
    if (!whole || !time) {
      if (out.torn_lines++ == 0) out.first_problem = fmt::format("{}:{}: not a whole audit record", path, number);
      continue;
    }
    AuditFileContents::Entry e;
    e.seq = j["seq"].get<std::uint64_t>();
    e.record = AuditRecord{*time, j["actor"].get<std::string>(), j["action"].get<std::string>(),
                           j["subject"].get<std::string>(), j["detail"].get<std::string>()};
    out.entries.push_back(std::move(e));
  }
  return out;
}

}  // namespace meg
