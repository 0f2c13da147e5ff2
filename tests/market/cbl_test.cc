// The CBL of KPX 별표28 on small synthetic usage with round numbers; every expected value is
// computed by hand in the comments from the article it tests.
//
// The calendar used by most tests: July 2024 without holidays (July 1 is a Monday). The event day
// is Wednesday 2024-07-31; the weekdays before it, most recent first, are
//   1 Jul30  2 Jul29  3 Jul26  4 Jul25  5 Jul24  6 Jul23  7 Jul22  8 Jul19  9 Jul18  10 Jul17
//  11 Jul16 12 Jul15 13 Jul12 14 Jul11 15 Jul10 16 Jul09 17 Jul08 18 Jul05 19 Jul04  20 Jul03
// Usage is given as a level in kWh per hour, flat within the day, so one 15-minute interval holds
// level / 4 kWh and a full trading hour of the event holds `level` kWh.
#include "market/cbl.h"

#include <functional>
#include <map>

#include <gtest/gtest.h>

namespace meg {
namespace {

using std::chrono::hours;
using std::chrono::July;
using std::chrono::minutes;

Date Jul(unsigned day) { return std::chrono::year{2024} / July / std::chrono::day{day}; }
const Date kEventDay = Jul(31);

HolidayCalendar NoHolidays(std::vector<Holiday> holidays = {}) {
  return HolidayCalendar(std::move(holidays), std::chrono::year{2024} / 1 / 1,
                         std::chrono::year{2024} / 12 / 31);
}

// kWh per 15-minute interval from 2024-06-24 00:00 KST to 2024-08-01 00:00 KST; nullopt is a gap.
using IntervalKwh = std::function<std::optional<double>(Date, int minute_of_day)>;
IntervalSeries<KilowattHours> MakeUsage(const IntervalKwh& kwh) {
  const Timestamp start = FromKst(std::chrono::year{2024} / 6 / 24);
  std::vector<std::optional<KilowattHours>> v;
  for (int i = 0; i < 38 * 96; ++i) {
    const KstDateTime t = ToKst(start + kInterval * i);
    const auto x = kwh(t.date, t.minute_of_day);
    v.push_back(x ? std::optional<KilowattHours>(KilowattHours(*x)) : std::nullopt);
  }
  return IntervalSeries<KilowattHours>(start, kInterval, std::move(v));
}

// Levels in kWh per hour by day (default 100 kWh/h); the event day uses `event_level`.
IntervalSeries<KilowattHours> Levels(const std::map<Date, double>& level, double event_level = 60) {
  return MakeUsage([&](Date d, int) -> std::optional<double> {
    if (d == kEventDay) return event_level / 4;
    const auto it = level.find(d);
    return (it == level.end() ? 100.0 : it->second) / 4;
  });
}

// Levels as above, with the event hours (14:00-16:00) missing on `gaps` (3.4.2: such a day is not
// a reference day, but it counts toward the lookback limit of 3.2.1).
IntervalSeries<KilowattHours> LevelsWithGaps(const std::map<Date, double>& level, const std::vector<Date>& gaps) {
  return MakeUsage([&](Date d, int minute) -> std::optional<double> {
    if (std::find(gaps.begin(), gaps.end(), d) != gaps.end() && minute >= 14 * 60 && minute < 16 * 60) {
      return std::nullopt;
    }
    if (d == kEventDay) return 60.0 / 4;
    const auto it = level.find(d);
    return (it == level.end() ? 100.0 : it->second) / 4;
  });
}

// Ten distinct days for the method tests (kWh per hour).
const std::map<Date, double> kTenDays = {{Jul(30), 100}, {Jul(29), 130}, {Jul(26), 90}, {Jul(25), 120},
                                         {Jul(24), 80},  {Jul(23), 110}, {Jul(22), 140}, {Jul(19), 95},
                                         {Jul(18), 85},  {Jul(17), 78}};

// 14:00-16:00 KST on the event day: two full trading hours.
DrWindow TwoHours() { return DrWindow{FromKst(kEventDay, 14 * 60), FromKst(kEventDay, 16 * 60)}; }

CblOptions Method(CblMethod m, bool abnormal_days = false) {
  CblOptions o;
  o.method = m;
  o.abnormal_days = abnormal_days;
  return o;
}

bool HasNote(const CblResult& r, Date d, DayExclusion why) {
  for (const auto& n : r.excluded) {
    if (n.date == d && n.reason == why) return true;
  }
  return false;
}

TEST(CblTest, ParsesMethodNames) {
  EXPECT_EQ(*ParseCblMethod("mid6/10"), CblMethod::kMid6of10);
  EXPECT_EQ(*ParseCblMethod("Max(4/5)"), CblMethod::kMax4of5);
  EXPECT_EQ(*ParseCblMethod("MID 8/10"), CblMethod::kMid8of10);
  EXPECT_EQ(*ParseCblMethod("mid4/6"), CblMethod::kMid4of6);
  EXPECT_FALSE(ParseCblMethod("avg10"));
  EXPECT_EQ(CblMethodName(CblMethod::kMid4of6), "Mid(4/6)");
}

// 1.1 Max(4/5): the last 5 weekdays Jul30..Jul24 hold 100, 130, 90, 120, 80; the highest 4 are
// 130 (Jul29), 120 (Jul25), 100 (Jul30), 90 (Jul26): (130 + 120 + 100 + 90) / 4 = 110 kWh.
TEST(CblTest, Max4of5AveragesTheHighestFourOfFive) {
  const auto r = ComputeCbl(Levels(kTenDays), NoHolidays(), TwoHours(), Method(CblMethod::kMax4of5));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->hours.size(), 2u);
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(30), Jul(29), Jul(26), Jul(25), Jul(24)}));
  for (const CblHour& h : r->hours) {
    EXPECT_DOUBLE_EQ(h.baseline.value(), 110);
    EXPECT_EQ(h.event_minutes, 60);
    EXPECT_EQ(h.similar_days, (std::vector<Date>{Jul(29), Jul(25), Jul(30), Jul(26)}));
    // Event day at 60 kWh/h: reduction 110 - 60 = 50 kWh.
    EXPECT_DOUBLE_EQ(h.actual->value(), 60);
    EXPECT_DOUBLE_EQ(Reduction(h).value(), 50);
  }
  EXPECT_EQ(r->hours[0].hour_start, FromKst(kEventDay, 14 * 60));
  EXPECT_EQ(r->hours[1].hour_start, FromKst(kEventDay, 15 * 60));
  // Jul23..Jul17 are within the 10-weekday lookback but not needed.
  EXPECT_TRUE(HasNote(*r, Jul(23), DayExclusion::kNotNeeded));
}

