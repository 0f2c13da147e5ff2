#include "io/text_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

namespace meg {

Result<std::string> ReadTextFile(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return NotFound(fmt::format("{}: no such file", path));
  }
  if (std::filesystem::is_directory(status)) {
    return InvalidInput(fmt::format("{}: is a directory, expected a file", path));
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes) {
    return InvalidInput(fmt::format("{}: {} bytes is larger than the {} byte limit", path, size, max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return IoError(fmt::format("{}: read failed", path));
  return buffer.str();
}

Status WriteTextFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError(fmt::format("{}: cannot open for writing: {}", path, std::strerror(errno)));
  out << content;
  out.close();
  if (!out) return IoError(fmt::format("{}: write failed", path));
  return Ok{};
}

Result<std::string> ReadFirstLine(const std::string& path) {
  MEG_TRY_ASSIGN(text, ReadTextFile(path, 4096));
  return text.substr(0, text.find_first_of("\r\n"));
}

}  // namespace meg
