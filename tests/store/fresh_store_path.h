// A path for a SQLite store that does not exist yet: `name` in a per-process folder under the
// system's temporary directory, with any store, WAL and shared-memory file of an earlier run
// removed. For the tests that open real stores.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace meg::testing {

inline std::string FreshStorePath(const std::string& folder, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / (folder + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix);
  return p.string();
}

}  // namespace meg::testing
