#include "io/torino_campus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "io/text_file.h"

namespace meg {
namespace {

using ::testing::HasSubstr;

const std::string kPath = MEG_TEST_SHARED_DIR "/data/load/polito_campus_15min_2019.csv";
constexpr const char* kHeader =
    "\"Date_Time\",\"Year\",\"Month\",\"Day_Type\",\"Holiday\",\"FasciaAEEG\",\"Total_Power\","
    "\"Canteen\"\n";

Timestamp Utc(std::string_view iso) { return *ParseIso8601(iso); }

// A row of the small test layout (one sub-load).
std::string Row(std::string_view label, std::string_view day, std::string_view kw = "100",
                std::string_view month = "Oct") {
  return std::string(label) + ",2019,\"" + std::string(month) + "\",\"" + std::string(day) + "\",\"No\",\"F3\"," +
         std::string(kw) + ",1\n";
}

std::string ErrorOf(std::string_view text) {
  auto r = ParseTorinoCampusCsv(text, "to.csv");
  return r ? "" : r.error().message;
}

TEST(TorinoCampusTest, ItalianClockChangesFollowTheEuRule) {
  const Date mar31 = std::chrono::year{2019} / 3 / 31;
  const Date oct27 = std::chrono::year{2019} / 10 / 27;
  EXPECT_EQ(ItalyUtcOffset(Utc("2019-03-31T00:59:59Z")), std::chrono::hours{1});
  EXPECT_EQ(ItalyUtcOffset(Utc("2019-03-31T01:00:00Z")), std::chrono::hours{2});
  EXPECT_EQ(ItalyUtcOffset(Utc("2019-10-27T00:59:59Z")), std::chrono::hours{2});
  EXPECT_EQ(ItalyUtcOffset(Utc("2019-10-27T01:00:00Z")), std::chrono::hours{1});
  EXPECT_TRUE(ItalyWallClockToUtc(mar31, 2 * 60 + 30).empty());  // 02:30 never shows
  EXPECT_THAT(ItalyWallClockToUtc(mar31, 3 * 60), ::testing::ElementsAre(Utc("2019-03-31T01:00:00Z")));
  EXPECT_THAT(ItalyWallClockToUtc(oct27, 2 * 60 + 30),
              ::testing::ElementsAre(Utc("2019-10-27T00:30:00Z"), Utc("2019-10-27T01:30:00Z")));
  EXPECT_THAT(ItalyWallClockToUtc(std::chrono::year{2019} / 1 / 1, 0),
              ::testing::ElementsAre(Utc("2018-12-31T23:00:00Z")));
}

TEST(TorinoCampusTest, ParsesTheRealFile) {
  auto text = ReadTextFile(kPath);
  ASSERT_TRUE(text) << text.error().message;
  auto load = ParseTorinoCampusCsv(*text, kPath);
  ASSERT_TRUE(load) << load.error().message;
  // 2019-01-01 00:00 CET to 2019-12-31 23:45 CET on a UTC grid: 365 x 96 quarter hours.
  ASSERT_EQ(load->total_kw.size(), 35040u);
  EXPECT_EQ(load->total_kw.start(), Utc("2018-12-31T23:00:00Z"));
  EXPECT_EQ(load->total_kw.end(), Utc("2019-12-31T23:00:00Z"));
  // Gaps: the row 2019-04-23 00:00:00 (CEST) missing from the file (python: the only jump in the
  // labels is 2019-04-22 23:45 -> 2019-04-23 00:15), and the second (CET) run of 02:00-03:00 on
  // 2019-10-27, which the file does not have.
  const auto gaps = load->total_kw.Gaps();
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].start, Utc("2019-04-22T22:00:00Z"));
  EXPECT_EQ(gaps[0].count, 1u);
  EXPECT_EQ(gaps[1].start, Utc("2019-10-27T01:00:00Z"));
  EXPECT_EQ(gaps[1].count, 4u);

