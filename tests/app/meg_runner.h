// Runs the real `meg` binary of this build as a user would, for the CLI end-to-end tests.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace meg::testing {

struct MegRun {
  int exit_code = 0;
  std::string out;  // stdout and stderr together
};

// Runs a shell command (e.g. an independent tool that checks meg's output), stderr with stdout.
inline MegRun RunCommand(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  MegRun run;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) run.out.append(buf, n);
  const int status = pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

inline MegRun Meg(const std::string& args) { return RunCommand(std::string(MEG_TEST_BINARY_DIR) + "/src/meg " + args); }

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace meg::testing
