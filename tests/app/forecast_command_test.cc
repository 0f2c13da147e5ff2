// End-to-end tests of `meg forecast`: the real binary on the real data sets; clear errors for bad
// options.
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "app/meg_runner.h"

namespace meg {
namespace {

using testing::Meg;

TEST(ForecastCommandTest, PvEvaluationOnGistPrintsTheKpxTable) {
  const auto run = Meg("forecast eval --dataset gist-pv");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("physics + ridge"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("KPX qualifying h"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("D-1 11:00 KST"), std::string::npos) << run.out;
}

TEST(ForecastCommandTest, LoadEvaluationOnACnuBuilding) {
  const auto run = Meg("forecast eval --dataset cnu --building agri3_HV_02 --from 2021-10-01 --to 2021-10-08 "
                       "--retrain-days 14");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("day-ahead (D-1 11:00 for day D)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("agri3_HV_02: 2021-10-01 to 2021-10-08 (0 anomalies flagged)"), std::string::npos)
      << run.out;
}

TEST(ForecastCommandTest, TrainWritesTheModelAndItsCalibration) {
  const std::string out = std::string(MEG_TEST_BINARY_DIR) + "/forecast-train-" + std::to_string(::getpid()) + ".xgb";
  const auto run = Meg("forecast train --site " + std::string(MEG_TEST_DATA_DIR) +
                       "/sites/jeonju-hospital.toml --until 2024-03-01 --out " + out);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_TRUE(std::filesystem::exists(out));
  EXPECT_TRUE(std::filesystem::exists(out + ".bands"));
  EXPECT_NE(run.out.find("the P10/P90 offsets (kW)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("6-37 h     weight "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("temperature response: "), std::string::npos) << run.out;
  std::filesystem::remove(out);
  std::filesystem::remove(out + ".bands");
}

TEST(ForecastCommandTest, BadOptionsGetClearErrors) {
  auto run = Meg("forecast eval --dataset nope");
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("known data sets are cnu, hospital and gist-pv"), std::string::npos) << run.out;
  run = Meg("forecast train --site " + std::string(MEG_TEST_DATA_DIR) +
            "/sites/jeonju-hospital.toml --until 2024-01-05 --out /tmp/never.xgb");
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("two weeks of history"), std::string::npos) << run.out;
  EXPECT_FALSE(std::filesystem::exists("/tmp/never.xgb"));
  run = Meg("forecast eval --dataset cnu --building no_such_building");
  EXPECT_NE(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("no_such_building"), std::string::npos) << run.out;
  run = Meg("forecast eval --retrain-days 0");
  EXPECT_NE(run.exit_code, 0) << run.out;
}

}  // namespace
}  // namespace meg
