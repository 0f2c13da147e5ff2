#include "io/doe_hospital.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/calendar.h"
#include "io/text_file.h"

namespace meg {
namespace {

using std::chrono::sys_days;
using ::testing::HasSubstr;

const std::string kDoePath = MEG_TEST_SHARED_DIR "/data/load/doe_ref_hospital_4A_baltimore.csv";
const std::string kCalendarPath =
    MEG_TEST_SHARED_DIR "/data/calendar/kr_public_holidays_2018-2027.csv";

Result<DoeHospitalLoad> LoadDoe() {
  auto text = ReadTextFile(kDoePath);
  if (!text) return text.error();
  return ParseDoeHospitalCsv(*text, kDoePath);
}

Result<HolidayCalendar> LoadCalendar() {
  auto text = ReadTextFile(kCalendarPath);
  if (!text) return text.error();
  return HolidayCalendar::Parse(*text, kCalendarPath);
}

constexpr const char* kHeader =
    "Date/Time,Electricity:Facility [kW](Hourly),Fans:Electricity [kW](Hourly)\n";

// A small file in the DOE layout: `hours` rows from Jan 1 hour-ending 01.
std::string SmallDoe(int hours) {
  std::string text = kHeader;
  for (int h = 0; h < hours; ++h) {
    text += fmt::format(" 01/{:02d}  {:02d}:00:00,{}.5,1.0\n", h / 24 + 1, h % 24 + 1, 600 + h);
  }
  return text;
}

std::string ErrorOf(std::string_view text) {
  auto r = ParseDoeHospitalCsv(text, "h.csv");
  return r ? "" : r.error().message;
}

TEST(DoeHospitalTest, ParsesTheRealFile) {
  auto doe = LoadDoe();
  ASSERT_TRUE(doe) << doe.error().message;
  ASSERT_EQ(doe->facility_kw.size(), 8760u);
  ASSERT_EQ(doe->end_uses.size(), 9u);
  EXPECT_EQ(doe->end_uses[0].name, "Fans:Electricity");
  EXPECT_EQ(doe->end_uses[1].name, "Cooling:Electricity");
  EXPECT_EQ(doe->end_uses[5].name, "Gas:Facility");
  EXPECT_EQ(doe->end_uses[8].name, "Water Heater:WaterSystems:Gas");
  for (const auto& c : doe->end_uses) EXPECT_EQ(c.kw.size(), 8760u) << c.name;

  // Hour-ending labels: " 01/01  01:00:00" (file line 2) is Jan 1 00:00-01:00, index 0.
  EXPECT_DOUBLE_EQ(doe->facility_kw[0].value(), 610.376271783);
  EXPECT_DOUBLE_EQ(doe->FacilityAt(0, 0).value(), 610.376271783);
  // " 01/03  01:00:00" (line 50: sed -n 50p) is DOE day 2, hour 0.
  EXPECT_DOUBLE_EQ(doe->FacilityAt(2, 0).value(), 681.541880817);
  // " 12/31  24:00:00" (last line) is index 8759.
  EXPECT_DOUBLE_EQ(doe->facility_kw[8759].value(), 628.309126953);
  EXPECT_DOUBLE_EQ(doe->FindEndUse("Fans:Electricity")->kw[0].value(), 96.7403410254);
  EXPECT_DOUBLE_EQ(doe->FindEndUse("Heating:Gas")->kw[8759].value(), 836.04887508);
  EXPECT_EQ(doe->FindEndUse("Nope"), nullptr);

  // README: mean 1115 kW, peak 1552 kW. Independently:
  //   tail -n +2 doe_ref_hospital_4A_baltimore.csv | awk -F, '{s+=$2; if($2>m){m=$2; l=NR+1}}
  //     END{printf "%.6f %.6f %.6f %d\n", s, s/NR, m, l}'
  //   -> 9767251.882617 1114.983092 1552.424322 1075   (line 1075 = " 02/14  18:00:00")
  double sum = 0;
  size_t peak_at = 0;
  for (size_t h = 0; h < doe->facility_kw.size(); ++h) {
    sum += doe->facility_kw[h].value();
    if (doe->facility_kw[h] > doe->facility_kw[peak_at]) peak_at = h;
  }
  EXPECT_NEAR(sum, 9767251.882617, 1e-5);
  EXPECT_NEAR(sum / 8760, 1115.0, 0.5);
  EXPECT_NEAR(doe->facility_kw[peak_at].value(), 1552.0, 0.5);
  EXPECT_DOUBLE_EQ(doe->facility_kw[peak_at].value(), 1552.42432225);
  // Feb 14 is DOE day 31 + 13 = 44; hour-ending 18 is the hour starting at 17:00.
  EXPECT_EQ(peak_at, 44u * 24 + 17);
}

TEST(DoeHospitalTest, PicksTheNearestDoeDayOfTheSameWeekday) {
  auto calendar = LoadCalendar();
  ASSERT_TRUE(calendar) << calendar.error().message;
  auto picks = DoeDaysForYear(2024, *calendar);
  ASSERT_TRUE(picks) << picks.error().message;
  ASSERT_EQ(picks->size(), 366u);
  // Expected picks from an independent Python script over the same calendar file:
  //   for j, d in enumerate(days of 2024):
  //     want = 0 if holiday and not 임시공휴일 else (d.weekday() + 1) % 7  # 0 = Sunday
  //     picks.append(min((i for i in range(365) if i % 7 == want), key=lambda i: abs(i - j)))
  EXPECT_EQ((*picks)[0], 0);      // 2024-01-01, a Monday holiday (1월 1일): DOE Sunday Jan 1
  EXPECT_EQ((*picks)[1], 2);      // 2024-01-02, Tuesday: DOE day 2 (Tuesday)
  EXPECT_EQ((*picks)[42], 42);    // 2024-02-12, Monday, 대체공휴일(설날): Sunday profile
  EXPECT_EQ((*picks)[59], 60);    // 2024-02-29, Thursday: DOE day 60 is a Thursday
  EXPECT_EQ((*picks)[100], 98);   // 2024-04-10, Wednesday, election day: nearest DOE Sunday
  EXPECT_EQ((*picks)[274], 275);  // 2024-10-01, 임시공휴일: temporary, so an ordinary Tuesday
  EXPECT_EQ((*picks)[364], 358);  // 2024-12-30, Monday: no DOE Monday after day 358
  EXPECT_EQ((*picks)[365], 359);  // 2024-12-31, Tuesday

  const Date jan1 = std::chrono::year{2024} / 1 / 1;
  for (int j = 0; j < 366; ++j) {
    const Date date{sys_days{jan1} + std::chrono::days{j}};
    const int doe_day = (*picks)[static_cast<size_t>(j)];
    const Holiday* h = calendar->Find(date);
    const bool sunday = h != nullptr && h->kind != HolidayKind::kTemporary;
    const std::chrono::weekday want =
        sunday ? std::chrono::Sunday : std::chrono::weekday{sys_days{date}};
    EXPECT_EQ(kDoeFirstWeekday + std::chrono::days{doe_day}, want) << FormatDate(date);
    const int distance = std::abs(doe_day - j);
    EXPECT_LE(distance, (j < 6 || j > 359) ? 6 : 3) << FormatDate(date);
  }
}

TEST(DoeHospitalTest, MapsOntoALeapYearPreservingEnergy) {
  auto doe = LoadDoe();
  auto calendar = LoadCalendar();
  ASSERT_TRUE(doe) << doe.error().message;
  ASSERT_TRUE(calendar) << calendar.error().message;
  auto series = DoeHospitalOnYear(*doe, 2024, *calendar);
  ASSERT_TRUE(series) << series.error().message;
  EXPECT_EQ(series->size(), 35136u);
  EXPECT_EQ(series->start(), FromKst(std::chrono::year{2024} / 1 / 1));
  EXPECT_EQ(series->step(), kInterval);
  EXPECT_TRUE(series->Gaps().empty());
  // 2024-01-02 00:00-01:00 KST takes DOE day 2 hour 0 (line 50), held for four quarters.
  for (size_t q = 96; q < 100; ++q) {
    EXPECT_DOUBLE_EQ(series->at(q)->value(), 681.541880817);
  }
  double kwh = 0;
  for (const auto& kw : series->values()) kwh += (*kw * kIntervalHours).value();
  // Sum of the picked DOE days' hourly kWh, by the script above with kw = column 2 of the file:
  //   sum(kw[p*24+h] for p in picks for h in range(24)) -> 9720035.264379099
  EXPECT_NEAR(kwh, 9720035.264379099, 1e-4);
}

TEST(DoeHospitalTest, MapsOntoACommonYear) {
  auto doe = LoadDoe();
  auto calendar = LoadCalendar();
  ASSERT_TRUE(doe) << doe.error().message;
  ASSERT_TRUE(calendar) << calendar.error().message;
  auto series = DoeHospitalOnYear(*doe, 2023, *calendar);
  ASSERT_TRUE(series) << series.error().message;
  EXPECT_EQ(series->size(), 35040u);
  double kwh = 0;
  for (const auto& kw : series->values()) kwh += (*kw * kIntervalHours).value();
  // 2023 starts on a Sunday like the DOE year; only holidays move days. Script: 9703399.353991747
  EXPECT_NEAR(kwh, 9703399.353991747, 1e-4);
}

TEST(DoeHospitalTest, MappingShowsWhichDayWasPicked) {
  // A synthetic profile whose every hour names its DOE day: kW = 1000 x day + hour.
  DoeHospitalLoad load;
  for (int h = 0; h < kDoeHoursPerYear; ++h)
    load.facility_kw.emplace_back(1000.0 * (h / 24) + h % 24);
  auto calendar = LoadCalendar();
  ASSERT_TRUE(calendar) << calendar.error().message;
  auto series = DoeHospitalOnYear(load, 2024, *calendar);
  ASSERT_TRUE(series) << series.error().message;
  // 2024-04-10 (day 100, election) 13:30 KST: DOE day 98, hour 13.
  const auto k = series->IndexOf(FromKst(std::chrono::year{2024} / 4 / 10, 13 * 60 + 30));
  ASSERT_TRUE(k.has_value());
  EXPECT_DOUBLE_EQ(series->at(*k)->value(), 98013.0);
}

TEST(DoeHospitalTest, RefusesAYearTheCalendarDoesNotCover) {
  auto doe = LoadDoe();
  auto calendar = LoadCalendar();
  ASSERT_TRUE(doe) << doe.error().message;
  ASSERT_TRUE(calendar) << calendar.error().message;
  auto series = DoeHospitalOnYear(*doe, 2030, *calendar);
  ASSERT_FALSE(series);
  EXPECT_EQ(series.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(series.error().message, HasSubstr("2030"));
  EXPECT_FALSE(DoeHospitalOnYear(DoeHospitalLoad{}, 2024, *calendar));
}

TEST(DoeHospitalTest, ReportsMalformedInputWithTheLine) {
  // A short file parses line by line, then fails on the row count.
  EXPECT_THAT(ErrorOf(SmallDoe(3)), HasSubstr("h.csv: the file ends at hour ending 01/01 03:00"));

  std::string bad_number = SmallDoe(3);
  bad_number.replace(bad_number.find("601.5"), 5, "abc");
  EXPECT_THAT(ErrorOf(bad_number),
              HasSubstr("h.csv:3: Electricity:Facility 'abc' is not a number"));

  std::string nan = SmallDoe(3);
  nan.replace(nan.find("1.0\n 01/01  03"), 3, "NaN");
  EXPECT_THAT(ErrorOf(nan), HasSubstr("h.csv:3: Fans:Electricity is 'NaN', not a finite number"));

  std::string negative = SmallDoe(3);
  negative.replace(negative.find("602.5"), 5, "-2");
  EXPECT_THAT(ErrorOf(negative), HasSubstr("h.csv:4: Electricity:Facility -2 kW is negative"));

  std::string missing = SmallDoe(4);
  missing.erase(missing.find(" 01/01  02:00:00"),
                std::string(" 01/01  02:00:00,601.5,1.0\n").size());
  EXPECT_THAT(ErrorOf(missing),
              HasSubstr("h.csv:3: hour ending 01/01 02:00 is missing before this row"));

  std::string duplicate = SmallDoe(3) + " 01/01  02:00:00,1.0,1.0\n";
  EXPECT_THAT(ErrorOf(duplicate), HasSubstr("h.csv:5: hour ending 01/01 02:00 repeats"));

  EXPECT_THAT(ErrorOf("Date/Time,kW\n 01/01  01:00:00,1\n"), HasSubstr("h.csv:1: found"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + " 02/30  01:00:00,1,1\n"),
              HasSubstr("h.csv:2: Date/Time ' 02/30  01:00:00' has a day outside the month"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + " 01/01  00:00:00,1,1\n"),
              HasSubstr("h.csv:2: Date/Time ' 01/01  00:00:00' has an hour outside 01..24"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + " 01/01  01:00:00,1\n"),
              HasSubstr("h.csv:2: expected 3 fields, found 2"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + " 01/01  01:00:00,\xC0\xAF,1\n"),
              HasSubstr("h.csv:2: bytes are not UTF-8"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("h.csv: the file is empty"));
}

TEST(DoeHospitalTest, AcceptsAWholeSyntheticYear) {
  std::string text = kHeader;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int m = 0; m < 12; ++m) {
    for (int d = 1; d <= kDays[m]; ++d) {
      for (int h = 1; h <= 24; ++h)
        text += fmt::format(" {:02d}/{:02d}  {:02d}:00:00,5,1\r\n", m + 1, d, h);
    }
  }
  auto doe = ParseDoeHospitalCsv(text, "h.csv");
  ASSERT_TRUE(doe) << doe.error().message;
  EXPECT_EQ(doe->facility_kw.size(), 8760u);
  EXPECT_EQ(doe->end_uses.size(), 1u);
}

}  // namespace
}  // namespace meg
