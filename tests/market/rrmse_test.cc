// The registration fit test of KPX 별표29 on synthetic usage; expected values by hand.
//
// Registration on Wednesday 2024-07-31, a calendar without holidays. 3.1: the verification days
// are 45 weekdays counted back from 20 days before registration, Thursday 2024-07-11:
//   July 11..1 (9 weekdays), all of June (20, June 3 is a Monday) = 29, then May 31..10 (16) = 45.
// 3.1 numbering: the extracted text prints the labels 3.1, 3.1.1, 3.2, 3.3, 3.4 in a column beside
// the paragraphs; in order they are 45/75 weekdays (3.1), the 2014 rule (3.1.1), hours 09-20 (3.2),
// 90 weekdays of data (3.3), up to 5 excluded days (3.4).
// The 75-weekday limit: 29 + May (23) + April (22, April 1 is a Monday) = 74, then Friday March 29.
#include "market/rrmse.h"

#include <cmath>
#include <functional>
#include <map>

#include <gtest/gtest.h>

namespace meg {
namespace {

using std::chrono::year;

Date D(unsigned m, unsigned d) { return year{2024} / std::chrono::month{m} / std::chrono::day{d}; }

HolidayCalendar NoHolidays() { return HolidayCalendar({}, year{2024} / 1 / 1, year{2024} / 12 / 31); }

// kWh per 15-minute interval from 2024-03-01 00:00 KST to 2024-08-01 00:00 KST.
IntervalSeries<KilowattHours> MakeUsage(const std::function<std::optional<double>(Date, int)>& kwh,
                                        Date from = D(3, 1)) {
  const Timestamp start = FromKst(from);
  const Timestamp end = FromKst(D(8, 1));
  std::vector<std::optional<KilowattHours>> v;
  for (Timestamp t = start; t < end; t += kInterval) {
    const KstDateTime k = ToKst(t);
    const auto x = kwh(k.date, k.minute_of_day);
    v.push_back(x ? std::optional<KilowattHours>(KilowattHours(*x)) : std::nullopt);
  }
  return IntervalSeries<KilowattHours>(start, kInterval, std::move(v));
}

RrmseRequest Request() {
  RrmseRequest r;
  r.registration = D(7, 31);
  r.method = CblMethod::kMid6of10;
  return r;
}

TEST(RrmseTest, VerificationDaysAre45WeekdaysFrom20DaysBefore) {
  const auto v = SelectVerificationDays(NoHolidays(), Request());
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_EQ(v->days.size(), 45u);
  EXPECT_EQ(v->days.front(), D(7, 11));
  EXPECT_EQ(v->days.back(), D(5, 10));
}

// 3.5: two event days (Jul10, Jun12) leave, and two older weekdays (May 9, May 8) come in.
TEST(RrmseTest, EventDaysAreReplacedByOlderWeekdays) {
  RrmseRequest r = Request();
  r.event_days = {D(7, 10), D(6, 12)};
  const auto v = SelectVerificationDays(NoHolidays(), r);
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_EQ(v->days.size(), 45u);
  EXPECT_EQ(v->days.back(), D(5, 8));
  EXPECT_EQ(v->excluded_events, (std::vector<Date>{D(7, 10), D(6, 12)}));
}

// 3.5: the 31 most recent weekdays (Jul11..Jul01, June, May31, May30) are event days. The 75
// weekdays back to March 29 hold only 44 others, so the event day nearest registration (Jul11)
// comes back.
TEST(RrmseTest, TooManyEventDaysBringBackTheMostRecent) {
  RrmseRequest r = Request();
  const HolidayCalendar cal = NoHolidays();
  for (Date d = D(7, 11); r.event_days.size() < 31; d = AddDays(d, -1)) {
    if (IsDrWeekday(d, cal)) r.event_days.push_back(d);
  }
  ASSERT_EQ(r.event_days.back(), D(5, 30));
  const auto v = SelectVerificationDays(cal, r);
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_EQ(v->days.size(), 45u);
  EXPECT_EQ(v->days.front(), D(7, 11));
  EXPECT_EQ(v->days[1], D(5, 29));
  EXPECT_EQ(v->days.back(), D(3, 29));
  EXPECT_EQ(v->readmitted_events, (std::vector<Date>{D(7, 11)}));
  EXPECT_EQ(v->excluded_events.size(), 30u);
}

// 3.4: the aggregator's days are removed without replacement; at most 5; only verification days.
TEST(RrmseTest, UserExcludedDaysAreRemovedNotReplaced) {
  RrmseRequest r = Request();
  r.user_excluded_days = {D(6, 12)};
  const auto v = SelectVerificationDays(NoHolidays(), r);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->days.size(), 44u);
  EXPECT_EQ(v->days.back(), D(5, 10));
  EXPECT_EQ(v->user_excluded, (std::vector<Date>{D(6, 12)}));

  r.user_excluded_days = {D(6, 3), D(6, 4), D(6, 5), D(6, 6), D(6, 7), D(6, 10)};
  EXPECT_FALSE(SelectVerificationDays(NoHolidays(), r));
  r.user_excluded_days = {D(7, 20)};  // a Saturday
  const auto bad = SelectVerificationDays(NoHolidays(), r);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a verification day"), std::string::npos);
}

// Flat 100 kWh/h: every CBL is 100, the error is 0: RRMSE 0 %, pass.
TEST(RrmseTest, FlatLoadFitsPerfectly) {
  const auto r = ComputeRrmse(MakeUsage([](Date, int) { return 25.0; }), NoHolidays(), Request());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->hours, 45 * 11);
  EXPECT_EQ(r->rrmse.milli_percent(), 0);
  EXPECT_TRUE(r->pass);
  EXPECT_DOUBLE_EQ(r->mean_load.value(), 100);
}

