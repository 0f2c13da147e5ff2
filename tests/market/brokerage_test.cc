// The ch. 14 forecast incentive of an aggregated resource, against hand calculation from the
// definitions (전력시장운영규칙 제14.1.1조 11호, 12호; 제14.4.2조 ②, ③; 별표2 rates as summarised
// in ../shared/reference/korea-energy-market.md 3.5).
#include "market/brokerage.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <random>
#include <vector>

namespace meg {
namespace {

const Timestamp kStart = FromKst(std::chrono::year{2024} / 8 / 12, 10 * 60);

IntervalSeries<KilowattHours> Hourly(const std::vector<std::optional<double>>& kwh) {
  std::vector<std::optional<KilowattHours>> v;
  for (const auto& x : kwh) v.push_back(x ? std::optional(KilowattHours(*x)) : std::nullopt);
  return IntervalSeries<KilowattHours>(kStart, std::chrono::hours{1}, std::move(v));
}

BrokerageMember Member(std::string name, double kw, const std::vector<std::optional<double>>& f,
                       const std::vector<std::optional<double>>& m) {
  return BrokerageMember{std::move(name), Kilowatts(kw), Hourly(f), Hourly(m), {}};
}

// Settles as if admitted (the test portfolios are far below 20 MW).
ForecastIncentiveRules AsIfAdmitted() {
  ForecastIncentiveRules r;
  r.settle_below_entry_capacity = true;
  return r;
}

// Two members, capacity 600 + 400 = 1,000 kW, four hours:
//  hour  F_A  M_A  F_B  M_B |  F    M   CF %  |F-M|/C %  tier    rate  incentive
//   0    300  290  200  150 | 500  440  44.0   6.0      <= 6 %  4     4 x 440 = 1,760
//   1    300  250  200  170 | 500  420  42.0   8.0      <= 8 %  3     3 x 420 = 1,260
//   2    300  240  200  170 | 500  410  41.0   9.0      none    0     0
//   3     60   50   40   40 | 100   90   9.0   1.0      CF < 10 %: not qualifying
// Total 1,760 + 1,260 = 3,020 KRW. Error exactly 6 % and 8 % fall in the better tier.
TEST(BrokerageTest, HandComputedTiersAtTheThresholds) {
  const std::vector<BrokerageMember> members = {
      Member("A", 600, {300, 300, 300, 60}, {290, 250, 240, 50}),
      Member("B", 400, {200, 200, 200, 40}, {150, 170, 170, 40})};
  auto s = SettleForecastIncentive(members, AsIfAdmitted());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_DOUBLE_EQ(s->capacity.value(), 1000);
  EXPECT_FALSE(s->admitted);
  EXPECT_TRUE(s->paid);
  ASSERT_EQ(s->hours.size(), 4u);
  EXPECT_DOUBLE_EQ(s->hours[0].error_pct, 6.0);
  EXPECT_EQ(s->hours[0].tier, IncentiveTier::kTier1);
  EXPECT_EQ(s->hours[0].incentive, MilliWon(1'760'000));
  EXPECT_DOUBLE_EQ(s->hours[1].error_pct, 8.0);
  EXPECT_EQ(s->hours[1].tier, IncentiveTier::kTier2);
  EXPECT_EQ(s->hours[1].incentive, MilliWon(1'260'000));
  EXPECT_EQ(s->hours[2].tier, IncentiveTier::kNone);
  EXPECT_TRUE(s->hours[2].qualifies);
  EXPECT_FALSE(s->hours[3].qualifies);  // CF 9 % although the error is 1 %
  EXPECT_EQ(s->hours[3].incentive, MilliWon(0));
  EXPECT_EQ(s->settled_hours, 4u);
  EXPECT_EQ(s->qualifying_hours, 3u);
  EXPECT_EQ(s->within_6pct, 1u);
  EXPECT_EQ(s->within_8pct, 2u);
  EXPECT_DOUBLE_EQ(s->mean_error_pct, (6.0 + 8.0 + 9.0) / 3);
  EXPECT_DOUBLE_EQ(s->paid_kwh.value(), 440 + 420);
  EXPECT_EQ(s->incentive, Won(3020));
}

// Paid on METERED energy, not on the forecast: F = 500, M = 450, C = 1,000: e = 5 %,
// 4 x 450 = 1,800 KRW (4 x 500 = 2,000 would be the forecast's).
TEST(BrokerageTest, PaidOnMeteredEnergy) {
  auto s = SettleForecastIncentive({Member("A", 1000, {500}, {450})}, AsIfAdmitted());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->incentive, Won(1800));
}

// Capacity factor exactly 10 % qualifies (">= 10 %"): M = 100 of 1,000 kW, F = 130: e = 3 %:
// 4 x 100 = 400 KRW. One kWh less (CF 9.9 %) earns nothing.
TEST(BrokerageTest, CapacityFactorExactlyTenPercentQualifies) {
  auto at = SettleForecastIncentive({Member("A", 1000, {130}, {100})}, AsIfAdmitted());
  ASSERT_TRUE(at);
  EXPECT_TRUE(at->hours[0].qualifies);
  EXPECT_EQ(at->incentive, Won(400));
  auto below = SettleForecastIncentive({Member("A", 1000, {130}, {99})}, AsIfAdmitted());
  ASSERT_TRUE(below);
  EXPECT_FALSE(below->hours[0].qualifies);
  EXPECT_EQ(below->incentive, Won(0));
}

// Decimal inputs exactly at a threshold: C = 33.3 kW, M = 10.1, F = 10.1 + 0.06 x 33.3 = 12.098
// -> e = 1.998 / 33.3 = 6 % (the binary error of the decimals is absorbed), tier 1:
// 4 x 10.1 = 40.4 KRW = 40,400 milli-won, 40 KRW.
TEST(BrokerageTest, DecimalErrorExactlyAtSixPercent) {
  auto s = SettleForecastIncentive({Member("A", 33.3, {12.098}, {10.1})}, AsIfAdmitted());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->hours[0].tier, IncentiveTier::kTier1);
  EXPECT_EQ(s->incentive_exact, MilliWon(40'400));
  EXPECT_EQ(s->incentive, Won(40));
}

// Jeju: rates x 0.5 -> 2 and 1.5 KRW/kWh. The first test's book: 2 x 440 + 1.5 x 420 = 880 + 630
// = 1,510 KRW.
TEST(BrokerageTest, JejuHalvesTheRates) {
  ForecastIncentiveRules r = AsIfAdmitted();
  r.jeju = true;
  EXPECT_EQ(IncentiveRate(IncentiveTier::kTier1, r), WonPerKwh::FromMilliWon(2000));
  EXPECT_EQ(IncentiveRate(IncentiveTier::kTier2, r), WonPerKwh::FromMilliWon(1500));
  const std::vector<BrokerageMember> members = {
      Member("A", 600, {300, 300, 300, 60}, {290, 250, 240, 50}),
      Member("B", 400, {200, 200, 200, 40}, {150, 170, 170, 40})};
  auto s = SettleForecastIncentive(members, r);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->incentive, Won(1510));
}

// Entry size: the aggregate must exceed 20 MW (제14.1.1조 5호). Exactly 20,000 kW is not admitted
// and, by default, paid nothing; 20,001 kW is. Hour: C = 20,000, M = 10,000, F = 10,500, e =
// 2.5 %: 4 x 10,000 = 40,000 KRW.
TEST(BrokerageTest, EntrySizeMustExceedTwentyMegawatts) {
  auto at =
      SettleForecastIncentive({Member("A", 20'000, {10'500}, {10'000})}, ForecastIncentiveRules{});
  ASSERT_TRUE(at);
  EXPECT_FALSE(at->admitted);
  EXPECT_EQ(at->incentive, Won(0));
  EXPECT_EQ(at->within_6pct, 1u);  // still scored
  auto above =
      SettleForecastIncentive({Member("A", 20'001, {10'500}, {10'000})}, ForecastIncentiveRules{});
  ASSERT_TRUE(above);
  EXPECT_TRUE(above->admitted);
  EXPECT_EQ(above->incentive, Won(40'000));
}

// Judged on the aggregate, not per member: A over-forecasts by 60, B under-forecasts by 60; the
// aggregate error is 0 % although each member alone is at 60 / 500 = 12 % (no incentive alone).
// C = 1,000, M = 200 + 300 = 500, F = 260 + 240 = 500: 4 x 500 = 2,000 KRW.
// Distribution pro rata to metered energy: A 2,000 x 200/500 = 800, B 1,200.
TEST(BrokerageTest, JudgedOnTheAggregateAndSplitByMeteredEnergy) {
  const std::vector<BrokerageMember> members = {Member("A", 500, {260}, {200}),
                                                Member("B", 500, {240}, {300})};
  auto s = SettleForecastIncentive(members, AsIfAdmitted());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->incentive, Won(2000));
  EXPECT_EQ(s->members[0].incentive, Won(800));
  EXPECT_EQ(s->members[1].incentive, Won(1200));
  EXPECT_EQ(s->members[0].within_8pct, 0u);  // own error 12 %
  EXPECT_EQ(s->members[0].qualifying_hours, 1u);
  EXPECT_DOUBLE_EQ(s->members[0].mean_error_pct, 12.0);
  EXPECT_EQ(s->members[0].standalone_incentive, MilliWon(0));
}

// Other distributions of the same 2,000 KRW. By capacity: 500/1,000 each: 1,000 + 1,000.
// By own accuracy: both members earn nothing alone -> falls back to metered energy: 800 + 1,200.
// Own accuracy where A is more accurate: A F=200 M=200 (0 %, weight 4 x 200 = 800), B F=300 M=340
// (8 %, the 3 KRW tier: weight 3 x 340 = 1,020); aggregate F = 500, M = 540, e = 40 / 1,000 = 4 %:
// 4 x 540 = 2,160 KRW; A 2,160 x 800 / 1,820 = 949.45, B 2,160 x 1,020 / 1,820 = 1,210.55 ->
// 949 + 1,210 = 2,159, the won left goes to the larger remainder (B): 949 and 1,211. (Pro rata
// to metered energy it would be 800 and 1,360: the test tells the two rules apart.)
TEST(BrokerageTest, CapacityAndOwnAccuracyDistributions) {
  ForecastIncentiveRules r = AsIfAdmitted();
  r.distribution = IncentiveDistribution::kCapacity;
  auto cap =
      SettleForecastIncentive({Member("A", 500, {260}, {200}), Member("B", 500, {240}, {300})}, r);
  ASSERT_TRUE(cap);
  EXPECT_EQ(cap->members[0].incentive, Won(1000));
  EXPECT_EQ(cap->members[1].incentive, Won(1000));
  r.distribution = IncentiveDistribution::kOwnAccuracy;
  auto fallback =
      SettleForecastIncentive({Member("A", 500, {260}, {200}), Member("B", 500, {240}, {300})}, r);
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->members[0].incentive, Won(800));
  auto own =
      SettleForecastIncentive({Member("A", 500, {200}, {200}), Member("B", 500, {300}, {340})}, r);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->incentive, Won(2160));
  EXPECT_EQ(own->members[0].incentive, Won(949));
  EXPECT_EQ(own->members[1].incentive, Won(1211));
}

// Three equal members share an odd total: M = 10.1 each of 3 x 100 kW, F = M: 4 x 30.3 = 121.2
// KRW -> 121 won; exact shares 40.333 each -> 40, 40, 40 and the 1 won left over goes to the first
// (largest remainder, ties to the earlier member): 41, 40, 40.
TEST(BrokerageTest, LeftOverWonGoesToTheEarliestOfEqualRemainders) {
  auto s =
      SettleForecastIncentive({Member("A", 100, {10.1}, {10.1}), Member("B", 100, {10.1}, {10.1}),
                               Member("C", 100, {10.1}, {10.1})},
                              AsIfAdmitted());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->incentive, Won(121));
  EXPECT_EQ(s->members[0].incentive, Won(41));
  EXPECT_EQ(s->members[1].incentive, Won(40));
  EXPECT_EQ(s->members[2].incentive, Won(40));
}

// Random portfolios (fixed seed): the member shares always sum to the total, the hours to the
// exact total, under each distribution.
TEST(BrokerageTest, MemberSharesSumToTheTotal) {
  int paid = 0;
  std::mt19937 rng(8);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<BrokerageMember> members;
    const int n = 1 + static_cast<int>(u(rng) * 6);
    for (int k = 0; k < n; ++k) {
      std::vector<std::optional<double>> f, m;
      const double cap = 10 + 990 * u(rng);
      for (int h = 0; h < 24; ++h) {
        const double sun = std::max(0.0, std::sin((h - 6) * 3.14159 / 12));
        const double actual = std::round(cap * sun * u(rng) * 1000) / 1000;
        m.push_back(actual);
        f.push_back(std::max(0.0, actual + cap * 0.1 * (u(rng) - 0.5)));
      }
      members.push_back(Member(fmt::format("m{}", k), cap, f, m));
    }
    ForecastIncentiveRules r = AsIfAdmitted();
    r.distribution = static_cast<IncentiveDistribution>(trial % 3);
    auto s = SettleForecastIncentive(members, r);
    ASSERT_TRUE(s);
    Won sum;
    for (const auto& m : s->members) {
      EXPECT_GE(m.incentive.value(), 0);
      sum += m.incentive;
    }
    EXPECT_EQ(sum, s->incentive) << "trial " << trial;
    if (s->incentive.value() > 0) ++paid;
    MilliWon hours;
    for (const auto& h : s->hours) hours += h.incentive;
    EXPECT_EQ(hours, s->incentive_exact);
  }
  EXPECT_GT(paid, 250);
}

// Curtailment (제14.4.2조 ③ 3호): B is curtailed in the hour, so its capacity, forecast and metered
// energy leave the aggregate: C = 600, F = 300, M = 290: e = 10/600 = 1.67 %, CF 48 %:
// 4 x 290 = 1,160 KRW, all to A. (With B in, e would be |500 - 340| / 1,000 = 16 %.)
TEST(BrokerageTest, CurtailedMemberLeavesTheHour) {
  std::vector<BrokerageMember> members = {Member("A", 600, {300}, {290}),
                                          Member("B", 400, {200}, {50})};
  members[1].curtailed = {true};
  auto s = SettleForecastIncentive(members, AsIfAdmitted());
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->hours[0].capacity.value(), 600);
  EXPECT_EQ(s->incentive, Won(1160));
  EXPECT_EQ(s->members[0].incentive, Won(1160));
  EXPECT_EQ(s->members[1].incentive, Won(0));
}

// Missing data: by default the hour is not settled; kExcludeMember treats the member as curtailed
// (same figures as above: 1,160 KRW).
TEST(BrokerageTest, MissingMemberDataPolicy) {
  const std::vector<BrokerageMember> members = {Member("A", 600, {300}, {290}),
                                                Member("B", 400, {200}, {std::nullopt})};
  auto skip = SettleForecastIncentive(members, AsIfAdmitted());
  ASSERT_TRUE(skip);
  EXPECT_FALSE(skip->hours[0].settled);
  EXPECT_EQ(skip->settled_hours, 0u);
  EXPECT_EQ(skip->incentive, Won(0));
  ForecastIncentiveRules r = AsIfAdmitted();
  r.missing = MissingMemberData::kExcludeMember;
  auto exclude = SettleForecastIncentive(members, r);
  ASSERT_TRUE(exclude);
  EXPECT_TRUE(exclude->hours[0].settled);
  EXPECT_EQ(exclude->incentive, Won(1160));
}

// Rounding of the total: one hour M = F = 10.4 of C = 100: 4 x 10.4 = 41.6 KRW -> 42 half up,
// 41 truncated.
TEST(BrokerageTest, TotalRounding) {
  auto half_up = SettleForecastIncentive({Member("A", 100, {10.4}, {10.4})}, AsIfAdmitted());
  ASSERT_TRUE(half_up);
  EXPECT_EQ(half_up->incentive_exact, MilliWon(41'600));
  EXPECT_EQ(half_up->incentive, Won(42));
  ForecastIncentiveRules r = AsIfAdmitted();
  r.truncate_to_won = true;
  auto cut = SettleForecastIncentive({Member("A", 100, {10.4}, {10.4})}, r);
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->incentive, Won(41));
}

TEST(BrokerageTest, InvalidInput) {
  EXPECT_FALSE(SettleForecastIncentive({}, AsIfAdmitted()));
  EXPECT_FALSE(SettleForecastIncentive({Member("A", 0, {1}, {1})}, AsIfAdmitted()));
  EXPECT_FALSE(SettleForecastIncentive({Member("A", 10, {1}, {-1})}, AsIfAdmitted()));
  EXPECT_FALSE(SettleForecastIncentive({Member("A", 10, {std::nan("")}, {1})}, AsIfAdmitted()));
  EXPECT_FALSE(SettleForecastIncentive({Member("A", 10, {1}, {1}), Member("A", 10, {1}, {1})},
                                       AsIfAdmitted()));
  EXPECT_FALSE(SettleForecastIncentive({Member("A", 10, {1}, {1}), Member("B", 10, {1, 2}, {1, 2})},
                                       AsIfAdmitted()));
  BrokerageMember quarter = Member("A", 10, {1}, {1});
  quarter.metered = IntervalSeries<KilowattHours>(kStart, kInterval, {KilowattHours(1)});
  quarter.forecast = quarter.metered;
  auto e = SettleForecastIncentive({quarter}, AsIfAdmitted());
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace meg