// 1.2 Mid(6/10): the 10 days sorted: 140 130 | 120 110 100 95 90 85 | 80 78; the middle six sum to
// 600: 600 / 6 = 100 kWh.
TEST(CblTest, Mid6of10DropsTwoHighAndTwoLow) {
  const auto r = ComputeCbl(Levels(kTenDays), NoHolidays(), TwoHours(), Method(CblMethod::kMid6of10));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days.size(), 10u);
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 100);
  EXPECT_EQ(r->hours[0].similar_days,
            (std::vector<Date>{Jul(25), Jul(23), Jul(30), Jul(19), Jul(26), Jul(18)}));
}

// 1.3 Mid(4/6): the last 6 (Jul30..Jul23) sorted: 130 | 120 110 100 90 | 80: 420 / 4 = 105 kWh.
TEST(CblTest, Mid4of6DropsOneHighAndOneLow) {
  const auto r = ComputeCbl(Levels(kTenDays), NoHolidays(), TwoHours(), Method(CblMethod::kMid4of6));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days.size(), 6u);
  EXPECT_DOUBLE_EQ(r->hours[1].baseline.value(), 105);
}

// 1.4 Mid(8/10): 140 | 130 120 110 100 95 90 85 80 | 78: 810 / 8 = 101.25 kWh.
TEST(CblTest, Mid8of10DropsOneHighAndOneLow) {
  const auto r = ComputeCbl(Levels(kTenDays), NoHolidays(), TwoHours(), Method(CblMethod::kMid8of10));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 101.25);
  EXPECT_EQ(r->hours[0].similar_days.size(), 8u);
}

