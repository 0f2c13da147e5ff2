// The split LP of an aggregated DR call (optimize/dr_split.h) on cases worked by hand (the
// cheapest member fills first, energy limits, constant shares, a call the members cannot
// deliver), and on a random 20-member instance whose optimum glpsol confirms from the LP file.
#include "optimize/dr_split.h"

#include <gtest/gtest.h>

#include <random>

#include "optimize/coin/clp_cbc_solver.h"
#include "optimize/glpsol.h"

namespace meg {
namespace {

// Three members, two full hours of 500 kW: A 200 kW at 10 KRW/kWh, B 250 kW at 20, C 400 kW at 30.
DrSplitInput ThreeMembers(double requested_kw = 500, double margin = 0) {
  DrSplitInput in;
  in.hours = {{60, requested_kw}, {60, requested_kw}};
  in.members = {{"A", {200, 200}, 10, std::nullopt},
                {"B", {250, 250}, 20, std::nullopt},
                {"C", {400, 400}, 30, std::nullopt}};
  in.margin = margin;
  return in;
}

// Cheapest first: A 200, B 250, C the last 50 kW in each hour. Cost per hour 200 x 10 + 250 x 20
// + 50 x 30 = 2,000 + 5,000 + 1,500 = 8,500 KRW; 17,000 over the two hours.
TEST(DrSplitTest, TheCheapestMembersFillFirst) {
  ClpCbcSolver solver;
  auto split = SplitDrCall(ThreeMembers(), solver);
  ASSERT_TRUE(split) << split.error().message;
  ASSERT_TRUE(split->Meets());
  for (int h = 0; h < 2; ++h) {
    EXPECT_NEAR(split->share_kw[0][h], 200, 1e-6);
    EXPECT_NEAR(split->share_kw[1][h], 250, 1e-6);
    EXPECT_NEAR(split->share_kw[2][h], 50, 1e-6);
    EXPECT_NEAR(split->committed_kw[h], 500, 1e-6);
    EXPECT_EQ(split->shortfall_kw[h], 0);
  }
  EXPECT_NEAR(split->cost_krw, 17'000, 1e-6);
}

// A 10 % margin: targets of 550 kW; C takes 100 kW: 2,000 + 5,000 + 3,000 = 10,000 KRW an hour.
TEST(DrSplitTest, TheMarginIsCommittedByTheNextCheapest) {
  ClpCbcSolver solver;
  auto split = SplitDrCall(ThreeMembers(500, 0.10), solver);
  ASSERT_TRUE(split) << split.error().message;
  ASSERT_TRUE(split->Meets());
  EXPECT_NEAR(split->target_kw[0], 550, 1e-9);
  EXPECT_NEAR(split->share_kw[2][0], 100, 1e-6);
  EXPECT_NEAR(split->cost_krw, 20'000, 1e-6);
}

// B's battery holds 300 kWh for the two hours: B delivers 300 kWh (cheaper than C) in whichever
// hours, C the rest: 1,000 - 400 (A) - 300 (B) = 300 kWh. Cost 4,000 + 6,000 + 9,000 = 19,000.
// A 30-minute hour asks half the energy: with the second hour cut to 30 minutes the call needs
// 500 + 250 = 750 kWh; A gives 200 + 100, B 250 + 50 (its energy 300 at 20 is cheaper than C):
// B 300 kWh in all, C 750 - 300 - 300 = 150 kWh. Cost 3,000 + 6,000 + 4,500 = 13,500.
TEST(DrSplitTest, AnEnergyLimitSpreadsOverTheHoursAndPartialHoursCountTheirMinutes) {
  ClpCbcSolver solver;
  DrSplitInput in = ThreeMembers();
  in.members[1].energy_kwh = 300;
  auto split = SplitDrCall(in, solver);
  ASSERT_TRUE(split) << split.error().message;
  ASSERT_TRUE(split->Meets());
  EXPECT_NEAR(split->share_kw[1][0] + split->share_kw[1][1], 300, 1e-6);
  EXPECT_NEAR(split->share_kw[2][0] + split->share_kw[2][1], 300, 1e-6);
  EXPECT_NEAR(split->cost_krw, 19'000, 1e-6);

  in.hours[1].minutes = 30;
  split = SplitDrCall(in, solver);
  ASSERT_TRUE(split) << split.error().message;
  ASSERT_TRUE(split->Meets());
  EXPECT_NEAR(split->share_kw[0][1], 200, 1e-6);
  EXPECT_NEAR(split->share_kw[1][0] + split->share_kw[1][1] * 0.5, 300, 1e-6);
  EXPECT_NEAR(split->cost_krw, 13'500, 1e-6);
}

// Constant shares: A can give only 100 kW in the second hour, so 100 kW in both; B 250; C 150.
// Per hour 1,000 + 5,000 + 4,500 = 10,500 KRW; 21,000 in all. Shares per hour instead: hour 1 as
// in the first test (8,500), hour 2 A 100, B 250, C 150 (10,500): 19,000.
TEST(DrSplitTest, ConstantSharesHoldOneKwPerMemberForTheWholeCall) {
  ClpCbcSolver solver;
  DrSplitInput in = ThreeMembers();
  in.members[0].capacity_kw = {200, 100};
  in.constant_shares = true;
  auto split = SplitDrCall(in, solver);
  ASSERT_TRUE(split) << split.error().message;
  ASSERT_TRUE(split->Meets());
  for (int h = 0; h < 2; ++h) {
    EXPECT_NEAR(split->share_kw[0][h], 100, 1e-6);
    EXPECT_NEAR(split->share_kw[1][h], 250, 1e-6);
    EXPECT_NEAR(split->share_kw[2][h], 150, 1e-6);
  }
  EXPECT_NEAR(split->cost_krw, 21'000, 1e-6);
  in.constant_shares = false;
  split = SplitDrCall(in, solver);
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_NEAR(split->cost_krw, 19'000, 1e-6);
}

// 1,000 kW asked, 850 kW available: every member at its capacity, 150 kW short in each hour;
// cost (2,000 + 5,000 + 12,000) x 2 = 38,000. With C's energy at 500 kWh the shortfall is 150 +
// 150 + (800 - 500) = 600 kWh over the call, wherever C's energy goes.
TEST(DrSplitTest, ACallTheMembersCannotDeliverGetsTheBestSplitAndItsShortfall) {
  ClpCbcSolver solver;
  DrSplitInput in = ThreeMembers(1000);
  auto split = SplitDrCall(in, solver);
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_EQ(split->status, SolveStatus::kOptimal);
  EXPECT_FALSE(split->Meets());
  for (int h = 0; h < 2; ++h) {
    EXPECT_NEAR(split->committed_kw[h], 850, 1e-6);
    EXPECT_NEAR(split->shortfall_kw[h], 150, 1e-6);
  }
  EXPECT_NEAR(split->cost_krw, 38'000, 1e-3);  // the shortfall bound has a 1e-9 relative tolerance

  in.members[2].energy_kwh = 500;
  split = SplitDrCall(in, solver);
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_NEAR(split->shortfall_kw[0] + split->shortfall_kw[1], 600, 1e-6);
  EXPECT_NEAR(split->share_kw[2][0] + split->share_kw[2][1], 500, 1e-4);
}

TEST(DrSplitTest, BadInputIsAnError) {
  ClpCbcSolver solver;
  DrSplitInput in = ThreeMembers();
  in.members[1].capacity_kw = {250};
  auto split = SplitDrCall(in, solver);
  ASSERT_FALSE(split);
  EXPECT_EQ(split.error().message, "DR split member B: 1 capacities for 2 hours");
  in = ThreeMembers();
  in.members[0].capacity_kw[0] = -1;
  EXPECT_FALSE(SplitDrCall(in, solver));
  in = ThreeMembers();
  in.hours[0].minutes = 0;
  EXPECT_FALSE(SplitDrCall(in, solver));
}

// 20 members with random capacities, costs and (for some) energy limits over a 3-hour call with
// a 45-minute first hour. glpsol solves the same LP file: the same optimum. On an instance the
// members cannot deliver, glpsol finds the same cost at our shortfall, and no split at all with
// 1 kWh less shortfall: the shortfall is the least possible.
DrSplitInput RandomInstance(std::uint32_t seed, double requested_kw) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> cap(20, 200), cost(0, 120), energy(50, 400);
  DrSplitInput in;
  in.hours = {{45, requested_kw}, {60, requested_kw}, {60, requested_kw}, {60, requested_kw}};
  in.margin = 0.05;
  for (int i = 0; i < 20; ++i) {
    DrSplitMember m;
    m.id = "m" + std::to_string(i);
    for (size_t h = 0; h < in.hours.size(); ++h) m.capacity_kw.push_back(cap(rng));
    m.cost_krw_per_kwh = cost(rng);
    if (i % 3 == 0) m.energy_kwh = energy(rng);
    in.members.push_back(std::move(m));
  }
  return in;
}

TEST(DrSplitTest, GlpsolFindsTheSameOptimumOnTwentyMembers) {
  if (!testing::HaveGlpsol()) GTEST_SKIP() << "glpsol missing: run scripts/setup (glpk-utils)";
  const std::string dir = testing::TempDir("dr-split");
  ClpCbcSolver solver;
  for (const bool constant : {false, true}) {
    // Constant shares are bounded by each member's least capacity: a smaller call.
    const double requested = constant ? 700 : 1200;
    DrSplitInput in = RandomInstance(17, requested);
    in.constant_shares = constant;
    auto split = SplitDrCall(in, solver);
    ASSERT_TRUE(split) << split.error().message;
    ASSERT_TRUE(split->Meets()) << "constant " << constant;
    auto model = BuildDrSplitModel(in, 0);
    ASSERT_TRUE(model);
    const auto glpk = testing::GlpsolObjective(WriteLpFormat(*model), dir, constant ? "constant" : "hourly");
    ASSERT_TRUE(glpk.has_value());
    EXPECT_NEAR(split->cost_krw, *glpk, 1e-6 * (1 + *glpk));
    for (size_t h = 0; h < in.hours.size(); ++h) EXPECT_GE(split->committed_kw[h], requested * 1.05 - 1e-6);
  }

  DrSplitInput short_in = RandomInstance(23, 2600);
  auto split = SplitDrCall(short_in, solver);
  ASSERT_TRUE(split) << split.error().message;
  ASSERT_FALSE(split->Meets());
  double short_kwh = 0;
  for (size_t h = 0; h < short_in.hours.size(); ++h) {
    short_kwh += split->margin_shortfall_kw[h] * short_in.hours[h].minutes / 60.0;
  }
  ASSERT_GT(short_kwh, 1);
  auto at = BuildDrSplitModel(short_in, short_kwh + 1e-6);
  const auto glpk = testing::GlpsolObjective(WriteLpFormat(*at), dir, "short");
  ASSERT_TRUE(glpk.has_value());
  EXPECT_NEAR(split->cost_krw, *glpk, 1e-6 * (1 + *glpk));
  auto less = BuildDrSplitModel(short_in, short_kwh - 1);
  EXPECT_FALSE(testing::GlpsolObjective(WriteLpFormat(*less), dir, "less").has_value());
}

}  // namespace
}  // namespace meg