  // Notes: 4 dropped rows (lines 8554-8557, 2019-03-31 02:00-02:45), 4 ambiguous rows
  // (lines 28713-28716, 2019-10-27 02:00-02:45), 2 gaps.
  ASSERT_EQ(load->time_notes.size(), 10u);
  EXPECT_THAT(load->time_notes[0], HasSubstr("polito_campus_15min_2019.csv:8554: 2019-03-31 02:00:00 does not exist"));
  EXPECT_THAT(load->time_notes[3], HasSubstr(":8557: 2019-03-31 02:45:00 does not exist"));

  // Line 2: 2019-01-01
  // 00:00:00,2019,"Jan","Tue","Yes","F23",116.4,3.6,2.4,34.8,1.6,8,10.8,0,61.2,55.2
  EXPECT_DOUBLE_EQ(load->total_kw.at(0)->value(), 116.4);
  ASSERT_EQ(load->sub_loads.size(), 9u);
  EXPECT_EQ(load->sub_loads[0].name, "DIMAT");
  EXPECT_EQ(load->sub_loads[2].name, "Data_centre");
  EXPECT_EQ(load->sub_loads[8].name, "Not_allocated");
  EXPECT_DOUBLE_EQ(load->sub_loads[2].kw.at(0)->value(), 34.8);
  EXPECT_DOUBLE_EQ(load->sub_loads[8].kw.at(0)->value(), 55.2);
  const TorinoDayInfo& first = *load->day_info.at(0);
  EXPECT_EQ(first.day_type, std::chrono::Tuesday);
  EXPECT_TRUE(first.holiday);
  EXPECT_EQ(first.band, FasciaAeeg::kF23);

  auto kw_at = [&](std::string_view iso) {
    const auto k = load->total_kw.IndexOf(Utc(iso));
    return k && load->total_kw.at(*k) ? load->total_kw.at(*k)->value() : -1.0;
  };
  // Spring forward: 01:45 CET (line 8553, 138) is followed by 03:00 CEST (line 8558, 139.76).
  EXPECT_DOUBLE_EQ(kw_at("2019-03-31T00:45:00Z"), 138.0);
  EXPECT_DOUBLE_EQ(kw_at("2019-03-31T01:00:00Z"), 139.76);
  // Fall back: 02:00 (line 28713, 124) is taken as CEST; 03:00 CET (line 28717, 126.4) at 02:00Z.
  EXPECT_DOUBLE_EQ(kw_at("2019-10-27T00:00:00Z"), 124.0);
  EXPECT_DOUBLE_EQ(kw_at("2019-10-27T02:00:00Z"), 126.4);
  // The year's peak, line 17431: 2019-07-01 13:30:00 (CEST), 801.6 kW.
  EXPECT_DOUBLE_EQ(kw_at("2019-07-01T11:30:00Z"), 801.6);

  // Energy of the rows kept (all but lines 8554-8557), by python over the raw file:
  //   sum(float(r[6]) * 0.25 for rows whose line is not in 8554..8557) -> 2379913.801261604
  double kwh = 0;
  for (const auto& kw : load->total_kw.values()) kwh += kw ? (*kw * kIntervalHours).value() : 0;
  EXPECT_NEAR(kwh, 2379913.801261604, 1e-6);
}

TEST(TorinoCampusTest, PlacesARepeatedHourOnBothOccurrences) {
  std::string text = kHeader + Row("2019-10-27 01:45:00", "Sun");
  for (int pass = 0; pass < 2; ++pass) {
    for (const char* m : {"00", "15", "30", "45"}) {
      text += Row("2019-10-27 02:" + std::string(m) + ":00", "Sun", pass == 0 ? "1" : "2");
    }
  }
  text += Row("2019-10-27 03:00:00", "Sun");
  auto load = ParseTorinoCampusCsv(text, "to.csv");
  ASSERT_TRUE(load) << load.error().message;
  ASSERT_EQ(load->total_kw.size(), 10u);
  EXPECT_TRUE(load->total_kw.Gaps().empty());
  EXPECT_EQ(load->total_kw.start(), Utc("2019-10-26T23:45:00Z"));
  EXPECT_DOUBLE_EQ(load->total_kw.at(1)->value(), 1.0);  // 02:00 CEST = 00:00Z
  EXPECT_DOUBLE_EQ(load->total_kw.at(5)->value(), 2.0);  // 02:00 CET = 01:00Z
  EXPECT_THAT(load->time_notes[4], HasSubstr("to.csv:7: 2019-10-27 02:00:00 occurs twice in "
                                             "Italian time; taken as CET (2019-10-27T01:00Z)"));
}

