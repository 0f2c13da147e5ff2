// The month-to-date bill (center/month_bill.h), worked by hand from the supply terms and the
// shipped rate tables (data/tariff/kepco: 일반용(을) 고압A 선택I, spring/fall 2024: basic 7,220
// KRW/kW, 최대부하 146.0 KRW/kWh; climate 9.0, fuel 5.0 (2024-Q4) KRW/kWh; VAT 10 % rounded to the
// won; fund 3.2 % truncated to 10 won; total truncated to 10 won), never taken from the code.
#include "center/month_bill.h"

#include <gtest/gtest.h>

#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using testing::Ymd;

Instant At(Date d, int minute_of_day) { return ToInstant(FromKst(d, minute_of_day)); }
Bucket Quarter(Date d, int minute_of_day, double kw) { return Bucket{At(d, minute_of_day), kw, kw, kw, kw, 1}; }

class MonthBillTest : public ::testing::Test {
 protected:
  MonthBillTest() : book_(testing::LoadShippedBook()), calendar_(testing::LoadSharedCalendar()) {
    terms_.book = &book_;
    terms_.calendar = &calendar_;
    terms_.tariff = book_.FindTariff("일반용(을) 고압A 선택I").value();
    terms_.contract_power = Kilowatts(1000);
  }
  TariffBook book_;
  HolidayCalendar calendar_;
  MonthBillTerms terms_;
};

TEST(MonthToDateTest, FromTheMonthsStartToTheOpenQuarterHour) {
  const MonthToDate m = MonthToDateOf(At(Ymd(2024, 10, 2), 14 * 60 + 40));
  EXPECT_EQ(m.month, testing::Ym(2024, 10));
  EXPECT_EQ(m.month_start, At(Ymd(2024, 10, 1), 0));  // 2024-09-30 15:00 UTC
  EXPECT_EQ(m.closed, At(Ymd(2024, 10, 2), 14 * 60 + 30));
}

