// The weather files a site names: EPW, TMY3 and PSM3 laid on a calendar year with each format's
// time convention, against the shipped Gwangju TMYx file and small files written by hand.
#include "io/weather_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <fmt/format.h>

#include "core/time.h"
#include "io/epw.h"
#include "io/text_file.h"

namespace meg {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

const std::string kEpwPath = MEG_TEST_SHARED_DIR "/data/weather/KOR_KJ_Gwangju.471560_TMYx.2011-2025.epw";
// The Jeonju hospital of data/sites (35.82 N, 127.15 E): about 75 km from the Gwangju station.
const Location kJeonju{35.82, 127.15, 50, 540};

Timestamp Utc(int y, unsigned m, unsigned d, int h, int min = 0) {
  return Timestamp{std::chrono::sys_days{std::chrono::year{y} / m / d}} + hours{h} + minutes{min};
}

class WeatherFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto text = ReadTextFile(kEpwPath);
    ASSERT_TRUE(text) << text.error().message;
    text_ = *text;
    auto epw = ParseEpw(text_, "gwangju.epw");
    ASSERT_TRUE(epw) << epw.error().message;
    epw_ = *epw;
  }
  // The EPW record of a date and hour ending (local standard time).
  const EpwHour& Record(int month, int day, int hour_ending) const {
    for (const auto& h : epw_.hours) {
      if (h.month == month && h.day == day && h.hour_ending == hour_ending) return h;
    }
    ADD_FAILURE() << month << "/" << day << " " << hour_ending;
    return epw_.hours.front();
  }
  std::string text_;
  EpwWeather epw_;
};

// EPW: local standard time (the LOCATION line's +9), labelled by the hour's end. The record of
// Jan 1 hour-ending 13 (12:00-13:00 KST) is the radiation of 03:00-04:00 UTC, and its dry bulb is
// the sample at 13:00 KST = 04:00 UTC.
TEST_F(WeatherFileTest, EpwIsLaidOnTheYearInUtcByTheHoursEnd) {
  auto w = ReadWeatherText(text_, "epw", "gwangju.epw", 2025, &kJeonju);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->ghi_w_m2.start(), Utc(2024, 12, 31, 15));
  EXPECT_EQ(w->ghi_w_m2.size(), 8760u);
  // The samples start with Dec 31's last (the year wraps around) at 00:00 KST, then 01:00 KST on.
  EXPECT_EQ(w->temp_air_c.start(), Utc(2024, 12, 31, 15));
  EXPECT_EQ(w->temp_air_c.at(0), Record(12, 31, 24).dry_bulb_c);
  EXPECT_EQ(w->temp_air_c.size(), 8761u);
  const EpwHour& noon = Record(1, 1, 13);
  const Timestamp hour = Utc(2025, 1, 1, 3);
  ASSERT_TRUE(noon.ghi_wh_m2.has_value());
  EXPECT_EQ(*w->ghi_w_m2.at(static_cast<size_t>((hour - w->ghi_w_m2.start()) / hours{1})), *noon.ghi_wh_m2);
  EXPECT_EQ(*w->dni_w_m2.at(static_cast<size_t>((hour - w->dni_w_m2.start()) / hours{1})), *noon.dni_wh_m2);
  const Timestamp sample = Utc(2025, 1, 1, 4);
  EXPECT_EQ(*w->temp_air_c.at(static_cast<size_t>((sample - w->temp_air_c.start()) / hours{1})), *noon.dry_bulb_c);
  // The last record, Dec 31 hour-ending 24, is 14:00-15:00 UTC of Dec 31.
  EXPECT_EQ(*w->ghi_w_m2.at(8759), Record(12, 31, 24).ghi_wh_m2.value_or(-1));
  EXPECT_EQ(w->ghi_w_m2.end(), Utc(2025, 12, 31, 15));
}

// A typical year has no Feb 29: a leap year repeats Feb 28 there, and the days after keep their
// own records.
TEST_F(WeatherFileTest, ALeapYearRepeatsFeb28AndKeepsMarchInPlace) {
  auto w = ReadWeatherText(text_, "epw", "gwangju.epw", 2024, nullptr);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->ghi_w_m2.size(), 8784u);
  const size_t feb29 = (31 + 28) * 24, feb28 = (31 + 27) * 24, mar1 = (31 + 29) * 24;
  for (size_t h = 0; h < 24; ++h) {
    EXPECT_EQ(w->ghi_w_m2.at(feb29 + h), w->ghi_w_m2.at(feb28 + h)) << h;
    // The samples are one ahead of the hours: [0] is the wrapped sample of the year before.
    EXPECT_EQ(w->temp_air_c.at(feb29 + h + 1), Record(2, 28, static_cast<int>(h) + 1).dry_bulb_c) << h;
    EXPECT_EQ(w->temp_air_c.at(mar1 + h + 1), Record(3, 1, static_cast<int>(h) + 1).dry_bulb_c) << h;
  }
}

