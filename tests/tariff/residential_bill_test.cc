// 주택용 bills (별표1 1., art. 56, 67 ③ ⑤), each month priced by hand in the comments from the
// supply terms (기본공급약관 2024-10-24 별표1(A) 1.가, 1.나) and the 2024-07-01 tariff sheet (p. 1);
// none is taken from the code under test. Levies in force in 2024: 기후환경요금 9.0, 연료비조정
// 5.0, VAT 10 % rounded to the won, the fund 3.2 % truncated below 10 won, the total truncated
// below 10 won.
#include <gtest/gtest.h>

#include "tariff/bill.h"
#include "tariff/slot_price.h"
#include "tariff/tariff_compare.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using testing::LoadSharedCalendar;
using testing::LoadShippedBook;
using testing::MonthOfUsage;
using testing::Ym;

class ResidentialBillTest : public ::testing::Test {
 protected:
  ResidentialBillTest() : book_(LoadShippedBook()), calendar_(LoadSharedCalendar()) {}

  Result<MonthlyBill> Bill(const char* tariff, double contract_kw, Month m, double flat_kw, int households = 1,
                           int reading_day = 1) {
    usage_ = MonthOfUsage(m, [flat_kw](const KstDateTime&) { return flat_kw; });
    BillRequest r;
    r.tariff = book_.FindTariff(tariff).value();
    r.contract_power = Kilowatts(contract_kw);
    r.usage = &usage_;
    r.households = households;
    r.reading_day = reading_day;
    return ComputeMonthlyBill(book_, calendar_, r, m, {});
  }

  TariffBook book_;
  HolidayCalendar calendar_;
  PowerSeries usage_;
};

