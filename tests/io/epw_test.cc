#include "io/epw.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "io/text_file.h"

namespace meg {
namespace {

using ::testing::HasSubstr;

const std::string kEpwPath =
    MEG_TEST_SHARED_DIR "/data/weather/KOR_KJ_Gwangju.471560_TMYx.2011-2025.epw";

// The 8 header lines of a small EPW file (CRLF, as the real files).
const std::string kHeader =
    "LOCATION,Testville,KJ,KOR,SRC-TMYx,471560,35.17310,126.8917,9.0,74.0\r\n"
    "DESIGN CONDITIONS,0\r\n"
    "TYPICAL/EXTREME PERIODS,0\r\n"
    "GROUND TEMPERATURES,0\r\n"
    "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0\r\n"
    "COMMENTS 1,test\r\n"
    "COMMENTS 2,test\r\n"
    "DATA PERIODS,1,1,Data,Sunday,1/ 1,12/31\r\n";

// One record: year 2023, Jan 1, the given hour and values for fields 7 (dry bulb) and 14 (GHI).
std::string Record(int hour, std::string_view dry_bulb = "-0.50", std::string_view ghi = "0") {
  return "2023,1,1," + std::to_string(hour) + ",30,?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9*9?9*9*9?9*9," +
         std::string(dry_bulb) + ",-3.20,80,102218,0,0,224," + std::string(ghi) +
         ",0,0,0,0,0,0,263,0.10,0,0,777.7,77777,9,999999999,7,0.0850,7,88,0.330,0.0,0.0\r\n";
}

std::string ErrorOf(std::string_view text) {
  auto r = ParseEpw(text, "w.epw");
  return r ? "" : r.error().message;
}

TEST(EpwTest, ParsesTheRealFile) {
  auto text = ReadTextFile(kEpwPath);
  ASSERT_TRUE(text) << text.error().message;
  auto epw = ParseEpw(*text, kEpwPath);
  ASSERT_TRUE(epw) << epw.error().message;
  // LOCATION,Gwangju,KJ,KOR,SRC-TMYx,471560,35.17310,126.8917,9.0,74.0
  EXPECT_EQ(epw->location.city, "Gwangju");
  EXPECT_EQ(epw->location.country, "KOR");
  EXPECT_EQ(epw->location.wmo_station, "471560");
  EXPECT_DOUBLE_EQ(epw->location.latitude_deg, 35.1731);
  EXPECT_DOUBLE_EQ(epw->location.longitude_deg, 126.8917);
  EXPECT_DOUBLE_EQ(epw->location.utc_offset_hours, 9.0);
  EXPECT_DOUBLE_EQ(epw->location.elevation_m, 74.0);
  EXPECT_EQ(epw->first_weekday, std::chrono::Sunday);  // DATA PERIODS,1,1,Data,Sunday,...
  ASSERT_EQ(epw->hours.size(), 8760u);

  // Line 9: 2023,1,1,1,30,<flags>,-0.50,-3.20,80,102218,0,0,224,0,0,0,0,0,0,0,263,0.10,...
  const EpwHour& first = epw->hours[0];
  EXPECT_EQ(first.source_year, 2023);
  EXPECT_EQ(first.month, 1);
  EXPECT_EQ(first.day, 1);
  EXPECT_EQ(first.hour_ending, 1);
  EXPECT_DOUBLE_EQ(*first.dry_bulb_c, -0.5);
  EXPECT_DOUBLE_EQ(*first.dew_point_c, -3.2);
  EXPECT_DOUBLE_EQ(*first.relative_humidity_pct, 80);
  EXPECT_DOUBLE_EQ(*first.pressure_pa, 102218);
  EXPECT_DOUBLE_EQ(*first.ghi_wh_m2, 0);
  EXPECT_DOUBLE_EQ(*first.wind_direction_deg, 263);
  EXPECT_DOUBLE_EQ(*first.wind_speed_m_s, 0.1);

  // The brightest hour, line 3668 (sed -n 3668p | cut -d, -f1-5,7-10,14-16,21,22):
  //   2011,6,2,12,30,24.70,10.90,42,100395,968,848,152,290,1.50
  // June 2 is day 152 (0-based) and hour-ending 12 is 11:00-12:00: index 152 * 24 + 11.
  const EpwHour& noon = epw->hours[152 * 24 + 11];
  EXPECT_EQ(noon.source_year, 2011);
  EXPECT_EQ(noon.month, 6);
  EXPECT_EQ(noon.day, 2);
  EXPECT_EQ(noon.hour_ending, 12);
  EXPECT_DOUBLE_EQ(*noon.dry_bulb_c, 24.7);
  EXPECT_DOUBLE_EQ(*noon.ghi_wh_m2, 968);
  EXPECT_DOUBLE_EQ(*noon.dni_wh_m2, 848);
  EXPECT_DOUBLE_EQ(*noon.dhi_wh_m2, 152);
  EXPECT_DOUBLE_EQ(*noon.wind_direction_deg, 290);
  EXPECT_DOUBLE_EQ(*noon.wind_speed_m_s, 1.5);

  // Last line: 2013,12,31,24,30,<flags>,5.10,0.60,73,100612,...,270,3.10,...
  const EpwHour& last = epw->hours[8759];
  EXPECT_EQ(last.month, 12);
  EXPECT_EQ(last.day, 31);
  EXPECT_EQ(last.hour_ending, 24);
  EXPECT_DOUBLE_EQ(*last.dry_bulb_c, 5.1);
  EXPECT_DOUBLE_EQ(*last.wind_speed_m_s, 3.1);

  // Annual figures: tail -n +9 <file> | tr -d '\r' | awk -F, '{g+=$14; d+=$15; h+=$16; t+=$7}
  //   END{printf "%.1f %.1f %.1f %.6f\n", g, d, h, t/NR}' -> 1567885.0 1623315.0 583994.0 14.531142
  // (the file has no missing-value codes in these fields).
  double ghi = 0, dni = 0, dhi = 0, temp = 0;
  for (const auto& h : epw->hours) {
    ASSERT_TRUE(h.ghi_wh_m2 && h.dni_wh_m2 && h.dhi_wh_m2 && h.dry_bulb_c);
    ghi += *h.ghi_wh_m2;
    dni += *h.dni_wh_m2;
    dhi += *h.dhi_wh_m2;
    temp += *h.dry_bulb_c;
  }
  EXPECT_DOUBLE_EQ(ghi, 1567885.0);
  EXPECT_DOUBLE_EQ(dni, 1623315.0);
  EXPECT_DOUBLE_EQ(dhi, 583994.0);
  EXPECT_NEAR(temp / 8760, 14.531142, 1e-6);
}

TEST(EpwTest, ReportsAFileThatEndsEarly) {
  // 99.9 C and 9999 Wh/m2 are the data dictionary's "missing" codes, not errors; the only
  // problem of this file is that two hours are not a year.
  auto epw = ParseEpw(kHeader + Record(1, "99.9", "9999") + Record(2), "w.epw");
  ASSERT_FALSE(epw);
  EXPECT_EQ(epw.error().message,
            "w.epw: the records end at 01/01 hour-ending 02, not 12/31 "
            "hour-ending 24");
}

TEST(EpwTest, AcceptsAWholeYearWithMissingValues) {
  std::string text = kHeader;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int m = 1; m <= 12; ++m) {
    for (int d = 1; d <= kDays[m - 1]; ++d) {
      for (int h = 1; h <= 24; ++h) {
        text += "2023," + std::to_string(m) + "," + std::to_string(d) + "," + std::to_string(h) +
                ",0,x," + (m == 1 && d == 1 && h == 1 ? "99.9" : "5.0") +
                ",1,50,101325,0,0,0,9999,0,0,0,0,0,0,999,999\n";
      }
    }
  }
  auto epw = ParseEpw(text, "w.epw");
  ASSERT_TRUE(epw) << epw.error().message;
  ASSERT_EQ(epw->hours.size(), 8760u);
  EXPECT_FALSE(epw->hours[0].dry_bulb_c.has_value());
  EXPECT_DOUBLE_EQ(*epw->hours[1].dry_bulb_c, 5.0);
  EXPECT_FALSE(epw->hours[5].ghi_wh_m2.has_value());
  EXPECT_DOUBLE_EQ(*epw->hours[5].dni_wh_m2, 0);
  EXPECT_FALSE(epw->hours[5].wind_direction_deg.has_value());
  EXPECT_FALSE(epw->hours[5].wind_speed_m_s.has_value());
  EXPECT_EQ(epw->hours[8759].hour_ending, 24);
}

TEST(EpwTest, ReportsMalformedInputWithTheLine) {
  EXPECT_THAT(ErrorOf(kHeader + Record(1, "abc")),
              HasSubstr("w.epw:9: dry bulb (C) 'abc' is not a number"));
  EXPECT_THAT(ErrorOf(kHeader + Record(1, "NaN")),
              HasSubstr("w.epw:9: dry bulb (C) is 'NaN', not a finite number"));
  EXPECT_THAT(ErrorOf(kHeader + Record(1, "-0.5", "-3")),
              HasSubstr("w.epw:9: global horizontal radiation (Wh/m2) -3 is outside 0..9999"));
  EXPECT_THAT(ErrorOf(kHeader + Record(1) + Record(3)),
              HasSubstr("w.epw:10: 01/01 hour-ending 03 follows 01/01 hour-ending 01: the hours "
                        "between are missing"));
  EXPECT_THAT(ErrorOf(kHeader + Record(1) + Record(1)),
              HasSubstr("w.epw:10: 01/01 hour-ending 01 repeats or is out of order"));
  EXPECT_THAT(ErrorOf(kHeader + Record(0)), HasSubstr("w.epw:9: hour 0 is outside 1..24"));
  EXPECT_THAT(ErrorOf(kHeader + "2023,1,1,1,30\r\n"),
              HasSubstr("w.epw:9: expected at least 22 fields, found 5"));
  EXPECT_THAT(ErrorOf("LOCATION,x\r\n" + kHeader.substr(kHeader.find('\n') + 1) + Record(1)),
              HasSubstr("w.epw:1: LOCATION has 2 fields"));
  std::string wrong_header = kHeader;
  wrong_header.replace(wrong_header.find("COMMENTS 2"), 10, "REMARKS");
  EXPECT_THAT(ErrorOf(wrong_header + Record(1)),
              HasSubstr("w.epw:7: expected the EPW header line 'COMMENTS 2,...'"));
  std::string two_periods = kHeader;
  two_periods.replace(two_periods.find("DATA PERIODS,1,1"), 16, "DATA PERIODS,1,4");
  EXPECT_THAT(ErrorOf(two_periods + Record(1)), HasSubstr("w.epw:8: DATA PERIODS must state"));
  EXPECT_THAT(ErrorOf(kHeader + Record(1, "-0.5\xFF")), HasSubstr("w.epw:9: bytes are not UTF-8"));
  EXPECT_THAT(ErrorOf("LOCATION,x\r\n"), HasSubstr("w.epw: 1 lines"));
}

}  // namespace
}  // namespace meg