// The same hours written as TMY3 (hour-ending labels) and as a PSM3 TMY (the row's hour and a
// :30 stamp) read back to the same radiation; PSM3's samples sit at the stamp, 30 minutes
// earlier than TMY3's at the hour's end.
TEST_F(WeatherFileTest, Tmy3AndPsm3OfTheSameHoursGiveTheSameWeather) {
  std::string tmy3 = "471560,\"GWANGJU\",KJ,9.0,35.173,126.892,74\n";
  tmy3 +=
      "Date (MM/DD/YYYY),Time (HH:MM),ETR (W/m^2),GHI (W/m^2),GHI source,DNI (W/m^2),DHI (W/m^2),Dry-bulb (C),"
      "Wspd (m/s)\n";
  std::string psm3 = "Source,Location ID,City,State,Country,Latitude,Longitude,Time Zone,Elevation,Local Time Zone\n";
  psm3 += "NSRDB,123,Gwangju,-,Korea,35.173,126.892,9,74,9\n";
  psm3 += "Year,Month,Day,Hour,Minute,DHI,DNI,GHI,Temperature,Wind Speed\n";
  for (const EpwHour& h : epw_.hours) {
    tmy3 += fmt::format("{:02d}/{:02d}/{},{:02d}:00,0,{},1,{},{},{},{}\n", h.month, h.day, h.source_year, h.hour_ending,
                        h.ghi_wh_m2.value_or(-9900), h.dni_wh_m2.value_or(-9900), h.dhi_wh_m2.value_or(-9900),
                        h.dry_bulb_c.value_or(-9900), h.wind_speed_m_s.value_or(-9900));
    psm3 += fmt::format("{},{},{},{},30,{},{},{},{},{}\n", h.source_year, h.month, h.day, h.hour_ending - 1,
                        h.dhi_wh_m2.value_or(-9999), h.dni_wh_m2.value_or(-9999), h.ghi_wh_m2.value_or(-9999),
                        h.dry_bulb_c.value_or(-9999), h.wind_speed_m_s.value_or(-9999));
  }
  auto from_epw = ReadWeatherText(text_, "epw", "g.epw", 2025, &kJeonju);
  auto from_tmy3 = ReadWeatherText(tmy3, "tmy3", "g.tmy3.csv", 2025, &kJeonju);
  auto from_psm3 = ReadWeatherText(psm3, "psm3", "g.psm3.csv", 2025, &kJeonju);
  ASSERT_TRUE(from_epw) << from_epw.error().message;
  ASSERT_TRUE(from_tmy3) << from_tmy3.error().message;
  ASSERT_TRUE(from_psm3) << from_psm3.error().message;
  for (const HourlyWeather* w : {&*from_tmy3, &*from_psm3}) {
    EXPECT_EQ(w->ghi_w_m2.start(), from_epw->ghi_w_m2.start());
    EXPECT_EQ(w->ghi_w_m2.values(), from_epw->ghi_w_m2.values());
    EXPECT_EQ(w->dni_w_m2.values(), from_epw->dni_w_m2.values());
    EXPECT_EQ(w->dhi_w_m2.values(), from_epw->dhi_w_m2.values());
    EXPECT_EQ(w->temp_air_c.values(), from_epw->temp_air_c.values());
    EXPECT_EQ(w->wind_speed_m_s.values(), from_epw->wind_speed_m_s.values());
  }
  EXPECT_EQ(from_tmy3->temp_air_c.start(), from_epw->temp_air_c.start());
  EXPECT_EQ(from_psm3->temp_air_c.start(), from_epw->temp_air_c.start() - minutes{30});
}

// A PSM3 year of one Year is an actual year: rows stay on their dates. Time Zone 9: the row of
// 2025-06-01 12:30 local stands for 03:00-04:00 UTC.
TEST(WeatherFilePsm3, OneYearOfRowsIsAnActualYearOnItsDates) {
  const std::string psm3 =
      "Source,Latitude,Longitude,Time Zone\n"
      "NSRDB,35.8,127.1,9\n"
      "Year,Month,Day,Hour,Minute,GHI,DNI,DHI,Temperature,Wind Speed\n"
      "2025,6,1,11,30,700,500,250,24.5,2.0\n"
      "2025,6,1,12,30,810,600,260,25.5,2.5\n"
      "2025,6,1,14,30,600,-9999,240,26.0,3.0\n";
  auto w = ReadWeatherText(psm3, "psm3", "p.csv", 2019, &kJeonju);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->ghi_w_m2.start(), Utc(2025, 6, 1, 2));
  ASSERT_EQ(w->ghi_w_m2.size(), 4u);
  EXPECT_EQ(w->ghi_w_m2.at(1), 810.0);
  EXPECT_FALSE(w->ghi_w_m2.at(2).has_value()) << "13:30 has no row: a gap";
  EXPECT_FALSE(w->dni_w_m2.at(3).has_value()) << "-9999 is missing";
  EXPECT_EQ(w->temp_air_c.TimeAt(1), Utc(2025, 6, 1, 3, 30));
  EXPECT_EQ(w->temp_air_c.at(1), 25.5);
}

