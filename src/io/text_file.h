// Reading whole text files: the only place in the loaders that touches the file system.
// Thread-safe (no shared state).
#pragma once

#include <string>

#include "core/result.h"

namespace meg {

// Reads a whole file. Fails with kNotFound or kIo naming the path and the reason.
// Files over `max_bytes` are refused (a usage file of 10 site-years is ~15 MB).
Result<std::string> ReadTextFile(const std::string& path, size_t max_bytes = 512u << 20);

// The first line of a secret's file (a password: `meg fleet-config` writes one a file), without
// its line break. Fails as ReadTextFile does; files over 4 KiB are refused.
Result<std::string> ReadFirstLine(const std::string& path);

// Writes a whole file, replacing it. Fails with kIo naming the path.
Status WriteTextFile(const std::string& path, const std::string& content);

}  // namespace meg
