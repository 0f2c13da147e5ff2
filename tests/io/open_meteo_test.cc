#include "io/open_meteo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/time.h"
#include "io/text_file.h"

namespace meg {
namespace {

using std::chrono::hours;
using ::testing::HasSubstr;

constexpr const char* kHeader = "time_utc,ghi_w_m2,dni_w_m2,dhi_w_m2,temp_air_c,wind_speed_m_s\n";

std::string PathFor(int year) {
  return MEG_TEST_SHARED_DIR "/data/weather/jeonbuk_35.75N_127.25E_" + std::to_string(year) + ".csv";
}

Result<HourlyWeather> Load(int year) {
  auto text = ReadTextFile(PathFor(year));
  if (!text) return text.error();
  return ParseOpenMeteoCsv(*text, PathFor(year));
}

Timestamp Utc(std::string_view iso) { return *ParseIso8601(iso); }

std::string ErrorOf(std::string_view text) {
  auto r = ParseOpenMeteoCsv(text, "om.csv");
  return r ? "" : r.error().message;
}

TEST(OpenMeteoTest, ParsesTheRealFileWithRadiationNamedByIntervalStart) {
  auto w = Load(2023);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(w->ghi_w_m2.size(), 8760u);
  EXPECT_EQ(w->temp_air_c.size(), 8760u);
  EXPECT_EQ(w->ghi_w_m2.step(), hours{1});
  // The first row is labelled 2022-12-31T15:00:00Z (2023-01-01 00:00 KST): its radiation is the
  // mean of the hour before, so the radiation series starts an hour earlier; the temperature is
  // the sample at the label.
  EXPECT_EQ(w->ghi_w_m2.start(), Utc("2022-12-31T14:00:00Z"));
  EXPECT_EQ(w->dni_w_m2.start(), Utc("2022-12-31T14:00:00Z"));
  EXPECT_EQ(w->temp_air_c.start(), Utc("2022-12-31T15:00:00Z"));
  EXPECT_EQ(w->wind_speed_m_s.start(), Utc("2022-12-31T15:00:00Z"));
  // The last row is labelled 2023-12-31T14:00:00Z.
  EXPECT_EQ(w->ghi_w_m2.end(), Utc("2023-12-31T14:00:00Z"));
  EXPECT_TRUE(w->ghi_w_m2.Gaps().empty());
  EXPECT_TRUE(w->temp_air_c.Gaps().empty());
  // Line 2: 2022-12-31T15:00:00Z,0,0,0,-1.3,1.39
  EXPECT_DOUBLE_EQ(*w->temp_air_c.at(0), -1.3);
  EXPECT_DOUBLE_EQ(*w->wind_speed_m_s.at(0), 1.39);

  // The year's brightest hour, line 4167 (index 4165): 2023-06-23T04:00:00Z,939,762.2,196,29.2,0.72
  // (tail -n +2 | awk -F, '$2>m{m=$2; l=NR+1} END{print m, l}' -> 939 4167).
  size_t brightest = 0;
  double ghi_sum = 0, temp_sum = 0;
  for (size_t i = 0; i < w->ghi_w_m2.size(); ++i) {
    if (*w->ghi_w_m2.at(i) > *w->ghi_w_m2.at(brightest)) brightest = i;
    ghi_sum += *w->ghi_w_m2.at(i);
    temp_sum += *w->temp_air_c.at(i);
  }
  EXPECT_EQ(brightest, 4165u);
  EXPECT_DOUBLE_EQ(*w->ghi_w_m2.at(4165), 939);
  EXPECT_DOUBLE_EQ(*w->dni_w_m2.at(4165), 762.2);
  EXPECT_DOUBLE_EQ(*w->dhi_w_m2.at(4165), 196);
  EXPECT_DOUBLE_EQ(*w->temp_air_c.at(4165), 29.2);
  EXPECT_DOUBLE_EQ(*w->wind_speed_m_s.at(4165), 0.72);
  // Named by its start, the brightest hour is 03:00-04:00Z = 12:00-13:00 KST, the hour holding
  // solar noon at 127.25 E (about 12:31 KST); read as starting at the label it would be 13-14 KST.
  EXPECT_EQ(w->ghi_w_m2.TimeAt(brightest), Utc("2023-06-23T03:00:00Z"));
  EXPECT_EQ(w->temp_air_c.TimeAt(brightest), Utc("2023-06-23T04:00:00Z"));

  // awk -F, 'NR>1{g+=$2; t+=$5} END{printf "%.3f %.6f\n", g, t/(NR-1)}' -> 1484305.000 13.072055
  EXPECT_DOUBLE_EQ(ghi_sum, 1484305.0);
  EXPECT_NEAR(temp_sum / 8760, 13.072055, 1e-6);
}

TEST(OpenMeteoTest, ParsesTheLeapYearAndTheNextYear) {
  auto w2024 = Load(2024);
  ASSERT_TRUE(w2024) << w2024.error().message;
  EXPECT_EQ(w2024->ghi_w_m2.size(), 8784u);  // wc -l: 8785 lines with the header
  // Line 4000: 2024-06-15T05:00:00Z,667,452.4,237,24.8,3.89
  const auto k = w2024->ghi_w_m2.IndexOf(Utc("2024-06-15T04:00:00Z"));
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(*k, 3998u);
  EXPECT_DOUBLE_EQ(*w2024->ghi_w_m2.at(*k), 667);
  EXPECT_DOUBLE_EQ(*w2024->temp_air_c.at(*k), 24.8);

  auto w2025 = Load(2025);
  ASSERT_TRUE(w2025) << w2025.error().message;
  EXPECT_EQ(w2025->ghi_w_m2.size(), 8760u);
  // The files join without overlap: 2024 radiation ends where 2025 radiation starts.
  EXPECT_EQ(w2024->ghi_w_m2.end(), w2025->ghi_w_m2.start());
}

TEST(OpenMeteoTest, MissingHoursAndEmptyFieldsAreGaps) {
  auto w = ParseOpenMeteoCsv(std::string(kHeader) +
                                 "2023-01-01T00:00:00Z,0,0,0,1.0,2.0\n"
                                 "2023-01-01T03:00:00Z,10,,5,1.5,2.5\n",
                             "om.csv");
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(w->ghi_w_m2.size(), 4u);
  EXPECT_EQ(w->ghi_w_m2.start(), Utc("2022-12-31T23:00:00Z"));
  ASSERT_EQ(w->ghi_w_m2.Gaps().size(), 1u);
  EXPECT_EQ(w->ghi_w_m2.Gaps()[0].start, Utc("2023-01-01T00:00:00Z"));
  EXPECT_EQ(w->ghi_w_m2.Gaps()[0].count, 2u);
  EXPECT_EQ(w->temp_air_c.Gaps()[0].start, Utc("2023-01-01T01:00:00Z"));
  EXPECT_DOUBLE_EQ(*w->ghi_w_m2.at(3), 10);
  EXPECT_FALSE(w->dni_w_m2.at(3).has_value());
  EXPECT_DOUBLE_EQ(*w->dhi_w_m2.at(3), 5);
}

// Two rows a millennium apart would put millions of hours on the grid (found by the fuzzers).
TEST(OpenMeteoTest, RefusesRowsSpanningMoreThanTwentyYears) {
  EXPECT_THAT(ErrorOf(std::string(kHeader) +
                      "1023-01-01T00:00:00Z,0,0,0,1.0,2.0\n2023-01-01T00:00:00Z,0,0,0,1.0,2.0\n"),
              HasSubstr("om.csv: the rows run from 1023-01-01"));
}

TEST(OpenMeteoTest, ReportsMalformedInputWithTheLine) {
  const std::string ok_row = "2023-01-01T00:00:00Z,0,0,0,1.0,2.0\n";
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "2023-01-01T01:00:00Z,abc,0,0,1.0,2.0\n"),
              HasSubstr("om.csv:3: ghi_w_m2 'abc' is not a number"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "2023-01-01T01:00:00Z,0,0,0,NaN,2.0\n"),
              HasSubstr("om.csv:3: temp_air_c is 'NaN', not a finite number"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "2023-01-01T01:00:00Z,-1,0,0,1.0,2.0\n"),
              HasSubstr("om.csv:3: ghi_w_m2 -1 is negative"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + ok_row), HasSubstr("om.csv:3: time_utc 2023-01-01T00:00:00Z repeats line 2"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "2022-12-31T23:00:00Z,0,0,0,1.0,2.0\n"),
              HasSubstr("om.csv:3: time_utc 2022-12-31T23:00:00Z is earlier than line 2"));
  EXPECT_THAT(ErrorOf(kHeader + std::string("2023-01-01T00:30:00Z,0,0,0,1.0,2.0\n")),
              HasSubstr("om.csv:2: time_utc 2023-01-01T00:30:00Z is not on the hour"));
  EXPECT_THAT(ErrorOf(kHeader + std::string("2023-01-01T00:00:00,0,0,0,1.0,2.0\n")),
              HasSubstr("om.csv:2: timestamp '2023-01-01T00:00:00' has no UTC offset"));
  EXPECT_THAT(ErrorOf(kHeader + std::string("2023-01-01T00:00:00Z,0,0,0,1.0\n")),
              HasSubstr("om.csv:2: expected 6 fields, found 5"));
  EXPECT_THAT(ErrorOf("time,ghi\n" + ok_row), HasSubstr("om.csv:1: expected the header"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row +
                      "2023-01-01T01:00:00Z,0,0,0,\xB0"
                      "C,2.0\n"),
              HasSubstr("om.csv:3: bytes are not UTF-8"));
  EXPECT_THAT(ErrorOf(kHeader), HasSubstr("om.csv: no data rows"));
}

}  // namespace
}  // namespace meg
