// AdviseContract against hand calculations from the shipped 일반용(을) 고압A rate tables
// (data/tariff/kepco/rates.csv, 2023-11-09 tables, in force through 2024): basic charge 선택I
// 7,220, 선택II 8,320, 선택III 9,810 KRW/kW; energy rates per season and band as listed there.
#include "tariff/contract_advice.h"

#include <functional>

#include <gtest/gtest.h>

#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using testing::Ym;
using testing::Ymd;

// 2024, every 15 minutes, from `kw_at`.
PowerSeries YearOfUsage(const std::function<double(const KstDateTime&)>& kw_at) {
  const Timestamp start = StartOfKstMonth(Ym(2024, 1));
  const Timestamp end = StartOfKstMonth(Ym(2025, 1));
  std::vector<std::optional<Kilowatts>> values;
  for (Timestamp t = start; t < end; t += kInterval) values.emplace_back(Kilowatts(kw_at(ToKst(t))));
  return PowerSeries(start, kInterval, std::move(values));
}

std::vector<Month> Year2024() {
  std::vector<Month> months;
  for (unsigned m = 1; m <= 12; ++m) months.push_back(Ym(2024, m));
  return months;
}

class ContractAdviceTest : public ::testing::Test {
 protected:
  TariffBook book_ = testing::LoadShippedBook();
  HolidayCalendar calendar_ = testing::LoadSharedCalendar();
  TariffId Tariff(const char* name) { return book_.FindTariff(name).value(); }
};

// A peaky load (1,000 kW in the 14:00 quarter-hour of every weekday, 10 kW otherwise: at most
// 1,000 x 0.25 x 23 + 10 x 744 = 13,190 kWh a month) pays mostly basic charge: 선택I is the
// cheapest. The energy rates of 선택I exceed those of 선택II by at most 5.5 KRW/kWh (off-peak
// 92.8 - 87.3) and those of 선택III by at most 17.9 (summer peak 227.8 - 209.9): at most 72,545
// and 236,101 KRW a month, against 1,100 and 2,590 KRW x 1,000 kW more basic charge. The same
// bound orders 선택II before 선택III (12.4 x 13,190 = 163,556 < 1,490,000). A flat 1,000 kW
// (at least 8,784 h x 1,000 kW a year) saves at least 6.1 KRW/kWh under 선택III against 선택I
// (the smallest gap, winter off-peak 99.8 - 93.7 and mid-peak 145.7 - 139.6): 53.6 M KRW a year
// against 12 x 2,590,000 = 31.1 M KRW more basic charge: 선택III is cheaper than 선택I.
TEST_F(ContractAdviceTest, TheTariffOptionFollowsTheLoadFactor) {
  const PowerSeries peaky = YearOfUsage([](const KstDateTime& t) {
    const auto wd = t.weekday();
    const bool weekday = wd != std::chrono::Saturday && wd != std::chrono::Sunday;
    return weekday && t.minute_of_day == 14 * 60 ? 1000.0 : 10.0;
  });
  ContractAdviceRequest r;
  r.current = Tariff("일반용(을) 고압A 선택III");
  r.contract_power = Kilowatts(1000);
  r.usage = &peaky;
  r.months = Year2024();
  r.contract_kw = {1000};
  auto a = AdviseContract(book_, calendar_, r);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_EQ(a->tariffs.size(), 3u);  // 고압A only: the voltage in force
  EXPECT_EQ(a->tariffs[0].tariff, Tariff("일반용(을) 고압A 선택I"));
  EXPECT_EQ(a->tariffs[1].tariff, Tariff("일반용(을) 고압A 선택II"));
  EXPECT_EQ(a->tariffs[2].tariff, Tariff("일반용(을) 고압A 선택III"));
  EXPECT_EQ(a->in_force.total, a->tariffs[2].total);
  EXPECT_EQ(a->tariffs[0].basic, Won(12 * 1000 * 7220));  // billing demand 1,000 kW every month
  EXPECT_EQ(a->recommended.tariff, Tariff("일반용(을) 고압A 선택I"));

  const PowerSeries flat = YearOfUsage([](const KstDateTime&) { return 1000.0; });
  r.usage = &flat;
  r.contract_power = Kilowatts(1500);
  r.contract_kw = {1500};
  auto b = AdviseContract(book_, calendar_, r);
  ASSERT_TRUE(b) << b.error().message;
  const auto total_of = [&](const char* name) {
    for (const PricedContract& p : b->tariffs) {
      if (p.tariff == Tariff(name)) return p.total;
    }
    ADD_FAILURE() << name << " not priced";
    return Won(0);
  };
  EXPECT_LT(total_of("일반용(을) 고압A 선택III"), total_of("일반용(을) 고압A 선택I"));
}

