// A measured load laid on a calendar year (issue 17: the CNU buildings of the demo fleet, measured
// in 2021, laid on 2024). Expected days are picked by hand from the calendar.
#include "io/measured_on_year.h"

#include <gtest/gtest.h>

#include "core/calendar.h"
#include "io/text_file.h"

namespace meg {
namespace {

HolidayCalendar Calendar() {
  auto text = ReadTextFile(MEG_TEST_SHARED_DIR "/data/calendar/kr_public_holidays_2018-2027.csv");
  EXPECT_TRUE(text);
  auto c = HolidayCalendar::Parse(*text, "holidays.csv");
  EXPECT_TRUE(c) << c.error().message;
  return *c;
}

// Two weeks of 2021, Mon 4 Jan .. Sun 17 Jan, each day flat at 100 + its index (day 0: 100 kW).
PowerSeries TwoWeeks() {
  std::vector<std::optional<Kilowatts>> kw;
  for (int day = 0; day < 14; ++day) {
    for (int q = 0; q < kIntervalsPerDay; ++q) kw.emplace_back(Kilowatts(100 + day));
  }
  return PowerSeries(FromKst(std::chrono::year{2021} / 1 / 4), kInterval, std::move(kw));
}

double DayValue(const PowerSeries& s, Date date) {
  const auto i = s.IndexOf(FromKst(date));
  EXPECT_TRUE(i.has_value());
  return i ? s.at(*i)->value() : -1;
}

TEST(MeasuredOnYearTest, EachDayTakesTheNearestMeasuredDayOfItsType) {
  const HolidayCalendar calendar = Calendar();
  auto laid = MeasuredOnYear(TwoWeeks(), 2024, calendar);
  ASSERT_TRUE(laid) << laid.error().message;
  EXPECT_EQ(laid->start(), FromKst(std::chrono::year{2024} / 1 / 1));
  EXPECT_EQ(laid->size(), 366u * kIntervalsPerDay);  // 2024 is a leap year
  for (const auto& v : laid->values()) ASSERT_TRUE(v.has_value());
  using Y = std::chrono::year;
  // Mon 1 Jan 2024 is 신정, a holiday: a Sunday. Measured Sundays: 10 Jan (day of year 9, 106 kW)
  // and 17 Jan (16, 113 kW); the nearest to day 0 is 10 Jan.
  EXPECT_EQ(DayValue(*laid, Y{2024} / 1 / 1), 106);
  // Tue 2 Jan (day 1): Tuesdays 5 Jan (day 4, 101 kW) and 12 Jan (day 11, 108 kW) -> 5 Jan.
  EXPECT_EQ(DayValue(*laid, Y{2024} / 1 / 2), 101);
  // Sat 13 Jan (day 12): Saturdays 9 Jan (day 8, 105) and 16 Jan (day 15, 112): 3 < 4 -> 16 Jan.
  EXPECT_EQ(DayValue(*laid, Y{2024} / 1 / 13), 112);
  // Fri 9 Feb 2024 is 설날 eve, a holiday: a Sunday. Day 39: 17 Jan (16) is nearer than 10 Jan.
  EXPECT_EQ(DayValue(*laid, Y{2024} / 2 / 9), 113);
  // Tue 31 Dec (day 365): around the year, 5 Jan (day 4) is 4 days away.
  EXPECT_EQ(DayValue(*laid, Y{2024} / 12 / 31), 101);
  // Each quarter-hour of a day holds the picked day's value (here flat).
  const auto i = laid->IndexOf(FromKst(Y{2024} / 1 / 2, 23 * 60 + 45));
  ASSERT_TRUE(i);
  EXPECT_EQ(laid->at(*i)->value(), 101);
}

TEST(MeasuredOnYearTest, ADayWithAGapIsNeverUsed) {
  PowerSeries measured = TwoWeeks();
  // One missing quarter-hour on Tue 5 Jan 2021 (day 1): only 12 Jan is left for Tuesdays.
  measured.at(static_cast<size_t>(1 * kIntervalsPerDay + 50)).reset();
  auto laid = MeasuredOnYear(measured, 2024, Calendar());
  ASSERT_TRUE(laid) << laid.error().message;
  EXPECT_EQ(DayValue(*laid, std::chrono::year{2024} / 1 / 2), 108);
}

TEST(MeasuredOnYearTest, AMissingDayTypeIsAnErrorNamingIt) {
  PowerSeries measured = TwoWeeks();
  // Both Saturdays (9 and 16 Jan 2021: days 5 and 12) get a gap.
  measured.at(static_cast<size_t>(5 * kIntervalsPerDay)).reset();
  measured.at(static_cast<size_t>(12 * kIntervalsPerDay)).reset();
  auto year = MeasuredOnYear(measured, 2024, Calendar());
  ASSERT_FALSE(year);
  EXPECT_NE(year.error().message.find("no whole day (96 quarter-hours without a gap) of type Saturday, which 2024 "
                                      "needs on 2024-01-06"),
            std::string::npos)
      << year.error().message;
}

TEST(MeasuredOnYearTest, HourlyEnergyKeepsEachHoursEnergy) {
  IntervalSeries<KilowattHours> hourly(FromKst(std::chrono::year{2021} / 1 / 1), std::chrono::hours(1),
                                       {KilowattHours(164.352), std::nullopt, KilowattHours(151.7)});
  auto kw = HourlyEnergyToPower(hourly);
  ASSERT_TRUE(kw);
  ASSERT_EQ(kw->size(), 12u);
  EXPECT_EQ(kw->at(0)->value(), 164.352);  // 164.352 kWh in one hour: 164.352 kW for 4 quarters
  EXPECT_EQ(kw->at(3)->value(), 164.352);
  EXPECT_FALSE(kw->at(4).has_value());
  EXPECT_EQ(kw->at(8)->value(), 151.7);
  IntervalSeries<KilowattHours> quarter(FromKst(std::chrono::year{2021} / 1 / 1), kInterval, {KilowattHours(1)});
  EXPECT_FALSE(HourlyEnergyToPower(quarter));
}

}  // namespace
}  // namespace meg