// "거래시간별": each trading hour ranks the days on its own. Hour 14: 100 120 80 110 90 -> top 4
// = 420 / 4 = 105. Hour 15: 130 70 100 90 110 -> top 4 = 430 / 4 = 107.5, without Jul29.
TEST(CblTest, RanksEachTradingHourOnItsOwn) {
  const std::map<Date, std::pair<double, double>> lv = {{Jul(30), {100, 130}}, {Jul(29), {120, 70}},
                                                        {Jul(26), {80, 100}},  {Jul(25), {110, 90}},
                                                        {Jul(24), {90, 110}}};
  const auto usage = MakeUsage([&](Date d, int minute) -> std::optional<double> {
    const auto it = lv.find(d);
    if (it == lv.end()) return 25.0;
    return (minute < 15 * 60 ? it->second.first : it->second.second) / 4;
  });
  const auto r = ComputeCbl(usage, NoHolidays(), TwoHours(), Method(CblMethod::kMax4of5));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 105);
  EXPECT_EQ(r->hours[0].similar_days, (std::vector<Date>{Jul(29), Jul(25), Jul(30), Jul(24)}));
  EXPECT_DOUBLE_EQ(r->hours[1].baseline.value(), 107.5);
  EXPECT_EQ(r->hours[1].similar_days, (std::vector<Date>{Jul(30), Jul(24), Jul(26), Jul(25)}));
}

// 3.2.4: 14:15-15:30 covers 45 minutes of hour 14 and 30 of hour 15. Max(4/5) on kTenDays: hour
// 14 averages 3 intervals of the top-4 days: 110 x 3/4 = 82.5 kWh; hour 15: 110 x 2/4 = 55 kWh.
TEST(CblTest, PartialHoursUseTheEventsIntervals) {
  const DrWindow w{FromKst(kEventDay, 14 * 60 + 15), FromKst(kEventDay, 15 * 60 + 30)};
  const auto r = ComputeCbl(Levels(kTenDays), NoHolidays(), w, Method(CblMethod::kMax4of5));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->hours.size(), 2u);
  EXPECT_EQ(r->hours[0].event_minutes, 45);
  EXPECT_EQ(r->hours[0].hour_start, FromKst(kEventDay, 14 * 60));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 82.5);
  EXPECT_EQ(r->hours[1].event_minutes, 30);
  EXPECT_DOUBLE_EQ(r->hours[1].baseline.value(), 55);
  // Actual at 60 kWh/h: 45 kWh and 30 kWh.
  EXPECT_DOUBLE_EQ(r->hours[0].actual->value(), 45);
  EXPECT_DOUBLE_EQ(r->hours[1].actual->value(), 30);
}

// A holiday on Thursday Jul25 is not a 평일: Max(4/5) takes Jul30 29 26 24 23 = 100 130 90 80 110;
// top 4 = 130 + 110 + 100 + 90 = 430 / 4 = 107.5 kWh. Weekends are skipped without a note.
TEST(CblTest, HolidaysAndWeekendsAreNotReferenceDays) {
  const auto cal = NoHolidays({Holiday{Jul(25), HolidayKind::kTemporary, "임시공휴일"}});
  const auto r = ComputeCbl(Levels(kTenDays), cal, TwoHours(), Method(CblMethod::kMax4of5));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(30), Jul(29), Jul(26), Jul(24), Jul(23)}));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 107.5);
  EXPECT_TRUE(HasNote(*r, Jul(25), DayExclusion::kHoliday));
  EXPECT_FALSE(HasNote(*r, Jul(28), DayExclusion::kHoliday));  // a Sunday
  EXPECT_FALSE(IsDrWeekday(Jul(27), cal));                       // a Saturday
  EXPECT_TRUE(IsDrWeekday(Jul(26), cal));
}

