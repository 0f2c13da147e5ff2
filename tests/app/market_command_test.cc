// End-to-end tests of `meg broker` and `meg market`: the real binary on the real data sets.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "app/meg_runner.h"

namespace meg {
namespace {

using testing::Meg;
using testing::MegRun;

// The GIST aggregate of August 2022 under the physics + ridge forecaster: below the 20 MW entry
// size, settled as if admitted; the members' shares sum to the aggregate's incentive, which is
// 3 or 4 KRW per kWh paid.
TEST(MarketCommandTest, BrokerGistAugustJson) {
  const MegRun run = Meg("broker --dataset gist-pv --month 2022-08 --forecaster model --json");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto j = nlohmann::json::parse(run.out.substr(run.out.find('{')));
  EXPECT_FALSE(j["admitted"].get<bool>());
  EXPECT_TRUE(j["settled_as_if_admitted"].get<bool>());
  EXPECT_LT(j["capacity_kw"].get<double>(), 20'000);
  EXPECT_GT(j["capacity_kw"].get<double>(), 300);
  const auto& agg = j["aggregate"];
  EXPECT_GT(agg["qualifying_hours"].get<int>(), 100);
  EXPECT_LE(agg["within_6pct_hours"].get<int>(), agg["within_8pct_hours"].get<int>());
  EXPECT_LE(agg["within_8pct_hours"].get<int>(), agg["qualifying_hours"].get<int>());
  const double paid_kwh = agg["paid_kwh"].get<double>();
  const long long total = agg["incentive_krw"].get<long long>();
  EXPECT_GT(total, 0);
  EXPECT_GE(static_cast<double>(total), 3 * paid_kwh - 1);
  EXPECT_LE(static_cast<double>(total), 4 * paid_kwh + 1);
  long long shares = 0;
  for (const auto& m : j["members"]) shares += m["incentive_krw"].get<long long>();
  EXPECT_EQ(shares, total);
  EXPECT_GE(j["members"].size(), 5u);
}

TEST(MarketCommandTest, BrokerTextNotesTheEntrySize) {
  const MegRun run = Meg("broker --dataset gist-pv --month 2022-08 --forecaster naive --jeju");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("BELOW the 20 MW entry size"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("aggregate"), std::string::npos);
  EXPECT_NE(run.out.find("Jeju x 0.5"), std::string::npos);
}

TEST(MarketCommandTest, BrokerRejectsBadOptions) {
  EXPECT_EQ(Meg("broker --forecaster crystal-ball").exit_code, 2);
  EXPECT_EQ(Meg("broker --month 2023-01").exit_code, 2);
  EXPECT_EQ(Meg("broker --dataset cnu").exit_code, 2);
}

// The market demo balances: every kWh bought is sold and every won paid is received; no site is
// worse off than with the grid only (each trades within its limits).
TEST(MarketCommandTest, MarketDemoBalances) {
  const MegRun run = Meg("market --date 2024-08-12 --json");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const auto j = nlohmann::json::parse(run.out.substr(run.out.find('{')));
  double bought = 0, sold = 0;
  long long paid = 0, received = 0;
  for (const auto& s : j["sites"]) {
    bought += s["bought_kwh"].get<double>();
    sold += s["sold_kwh"].get<double>();
    paid += s["paid_krw"].get<long long>();
    received += s["received_krw"].get<long long>();
    EXPECT_GE(s["savings_krw"].get<long long>(), -1) << s["site"];
  }
  EXPECT_GT(bought, 0);
  EXPECT_NEAR(bought, sold, 1e-6);
  EXPECT_EQ(paid, received);
  long long value = 0;
  for (const auto& c : j["intervals"]) value += c["value_krw"].get<long long>();
  EXPECT_EQ(value, paid);
}

TEST(MarketCommandTest, MarketText) {
  const MegRun run = Meg("market");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("intervals traded"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("hospital"), std::string::npos);
  EXPECT_EQ(Meg("market --date 2024-13-01").exit_code, 2);
  EXPECT_EQ(Meg("market --date 2023-08-14").exit_code, 1);  // no SMP row for 2023
}

}  // namespace
}  // namespace meg