// 500 kW flat, with one quarter-hour of 800 kW on Tuesday 2024-08-06 at 14:00 (a counted slot).
// Steady state: the August peak of the year before (the same year) carries into every month
// (art. 68 ①: January to July see the previous August within their 11 months, September to
// December this one), so the billing demand is 800 kW all year: 12 x 800 x 7,220 = 69,312,000
// KRW of basic charge under 선택I. (From an empty history January to July would bill 500 kW.)
// At 3,000 kW of contract power the 30 % floor, 900 kW, bills every month: 12 x 900 x 7,220 =
// 77,976,000 KRW. At 700 kW August exceeds the contract by 100 kW (14 %: 150 %, art. 67-3 ③),
// charged since the August before exceeded too: 100 x 7,220 x 1.5 = 1,083,000 KRW.
// The hotter summer (June-September x 1.05) peaks at 840 kW: at 820 kW of contract power August
// exceeds by 20 kW (150 %); at 840 kW nothing exceeds, and every contract power up to the floor's
// (840 / 0.3 = 2,800 kW) bills the same, so the smallest, 840 kW, is recommended.
TEST_F(ContractAdviceTest, FloorRatchetSurchargeAndTheHotterSummer) {
  const PowerSeries usage = YearOfUsage(
      [](const KstDateTime& t) { return t.date == Ymd(2024, 8, 6) && t.minute_of_day == 14 * 60 ? 800.0 : 500.0; });
  ContractAdviceRequest r;
  r.current = Tariff("일반용(을) 고압A 선택I");
  r.contract_power = Kilowatts(1000);
  r.usage = &usage;
  r.months = Year2024();
  r.contract_kw = {700, 820, 840, 850, 3000};
  auto a = AdviseContract(book_, calendar_, r);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->max_demand_kw, 800);
  EXPECT_EQ(a->counted_peak_kw, 800);
  EXPECT_EQ(a->hotter_max_demand_kw, 840);
  EXPECT_EQ(a->in_force.basic, Won(69'312'000));
  EXPECT_EQ(a->in_force.billing_demand_kw, 800);
  EXPECT_EQ(a->in_force.over_contract_months, 0);

  // The contract sweep prices the cheapest option at the contract in force; its basic rate is
  // the table's (rates.csv), read here to check the surcharge.
  const TariffId best = a->tariffs.front().tariff;
  const RateTable* rates = book_.RatesOn(best, Ymd(2024, 8, 1));
  ASSERT_NE(rates, nullptr);
  const std::int64_t rate = rates->basic.milli_won() / 1000;
  ASSERT_EQ(a->contracts.size(), 5u);
  const PricedContract& c700 = a->contracts[0];
  const PricedContract& c820 = a->contracts[1];
  const PricedContract& c840 = a->contracts[2];
  const PricedContract& c850 = a->contracts[3];
  const PricedContract& c3000 = a->contracts[4];
  EXPECT_EQ(c700.contract_kw, 700);
  EXPECT_EQ(c700.over_contract_months, 1);
  EXPECT_EQ(c700.over_contract, Won(100 * rate * 3 / 2));
  EXPECT_EQ(c700.basic, Won(12 * 800 * rate));
  EXPECT_EQ(c820.over_contract_months, 0);
  EXPECT_EQ(c820.hotter_over_contract_months, 1);
  EXPECT_EQ(c820.hotter_over_contract, Won(20 * rate * 3 / 2));
  EXPECT_EQ(c840.hotter_over_contract_months, 0);
  EXPECT_EQ(c840.total, c850.total);
  EXPECT_EQ(c840.hotter_total, c850.hotter_total);
  EXPECT_EQ(c3000.floor_months, 12);
  EXPECT_EQ(c3000.basic, Won(12 * 900 * rate));
  EXPECT_EQ(c3000.billing_demand_kw, 900);
  EXPECT_EQ(a->recommended.contract_kw, 840);
  EXPECT_EQ(a->recommended.tariff, best);
  if (best == Tariff("일반용(을) 고압A 선택I")) {
    EXPECT_EQ(c700.over_contract, Won(1'083'000));
    EXPECT_EQ(c3000.basic, Won(77'976'000));
  }

  // The automatic grid: 80 % of 800 to 130 % of 840 kW in 10 kW steps (640 ... 1,100) and the
  // contract in force (1,000, already on it): 47 contract powers.
  r.contract_kw.clear();
  auto grid = AdviseContract(book_, calendar_, r);
  ASSERT_TRUE(grid) << grid.error().message;
  ASSERT_EQ(grid->contracts.size(), 47u);
  EXPECT_EQ(grid->contracts.front().contract_kw, 640);
  EXPECT_EQ(grid->contracts.back().contract_kw, 1100);
  EXPECT_EQ(grid->recommended.contract_kw, 840);
}