// 주택용 저압, October 2024 (the standard blocks), a flat 0.5 kW: 31 x 24 x 0.5 = 372 kWh.
//   energy: 200 x 120.0 = 24,000 + 172 x 214.6 = 36,911.2 -> 60,911 (truncated)
//   basic: 201-400 kWh -> 1,600; climate 372 x 9.0 = 3,348; fuel 372 x 5.0 = 1,860
//   subtotal 67,719; VAT 6,771.9 -> 6,772; fund 2,167.008 -> 2,160; total 76,651 -> 76,650
TEST_F(ResidentialBillTest, LowVoltageMonthInTwoBlocks) {
  auto bill = Bill("주택용 저압", 3, Ym(2024, 10), 0.5);
  ASSERT_TRUE(bill) << bill.error().message;
  ASSERT_EQ(bill->energy_lines.size(), 2u);
  EXPECT_EQ(bill->energy_lines[0].block, 1);
  EXPECT_EQ(bill->energy_lines[0].kwh, 200);
  EXPECT_EQ(bill->energy_lines[0].block_upto_kwh, 200);
  EXPECT_EQ(bill->energy_lines[1].block, 2);
  EXPECT_EQ(bill->energy_lines[1].kwh, 172);
  EXPECT_EQ(bill->energy_kwh, 372);
  EXPECT_EQ(bill->energy, Won(60'911));
  EXPECT_EQ(bill->basic_per_household, Won(1'600));
  EXPECT_EQ(bill->basic, Won(1'600));
  EXPECT_EQ(bill->billing_demand_kw, 0);  // no 요금적용전력
  EXPECT_EQ(bill->climate, Won(3'348));
  EXPECT_EQ(bill->fuel, Won(1'860));
  EXPECT_EQ(bill->subtotal, Won(67'719));
  EXPECT_EQ(bill->vat, Won(6'772));
  EXPECT_EQ(bill->fund, Won(2'160));
  EXPECT_EQ(bill->total, Won(76'650));
}

// 주택용 저압, August 2024: 하계 blocks (300 / 450, 1.가(6)) and the 슈퍼유저요금 beyond 1,000 kWh
// (1.가(5)). A flat 1.5 kW: 31 x 24 x 1.5 = 1,116 kWh.
//   energy: 300 x 120.0 = 36,000; 150 x 214.6 = 32,190; 550 x 307.3 = 169,015;
//           116 x 736.2 = 85,399.2 -> 322,604
//   basic: beyond 450 kWh -> 7,300; climate 10,044; fuel 5,580; subtotal 345,528;
//   VAT 34,552.8 -> 34,553; fund 11,056.896 -> 11,050; total 391,131 -> 391,130
TEST_F(ResidentialBillTest, SummerBlocksAndTheSuperUserRate) {
  auto bill = Bill("residential low", 3, Ym(2024, 8), 1.5);
  ASSERT_TRUE(bill) << bill.error().message;
  ASSERT_EQ(bill->energy_lines.size(), 4u);
  EXPECT_EQ(bill->energy_lines[0].kwh, 300);
  EXPECT_EQ(bill->energy_lines[1].kwh, 150);
  EXPECT_EQ(bill->energy_lines[2].kwh, 550);
  EXPECT_EQ(bill->energy_lines[3].block, 4);
  EXPECT_EQ(bill->energy_lines[3].kwh, 116);
  EXPECT_EQ(bill->energy_lines[3].rate, WonPerKwh::FromMilliWon(736'200));
  EXPECT_EQ(bill->energy, Won(322'604));
  EXPECT_EQ(bill->basic, Won(7'300));
  EXPECT_EQ(bill->subtotal, Won(345'528));
  EXPECT_EQ(bill->total, Won(391'130));
  // The same usage in October (31 days, 1,116 kWh too): no 슈퍼유저요금 outside 하계 and 동계, and the
  // standard blocks: 200 x 120.0 + 200 x 214.6 + 716 x 307.3 = 24,000 + 42,920 + 220,026.8 -> 286,946.
  auto october = Bill("residential low", 3, Ym(2024, 10), 1.5);
  ASSERT_TRUE(october) << october.error().message;
  ASSERT_EQ(october->energy_lines.size(), 3u);
  EXPECT_EQ(october->energy_lines[2].kwh, 716);
  EXPECT_EQ(october->energy, Won(24'000 + 42'920 + 220'026));  // 716 x 307.3 = 220,026.8
}

// An apartment complex at 고압 on one contract (art. 67 ③ 1): the total kWh over the households
// gives the average, whose bill times the households is the bill. 100 households, October 2024,
// a flat 40 kW: 31 x 24 x 40 = 29,760 kWh, 297.6 per household.
//   per household: 200 x 105.0 = 21,000 + 97.6 x 174.0 = 16,982.4 = 37,982.4; x 100 = 3,798,240
//   basic: 201-400 kWh -> 1,260 x 100 = 126,000; climate 267,840; fuel 148,800
//   subtotal 4,340,880; VAT 434,088; fund 138,908.16 -> 138,900; total 4,913,868 -> 4,913,860
TEST_F(ResidentialBillTest, HighVoltageApartmentBillsTheAverageTimesTheHouseholds) {
  auto bill = Bill("주택용 고압A", 300, Ym(2024, 10), 40, 100);
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->households, 100);
  ASSERT_EQ(bill->energy_lines.size(), 2u);
  EXPECT_EQ(bill->energy_lines[0].kwh, 20'000);
  EXPECT_EQ(bill->energy_lines[1].kwh, 9'760);
  EXPECT_EQ(bill->energy, Won(3'798'240));
  EXPECT_EQ(bill->basic, Won(126'000));
  EXPECT_EQ(bill->subtotal, Won(4'340'880));
  EXPECT_EQ(bill->vat, Won(434'088));
  EXPECT_EQ(bill->fund, Won(138'900));
  EXPECT_EQ(bill->total, Won(4'913'860));
  // No over-contract surcharge: 주택용 has no 요금적용전력 (art. 67-3).
  EXPECT_FALSE(bill->over_contract_incurred);
}

// 월간 최저요금 1,000 KRW (1.가(3)): a 저압 month without use has 910 KRW of basic charge, raised to
// 1,000; VAT 100; fund 32 -> 30; total 1,130. 고압 has none (1.나(3) 삭제): 730; VAT 73; fund
// 23.36 -> 20; total 823 -> 820.
TEST_F(ResidentialBillTest, TheMinimumChargeIsLowVoltagesOnly) {
  auto low = Bill("주택용 저압", 3, Ym(2024, 10), 0);
  ASSERT_TRUE(low) << low.error().message;
  EXPECT_EQ(low->energy, Won(0));
  EXPECT_EQ(low->basic, Won(1'000));
  EXPECT_EQ(low->total, Won(1'130));
  ASSERT_FALSE(low->notes.empty());
  EXPECT_NE(low->notes.front().find("the minimum charge applies"), std::string::npos) << low->notes.front();
  auto high = Bill("주택용 고압A", 3, Ym(2024, 10), 0);
  ASSERT_TRUE(high) << high.error().message;
  EXPECT_EQ(high->basic, Won(730));
  EXPECT_EQ(high->total, Won(820));
}

// What is refused, with the reason: a period across 하계's start read on the 15th (the split is
// the 세칙's); households on another class; no households; a slot price for the planner.
TEST_F(ResidentialBillTest, RefusesWhatTheReferenceDoesNotSay) {
  usage_ = MonthOfUsage(Ym(2024, 6), [](const KstDateTime&) { return 1.0; });
  PowerSeries july = MonthOfUsage(Ym(2024, 7), [](const KstDateTime&) { return 1.0; });
  std::vector<std::optional<Kilowatts>> both;
  for (size_t i = 0; i < usage_.size(); ++i) both.push_back(usage_.at(i));
  for (size_t i = 0; i < july.size(); ++i) both.push_back(july.at(i));
  const PowerSeries two(usage_.start(), kInterval, std::move(both));
  BillRequest r;
  r.tariff = book_.FindTariff("주택용 저압").value();
  r.contract_power = Kilowatts(3);
  r.usage = &two;
  r.reading_day = 15;
  auto across = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 6), {});
  ASSERT_FALSE(across);
  EXPECT_EQ(across.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(across.error().message.find("spans two 주택용 seasons (other and jul_aug)"), std::string::npos)
      << across.error().message;
  r.reading_day = 1;
  EXPECT_TRUE(ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 6), {}));
  r.households = 0;
  EXPECT_FALSE(ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 6), {}));
  r.households = 2;
  r.tariff = book_.FindTariff("일반용(갑)I 저압").value();
  r.contract_power = Kilowatts(10);
  auto general = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 6), {});
  ASSERT_FALSE(general);
  EXPECT_NE(general.error().message.find("only a 주택용 bill counts households"), std::string::npos);
  auto slot = PriceDay(book_, calendar_, book_.FindTariff("주택용 저압").value(), testing::Ymd(2024, 6, 3), {});
  ASSERT_FALSE(slot);
  EXPECT_EQ(slot.error().code, ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace meg