// 3.2: an earlier event day (Jul29) is skipped: Jul30 26 25 24 23 = 100 90 120 80 110; top 4 =
// 120 + 110 + 100 + 90 = 420 / 4 = 105 kWh.
TEST(CblTest, EarlierEventDaysAreSkipped) {
  CblOptions o = Method(CblMethod::kMax4of5);
  o.excluded_days = {Jul(29)};
  const auto r = ComputeCbl(Levels(kTenDays), NoHolidays(), TwoHours(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(30), Jul(26), Jul(25), Jul(24), Jul(23)}));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 105);
  EXPECT_TRUE(HasNote(*r, Jul(29), DayExclusion::kExcludedDay));
  EXPECT_EQ(Describe(r->excluded.front()), "earlier event, test or bid day (별표28 3.2, 3.3)");
}

// 3.2.1: Max(4/5) looks back at most 10 weekdays (Jul30..Jul17), days without data counted. With
// gaps in the event hours on 7 of them, only Jul19 18 17 = 95 85 78 remain; Jul16 (100 kWh/h) is
// beyond the limit. Fewer than 4 days: all three are averaged: (95 + 85 + 78) / 3 = 86 kWh.
TEST(CblTest, LookbackLimitStopsAtTenWeekdaysForMax) {
  const auto usage = LevelsWithGaps(kTenDays, {Jul(30), Jul(29), Jul(26), Jul(25), Jul(24), Jul(23), Jul(22)});
  const auto r = ComputeCbl(usage, NoHolidays(), TwoHours(), Method(CblMethod::kMax4of5));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(19), Jul(18), Jul(17)}));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 86);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("3 reference days of the 5"), std::string::npos) << r->notes[0];
}

// 3.2.1 "이전 감축일을 제외하고": earlier event days do not use up the 10 weekdays. With the same 7
// days as event days, the lookback reaches Jul19 18 17 16 15 = 95 85 78 100 100 (the default
// level); Max(4/5): top 4 = 100 + 100 + 95 + 85 = 380 / 4 = 95 kWh.
TEST(CblTest, EarlierEventDaysDoNotUseUpTheLookback) {
  CblOptions o = Method(CblMethod::kMax4of5);
  o.excluded_days = {Jul(30), Jul(29), Jul(26), Jul(25), Jul(24), Jul(23), Jul(22)};
  const auto r = ComputeCbl(Levels(kTenDays), NoHolidays(), TwoHours(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(19), Jul(18), Jul(17), Jul(16), Jul(15)}));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 95);
  EXPECT_TRUE(r->notes.empty());
}

// 3.2.1: Mid(6/10) looks back 20 weekdays (Jul30..Jul03), days without data counted. With gaps in
// the event hours on 11 of them, 9 days remain:
// Jul15 12 11 10 09 08 05 04 03 = 150 140 130 120 110 100 90 80 70. Three must go to keep six,
// and the counts differ: the minimum goes first, so drop 70, 80 (bottom 2) and 150 (top 1):
// (140 + 130 + 120 + 110 + 100 + 90) / 6 = 690 / 6 = 115 kWh.
TEST(CblTest, MidWithTooFewDaysDropsTheMinimumFirst) {
  const std::map<Date, double> lv = {{Jul(15), 150}, {Jul(12), 140}, {Jul(11), 130}, {Jul(10), 120},
                                     {Jul(9), 110},  {Jul(8), 100},  {Jul(5), 90},   {Jul(4), 80},
                                     {Jul(3), 70}};
  const auto usage = LevelsWithGaps(lv, {Jul(30), Jul(29), Jul(26), Jul(25), Jul(24), Jul(23), Jul(22), Jul(19),
                                         Jul(18), Jul(17), Jul(16)});
  const auto r = ComputeCbl(usage, NoHolidays(), TwoHours(), Method(CblMethod::kMid6of10));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days.size(), 9u);
  EXPECT_EQ(r->reference_days.back(), Jul(3));  // Jul02 and Jul01 are beyond the 20 weekdays
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 115);
  EXPECT_EQ(r->hours[0].similar_days.front(), Jul(12));
  EXPECT_EQ(r->hours[0].similar_days.back(), Jul(5));
}

