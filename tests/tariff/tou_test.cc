#include "tariff/tou.h"

#include <gtest/gtest.h>

#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using testing::Ymd;

class TouTest : public ::testing::Test {
 protected:
  TouTest() : book_(testing::LoadShippedBook()), calendar_(testing::LoadSharedCalendar()) {}
  TariffBook book_;
  HolidayCalendar calendar_;
};

// Which days are holidays is what 별표3 다만 3 says: 관공서의 공휴일 (Sundays, national and
// substitute holidays, election days) but not 임시공휴일 designated from time to time.
TEST_F(TouTest, ClassifiesDaysAsTheTermsDefine) {
  EXPECT_EQ(ClassifyDay(Ymd(2024, 10, 6), calendar_), DayKind::kHoliday);   // Sunday
  EXPECT_EQ(ClassifyDay(Ymd(2024, 10, 3), calendar_), DayKind::kHoliday);   // 개천절 (Thu)
  EXPECT_EQ(ClassifyDay(Ymd(2024, 2, 12), calendar_), DayKind::kHoliday);   // 대체공휴일(설날)
  EXPECT_EQ(ClassifyDay(Ymd(2024, 4, 10), calendar_), DayKind::kHoliday);   // 국회의원선거
  EXPECT_EQ(ClassifyDay(Ymd(2024, 10, 1), calendar_), DayKind::kWeekday);   // 임시공휴일
  EXPECT_EQ(ClassifyDay(Ymd(2025, 1, 27), calendar_), DayKind::kWeekday);   // 임시공휴일
  EXPECT_EQ(ClassifyDay(Ymd(2025, 6, 3), calendar_), DayKind::kWeekday);    // 임시공휴일(대통령선거)
  EXPECT_EQ(ClassifyDay(Ymd(2024, 10, 5), calendar_), DayKind::kSaturday);
  EXPECT_EQ(ClassifyDay(Ymd(2024, 2, 10), calendar_), DayKind::kHoliday);   // 설날 on a Saturday
  EXPECT_EQ(ClassifyDay(Ymd(2024, 2, 29), calendar_), DayKind::kWeekday);   // leap day, Thursday
}

// Slot bands from 별표3 (in force since 2023-01-01): summer weekday 11:00 is 최대부하, 12:00 중간,
// 13:00 최대, 18:00 중간, 22:00 경부하; winter 09:00 최대부하, 16:00 최대부하, 19:00 중간부하.
TEST_F(TouTest, WeekdayBandsFollowTheHourTable) {
  const auto id = book_.FindTariff("일반용(을) 고압A 선택I").value();
  auto summer = ProfileDay(book_, calendar_, id, Ymd(2024, 8, 13));  // Tuesday
  ASSERT_TRUE(summer) << summer.error().message;
  auto band_at = [](const DayProfile& p, int h, int m) { return p.energy_band[(h * 60 + m) / 15]; };
  EXPECT_EQ(band_at(*summer, 7, 45), Band::kOffPeak);
  EXPECT_EQ(band_at(*summer, 8, 0), Band::kMid);
  EXPECT_EQ(band_at(*summer, 10, 45), Band::kMid);
  EXPECT_EQ(band_at(*summer, 11, 0), Band::kPeak);
  EXPECT_EQ(band_at(*summer, 12, 0), Band::kMid);
  EXPECT_EQ(band_at(*summer, 13, 0), Band::kPeak);
  EXPECT_EQ(band_at(*summer, 17, 45), Band::kPeak);
  EXPECT_EQ(band_at(*summer, 18, 0), Band::kMid);
  EXPECT_EQ(band_at(*summer, 22, 0), Band::kOffPeak);
  auto winter = ProfileDay(book_, calendar_, id, Ymd(2024, 12, 10));
  ASSERT_TRUE(winter);
  EXPECT_EQ(band_at(*winter, 8, 45), Band::kMid);
  EXPECT_EQ(band_at(*winter, 9, 0), Band::kPeak);
  EXPECT_EQ(band_at(*winter, 12, 0), Band::kMid);
  EXPECT_EQ(band_at(*winter, 16, 0), Band::kPeak);
  EXPECT_EQ(band_at(*winter, 19, 0), Band::kMid);
  EXPECT_TRUE(winter->demand_counts[9 * 4]);
  EXPECT_FALSE(winter->demand_counts[7 * 4]);
}

TEST_F(TouTest, SaturdayAndHolidayRules) {
  const auto id = book_.FindTariff("일반용(을) 고압A 선택I").value();
  auto sat = ProfileDay(book_, calendar_, id, Ymd(2024, 8, 10));
  ASSERT_TRUE(sat);
  EXPECT_EQ(sat->energy_band[14 * 4], Band::kMid);  // 최대부하 energy metered as 중간부하
  EXPECT_TRUE(sat->demand_counts[14 * 4]);          // its demand still counts
  auto holiday = ProfileDay(book_, calendar_, id, Ymd(2024, 8, 15));  // 광복절
  ASSERT_TRUE(holiday);
  for (int s = 0; s < kIntervalsPerDay; ++s) {
    EXPECT_EQ(holiday->energy_band[s], Band::kOffPeak);
    EXPECT_FALSE(holiday->demand_counts[s]);
  }
}

TEST_F(TouTest, RefusesDatesOutsideTheCalendarOrTables) {
  const auto id = book_.FindTariff("일반용(을) 고압A 선택I").value();
  auto outside = ProfileDay(book_, calendar_, id, Ymd(2030, 1, 2));
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message.find("holiday calendar"), std::string::npos);
  auto before = ProfileDay(book_, calendar_, id, Ymd(2023, 1, 2));
  ASSERT_FALSE(before);
  EXPECT_NE(before.error().message.find("no rate table"), std::string::npos);
}

}  // namespace
}  // namespace meg
