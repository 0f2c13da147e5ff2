// A self-signed certificate for the TLS tests, made with the openssl command (scripts/setup
// installs it) in a folder of the test process's own.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace meg::testing {

struct SelfSigned {
  std::filesystem::path dir;
  std::string cert, key;  // PEM files in dir
};

// A one-day RSA certificate for `common_name` in a fresh temp folder `name`-<pid>; nullopt when
// the openssl command fails.
inline std::optional<SelfSigned> MakeSelfSigned(const std::string& name, const std::string& common_name) {
  SelfSigned out;
  out.dir = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(out.dir);
  out.cert = (out.dir / "cert.pem").string();
  out.key = (out.dir / "key.pem").string();
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + common_name + " -keyout " +
                          out.key + " -out " + out.cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  return out;
}

}  // namespace meg::testing
