// Bills of the (갑) and 교육용 classes (issue 22). Every expected figure is worked by hand from the
// supply terms (기본공급약관 2024-10-24) and the 2024-07-01 tariff sheet, the arithmetic in the
// comments; none is taken from the code under test.
//
// October 2024 as KEPCO meters it (as in bill_test.cc): holidays are the Sundays 6, 13, 20, 27 and
// 3 (개천절) and 9 (한글날); Oct 1 (임시공휴일) is a weekday (별표3 다만 3); Saturdays 5, 12, 19, 26.
// Spring/fall hours (별표3 제1호): 경부하 22-08 (10 h), 중간부하 08-11, 12-13, 18-22 (8 h), 최대부하
// 11-12, 13-18 (6 h); a Saturday's 최대부하 energy is 중간부하; a holiday is all 경부하.
// Levies in force: 기후환경요금 9.0, 연료비조정 5.0 (2024-Q4), VAT 10 % rounded to the won, the fund
// 3.2 % truncated below 10 won, the total truncated below 10 won.
#include <algorithm>

#include <gtest/gtest.h>

#include "tariff/bill.h"
#include "tariff/tariff_compare.h"
#include "tariff/tariff_fixture.h"
#include "tariff/tou.h"

namespace meg {
namespace {

using testing::LoadSharedCalendar;
using testing::LoadShippedBook;
using testing::MonthOfUsage;
using testing::Ym;

class BillClassesTest : public ::testing::Test {
 protected:
  BillClassesTest() : book_(LoadShippedBook()), calendar_(LoadSharedCalendar()) {}

  Result<MonthlyBill> Bill(const char* tariff, double contract_kw, Month m, const PowerSeries& usage,
                           const DemandHistory& history = {}) {
    BillRequest r;
    r.tariff = book_.FindTariff(tariff).value();
    r.contract_power = Kilowatts(contract_kw);
    r.usage = &usage;
    return ComputeMonthlyBill(book_, calendar_, r, m, history);
  }

  // kWh of the registers of one band under the rate table in force from `from`.
  static std::int64_t KwhIn(const MonthlyBill& b, Band band, Date from) {
    std::int64_t sum = 0;
    for (const auto& e : b.energy_lines) {
      if (e.band == band && e.rates_from == from) sum += e.kwh;
    }
    return sum;
  }

