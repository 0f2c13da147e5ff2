// End-to-end tests of `meg advise`: the real binary on a usage file, as a user runs it. The
// figures are those of tariff/contract_advice_test.cc (by hand there): 500 kW with one quarter-hour
// of 800 kW on 2024-08-06 14:00, whose 5 % hotter summer peaks at 840 kW.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "app/meg_runner.h"

#include "core/time.h"

namespace meg {
namespace {

using testing::Meg;

class AdviseCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        fmt::format("meg_advise_test_{}_{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `months` months of 2024 from January at 500 kW, 800 kW at 2024-08-06 14:00.
  std::string WriteUsage(int months) {
    const auto path = (dir_ / "usage.csv").string();
    std::ofstream out(path);
    out << "timestamp,kW\n";
    const Timestamp start = StartOfKstMonth(std::chrono::year{2024} / 1);
    const Timestamp end = StartOfKstMonth(std::chrono::year{2024} / 1 + std::chrono::months{months});
    const Timestamp spike = FromKst(std::chrono::year{2024} / 8 / 6, 14 * 60);
    for (Timestamp t = start; t < end; t += kInterval) out << FormatKst(t) << "," << (t == spike ? 800 : 500) << "\n";
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(AdviseCommandTest, RecommendsTheSmallestContractSafeInAHotterSummer) {
  const std::string usage = WriteUsage(12);
  const auto html = dir_ / "advice.html";
  const auto text =
      Meg(fmt::format("advise --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --html {}", usage,
                      html.string()));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("highest 15-minute demand 800 kW"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("at 840 kW"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("선택III"), std::string::npos) << text.out;  // every option is priced
  // The report: the options, the chart, the recommended bills month by month, the duration curve.
  const std::string page = testing::Slurp(html);
  EXPECT_NE(page.find("at 840 kW"), std::string::npos);
  EXPECT_NE(page.find("2024-12"), std::string::npos);
  EXPECT_NE(page.find("Load duration curve"), std::string::npos);
  EXPECT_NE(page.find("</html>"), std::string::npos);
  EXPECT_NE(page.find("<svg"), std::string::npos);

  const auto json = Meg(fmt::format(
      "advise --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --contracts 700,840,3000 --json",
      usage));
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["max_demand_kw"], 800);
  EXPECT_EQ(j["hotter_max_demand_kw"], 840);
  EXPECT_EQ(j["in_force"]["basic_krw"], 69'312'000);  // 12 x 800 kW x 7,220 KRW/kW
  ASSERT_EQ(j["contracts"].size(), 3u);
  EXPECT_EQ(j["contracts"][0]["over_contract_months"], 1);
  EXPECT_EQ(j["contracts"][2]["floor_months"], 12);
  EXPECT_EQ(j["recommended"]["contract_kw"], 840);
  EXPECT_EQ(j["tariffs"].size(), 3u);
}

TEST_F(AdviseCommandTest, RefusesTooLittleDataAndUnknownVoltages) {
  const auto few =
      Meg(fmt::format("advise --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000", WriteUsage(3)));
  EXPECT_NE(few.exit_code, 0);
  EXPECT_NE(few.out.find("12 whole months"), std::string::npos) << few.out;
  const auto volt =
      Meg(fmt::format("advise --usage {} --tariff \"일반용(을) 고압A 선택I\" --contract-kw 1000 --voltages A,D",
                      WriteUsage(12)));
  EXPECT_NE(volt.exit_code, 0);
  EXPECT_NE(volt.out.find("--voltages D"), std::string::npos) << volt.out;
  const auto missing = Meg("advise --tariff \"일반용(을) 고압A 선택I\"");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.out.find("--usage"), std::string::npos) << missing.out;
}

}  // namespace
}  // namespace meg
