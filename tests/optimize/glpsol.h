// Test helper: solves an LP-format or free-MPS file with GLPK's glpsol (Debian glpk-utils) and
// returns the objective it reports, so tests can confirm our solver's optimum with an independent
// one.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace meg::testing {

inline constexpr const char* kGlpsol = "/usr/bin/glpsol";

inline bool HaveGlpsol() { return std::filesystem::exists(kGlpsol); }

// A fresh directory for one test's files, under the build tree.
inline std::string TempDir(const std::string& name) {
  const std::string dir = std::string(MEG_TEST_BINARY_DIR) + "/tmp/optimize-" + name + "-" +
                          std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs `glpsol <format_flag> <path> -o <path>.out` (format_flag "--lp" or "--freemps") and
// returns the objective of the optimum, or nullopt when glpsol fails or reports no optimum.
inline std::optional<double> GlpsolFileObjective(const std::string& format_flag,
                                                 const std::string& path) {
  const std::string out = path + ".out";
  const std::string cmd = std::string(kGlpsol) + " " + format_flag + " " + path + " -o " + out +
                          " > " + path + ".log 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  std::ifstream in(out);
  std::string line;
  bool optimal = false;
  std::optional<double> objective;
  while (std::getline(in, line)) {
    // "Status:     OPTIMAL" (LP) or "Status:     INTEGER OPTIMAL" (MIP).
    if (line.rfind("Status:", 0) == 0) optimal = line.find("OPTIMAL") != std::string::npos;
    // "Objective:  obj = -5.5 (MINimum)"
    if (line.rfind("Objective:", 0) == 0) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) objective = std::strtod(line.c_str() + eq + 1, nullptr);
    }
  }
  if (!optimal) return std::nullopt;
  return objective;
}

// Writes `lp_text` to `dir/name.lp`, runs `glpsol --lp` on it and returns the objective of the
// optimum, or nullopt when glpsol fails or reports no optimum.
inline std::optional<double> GlpsolObjective(const std::string& lp_text, const std::string& dir,
                                             const std::string& name) {
  const std::string lp = dir + "/" + name + ".lp";
  std::ofstream(lp) << lp_text;
  return GlpsolFileObjective("--lp", lp);
}

// The same for free MPS text (WriteMpsFormat): writes `dir/name.mps` and runs `glpsol --freemps`.
inline std::optional<double> GlpsolMpsObjective(const std::string& mps_text, const std::string& dir,
                                                const std::string& name) {
  const std::string mps = dir + "/" + name + ".mps";
  std::ofstream(mps) << mps_text;
  return GlpsolFileObjective("--freemps", mps);
}

}  // namespace meg::testing