  TariffBook book_;
  HolidayCalendar calendar_;
};

// 일반용(갑)I 저압 (별표1 2.가(1)): basic 6,160 KRW/kW on the contract power (저압 has no demand
// meter, art. 38 ②, 68 ②), one energy rate for all hours: spring/fall 91.9 KRW/kWh.
// Contract 100 kW, a flat 20 kW in October 2024: 31 x 24 x 20 = 14,880 kWh.
TEST_F(BillClassesTest, GeneralGapOneLowVoltageBillsTheContractPowerAndOneRate) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 20.0; });
  auto bill = Bill("일반용(갑)I 저압", 100, Ym(2024, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  ASSERT_EQ(bill->energy_lines.size(), 1u);
  EXPECT_TRUE(bill->energy_lines[0].all_hours);
  EXPECT_EQ(bill->energy_lines[0].kwh, 14'880);
  EXPECT_EQ(bill->energy, Won(1'367'472));  // 14,880 x 91.9
  EXPECT_TRUE(bill->contract_power_billed);
  EXPECT_EQ(bill->billing_demand_kw, 100);  // the contract power, not the 20 kW peak
  EXPECT_EQ(bill->basic, Won(616'000));     // 100 x 6,160
  EXPECT_EQ(bill->climate, Won(133'920));   // 14,880 x 9.0
  EXPECT_EQ(bill->fuel, Won(74'400));       // 14,880 x 5.0
  // 616,000 + 1,367,472 + 133,920 + 74,400
  EXPECT_EQ(bill->subtotal, Won(2'191'792));
  EXPECT_EQ(bill->vat, Won(219'179));                       // 219,179.2
  EXPECT_EQ(bill->fund, Won(70'130));                       // 70,137.344
  EXPECT_EQ(bill->total, Won(2'481'100));                   // 2,481,101
  EXPECT_TRUE(bill->notes.empty()) << bill->notes.front();  // no ratchet months to ask for
  // 일반용(갑)I at 고압 is the table of a customer metered at 저압; the others take (갑)II (art. 57 ④).
  auto high = Bill("일반용(갑)I 고압A 선택I", 100, Ym(2024, 10), usage);
  ASSERT_TRUE(high) << high.error().message;
  ASSERT_FALSE(high->notes.empty());
  EXPECT_NE(high->notes.front().find("a 일반용(갑)I customer supplied at 고압 takes 일반용(갑)II"), std::string::npos)
      << high->notes.front();
}

// 교육용(갑) 고압A 선택I (별표1 3.가(2)): basic 5,550 KRW/kW, summer 123.3 KRW/kWh for all hours.
// 고압 has a demand meter, so the 12-month rule of art. 68 ① sets 요금적용전력; and a class
// without hour bands counts every 15 minutes for demand: 별표3's holiday rule is for the classes
// it lists. August 2024, contract 500 kW, a flat 200 kW and 420 kW on Sunday Aug 4 at 14:00
// (+220 x 0.25 = 55 kWh): 31 x 24 x 200 + 55 = 148,855 kWh.
TEST_F(BillClassesTest, EducationGapCountsASundayPeakForDemand) {
  const auto usage = MonthOfUsage(Ym(2024, 8), [](const KstDateTime& t) {
    return t.date == testing::Ymd(2024, 8, 4) && t.minute_of_day == 14 * 60 ? 420.0 : 200.0;
  });
  auto bill = Bill("교육용(갑) 고압A 선택I", 500, Ym(2024, 8), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_FALSE(bill->contract_power_billed);
  EXPECT_EQ(bill->billing_demand_kw, 420);
  EXPECT_EQ(bill->energy_kwh, 148'855);
  EXPECT_EQ(bill->energy, Won(18'353'821));  // 148,855 x 123.3 = 18,353,821.5, truncated
  EXPECT_EQ(bill->basic, Won(2'331'000));    // 420 x 5,550
  EXPECT_EQ(bill->climate, Won(1'339'695));  // 148,855 x 9.0
  EXPECT_EQ(bill->fuel, Won(744'275));       // 148,855 x 5.0
  EXPECT_EQ(bill->subtotal, Won(22'768'791));
  EXPECT_EQ(bill->vat, Won(2'276'879));     // 2,276,879.1
  EXPECT_EQ(bill->fund, Won(728'600));      // 728,601.312
  EXPECT_EQ(bill->total, Won(25'774'270));  // 22,768,791 + 2,276,879 + 728,600
  // The same month under 교육용(을)'s hour bands would not count the Sunday: a TOU class's peak is
  // the weekday 200 kW.
  auto eul = Bill("교육용(을) 고압A 선택I", 1000, Ym(2024, 8), usage);
  ASSERT_TRUE(eul) << eul.error().message;
  EXPECT_EQ(eul->peak_kw, 200);
}

// 산업용(갑)II 고압A 선택I (별표1 2.라): time of use on 별표3 제1호's hours, and the 2024-10-24 table
// (+8.5 KRW/kWh on every rate) from the 24th. A flat 100 kW, contract 200 kW, October 2024.
// Oct 1-23: 15 weekdays, 3 Saturdays (5, 12, 19), 5 holidays (3, 6, 9, 13, 20).
//   경부하 15x10x100 + 3x10x100 + 5x24x100 = 30,000; 중간부하 15x8x100 + 3x14x100 = 16,200;
//   최대부하 15x6x100 = 9,000 kWh at 87.2 / 92.0 / 111.2 (the 2024-07-01 sheet).
// Oct 24-31: 6 weekdays, 1 Saturday (26), 1 holiday (27).
//   경부하 6x1,000 + 1,000 + 2,400 = 9,400; 중간부하 6x800 + 1,400 = 6,200; 최대부하 6x600 = 3,600 kWh
//   at 95.7 / 100.5 / 119.7 (2024-10-24 별표1(A) 2.라).
TEST_F(BillClassesTest, IndustrialGapTwoSplitsTheMonthAtTheRateChange) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 100.0; });
  auto bill = Bill("산업용(갑)II 고압A 선택I", 200, Ym(2024, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  const Date old_from = testing::Ymd(2024, 1, 1), new_from = testing::Ymd(2024, 10, 24);
  EXPECT_EQ(KwhIn(*bill, Band::kOffPeak, old_from), 30'000);
  EXPECT_EQ(KwhIn(*bill, Band::kMid, old_from), 16'200);
  EXPECT_EQ(KwhIn(*bill, Band::kPeak, old_from), 9'000);
  EXPECT_EQ(KwhIn(*bill, Band::kOffPeak, new_from), 9'400);
  EXPECT_EQ(KwhIn(*bill, Band::kMid, new_from), 6'200);
  EXPECT_EQ(KwhIn(*bill, Band::kPeak, new_from), 3'600);
  // 2,616,000 + 1,490,400 + 1,000,800 + 899,580 + 623,100 + 430,920
  EXPECT_EQ(bill->energy, Won(7'060'800));
  EXPECT_EQ(bill->billing_demand_kw, 100);  // above the 30 % floor of 60 kW
  EXPECT_EQ(bill->basic, Won(649'000));     // 100 x 6,490, the same basic rate in both tables
  EXPECT_EQ(bill->climate, Won(669'600));   // 74,400 x 9.0
  EXPECT_EQ(bill->fuel, Won(372'000));      // 74,400 x 5.0
  EXPECT_EQ(bill->subtotal, Won(8'751'400));
  EXPECT_EQ(bill->vat, Won(875'140));
  EXPECT_EQ(bill->fund, Won(280'040));  // 280,044.8
  EXPECT_EQ(bill->total, Won(9'906'580));
}

// 교육용(을) 고압A 선택I (별표1 3.나): basic 6,090, spring/fall 76.5 / 90.9 / 111.4 KRW/kWh on the
// same hours. A flat 500 kW in October 2024 meters 197,000 / 112,000 / 63,000 kWh (bill_test.cc's
// first month).
TEST_F(BillClassesTest, EducationEulPricesTheBandsOfItsOwnTable) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 500.0; });
  auto bill = Bill("교육용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
  ASSERT_TRUE(bill) << bill.error().message;
  // 197,000 x 76.5 + 112,000 x 90.9 + 63,000 x 111.4 = 15,070,500 + 10,180,800 + 7,018,200
  EXPECT_EQ(bill->energy, Won(32'269'500));
  EXPECT_EQ(bill->basic, Won(3'045'000));      // 500 x 6,090
  EXPECT_EQ(bill->subtotal, Won(40'522'500));  // + 3,348,000 climate + 1,860,000 fuel
  EXPECT_EQ(bill->total, Won(45'871'470));     // + 4,052,250 VAT + 1,296,720 fund
}

// Art. 67-3 ① 2 and ④: a 저압 customer billed on contract power that uses more than 450 kWh per kW
// of it a month. 일반용(갑)I 저압, contract 10 kW, November 2024 (winter, 119.0 KRW/kWh), a flat
// 11 kW: 30 x 24 x 11 = 7,920 kWh; 4,500 allowed; 2,700 kWh from 451 to 720 kWh/kW and 720 kWh
// beyond 720 kWh/kW. The surcharge's unit is 119.0 + 9.0 + 5.0 = 133.0 KRW/kWh.
TEST_F(BillClassesTest, ContractPowerCustomerPaysForKwhBeyond450PerKw) {
  const auto usage = MonthOfUsage(Ym(2024, 11), [](const KstDateTime&) { return 11.0; });
  // The first time is only announced (④).
  auto first = Bill("일반용(갑)I 저압", 10, Ym(2024, 11), usage);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->over_energy_kwh, 3'420);
  EXPECT_TRUE(first->over_contract_incurred);
  EXPECT_EQ(first->over_contract, Won(0));
  ASSERT_FALSE(first->notes.empty());
  EXPECT_NE(first->notes.back().find("the first such month is a warning"), std::string::npos) << first->notes.back();
  // The 5th time (four months before it exceeded): 200 % on the first tier, 300 % beyond 720.
  DemandHistory history;
  for (int m = 5; m <= 8; ++m) history.Record(MonthDemand{Ym(2024, static_cast<unsigned>(m)), 11, true, false});
  auto fifth = Bill("일반용(갑)I 저압", 10, Ym(2024, 11), usage, history);
  ASSERT_TRUE(fifth) << fifth.error().message;
  EXPECT_EQ(fifth->over_contract_multiplier_pct, 200);
  // 2,700 x 133.0 x 2 + 720 x 133.0 x 3 = 718,200 + 287,280
  EXPECT_EQ(fifth->over_contract, Won(1'005'480));
  EXPECT_EQ(fifth->energy, Won(942'480));  // 7,920 x 119.0
  EXPECT_EQ(fifth->basic, Won(61'600));    // 10 x 6,160
  // 61,600 + 942,480 + 71,280 climate + 39,600 fuel + 1,005,480
  EXPECT_EQ(fifth->subtotal, Won(2'120'440));
  EXPECT_EQ(fifth->total, Won(2'400'330));  // + 212,044 VAT + 67,850 fund (67,854.08) = 2,400,334
  // The 2nd time: 150 %, and the 720 kWh beyond 720 kWh/kW still at 300 %.
  DemandHistory once;
  once.Record(MonthDemand{Ym(2024, 10), 11, true, false});
  auto second = Bill("일반용(갑)I 저압", 10, Ym(2024, 11), usage, once);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->over_contract, Won(825'930));  // 2,700 x 133.0 x 1.5 + 287,280 = 538,650 + 287,280
}

// The 2026 reform's hours reach 일반용(갑)II and 산업용(갑)II from 2026-06-01 (shared reference
// korea-energy-market.md 2.4b): the same table as 일반용(을)'s from that day, the 2023 one before.
TEST_F(BillClassesTest, GapTwoClassesTakeTheNewHoursOnJuneFirst2026) {
  for (const TariffClass c : {TariffClass::kGeneralGap2, TariffClass::kIndustrialGap2}) {
    const BandTable* before = book_.BandsOn(c, testing::Ymd(2026, 5, 31));
    const BandTable* after = book_.BandsOn(c, testing::Ymd(2026, 6, 1));
    const BandTable* general = book_.BandsOn(TariffClass::kGeneralEul, testing::Ymd(2026, 6, 1));
    ASSERT_TRUE(before && after && general) << ClassName(c);
    EXPECT_EQ(after->effective_from, testing::Ymd(2026, 6, 1)) << ClassName(c);
    EXPECT_EQ(after->slots, general->slots) << ClassName(c);
    // Summer 15:00: 최대부하 from 2026-06-01 (15-21 h); 13-18 h was 최대부하 before too, but 11:00
    // was 최대부하 and is now 중간부하 (08-15 h).
    EXPECT_EQ(before->slots[0][11 * 4], Band::kPeak) << ClassName(c);
    EXPECT_EQ(after->slots[0][11 * 4], Band::kMid) << ClassName(c);
  }
  EXPECT_EQ(book_.BandsOn(TariffClass::kEducationEul, testing::Ymd(2026, 6, 1))->effective_from,
            testing::Ymd(2023, 1, 1));
}

// meg bill --compare's list: the same use, voltage and contract power; hand-priced ranking.
// A flat 200 kW in October 2024 (148,800 kWh; climate 1,339,200, fuel 744,000) at 500 kW under
// 교육용(갑) 고압A (별표1 3.가(2), spring/fall):
//   선택I:  200 x 5,550 = 1,110,000 + 148,800 x 86.5 = 12,871,200 -> subtotal 16,064,400,
//           VAT 1,606,440, fund 514,060 (514,060.8) -> total 18,184,900.
//   선택II: 200 x 6,370 = 1,274,000 + 148,800 x 82.1 = 12,216,480 -> subtotal 15,573,680,
//           VAT 1,557,368, fund 498,350 (498,357.76) -> 17,629,398 -> total 17,629,390.
TEST_F(BillClassesTest, CompareRanksTheOptionsOfTheSameUseVoltageAndContract) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [](const KstDateTime&) { return 200.0; });
  BillRequest r;
  r.tariff = book_.FindTariff("교육용(갑) 고압A 선택I").value();
  r.contract_power = Kilowatts(500);
  r.usage = &usage;
  auto ranked = CompareTariffs(book_, calendar_, r, {Ym(2024, 10)}, {});
  ASSERT_TRUE(ranked) << ranked.error().message;
  ASSERT_EQ(ranked->size(), 2u);  // 교육용(을) needs 1,000 kW; 저압 and 고압B are other voltages
  EXPECT_EQ(OfficialName((*ranked)[0].tariff), "교육용(갑) 고압A 선택II");
  EXPECT_EQ((*ranked)[0].total, Won(17'629'390));
  EXPECT_FALSE((*ranked)[0].in_force);
  EXPECT_EQ(OfficialName((*ranked)[1].tariff), "교육용(갑) 고압A 선택I");
  EXPECT_EQ((*ranked)[1].total, Won(18'184'900));
  EXPECT_TRUE((*ranked)[1].in_force);
  EXPECT_EQ((*ranked)[1].basic, Won(1'110'000));
  EXPECT_EQ((*ranked)[1].energy, Won(12'871'200 + 1'339'200 + 744'000));

  // 산업용 at 200 kW 고압A: (갑)II's options; (갑)I 고압 is for a customer metered at 저압 (art. 59
  // ⑤), compared only when it is the tariff in force. At 300 kW the (을) options.
  auto names_of = [](const std::vector<TariffCost>& list) {
    std::vector<std::string> names;
    for (const auto& c : list) names.push_back(OfficialName(c.tariff));
    std::sort(names.begin(), names.end());
    return names;
  };
  r.tariff = book_.FindTariff("산업용(갑)II 고압A 선택II").value();
  r.contract_power = Kilowatts(200);
  auto gap = CompareTariffs(book_, calendar_, r, {Ym(2024, 10)}, {});
  ASSERT_TRUE(gap) << gap.error().message;
  EXPECT_EQ(names_of(*gap), (std::vector<std::string>{"산업용(갑)II 고압A 선택I", "산업용(갑)II 고압A 선택II"}));
  r.tariff = book_.FindTariff("산업용(갑)I 고압A 선택I").value();
  auto gap1 = CompareTariffs(book_, calendar_, r, {Ym(2024, 10)}, {});
  ASSERT_TRUE(gap1) << gap1.error().message;
  EXPECT_EQ(names_of(*gap1), (std::vector<std::string>{"산업용(갑)I 고압A 선택I", "산업용(갑)I 고압A 선택II",
                                                       "산업용(갑)II 고압A 선택I", "산업용(갑)II 고압A 선택II"}));
  r.tariff = book_.FindTariff("산업용(을) 고압A 선택I").value();
  r.contract_power = Kilowatts(300);
  auto eul = CompareTariffs(book_, calendar_, r, {Ym(2024, 10)}, {});
  ASSERT_TRUE(eul) << eul.error().message;
  EXPECT_EQ(eul->size(), 3u);
  // A contract outside the class in force is its error, not a silent list of others.
  r.contract_power = Kilowatts(200);
  auto bad = CompareTariffs(book_, calendar_, r, {Ym(2024, 10)}, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("takes a whole number of kW"), std::string::npos) << bad.error().message;
  // 교육용 at 1,200 kW: (을)'s options; 교육용(갑) 고압 only where it is the tariff in force, a school's
  // (art. 58 ④), whose options are then compared with (을)'s.
  r.tariff = book_.FindTariff("교육용(을) 고압A 선택I").value();
  r.contract_power = Kilowatts(1200);
  auto college = CompareTariffs(book_, calendar_, r, {Ym(2024, 10)}, {});
  ASSERT_TRUE(college) << college.error().message;
  EXPECT_EQ(names_of(*college), (std::vector<std::string>{"교육용(을) 고압A 선택I", "교육용(을) 고압A 선택II"}));
  r.tariff = book_.FindTariff("교육용(갑) 고압A 선택II").value();
  auto school = CompareTariffs(book_, calendar_, r, {Ym(2024, 10)}, {});
  ASSERT_TRUE(school) << school.error().message;
  EXPECT_EQ(names_of(*school), (std::vector<std::string>{"교육용(갑) 고압A 선택I", "교육용(갑) 고압A 선택II",
                                                         "교육용(을) 고압A 선택I", "교육용(을) 고압A 선택II"}));
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// Jeju's hours (별표3 다만 4): 경부하 22-08, 중간부하 08-16, 최대부하 16-22 in every season; the rates
// are the mainland's. 일반용(을) 고압A 선택I, October 2024 (spring/fall: 92.8 / 115.3 / 146.0), on
// the 21 weekdays 400 kW from 11:00 to 12:00 and 200 kW from 19:00 to 20:00, nothing else:
//   mainland: 11-12 h is 최대부하 (8,400 kWh), 19-20 h 중간부하 (4,200 kWh):
//             8,400 x 146.0 + 4,200 x 115.3 = 1,226,400 + 484,260 = 1,710,660 KRW;
//   Jeju:     11-12 h is 중간부하, 19-20 h 최대부하:
//             8,400 x 115.3 + 4,200 x 146.0 = 968,520 + 613,200 = 1,581,720 KRW.
TEST_F(BillClassesTest, JejuTakesItsOwnHours) {
  const auto usage = MonthOfUsage(Ym(2024, 10), [this](const KstDateTime& t) {
    if (ClassifyDay(t.date, calendar_) != DayKind::kWeekday) return 0.0;
    if (t.minute_of_day >= 11 * 60 && t.minute_of_day < 12 * 60) return 400.0;
    if (t.minute_of_day >= 19 * 60 && t.minute_of_day < 20 * 60) return 200.0;
    return 0.0;
  });
  auto mainland = Bill("일반용(을) 고압A 선택I", 1000, Ym(2024, 10), usage);
  ASSERT_TRUE(mainland) << mainland.error().message;
  EXPECT_EQ(mainland->energy, Won(1'710'660));
  auto jeju = Bill("일반용(을) 고압A 선택I 제주", 1000, Ym(2024, 10), usage);
  ASSERT_TRUE(jeju) << jeju.error().message;
  EXPECT_EQ(jeju->energy, Won(1'581'720));
  EXPECT_EQ(OfficialName(jeju->tariff), "일반용(을) 고압A 선택I 제주");
  EXPECT_EQ(AsciiAlias(jeju->tariff), "general-eul high-a I jeju");
  EXPECT_EQ(book_.FindTariff("general-eul high-a I jeju").value(), jeju->tariff);
  // Both count 11-12 h and 19-20 h for demand (중간/최대부하 either way): 400 kW.
  EXPECT_EQ(jeju->peak_kw, 400);
  EXPECT_EQ(mainland->peak_kw, 400);
  // 2026: the mainland's reform hours do not move Jeju's (no 2026 Jeju table is in the reference).
  const BandTable* t2026 = book_.BandsOn(TariffClass::kGeneralEul, testing::Ymd(2026, 7, 1), Region::kJeju);
  ASSERT_NE(t2026, nullptr);
  EXPECT_EQ(t2026->slots[0][16 * 4], Band::kPeak);
  EXPECT_EQ(t2026->slots[0][15 * 4], Band::kMid);
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// A flat `kw` from `first` to `end` (exclusive), KST days.
PowerSeries FlatDays(Date first, Date end, double kw) {
  const Timestamp start = FromKst(first);
  std::vector<std::optional<Kilowatts>> v(static_cast<size_t>((FromKst(end) - start) / kInterval), Kilowatts(kw));
  return PowerSeries(start, kInterval, std::move(v));
}

// 정기검침일 (art. 69): the bill named 2024-06 of a meter read on the 15th covers 2024-06-15 to
// 2024-07-14 (30 days), across the fund's change from 3.7 % to 3.2 % on 2024-07-01.
// 일반용(을) 고압A 선택I, contract 1,000 kW, a flat 500 kW. The days: Saturdays 6-15, 22, 29, 7-6,
// 13 (5); Sundays 6-16, 23, 30, 7-7, 14 (5; no holiday in the period, 현충일 6-6 is before it);
// weekdays 20. Summer hours (별표3 제1호): weekday 경부하 10 h, 중간부하 8 h, 최대부하 6 h; Saturday
// 경부하 10 h, 중간부하 14 h; Sunday 경부하 24 h.
//   경부하 20x10x500 + 5x10x500 + 5x24x500 = 185,000 kWh x 92.8 = 17,168,000
//   중간부하 20x8x500 + 5x14x500 = 115,000 kWh x 145.7 = 16,755,500
//   최대부하 20x6x500 = 60,000 kWh x 227.8 = 13,668,000 -> energy 47,591,500
//   basic 500 x 7,220 x 30/30 = 3,610,000; climate 360,000 x 9.0 = 3,240,000; fuel 360,000 x 5.0
//   (2024-Q2 and Q3) = 1,800,000; subtotal 56,241,500; VAT 5,624,150
//   fund: 16 days at 3.7 % and 14 at 3.2 %: 56,241,500 x (16 x 3.7 + 14 x 3.2) / 30 / 100
//         = 56,241,500 x 104 / 3,000 = 1,949,705.33 -> 1,949,700
//   total 56,241,500 + 5,624,150 + 1,949,700 = 63,815,350
TEST_F(BillClassesTest, AReadingDayOtherThanTheFirstSpansTwoMonths) {
  const auto usage = FlatDays(testing::Ymd(2024, 6, 15), testing::Ymd(2024, 7, 15), 500);
  BillRequest r;
  r.tariff = book_.FindTariff("일반용(을) 고압A 선택I").value();
  r.contract_power = Kilowatts(1000);
  r.usage = &usage;
  r.reading_day = 15;
  auto bill = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 6), {});
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->period_first, testing::Ymd(2024, 6, 15));
  EXPECT_EQ(bill->period_end, testing::Ymd(2024, 7, 15));
  EXPECT_EQ(bill->days_in_month, 30);
  EXPECT_EQ(bill->days_billed, 30);
  EXPECT_EQ(bill->energy_kwh, 360'000);
  EXPECT_EQ(bill->energy, Won(47'591'500));
  EXPECT_EQ(bill->basic, Won(3'610'000));
  EXPECT_EQ(bill->subtotal, Won(56'241'500));
  EXPECT_EQ(bill->vat, Won(5'624'150));
  EXPECT_EQ(bill->fund, Won(1'949'700));
  EXPECT_EQ(bill->total, Won(63'815'350));
  ASSERT_FALSE(bill->notes.empty());
  EXPECT_NE(bill->notes.back().find("the fund's rate changes within the period"), std::string::npos)
      << bill->notes.back();
  // The same period billed as calendar months is refused for June: the data starts on the 15th.
  r.reading_day = 1;
  EXPECT_FALSE(ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 6), {}));
  r.reading_day = 29;
  auto bad = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 6), {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("정기검침일 is a day of the month, 1..28"), std::string::npos);
}

// A period across a change of the fuel-cost adjustment: each day's kWh at its day's rate (art.
// 80). The shipped tables with 2024-Q3 set to -1.0 KRW/kWh: Jun 15-30 16 x 24 x 500 = 192,000 kWh
// at +5.0, Jul 1-14 168,000 kWh at -1.0: 960,000 - 168,000 = 792,000; climate 3,240,000 as above.
//   subtotal 3,610,000 + 47,591,500 + 3,240,000 + 792,000 = 55,233,500; VAT 5,523,350;
//   fund 55,233,500 x 104 / 3,000 = 1,914,761.33 -> 1,914,760; total 62,671,610
TEST_F(BillClassesTest, AFuelChangeInsideAPeriodPricesEachDaysKwhAtItsRate) {
  const std::string dir = std::string(MEG_TEST_DATA_DIR) + "/tariff/kepco";
  auto book = TariffBook::Load(dir, [](const std::string& p) -> Result<std::string> {
    auto text = ReadTextFile(p);
    if (!text || !p.ends_with("fuel_adjustment.csv")) return text;
    const auto at = text->find("2024-Q3,5.0,");
    if (at == std::string::npos) return InvalidInput("the fixture expects 2024-Q3 at 5.0");
    return text->replace(at, 12, "2024-Q3,-1.0,");
  });
  ASSERT_TRUE(book) << book.error().message;
  const auto usage = FlatDays(testing::Ymd(2024, 6, 15), testing::Ymd(2024, 7, 15), 500);
  BillRequest r;
  r.tariff = book->FindTariff("일반용(을) 고압A 선택I").value();
  r.contract_power = Kilowatts(1000);
  r.usage = &usage;
  r.reading_day = 15;
  auto bill = ComputeMonthlyBill(*book, calendar_, r, Ym(2024, 6), {});
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->climate, Won(3'240'000));
  EXPECT_EQ(bill->fuel, Won(792'000));
  EXPECT_EQ(bill->total, Won(62'671'610));
}

// Which periods a year of data covers with the meter read on the 15th: 2023-12 (Dec 15 - Jan 14)
// to 2024-12 (Dec 15 - Jan 14, 2025), whole only 2024-01 to 2024-11.
TEST(BillingPeriodTest, ReadOnTheFifteenth) {
  const auto usage = FlatDays(testing::Ymd(2024, 1, 1), testing::Ymd(2025, 1, 1), 1);
  const auto months = MonthsCovered(usage, 15);
  ASSERT_EQ(months.size(), 13u);
  EXPECT_EQ(months.front(), Ym(2023, 12));
  EXPECT_EQ(months.back(), Ym(2024, 12));
  int whole = 0;
  for (const Month m : months) whole += CoversWholeMonth(usage, m, 15);
  EXPECT_EQ(whole, 11);
  EXPECT_FALSE(CoversWholeMonth(usage, Ym(2023, 12), 15));
  EXPECT_TRUE(CoversWholeMonth(usage, Ym(2024, 11), 15));
  EXPECT_FALSE(CoversWholeMonth(usage, Ym(2024, 12), 15));
  const BillingPeriod feb = PeriodOf(Ym(2024, 2), 28);
  EXPECT_EQ(feb.first, testing::Ymd(2024, 2, 28));
  EXPECT_EQ(feb.end, testing::Ymd(2024, 3, 28));
  // Reading day 1 is the calendar month, as before.
  EXPECT_EQ(MonthsCovered(usage).size(), 12u);
  EXPECT_EQ(PeriodOf(Ym(2024, 2), 1).end, testing::Ymd(2024, 3, 1));
}

// The shipped tables and calendar, and a request for a flat load over whole KST days.
class FlatLoadBillTest : public ::testing::Test {
 protected:
  FlatLoadBillTest() : book_(LoadShippedBook()), calendar_(LoadSharedCalendar()) {}

  // `tariff` at `contract_kw` for a flat `kw` from `first` to `end` (exclusive).
  BillRequest Request(const char* tariff, double contract_kw, Date first, Date end, double kw) {
    usage_ = FlatDays(first, end, kw);
    BillRequest r;
    r.tariff = book_.FindTariff(tariff).value();
    r.contract_power = Kilowatts(contract_kw);
    r.usage = &usage_;
    return r;
  }

  TariffBook book_;
  HolidayCalendar calendar_;
  PowerSeries usage_;
};
using FarmTariffTest = FlatLoadBillTest;
using EvTariffTest = FlatLoadBillTest;

// 농사용(을) 저압 (별표1(B) 4. 농사용전력(a) 나(1) to 2025-03-31, (b) from 2025-04-01): basic 1,150
// KRW/kW on the contract power, one energy rate all year, 63.3 then 65.9 KRW/kWh. Read on the 15th,
// the bill named 2025-03 covers 2025-03-15 to 04-14 (31 days) and takes each day's table (art. 80).
// Contract 50 kW, a flat 30 kW: Mar 15-31 17 x 24 x 30 = 12,240 kWh x 63.3 = 774,792.0;
//   Apr 1-14 14 x 24 x 30 = 10,080 kWh x 65.9 = 664,272.0 -> energy 1,439,064
//   22,320 kWh are within 450 x 50 = 22,500: no surcharge (art. 67-3 ① 2)
//   basic 50 x 1,150 = 57,500 (the same in both tables); climate 22,320 x 9.0 = 200,880; fuel
//   (2025-Q1, Q2) 22,320 x 5.0 = 111,600; subtotal 1,809,044; VAT 180,904.4 -> 180,904; fund 3.2 %
//   57,889.408 -> 57,880; total 2,047,828 -> 2,047,820
TEST_F(FarmTariffTest, FarmEulLowTakesThe2025PhaseInByDay) {
  BillRequest r = Request("농사용(을) 저압", 50, testing::Ymd(2025, 3, 15), testing::Ymd(2025, 4, 15), 30);
  r.reading_day = 15;
  auto bill = ComputeMonthlyBill(book_, calendar_, r, Ym(2025, 3), {});
  ASSERT_TRUE(bill) << bill.error().message;
  ASSERT_EQ(bill->energy_lines.size(), 2u);
  EXPECT_EQ(bill->energy_lines[0].rates_from, testing::Ymd(2025, 1, 1));
  EXPECT_EQ(bill->energy_lines[0].kwh, 12'240);
  EXPECT_EQ(bill->energy_lines[1].rates_from, testing::Ymd(2025, 4, 1));
  EXPECT_EQ(bill->energy_lines[1].kwh, 10'080);
  EXPECT_EQ(bill->energy, Won(1'439'064));
  EXPECT_TRUE(bill->contract_power_billed);
  EXPECT_EQ(bill->basic, Won(57'500));
  EXPECT_FALSE(bill->over_contract_incurred);
  EXPECT_EQ(bill->subtotal, Won(1'809'044));
  EXPECT_EQ(bill->vat, Won(180'904));
  EXPECT_EQ(bill->fund, Won(57'880));
  EXPECT_EQ(bill->total, Won(2'047'820));
}

// 농사용(갑) (별표1 4.가: basic 360 KRW/kW, 41.9 KRW/kWh for all energy) is not among the classes
// art. 67-3 ① charges for kWh beyond 450 per kW; 농사용(을) 저압 is. October 2024, contract 20 kW
// at 저압, a flat 15 kW: 31 x 24 x 15 = 11,160 kWh, beyond 450 x 20 = 9,000.
//   농사용(갑): energy 11,160 x 41.9 = 467,604; basic 20 x 360 = 7,200; climate 100,440; fuel 55,800;
//   subtotal 631,044; VAT 63,104.4 -> 63,104; fund 20,193.408 -> 20,190; total 714,338 -> 714,330
//   농사용(을), the 2nd time: 2,160 kWh (451-720 kWh/kW) x (59.5 + 9.0 + 5.0) x 150 % = 238,140
TEST_F(FarmTariffTest, OnlyFarmEulPaysTheSurchargeBeyond450KwhPerKw) {
  DemandHistory once;
  once.Record(MonthDemand{Ym(2024, 9), 15, true, false});
  BillRequest r = Request("농사용(갑) 저압", 20, testing::Ymd(2024, 10, 1), testing::Ymd(2024, 11, 1), 15);
  auto gap = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 10), once);
  ASSERT_TRUE(gap) << gap.error().message;
  EXPECT_EQ(gap->energy, Won(467'604));
  EXPECT_EQ(gap->basic, Won(7'200));
  EXPECT_FALSE(gap->over_contract_incurred);
  EXPECT_EQ(gap->over_contract, Won(0));
  EXPECT_EQ(gap->total, Won(714'330));
  r.tariff = book_.FindTariff("farm-eul low").value();
  auto eul = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 10), once);
  ASSERT_TRUE(eul) << eul.error().message;
  EXPECT_EQ(eul->over_contract_multiplier_pct, 150);
  EXPECT_EQ(eul->over_contract, Won(238'140));
}

// 농사용(을) 고압A (별표1 4.나(2)): one rate per season (art. 67 ⑧; winter 62.2 KRW/kWh), no option,
// a demand meter (art. 38 ②) and so the 12-month rule of art. 68 ①. November 2024, contract
// 100 kW, a flat 60 kW: 30 x 24 x 60 = 43,200 kWh x 62.2 = 2,687,040; basic 60 x 1,210 = 72,600;
// climate 388,800; fuel 216,000; subtotal 3,364,440; VAT 336,444; fund 107,662.08 -> 107,660;
// total 3,808,544 -> 3,808,540.
TEST_F(FarmTariffTest, FarmEulHighVoltageHasNoOptionAndAPeakRatchet) {
  BillRequest r = Request("농사용전력(을) 고압A", 100, testing::Ymd(2024, 11, 1), testing::Ymd(2024, 12, 1), 60);
  auto bill = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 11), {});
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_FALSE(bill->contract_power_billed);
  EXPECT_EQ(bill->billing_demand_kw, 60);
  EXPECT_EQ(bill->energy, Won(2'687'040));
  EXPECT_EQ(bill->basic, Won(72'600));
  EXPECT_EQ(bill->total, Won(3'808'540));
  // A peak of 90 kW in August 2024 holds: 90 x 1,210 = 108,900.
  DemandHistory history;
  history.Record(MonthDemand{Ym(2024, 8), 90, false, false});
  auto held = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 11), history);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(held->billing_demand_kw, 90);
  EXPECT_EQ(held->basic, Won(108'900));
  // No options: named with one, it is refused; and no rate table before 2024.
  auto named = book_.FindTariff("농사용(을) 고압A 선택I");
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message.find("this tariff has no option"), std::string::npos) << named.error().message;
  EXPECT_EQ(book_.RatesOn(*book_.FindTariff("농사용(갑) 고압B"), testing::Ymd(2023, 12, 31)), nullptr);
}

// The EV charging tariffs (2024-07-01 sheet p.2; hours p.3, the same 별표3 hours and day rules as
// the other time-of-use tariffs). October 2024, a flat 100 kW: 21 weekdays, 4 Saturdays (5, 12,
// 19, 26), 6 holidays (3, 6, 9, 13, 20, 27):
//   경부하 21x10x100 + 4x10x100 + 6x24x100 = 39,400; 중간부하 21x8x100 + 4x14x100 = 22,400;
//   최대부하 21x6x100 = 12,600 kWh (74,400 in all).
// 전기차충전(자가소비용) 고압 (listed as 고압A), spring/fall 80.2 / 91.0 / 94.9 KRW/kWh, basic 2,580:
//   3,159,880 + 2,038,400 + 1,195,740 = 6,394,020; basic 100 x 2,580 = 258,000 (the weekday peak,
//   art. 68 ① by the demand meter of 고압); climate 669,600; fuel 372,000; subtotal 7,693,620;
//   VAT 769,362; fund 246,195.84 -> 246,190; total 8,709,172 -> 8,709,170.
TEST_F(EvTariffTest, OwnUseHighVoltageIsTimeOfUse) {
  BillRequest r =
      Request("전기차충전(자가소비용) 고압A", 200, testing::Ymd(2024, 10, 1), testing::Ymd(2024, 11, 1), 100);
  auto bill = ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 10), {});
  ASSERT_TRUE(bill) << bill.error().message;
  EXPECT_EQ(bill->energy, Won(6'394'020));
  EXPECT_EQ(bill->billing_demand_kw, 100);
  EXPECT_EQ(bill->basic, Won(258'000));
  EXPECT_EQ(bill->subtotal, Won(7'693'620));
  EXPECT_EQ(bill->total, Won(8'709'170));
  // The sheet is the only source: no table before 2024-07-01.
  EXPECT_FALSE(ComputeMonthlyBill(book_, calendar_, r, Ym(2024, 6), {}));
}

// 전기차충전(사업자용) 저압: options I-IV at 저압 too, basic 2,390 on the contract power (art. 68 ②).
// A flat 50 kW, contract 100 kW, October 2024 (the days above, halved): 37,200 kWh.
//   선택IV, one rate for all hours, 97.2: energy 3,615,840; basic 239,000; climate 334,800; fuel
//   186,000; subtotal 4,375,640; VAT 437,564; fund 140,020.48 -> 140,020; total 4,953,224 -> 4,953,220
//   선택I (85.4 / 97.2 / 102.1): 19,700 x 85.4 + 11,200 x 97.2 + 6,300 x 102.1 = 1,682,380 +
//   1,088,640 + 643,230 = 3,414,250; subtotal 4,174,050; VAT 417,405; fund 133,569.6 -> 133,560;
//   total 4,725,015 -> 4,725,010. 선택II and III have the same spring/fall rates: the same total.
TEST_F(EvTariffTest, ChargingServiceComparesItsFourOptions) {
  BillRequest r = Request("ev-service low IV", 100, testing::Ymd(2024, 10, 1), testing::Ymd(2024, 11, 1), 50);
  auto ranked = CompareTariffs(book_, calendar_, r, {Ym(2024, 10)}, {});
  ASSERT_TRUE(ranked) << ranked.error().message;
  ASSERT_EQ(ranked->size(), 4u);  // not 자가소비용: another use
  EXPECT_EQ(OfficialName((*ranked)[0].tariff), "전기차충전(사업자용) 저압 선택I");
  EXPECT_EQ((*ranked)[0].total, Won(4'725'010));
  EXPECT_EQ((*ranked)[1].total, Won(4'725'010));
  EXPECT_EQ((*ranked)[2].total, Won(4'725'010));
  EXPECT_EQ(OfficialName((*ranked)[3].tariff), "전기차충전(사업자용) 저압 선택IV");
  EXPECT_TRUE((*ranked)[3].in_force);
  EXPECT_EQ((*ranked)[3].total, Won(4'953'220));
  ASSERT_EQ((*ranked)[3].bills.size(), 1u);
  EXPECT_EQ((*ranked)[3].bills[0].energy, Won(3'615'840));
  EXPECT_TRUE((*ranked)[3].bills[0].contract_power_billed);
  EXPECT_EQ((*ranked)[3].bills[0].basic, Won(239'000));
  // Named without its option, the tariff is refused.
  EXPECT_FALSE(book_.FindTariff("전기차충전(사업자용) 저압"));
}

}  // namespace
}  // namespace meg