// 3.4.2: a gap on Jul26 at 14:30 (in the event) takes Jul26 out: Jul30 29 25 24 23 = 100 130 120
// 80 110; top 4 = 460 / 4 = 115 kWh. A gap on Jul25 at 09:00 (outside the event) changes nothing.
TEST(CblTest, DaysWithMissingEventDataAreSkipped) {
  const auto usage = MakeUsage([](Date d, int minute) -> std::optional<double> {
    if (d == Jul(26) && minute == 14 * 60 + 30) return std::nullopt;
    if (d == Jul(25) && minute == 9 * 60) return std::nullopt;
    if (d == kEventDay) return 15.0;
    const auto it = kTenDays.find(d);
    return (it == kTenDays.end() ? 100.0 : it->second) / 4;
  });
  const auto r = ComputeCbl(usage, NoHolidays(), TwoHours(), Method(CblMethod::kMax4of5));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(30), Jul(29), Jul(25), Jul(24), Jul(23)}));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 115);
  EXPECT_TRUE(HasNote(*r, Jul(26), DayExclusion::kMissingData));
}

// 2.1.2.1-2: Max(4/5) lookback Jul30..Jul17 = 100 60 75 140 125 and 5 x 100: sum 1000, mean 100
// kWh/h (200 kWh over the 2 h window). Jul29 (60 < 75) is abnormal; Jul26 at exactly 75 % is not
// ("75% 미만"). Reference days Jul30 26 25 24 23 = 100 75 140 125 100; top 4 = 465 / 4 =
// 116.25 kWh.
TEST(CblTest, AbnormalDaysBelow75PercentAreExcluded) {
  const std::map<Date, double> lv = {{Jul(30), 100}, {Jul(29), 60}, {Jul(26), 75}, {Jul(25), 140},
                                     {Jul(24), 125}};
  const auto r = ComputeCbl(Levels(lv), NoHolidays(), TwoHours(), Method(CblMethod::kMax4of5, true));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->window_mean->value(), 200);
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(30), Jul(26), Jul(25), Jul(24), Jul(23)}));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 116.25);
  ASSERT_TRUE(HasNote(*r, Jul(29), DayExclusion::kAbnormal));
  for (const auto& n : r->excluded) {
    if (n.date == Jul(29)) {
      EXPECT_NE(Describe(n).find("60 % of the mean"), std::string::npos) << Describe(n);
    }
  }
  EXPECT_FALSE(r->recomputed_mean);
}

// The industrial data: Jul30..Jul17 = 100 50 74 126 100 125 75 100 100 100.
// 2.1.2.2: mean 950 / 10 = 95, 75 % = 71.25: only Jul29 (50) is abnormal (74 and 75 are not).
// 2.1.2.3: recomputed mean 900 / 9 = 100: Jul26 (74 < 75) and Jul25 (126 > 125) are production-
// adjustment days; Jul23 (exactly 125) and Jul22 (exactly 75) stay.
const std::map<Date, double> kIndustrial = {{Jul(30), 100}, {Jul(29), 50}, {Jul(26), 74}, {Jul(25), 126},
                                            {Jul(24), 100}, {Jul(23), 125}, {Jul(22), 75}};

// Industrial: reference days Jul30 24 23 22 19 = 100 100 125 75 100; top 4 = 425 / 4 = 106.25.
// Not industrial: Jul30 26 25 24 23 = 100 74 126 100 125; top 4 = 451 / 4 = 112.75.
TEST(CblTest, IndustrialCustomersAlsoLoseDaysOutside75To125Percent) {
  CblOptions o = Method(CblMethod::kMax4of5, true);
  o.industrial = true;
  const auto r = ComputeCbl(Levels(kIndustrial), NoHolidays(), TwoHours(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->window_mean->value(), 190);
  EXPECT_DOUBLE_EQ(r->recomputed_mean->value(), 200);
  EXPECT_TRUE(HasNote(*r, Jul(29), DayExclusion::kAbnormal));
  EXPECT_TRUE(HasNote(*r, Jul(26), DayExclusion::kProductionAdjustment));
  EXPECT_TRUE(HasNote(*r, Jul(25), DayExclusion::kProductionAdjustment));
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(30), Jul(24), Jul(23), Jul(22), Jul(19)}));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 106.25);

  const auto plain = ComputeCbl(Levels(kIndustrial), NoHolidays(), TwoHours(), Method(CblMethod::kMax4of5, true));
  ASSERT_TRUE(plain);
  EXPECT_DOUBLE_EQ(plain->hours[0].baseline.value(), 112.75);
}

