// End-to-end test of `meg optimize`: the real binary on the shipped Jeonju hospital site file;
// the LP and MPS files it writes are the problem it solved, as glpsol confirms.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "optimize/glpsol.h"

namespace meg {
namespace {

std::string RunMeg(const std::string& args, int* exit_code) {
  const std::string cmd = std::string(MEG_TEST_BINARY_DIR) + "/src/meg " + args + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(OptimizeCommandTest, SolvesTheDayAndWritesTheLpFile) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("meg_optimize_test_{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string lp = (dir / "day.lp").string();
  const std::string site = std::string(MEG_TEST_DATA_DIR) + "/sites/jeonju-hospital.toml";
  int rc = -1;
  const std::string out =
      RunMeg(fmt::format("optimize --site {} --day 2024-08-12 --standing-peak-kw 900 --export-lp {}", site, lp), &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("clp-dual optimal"), std::string::npos) << out;
  EXPECT_NE(out.find("demand (basic x 12 months x kW above 900 kW)"), std::string::npos) << out;
  EXPECT_NE(out.find("peak P (counted intervals):"), std::string::npos) << out;
  std::ifstream in(lp);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "\\ OpenMEG LP model: 577 variables, 343 rows");

  const std::string milp = RunMeg(fmt::format("optimize --site {} --day 2024-08-12 --milp", site), &rc);
  EXPECT_EQ(rc, 0) << milp;
  EXPECT_NE(milp.find("cbc optimal"), std::string::npos) << milp;

  const std::string bad = RunMeg(fmt::format("optimize --site {} --day 2023-08-12", site), &rc);
  EXPECT_EQ(rc, 2) << bad;
  std::filesystem::remove_all(dir);
}

// The MPS file is the same problem as the LP file: glpsol finds the same optimum from both, for
// the LP and (with integer markers) the MILP.
TEST(OptimizeCommandTest, WritesAnMpsFileWithTheLpFilesOptimum) {
  if (!testing::HaveGlpsol()) GTEST_SKIP() << "glpsol missing: run scripts/setup (glpk-utils)";
  const std::string dir = testing::TempDir("command-mps");
  const std::string site = std::string(MEG_TEST_DATA_DIR) + "/sites/jeonju-hospital.toml";
  for (const std::string kind : {"lp", "milp"}) {
    SCOPED_TRACE(kind);
    const std::string lp = dir + "/" + kind + ".lp", mps = dir + "/" + kind + ".mps";
    int rc = -1;
    const std::string out =
        RunMeg(fmt::format("optimize --site {} --day 2024-08-12 --standing-peak-kw 900 {} "
                           "--export-lp {} --export-mps {}",
                           site, kind == "milp" ? "--milp" : "", lp, mps),
               &rc);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("wrote the problem in free MPS format to " + mps), std::string::npos) << out;
    std::ifstream in(mps);
    std::string first;
    std::getline(in, first);
    EXPECT_EQ(first.rfind("* OpenMEG MPS model: ", 0), 0u) << first;

    const auto from_lp = testing::GlpsolFileObjective("--lp", lp);
    const auto from_mps = testing::GlpsolFileObjective("--freemps", mps);
    ASSERT_TRUE(from_lp.has_value());
    ASSERT_TRUE(from_mps.has_value());
    // glpsol prints the objective with about 10 significant digits.
    EXPECT_NEAR(*from_mps, *from_lp, 1e-9 * std::abs(*from_lp)) << *from_mps << " vs " << *from_lp;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace meg