// Two rows a millennium apart would put millions of quarter hours on the grid (found by the fuzzers).
TEST(TorinoCampusTest, RefusesRowsSpanningMoreThanTwentyYears) {
  const std::string year_1019 = "1019-10-01 00:00:00,1019,\"Oct\",\"Fri\",\"No\",\"F3\",100,1\n";
  EXPECT_THAT(ErrorOf(kHeader + year_1019 + Row("2019-10-01 00:00:00", "Tue")),
              HasSubstr("to.csv: the rows run from 1019-10-01"));
}

TEST(TorinoCampusTest, ReportsMalformedInputWithTheLine) {
  const std::string ok = Row("2019-10-01 00:00:00", "Tue");
  EXPECT_THAT(ErrorOf(kHeader + ok + Row("2019-10-01 00:15:00", "Tue", "abc")),
              HasSubstr("to.csv:3: Total_Power 'abc' is not a number"));
  EXPECT_THAT(ErrorOf(kHeader + ok + Row("2019-10-01 00:15:00", "Tue", "nan")),
              HasSubstr("to.csv:3: Total_Power is 'nan', not a finite number"));
  EXPECT_THAT(ErrorOf(kHeader + ok + Row("2019-10-01 00:15:00", "Tue", "-5")),
              HasSubstr("to.csv:3: Total_Power -5 kW is negative"));
  EXPECT_THAT(ErrorOf(kHeader + ok + Row("2019-10-01 00:15:00", "Wed")),
              HasSubstr("to.csv:3: Day_Type 'Wed' disagrees with Date_Time '2019-10-01 00:15:00', "
                        "a Tue"));
  EXPECT_THAT(ErrorOf(kHeader + ok + Row("2019-10-01 00:15:00", "Tue", "1", "Nov")),
              HasSubstr("to.csv:3: Month 'Nov' disagrees"));
  EXPECT_THAT(ErrorOf(kHeader + ok + ok),
              HasSubstr("to.csv:3: 2019-10-01 00:00:00 (2019-09-30T22:00Z) repeats line 2"));
  EXPECT_THAT(ErrorOf(kHeader + ok + Row("2019-10-01 00:10:00", "Tue")),
              HasSubstr("to.csv:3: Date_Time '2019-10-01 00:10:00' is not on a quarter hour"));
  std::string bad_band = ok;
  bad_band.replace(bad_band.find("F3"), 2, "F4");
  EXPECT_THAT(ErrorOf(kHeader + bad_band), HasSubstr("to.csv:2: FasciaAEEG 'F4' is not F1"));
  std::string bad_holiday = ok;
  bad_holiday.replace(bad_holiday.find("No"), 2, "Si");
  EXPECT_THAT(ErrorOf(kHeader + bad_holiday), HasSubstr("to.csv:2: Holiday 'Si' is not Yes or No"));
  EXPECT_THAT(ErrorOf(kHeader + ok + "2019-10-01 00:15:00,2019\n"), HasSubstr("to.csv:3: expected 8 fields, found 2"));
  EXPECT_THAT(ErrorOf("\"Date_Time\",\"kW\"\n" + ok), HasSubstr("to.csv:1: expected the header"));
  EXPECT_THAT(ErrorOf(kHeader + ok + Row("2019-10-01 00:15:00", "Tue", "1\xE9")),
              HasSubstr("to.csv:3: bytes are not UTF-8"));
}

}  // namespace
}  // namespace meg