// 3.2.2: with the event hours of Jul30, Jul24, Jul19 missing the pool is Jul29 26 25 23 22 18 17 = 50 74 126 125
// 75 100 100. Mean 650 / 7 = 92.86, 75 % = 69.64: Jul29 abnormal. Recomputed 600 / 6 = 100:
// Jul26 and Jul25 production days. Left: Jul23 22 18 17, one short of 5. The most recent
// production day (Jul26) comes back first; Jul25 and the abnormal Jul29 stay out.
// CBL: 74 125 75 100 100 -> top 4 = 400 / 4 = 100 kWh.
TEST(CblTest, RefillTakesBackTheMostRecentProductionDayFirst) {
  CblOptions o = Method(CblMethod::kMax4of5, true);
  o.industrial = true;
  const auto r = ComputeCbl(LevelsWithGaps(kIndustrial, {Jul(30), Jul(24), Jul(19)}), NoHolidays(), TwoHours(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(26), Jul(23), Jul(22), Jul(18), Jul(17)}));
  ASSERT_EQ(r->readmitted.size(), 1u);
  EXPECT_EQ(r->readmitted[0].date, Jul(26));
  EXPECT_EQ(r->readmitted[0].reason, DayExclusion::kProductionAdjustment);
  EXPECT_TRUE(HasNote(*r, Jul(25), DayExclusion::kProductionAdjustment));
  EXPECT_TRUE(HasNote(*r, Jul(29), DayExclusion::kAbnormal));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 100);
}

// 3.2.2 then abnormal days: missing event hours on Jul24 23 22 19 leave Jul30 29 26 25 18 17 = 100 50 40 100
// 100 100; mean 490 / 6 = 81.67, 75 % = 61.25: Jul29 and Jul26 abnormal. Four days left; the most
// recent abnormal day (Jul29) comes back, Jul26 stays out. CBL: top 4 of 100 50 100 100 100 = 100.
TEST(CblTest, RefillThenTakesBackTheMostRecentAbnormalDay) {
  CblOptions o = Method(CblMethod::kMax4of5, true);
  const auto r = ComputeCbl(LevelsWithGaps({{Jul(29), 50}, {Jul(26), 40}}, {Jul(24), Jul(23), Jul(22), Jul(19)}),
                            NoHolidays(), TwoHours(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reference_days, (std::vector<Date>{Jul(30), Jul(29), Jul(25), Jul(18), Jul(17)}));
  ASSERT_EQ(r->readmitted.size(), 1u);
  EXPECT_EQ(r->readmitted[0].date, Jul(29));
  EXPECT_TRUE(HasNote(*r, Jul(26), DayExclusion::kAbnormal));
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 100);
}

// SAA (2.2) on a partial first hour. Event 14:15-16:00; SAA window 10:15-13:15.
// Reference days Jul30 29 26 25: 25 kWh per interval from 14:00, 22 before (88 kWh/h). Jul24: 20
// per interval from 14:00 (lowest, so not a similar day) and 10 before. Others: 25 all day.
// Base CBL (Max(4/5), similar days Jul30 29 26 25): hour 14 (45 min) = 3 x 25 = 75 kWh; hour 15 =
// 100 kWh. Event day: 30 per interval before the event (120 kWh/h), 15 during.
// SAA = 120 - 88 = +32 kWh/h (the similar days of the start hour only; with Jul24 it would be
// (4 x 88 + 40) / 5 = 78.4). Hour 14: 75 + 32 x 45/60 = 75 + 24 = 99 kWh; hour 15: 100 + 32 = 132.
// Actual: 45 and 60 kWh; reductions 54 and 72 kWh.
IntervalSeries<KilowattHours> SaaUsage(std::optional<int> event_day_gap_minute = std::nullopt) {
  return MakeUsage([=](Date d, int minute) -> std::optional<double> {
    const bool afternoon = minute >= 14 * 60;
    if (d == kEventDay) {
      if (event_day_gap_minute && minute == *event_day_gap_minute) return std::nullopt;
      return minute >= 14 * 60 + 15 && minute < 16 * 60 ? 15.0 : 30.0;
    }
    if (d == Jul(30) || d == Jul(29) || d == Jul(26) || d == Jul(25)) return afternoon ? 25.0 : 22.0;
    if (d == Jul(24)) return afternoon ? 20.0 : 10.0;
    return 25.0;
  });
}

