#include "store/audit_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/time.h"

namespace meg {

namespace {

// The last intact sequence number in an existing file (0 if none): the file is read once at open.
std::uint64_t LastSeq(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::uint64_t last = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) last = j["seq"].get<std::uint64_t>();
  }
  return last;
}

}  // namespace

Result<std::unique_ptr<FileAuditLog>> FileAuditLog::Open(const std::string& path) {
  const std::uint64_t last = LastSeq(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return IoError(fmt::format("{}: cannot open the audit log: {}", path, std::strerror(errno)));
  // A torn last line from a crash would glue onto the next record: start on a fresh line.
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (in && in.tellg() > 0) {
    in.seekg(-1, std::ios::end);
    char c = 0;
    in.get(c);
    if (c != '\n' && ::write(fd, "\n", 1) != 1) {
      ::close(fd);
      return IoError(fmt::format("{}: cannot write the audit log: {}", path, std::strerror(errno)));
    }
  }
  return std::unique_ptr<FileAuditLog>(new FileAuditLog(path, fd, last + 1));
}

FileAuditLog::~FileAuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileAuditLog::Append(std::span<const AuditRecord> records) {
  if (records.empty()) return Ok{};
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
  size_t done = 0;
  while (done < batch.size()) {
    const ssize_t n = ::write(fd_, batch.data() + done, batch.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(fmt::format("{}: audit write failed: {}", path_, std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return IoError(fmt::format("{}: audit fdatasync failed: {}", path_, std::strerror(errno)));
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
                       j["time"].is_string() && j.contains("actor") && j["actor"].is_string() &&
                       j.contains("action") && j["action"].is_string() && j.contains("subject") &&
                       j["subject"].is_string() && j.contains("detail") && j["detail"].is_string();
    Result<Instant> time = whole ? ParseIso8601Millis(j["time"].get<std::string>()) : Result<Instant>(InvalidInput("not a record"));
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