// Wednesday 2024-10-02 at 14:40: the closed quarter-hours 14:00 and 14:15 (최대부하) are priced;
// the open 14:30 one and September's are not. One day billed of 31 (art. 80).
// With OpenMEG 800 and 600 kW: 200 + 150 = 350 kWh, peak 800 kW (above the 300 kW floor).
//   basic   800 x 7,220 x 1/31 = 186,322.58 -> 186,322
//   energy  350 x 146.0 = 51,100; climate 350 x 9.0 = 3,150; fuel 350 x 5.0 = 1,750
//   subtotal 242,322; VAT 24,232.2 -> 24,232; fund 7,754.30 -> 7,750; total 274,304 -> 274,300
// Without (battery idle) 1,000 kW twice: 500 kWh, peak 1,000 kW.
//   basic 1,000 x 7,220 / 31 = 232,903.23 -> 232,903; energy 73,000; climate 4,500; fuel 2,500
//   subtotal 312,903; VAT 31,290.3 -> 31,290; fund 10,012.90 -> 10,010; total 354,203 -> 354,200
TEST_F(MonthBillTest, ClosedQuarterHoursWithAndWithoutOpenMeg) {
  const Date day = Ymd(2024, 10, 2);
  const std::vector<Bucket> with = {Quarter(Ymd(2024, 9, 30), 14 * 60, 3000), Quarter(day, 14 * 60, 800),
                                    Quarter(day, 14 * 60 + 15, 600), Quarter(day, 14 * 60 + 30, 5000)};
  const std::vector<Bucket> without = {Quarter(day, 14 * 60, 1000), Quarter(day, 14 * 60 + 15, 1000)};
  auto b = MonthToDateBill(terms_, with, without, At(day, 14 * 60 + 40));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->month, "2024-10");
  EXPECT_EQ(b->from, At(day, 0));
  EXPECT_EQ(b->through, At(day, 14 * 60 + 30));
  EXPECT_DOUBLE_EQ(b->energy_kwh, 350);
  EXPECT_DOUBLE_EQ(b->peak_kw, 800);
  const std::vector<std::pair<std::string, std::int64_t>> lines = {{"basic", 186'322},   {"energy", 51'100},
                                                                   {"climate", 3'150},   {"fuel", 1'750},
                                                                   {"pf_adjustment", 0}, {"over_contract", 0},
                                                                   {"vat", 24'232},      {"fund", 7'750}};
  EXPECT_EQ(b->lines, lines);
  EXPECT_EQ(b->with_openmeg_krw, 274'300);
  EXPECT_EQ(b->without_openmeg_krw, 354'200);
  EXPECT_EQ(b->today_cost_krw, 274'300);                        // the month so far is today
  EXPECT_TRUE(b->cheaper_tariff.empty()) << b->cheaper_tariff;  // 선택I is the cheapest (next test)
  ASSERT_FALSE(b->notes.empty());
  EXPECT_NE(b->notes.back().find("without OpenMEG = the same load and PV with the battery idle"), std::string::npos);
}

// Two days: Tuesday 10-01 14:00 at 800 kW (200 kWh; a 임시공휴일, a weekday for KEPCO) and 10-02
// 14:00 at 600 kW (150 kWh). Today's cost is the two days' bill less 10-01's alone.
//   10-01..02: basic 800 x 7,220 x 2/31 = 372,645.16 -> 372,645; energy 350 x 146 = 51,100;
//     climate 3,150; fuel 1,750; subtotal 428,645; VAT 42,864.5 -> 42,865 (half up);
//     fund 13,716.64 -> 13,710; total 485,220
//   10-01: basic 186,322; energy 29,200; climate 1,800; fuel 1,000; subtotal 218,322;
//     VAT 21,832; fund 6,986.30 -> 6,980; total 247,134 -> 247,130
//   today: 485,220 - 247,130 = 238,090
TEST_F(MonthBillTest, TodaysCostIsTheMonthLessTheMonthBeforeToday) {
  const std::vector<Bucket> with = {Quarter(Ymd(2024, 10, 1), 14 * 60, 800), Quarter(Ymd(2024, 10, 2), 14 * 60, 600)};
  auto b = MonthToDateBill(terms_, with, with, At(Ymd(2024, 10, 2), 18 * 60));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->from, At(Ymd(2024, 10, 1), 0));
  EXPECT_EQ(b->with_openmeg_krw, 485'220);
  EXPECT_EQ(b->without_openmeg_krw, 485'220);
  EXPECT_EQ(b->today_cost_krw, 238'090);
}

// The fleet report names a site on a costlier option: the first test's day on 선택III.
//   선택III: basic 800 x 9,810 / 31 = 253,161.29 -> 253,161; energy 350 x 132.2 = 46,270;
//     climate 3,150; fuel 1,750; subtotal 304,331; VAT 30,433; fund 9,738.59 -> 9,730;
//     total 344,494 -> 344,490
//   선택II: basic 800 x 8,320 / 31 -> 214,709; energy 350 x 140.5 = 49,175; subtotal 268,784 ->
//     more than 선택I's 242,322, which stays the cheapest at 274,300: 70,190 KRW less.
TEST_F(MonthBillTest, NamesACheaperOptionOfTheSameClass) {
  terms_.tariff = book_.FindTariff("일반용(을) 고압A 선택III").value();
  const Date day = Ymd(2024, 10, 2);
  const std::vector<Bucket> with = {Quarter(day, 14 * 60, 800), Quarter(day, 14 * 60 + 15, 600)};
  auto b = MonthToDateBill(terms_, with, with, At(day, 14 * 60 + 40));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->with_openmeg_krw, 344'490);
  EXPECT_EQ(b->cheaper_tariff, "일반용(을) 고압A 선택I");
  EXPECT_EQ(b->cheaper_by_krw, 70'190);
}

TEST_F(MonthBillTest, NothingMeteredThisMonthIsNotFound) {
  const std::vector<Bucket> september = {Quarter(Ymd(2024, 9, 30), 14 * 60, 800)};
  auto b = MonthToDateBill(terms_, september, september, At(Ymd(2024, 10, 1), 0) + std::chrono::minutes(20));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(b.error().message, "no quarter-hour metered this month yet");
}

}  // namespace
}  // namespace meg
