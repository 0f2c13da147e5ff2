// The month peaks a restart restores (center/demand_history.h): the store's quarter-hours
// replayed through the demand meter, counting only 중간/최대부하 quarter-hours of working days
// (supply terms art. 68, 별표3 다만 1, 2) of 일반용(을) 고압A 선택II.
#include "center/demand_history.h"

#include <gtest/gtest.h>

#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using testing::Ymd;

Bucket Quarter(Date d, int minute_of_day, double kw, std::int64_t count = 900) {
  return Bucket{ToInstant(FromKst(d, minute_of_day)), kw, kw, kw, kw, count};
}

class DemandHistoryTest : public ::testing::Test {
 protected:
  DemandHistoryTest() : book_(testing::LoadShippedBook()), calendar_(testing::LoadSharedCalendar()) {}
  TariffId Tariff() { return book_.FindTariff("일반용(을) 고압A 선택II").value(); }
  TariffBook book_;
  HolidayCalendar calendar_;
};

// July: 14:00 on Wednesday 07-31 (최대부하) at 1,500 kW counts; 03:00 (경부하) at 2,000 kW does
// not. August: Monday 08-12 10:00 (중간부하) 1,200 kW and 14:00 1,100 kW count; Sunday 08-04 and
// 광복절 Thursday 08-15 at 14:00 (1,800 and 1,900 kW) do not; a bucket without a good sample
// (5,000 kW, count 0) is skipped. Peaks: July 1,500, August 1,200.
TEST_F(DemandHistoryTest, EachMonthsPeakOverItsCountedQuarterHours) {
  const std::vector<Bucket> quarters = {Quarter(Ymd(2024, 7, 31), 3 * 60, 2000),
                                        Quarter(Ymd(2024, 7, 31), 14 * 60, 1500),
                                        Quarter(Ymd(2024, 8, 4), 14 * 60, 1800),
                                        Quarter(Ymd(2024, 8, 12), 10 * 60, 1200),
                                        Quarter(Ymd(2024, 8, 12), 14 * 60, 1100),
                                        Quarter(Ymd(2024, 8, 12), 15 * 60, 5000, 0),
                                        Quarter(Ymd(2024, 8, 15), 14 * 60, 1900)};
  auto peaks = MeteredMonthPeaks(quarters, book_, calendar_, Tariff());
  ASSERT_TRUE(peaks) << peaks.error().message;
  ASSERT_EQ(peaks->size(), 2u);
  EXPECT_EQ((*peaks)[0].first, testing::Ym(2024, 7));
  EXPECT_NEAR((*peaks)[0].second, 1500.0, 1e-9);
  EXPECT_EQ((*peaks)[1].first, testing::Ym(2024, 8));
  EXPECT_NEAR((*peaks)[1].second, 1200.0, 1e-9);
}

// A month's last quarter-hour counts too (it is closed by the replay): Friday 2024-05-31 17:45
// (최대부하 in spring) at 900 kW; May's peak is 900.
TEST_F(DemandHistoryTest, TheLastQuarterHourIsClosed) {
  auto peaks = MeteredMonthPeaks({Quarter(Ymd(2024, 5, 31), 17 * 60 + 45, 900)}, book_, calendar_, Tariff());
  ASSERT_TRUE(peaks) << peaks.error().message;
  ASSERT_FALSE(peaks->empty());
  EXPECT_EQ(peaks->front().first, testing::Ym(2024, 5));
  EXPECT_NEAR(peaks->front().second, 900.0, 1e-9);
}

TEST_F(DemandHistoryTest, NothingMeteredRestoresNothing) {
  auto peaks = MeteredMonthPeaks({}, book_, calendar_, Tariff());
  ASSERT_TRUE(peaks);
  EXPECT_TRUE(peaks->empty());
}

}  // namespace
}  // namespace meg