TEST(CblTest, SaaAddsTheMorningDifferenceScaledForPartialHours) {
  CblOptions o = Method(CblMethod::kMax4of5, true);
  o.saa = true;
  const DrWindow w{FromKst(kEventDay, 14 * 60 + 15), FromKst(kEventDay, 16 * 60)};
  const auto r = ComputeCbl(SaaUsage(), NoHolidays(), w, o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->saa);
  EXPECT_EQ(r->saa->from, FromKst(kEventDay, 10 * 60 + 15));
  EXPECT_EQ(r->saa->to, FromKst(kEventDay, 13 * 60 + 15));
  EXPECT_DOUBLE_EQ(r->saa->event_day_per_hour.value(), 120);
  EXPECT_DOUBLE_EQ(r->saa->similar_days_per_hour.value(), 88);
  EXPECT_DOUBLE_EQ(r->saa->per_hour.value(), 32);
  ASSERT_EQ(r->hours.size(), 2u);
  EXPECT_DOUBLE_EQ(r->hours[0].saa_adjustment.value(), 24);
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 99);
  EXPECT_DOUBLE_EQ(r->hours[1].baseline.value(), 132);
  EXPECT_DOUBLE_EQ(Reduction(r->hours[0]).value(), 54);
  EXPECT_DOUBLE_EQ(Reduction(r->hours[1]).value(), 72);
}

// 3.4.4: a gap on the event day at 11:00 (inside the SAA window) leaves SAA out, with a note:
// the CBL is the base 75 and 100 kWh.
TEST(CblTest, SaaIsSkippedWhenItsDataIsMissing) {
  CblOptions o = Method(CblMethod::kMax4of5, true);
  o.saa = true;
  const DrWindow w{FromKst(kEventDay, 14 * 60 + 15), FromKst(kEventDay, 16 * 60)};
  const auto r = ComputeCbl(SaaUsage(11 * 60), NoHolidays(), w, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->saa);
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 75);
  EXPECT_DOUBLE_EQ(r->hours[1].baseline.value(), 100);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("3.4.4"), std::string::npos);
}

// 3.2.5: a second event the same day reuses the first event's SAA (+10 kWh/h given): hour 15
// (full) 100 + 10 = 110 kWh.
TEST(CblTest, SecondEventReusesTheFirstEventsSaa) {
  CblOptions o = Method(CblMethod::kMax4of5, true);
  o.saa = true;
  o.first_event_saa = KilowattHours(10);
  const DrWindow w{FromKst(kEventDay, 15 * 60), FromKst(kEventDay, 16 * 60)};
  const auto r = ComputeCbl(SaaUsage(), NoHolidays(), w, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->hours[0].baseline.value(), 110);
}

// 제12.5.2.3조 ③ 1: a gap in the event-day meter makes the actual unknown and the reduction 0.
TEST(CblTest, EventDayGapMakesTheReductionZero) {
  const auto usage = MakeUsage([](Date d, int minute) -> std::optional<double> {
    if (d == kEventDay && minute == 15 * 60 + 45) return std::nullopt;
    return 25.0;
  });
  const auto r = ComputeCbl(usage, NoHolidays(), TwoHours(), Method(CblMethod::kMax4of5));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->hours[0].actual);
  EXPECT_FALSE(r->hours[1].actual);
  EXPECT_DOUBLE_EQ(Reduction(r->hours[1]).value(), 0);
}