// A site on Jeju is advised on Jeju's hours (별표3 다만 4): every tariff priced keeps the region.
// The peaky load above, but at 19:00: Jeju's 최대부하 (16-22 h), the mainland's 중간부하 in every
// season (별표3 제1호: 18-22 h, winter 19-22 h).
TEST_F(ContractAdviceTest, AJejuSiteIsAdvisedOnJejusHours) {
  const PowerSeries peaky = YearOfUsage([](const KstDateTime& t) {
    const auto wd = t.weekday();
    const bool weekday = wd != std::chrono::Saturday && wd != std::chrono::Sunday;
    return weekday && t.minute_of_day == 19 * 60 ? 1000.0 : 10.0;
  });
  ContractAdviceRequest r;
  r.current = Tariff("일반용(을) 고압A 선택III 제주");
  r.contract_power = Kilowatts(1000);
  r.usage = &peaky;
  r.months = Year2024();
  r.contract_kw = {1000};
  auto jeju = AdviseContract(book_, calendar_, r);
  ASSERT_TRUE(jeju) << jeju.error().message;
  ASSERT_EQ(jeju->tariffs.size(), 3u);
  for (const PricedContract& p : jeju->tariffs) EXPECT_EQ(p.tariff.region, Region::kJeju) << OfficialName(p.tariff);
  r.current = Tariff("일반용(을) 고압A 선택III");
  auto mainland = AdviseContract(book_, calendar_, r);
  ASSERT_TRUE(mainland) << mainland.error().message;
  // 19:00-19:15 is 최대부하 on Jeju and 중간부하 on the mainland: Jeju's energy charge is higher.
  EXPECT_GT(jeju->in_force.energy.value(), mainland->in_force.energy.value());
}

TEST_F(ContractAdviceTest, RefusesWhatCannotBeJudged) {
  const PowerSeries usage = YearOfUsage([](const KstDateTime&) { return 500.0; });
  ContractAdviceRequest r;
  r.current = Tariff("일반용(을) 고압A 선택I");
  r.contract_power = Kilowatts(1000);
  r.usage = &usage;
  r.months = {Ym(2024, 1), Ym(2024, 2)};
  auto few = AdviseContract(book_, calendar_, r);
  ASSERT_FALSE(few);
  EXPECT_NE(few.error().message.find("12 whole months"), std::string::npos) << few.error().message;
  r.months = Year2024();
  r.months.push_back(Ym(2025, 1));
  auto uncovered = AdviseContract(book_, calendar_, r);
  ASSERT_FALSE(uncovered);
  EXPECT_NE(uncovered.error().message.find("2025-01"), std::string::npos) << uncovered.error().message;
  r.months = Year2024();
  r.contract_power = Kilowatts(200);
  auto small = AdviseContract(book_, calendar_, r);
  ASSERT_FALSE(small);
  EXPECT_NE(small.error().message.find("300"), std::string::npos) << small.error().message;
  r.contract_power = Kilowatts(1000);
  r.hotter_pct = -5;
  EXPECT_FALSE(AdviseContract(book_, calendar_, r));
}

}  // namespace
}  // namespace meg
