// End-to-end tests of `meg dr-bid` on the shipped Jeonju hospital. The expected bid is worked out
// by hand from the site file and the shared SMP file:
//  * the battery's energy for a day: 1,000 kWh usable x (80 - 10) % of SoC window x 96 % discharge
//    efficiency = 672 kWh, at most 500 kW (the PCS) in any hour;
//  * smp_jeju_2024.csv, 2024-08-13: the dearest hours are 21:00-22:00 (column 22h, 209.73
//    KRW/kWh) and 20:00-21:00 (column 21h, 207.14);
//  * so 21:00 offers 500 kWh and 20:00 the remaining 172 kWh, both at max(140, 0) = 140 KRW/kWh,
//    each above the 0.1 MWh minimum (제12.4.2.1조 ① 2호); the deadline is 2024-08-12 11:00.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/meg_runner.h"

namespace meg {
namespace {

using testing::Meg;

const std::string kSite = std::string(MEG_TEST_DATA_DIR) + "/sites/jeonju-hospital.toml";

TEST(DrBidCommandTest, WeekdayBidPutsTheBatteryInTheDearestHours) {
  const auto r = Meg("dr-bid --site " + kSite + " --day 2024-08-13 --net-benefit-krw-per-kwh 140 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(j["deadline"], "2024-08-12T11:00:00+09:00");
  EXPECT_EQ(j["forecast_issued"], "2024-08-12T11:00:00+09:00");
  ASSERT_EQ(j["hours"].size(), 2u) << r.out;
  EXPECT_EQ(j["hours"][0]["start"], "2024-08-13T20:00:00+09:00");
  EXPECT_DOUBLE_EQ(j["hours"][0]["quantity_kwh"].get<double>(), 172.0);
  EXPECT_EQ(j["hours"][1]["start"], "2024-08-13T21:00:00+09:00");
  EXPECT_DOUBLE_EQ(j["hours"][1]["quantity_kwh"].get<double>(), 500.0);
  for (const auto& h : j["hours"]) EXPECT_DOUBLE_EQ(h["price_krw_per_kwh"].get<double>(), 140.0);
}

TEST(DrBidCommandTest, SaturdayGetsNoBidAndBadInputIsRefused) {
  const auto sat = Meg("dr-bid --site " + kSite + " --day 2024-08-17");
  ASSERT_EQ(sat.exit_code, 0) << sat.out;
  EXPECT_NE(sat.out.find("no bid:"), std::string::npos) << sat.out;
  const auto bad = Meg("dr-bid --site " + kSite + " --day 2024-08-13 --net-benefit-krw-per-kwh -5");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("--net-benefit-krw-per-kwh '-5'"), std::string::npos) << bad.out;
  const auto early = Meg("dr-bid --site " + kSite + " --day 2024-01-05");
  EXPECT_EQ(early.exit_code, 2);
  EXPECT_NE(early.out.find("15 days of history"), std::string::npos) << early.out;
}

}  // namespace
}  // namespace meg