TEST(CblTest, RejectsBadWindowsAndMissingHistory) {
  const auto usage = Levels(kTenDays);
  const auto cal = NoHolidays();
  const auto at = [](int minute) { return FromKst(kEventDay, minute); };
  const CblOptions o = Method(CblMethod::kMid6of10);
  // Off the 15-minute grid.
  auto r = ComputeCbl(usage, cal, DrWindow{at(14 * 60 + 10), at(16 * 60)}, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("15-minute grid"), std::string::npos) << r.error().message;
  // Longer than 4 h is the call's business, not the CBL's (an economic call may be longer): a
  // 10:00-18:15 window has 9 trading hours, the last of 15 minutes.
  r = ComputeCbl(usage, cal, DrWindow{at(10 * 60), at(18 * 60 + 15)}, o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->hours.size(), 9u);
  EXPECT_EQ(r->hours.back().event_minutes, 15);
  // A whole day, 00:00-24:00, has 24.
  r = ComputeCbl(usage, cal, DrWindow{at(0), at(24 * 60)}, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->hours.size(), 24u);
  // Spanning two days: 22:00 to 01:00.
  r = ComputeCbl(usage, cal, DrWindow{at(22 * 60), at(25 * 60)}, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("spans two KST days"), std::string::npos) << r.error().message;
  // Ending at 24:00 is one day.
  EXPECT_TRUE(ValidateDrWindow(DrWindow{at(22 * 60), at(24 * 60)}));
  // Empty.
  EXPECT_FALSE(ValidateDrWindow(DrWindow{at(14 * 60), at(14 * 60)}));
  // No usage before the event day: no reference day at all.
  const auto only_event_day = usage.Slice(FromKst(kEventDay), FromKst(AddDays(kEventDay, 1)));
  r = ComputeCbl(only_event_day, cal, TwoHours(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("no reference day"), std::string::npos) << r.error().message;
  // A calendar that does not reach back.
  const HolidayCalendar short_cal({}, Jul(20), Jul(31));
  r = ComputeCbl(usage, short_cal, TwoHours(), o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("holiday calendar"), std::string::npos) << r.error().message;
}

// A resource's CBL is the sum of its customers' (Max(4/5) on kTenDays: 110 kWh per hour each;
// the second customer has a gap in hour 15). Baseline 220 + 220; reductions: hour 14 = 50 + 50 =
// 100; hour 15 = 50 + 0 = 50, with one customer without data.
TEST(CblTest, SumCblAddsCustomersPerTradingHour) {
  const auto a = ComputeCbl(Levels(kTenDays), NoHolidays(), TwoHours(), Method(CblMethod::kMax4of5));
  const auto gap = MakeUsage([](Date d, int minute) -> std::optional<double> {
    if (d == kEventDay) return minute == 15 * 60 ? std::nullopt : std::optional<double>(15.0);
    const auto it = kTenDays.find(d);
    return (it == kTenDays.end() ? 100.0 : it->second) / 4;
  });
  const auto b = ComputeCbl(gap, NoHolidays(), TwoHours(), Method(CblMethod::kMax4of5));
  ASSERT_TRUE(a && b);
  const std::vector<CblResult> customers = {*a, *b};
  const auto sum = SumCbl(customers);
  ASSERT_TRUE(sum) << sum.error().message;
  ASSERT_EQ(sum->size(), 2u);
  EXPECT_DOUBLE_EQ((*sum)[0].baseline.value(), 220);
  EXPECT_DOUBLE_EQ((*sum)[0].actual.value(), 120);
  EXPECT_DOUBLE_EQ((*sum)[0].reduction.value(), 100);
  EXPECT_DOUBLE_EQ((*sum)[1].reduction.value(), 50);
  EXPECT_EQ((*sum)[1].customers_without_data, 1);

  const DrWindow other{FromKst(kEventDay, 15 * 60), FromKst(kEventDay, 16 * 60)};
  const auto c = ComputeCbl(Levels(kTenDays), NoHolidays(), other, Method(CblMethod::kMax4of5));
  ASSERT_TRUE(c);
  const std::vector<CblResult> mixed = {*a, *c};
  EXPECT_FALSE(SumCbl(mixed));
  EXPECT_FALSE(SumCbl(std::span<const CblResult>{}));
}

}  // namespace
}  // namespace meg
