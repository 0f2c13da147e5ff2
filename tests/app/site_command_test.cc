// End-to-end tests of `meg site check`: the real binary on the shipped site files and on copies
// spoiled one key at a time.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "app/meg_runner.h"

namespace meg {
namespace {

using testing::Meg;
using testing::MegRun;

const std::string kSites = std::string(MEG_TEST_DATA_DIR) + "/sites";

class SiteCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        fmt::format("meg_site_test_{}_{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The hospital's site file with each `from` replaced by its `to`, written to the test's directory.
  std::string HospitalWith(std::initializer_list<std::pair<std::string, std::string>> edits) {
    std::ifstream in(kSites + "/jeonju-hospital.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    for (const auto& [from, to] : edits) {
      const auto at = s.find(from);
      EXPECT_NE(at, std::string::npos) << from;
      if (at != std::string::npos) s.replace(at, from.size(), to);
    }
    const auto path = (dir_ / "site.toml").string();
    std::ofstream(path) << s;
    return path;
  }

  std::filesystem::path dir_;
};

// Every shipped site file passes, its tariff found in the tables and named in full.
TEST_F(SiteCommandTest, EveryShippedSiteFilePasses) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(kSites)) {
    if (e.path().extension() != ".toml") continue;
    ++n;
    const MegRun r = Meg("site check " + e.path().string());
    EXPECT_EQ(r.exit_code, 0) << e.path() << "\n" << r.out;
    EXPECT_NE(r.out.find(": OK"), std::string::npos) << r.out;
  }
  EXPECT_GE(n, 8);
  const MegRun cnu = Meg("site check " + kSites + "/cnu-agri3.toml");
  EXPECT_NE(cnu.out.find("교육용(갑) 고압A 선택II (education-gap high-a II), contract power 450 kW"), std::string::npos)
      << cnu.out;
}

// The tariff is checked with the site: a name the tables do not know, a contract power its class
// does not take (art. 57 ②), and Jeju's hours (별표3 다만 4) where the site is on Jeju.
TEST_F(SiteCommandTest, TheTariffIsCheckedWithTheSite) {
  const std::pair<std::string, std::string> tariff{"name = \"일반용(을) 고압A 선택II\"",
                                                   "name = \"일반용(을) 고압A 선택V\""};
  const MegRun unknown = Meg("site check " + HospitalWith({tariff}));
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  EXPECT_NE(unknown.out.find("tariff.name: unknown option '선택V'"), std::string::npos) << unknown.out;
  // 주택용 is priced by the month's blocks: no price per 15 minutes for the planner, refused.
  const MegRun home =
      Meg("site check " + HospitalWith({{"name = \"일반용(을) 고압A 선택II\"", "name = \"주택용 고압A\""}}));
  EXPECT_EQ(home.exit_code, 1) << home.out;
  EXPECT_NE(home.out.find("주택용 고압A is priced by blocks of the month's kWh per household"), std::string::npos)
      << home.out;

  const MegRun small = Meg("site check " + HospitalWith({{"contract_kw = 1700", "contract_kw = 299"}}));
  EXPECT_EQ(small.exit_code, 2) << small.out;
  EXPECT_NE(
      small.out.find(
          "tariff.contract_kw: 299 kW is outside the contract power of 일반용(을) 고압A, from 300 to 10000000 kW"),
      std::string::npos)
      << small.out;

  // Jeju City, 33.50 N 126.53 E.
  const std::pair<std::string, std::string> place{"latitude_deg = 35.82\nlongitude_deg = 127.15",
                                                  "latitude_deg = 33.50\nlongitude_deg = 126.53"};
  const MegRun jeju = Meg("site check " + HospitalWith({place}));
  EXPECT_EQ(jeju.exit_code, 2) << jeju.out;
  EXPECT_NE(jeju.out.find("is on Jeju, but the tariff is not Jeju's: add 제주 to the tariff name"), std::string::npos)
      << jeju.out;
  const MegRun jeju_ok =
      Meg("site check " +
          HospitalWith({place, {"name = \"일반용(을) 고압A 선택II\"", "name = \"일반용(을) 고압A 선택II 제주\""}}));
  EXPECT_EQ(jeju_ok.exit_code, 0) << jeju_ok.out;
  EXPECT_NE(jeju_ok.out.find("일반용(을) 고압A 선택II 제주 (general-eul high-a II jeju)"), std::string::npos)
      << jeju_ok.out;
  const MegRun mainland_jeju =
      Meg("site check " +
          HospitalWith({{"name = \"일반용(을) 고압A 선택II\"", "name = \"일반용(을) 고압A 선택II 제주\""}}));
  EXPECT_EQ(mainland_jeju.exit_code, 2) << mainland_jeju.out;
  EXPECT_NE(mainland_jeju.out.find("is not on Jeju, but the tariff is Jeju's: remove 제주"), std::string::npos)
      << mainland_jeju.out;
}

}  // namespace
}  // namespace meg