TEST(WeatherFileErrors, BadFilesAreRefusedNamingTheLineAndWhat) {
  const auto error = [](std::string_view text, std::string_view format) {
    auto w = ReadWeatherText(text, format, "w.csv", 2025, &kJeonju);
    return w ? std::string() : w.error().message;
  };
  const std::string station = "1,\"X\",KR,9.0,35.8,127.1,50\n";
  const std::string header = "Date (MM/DD/YYYY),Time (HH:MM),GHI (W/m^2),DNI (W/m^2),DHI (W/m^2),Dry-bulb (C)\n";
  EXPECT_THAT(error(station + header + "01/01/2001,01:00,0,0,0,1\n", "tmy3"), HasSubstr("no column 'Wspd (m/s)'"));
  const std::string full =
      "Date (MM/DD/YYYY),Time (HH:MM),GHI (W/m^2),DNI (W/m^2),DHI (W/m^2),Dry-bulb (C),Wspd (m/s)\n";
  EXPECT_THAT(error(station + full + "13/01/2001,01:00,0,0,0,1,1\n", "tmy3"),
              HasSubstr("w.csv:3: date '13/01/2001' is not MM/DD/YYYY"));
  EXPECT_THAT(error(station + full + "01/01/2001,00:00,0,0,0,1,1\n", "tmy3"), HasSubstr("is not an hour's end"));
  EXPECT_THAT(error(station + full + "01/01/2001,01:00,-5,0,0,1,1\n", "tmy3"), HasSubstr("GHI (W/m^2) -5 is negative"));
  EXPECT_THAT(error(station + full + "01/01/2001,01:00,abc,0,0,1,1\n", "tmy3"), HasSubstr("'abc' is not a number"));
  // One hour of a year is not a year.
  EXPECT_THAT(error(station + full + "01/01/2001,01:00,0,0,0,1,1\n", "tmy3"),
              HasSubstr("no record for 01/01 01:00-02:00 local standard time"));
  EXPECT_THAT(error(station + full + "01/01/2001,01:00,0,0,0,1,1\n01/01/2001,01:00,0,0,0,1,1\n", "tmy3"),
              HasSubstr("w.csv:4: 01/01 00:00 is already on line 3"));
  // Seoul's station is 195 km from Jeonju.
  EXPECT_THAT(error("1,\"SEOUL\",KR,9.0,37.57,126.97,86\n" + full, "tmy3"),
              HasSubstr("the weather is for SEOUL at 37.57°N 126.97°E, 195 km from the site"));
  EXPECT_THAT(error("Source,Latitude,Longitude\nNSRDB,35.8,127.1\nYear\n", "psm3"), HasSubstr("no column 'Time Zone'"));
  EXPECT_THAT(error("Source,Latitude,Longitude,Time Zone\nNSRDB,35.8,127.1,9\n"
                    "Year,Month,Day,Hour,Minute,GHI,DNI,DHI,Temperature,Wind Speed\n"
                    "2025,6,1,11,30,700,500,250,24.5,2.0\n2025,6,1,11,0,700,500,250,24.5,2.0\n",
                    "psm3"),
              HasSubstr("minute 0 differs from the first row's 30"));
  EXPECT_THAT(error("Source,Latitude,Longitude,Time Zone\nNSRDB,35.8,127.1,9\n"
                    "Year,Month,Day,Hour,Minute,GHI,DNI,DHI,Temperature,Wind Speed\n"
                    "2025,2,30,11,30,700,500,250,24.5,2.0\n",
                    "psm3"),
              HasSubstr("w.csv:4: 2025-2-30 11:30 is not a date and time"));
  EXPECT_THAT(error("x", "csv"), HasSubstr("weather format 'csv' is not one of open-meteo, epw, tmy3, psm3"));
}

// Hand check of the great circle: one degree of latitude is 6371 km x pi / 180 = 111.19 km.
TEST(WeatherFileDistance, OneDegreeOfLatitudeIs111Km) {
  EXPECT_NEAR(DistanceKm(35, 127, 36, 127), 111.19, 0.01);
  EXPECT_NEAR(DistanceKm(35.82, 127.15, 37.57, 126.97), 195.3, 0.5);
}

}  // namespace
}  // namespace meg