// One verification day (Jun12) at 200 kWh/h, all else 100. Its CBL is 100 (earlier days); later
// days rank it first and Mid(6/10) drops it, so their CBL stays 100. Over D(n) x T(n) = 45 x 11
// = 495 hours: Σ(CBL - Load)^2 = 11 x 100^2 = 110,000; ΣLoad = 495 x 100 + 11 x 100 = 50,600.
// RRMSE = sqrt(110000 / 495) / (50600 / 495) x 100 = 14.9071 / 102.2222 x 100 = 14.583 -> 14.58 %.
TEST(RrmseTest, OneOddDayGivesTheHandComputedRrmse) {
  const auto usage = MakeUsage([](Date d, int) { return d == D(6, 12) ? 50.0 : 25.0; });
  const auto r = ComputeRrmse(usage, NoHolidays(), Request());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->rrmse.milli_percent(), 14'580);
  EXPECT_TRUE(r->pass);
  EXPECT_NEAR(r->rms_error.value(), std::sqrt(110000.0 / 495), 1e-9);
}

// Weekdays alternate 150 / 50 kWh/h (Jul11 high). Any 10 consecutive weekdays hold five of each;
// Mid(6/10) drops 150, 150, 50, 50 and averages 3 x 150 + 3 x 50 = 600 / 6 = 100. Every hour is
// off by 50: sqrt(mean err^2) = 50. The 45 days start high: 23 x 150 + 22 x 50 = 4,550 / 45 =
// 101.111 mean. RRMSE = 50 / 101.111 x 100 = 2250 / 4550 x 100 = 49.45 % > 30 %: fail (5.1).
TEST(RrmseTest, AlternatingLoadFails) {
  const HolidayCalendar cal = NoHolidays();
  auto weekday_index = [&](Date d) {
    int n = 0;
    for (Date x = D(3, 1); x != d; x = AddDays(x, 1)) n += IsDrWeekday(x, cal) ? 1 : 0;
    return n;
  };
  const int anchor = weekday_index(D(7, 11));
  std::map<int, int> index_of_day;  // cache: days since Mar 1 -> weekday index
  const auto usage = MakeUsage([&](Date d, int) -> std::optional<double> {
    if (!IsDrWeekday(d, cal)) return 25.0;
    const int days = (std::chrono::sys_days{d} - std::chrono::sys_days{D(3, 1)}).count();
    auto it = index_of_day.find(days);
    if (it == index_of_day.end()) it = index_of_day.emplace(days, weekday_index(d)).first;
    return (it->second - anchor) % 2 == 0 ? 37.5 : 12.5;
  });
  const auto r = ComputeRrmse(usage, cal, Request());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->rrmse.milli_percent(), 49'450);
  EXPECT_FALSE(r->pass);
}

// 3.7: a gap on Jun12 10:00-11:00 counts as 0 kWh: that hour is off by 100 (CBL 100); later days
// drop the 0 as a minimum. Σerr^2 = 10,000, ΣLoad = 49,500 - 100 = 49,400 over 495 hours:
// sqrt(10000 / 495) / (49400 / 495) x 100 = 4.49467 / 99.79798 x 100 = 4.5038 -> 4.50 %.
TEST(RrmseTest, MissingReadingsCountAsZero) {
  const auto usage = MakeUsage([](Date d, int minute) -> std::optional<double> {
    if (d == D(6, 12) && minute >= 10 * 60 && minute < 11 * 60) return std::nullopt;
    return 25.0;
  });
  const auto r = ComputeRrmse(usage, NoHolidays(), Request());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->missing_intervals, 4);
  EXPECT_EQ(r->rrmse.milli_percent(), 4'500);
}

// 5.2: rounded half up at the third decimal. sqrt(900.300025) = 30.005 -> 30.01 %;
// sqrt(900.2) = 30.00333 -> 30.00 %, which still passes (5.1: 30 % 이하).
TEST(RrmseTest, RoundsAtTheThirdDecimal) {
  EXPECT_EQ(RrmsePercent(900.300025, 100, 1).milli_percent(), 30'010);
  EXPECT_EQ(RrmsePercent(900.2, 100, 1).milli_percent(), 30'000);
  // Two hours: sqrt((3^2 + 4^2) / 2) / ((10 + 20) / 2) x 100 = 3.5355 / 15 x 100 = 23.57 %.
  EXPECT_EQ(RrmsePercent(25, 30, 2).milli_percent(), 23'570);
}

TEST(RrmseTest, NeedsDataForTheLookbackOfTheEarliestDay) {
  // From May 1: the Mid(6/10) lookback of May 10 reaches back 20 weekdays to April 12.
  const auto usage = MakeUsage([](Date, int) { return 25.0; }, D(5, 1));
  const auto r = ComputeRrmse(usage, NoHolidays(), Request());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("2024-04-12T00:00:00+09:00"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace meg
