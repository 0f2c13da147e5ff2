#include "io/gist_pv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/time.h"
#include "io/text_file.h"

namespace meg {
namespace {

using ::testing::HasSubstr;

constexpr const char* kPath = MEG_TEST_SHARED_DIR "/data/pv/gist_gwangju_pv_hourly_2022-07_08.csv";
constexpr const char* kHeader = "day,time,수평면,외기온도,경사면,모듈온도,A동,B동\n";

Timestamp Kst(int y, unsigned m, unsigned d, int hour) { return FromKst(std::chrono::year{y} / m / d, hour * 60); }

std::string ErrorOf(std::string_view text) {
  auto r = ParseGistPvCsv(text, "gist.csv");
  return r ? "" : r.error().message;
}

TEST(GistPvTest, ParsesTheRealFileOnKstHourInstants) {
  auto text = ReadTextFile(kPath);
  ASSERT_TRUE(text) << text.error().message;
  auto d = ParseGistPvCsv(*text, kPath);
  ASSERT_TRUE(d) << d.error().message;
  // 62 days x 24 rows, 2022-07-01 0:00 KST (2022-06-30T15:00Z) to 2022-08-31 23:00 KST.
  ASSERT_EQ(d->ghi_w_m2.size(), 1488u);
  EXPECT_EQ(d->ghi_w_m2.start(), Kst(2022, 7, 1, 0));
  EXPECT_EQ(d->ghi_w_m2.start(), *ParseIso8601("2022-06-30T15:00:00Z"));
  EXPECT_EQ(d->ghi_w_m2.step(), std::chrono::hours{1});
  EXPECT_EQ(d->temp_module_c.TimeAt(1487), Kst(2022, 8, 31, 23));
  EXPECT_TRUE(d->ghi_w_m2.Gaps().empty());
  ASSERT_EQ(d->systems.size(), 15u);
  EXPECT_EQ(d->systems[0].name, "축구장");
  EXPECT_EQ(d->systems[14].name, "기숙사 B동");
  // Line 13: 2022-07-01,11,997.0,45.8,928.0,56.0,107.6,32.9,...
  const size_t i = *d->ghi_w_m2.IndexOf(Kst(2022, 7, 1, 11));
  EXPECT_DOUBLE_EQ(*d->ghi_w_m2.at(i), 997.0);
  EXPECT_DOUBLE_EQ(*d->temp_air_c.at(i), 45.8);
  EXPECT_DOUBLE_EQ(*d->poa_w_m2.at(i), 928.0);
  EXPECT_DOUBLE_EQ(*d->temp_module_c.at(i), 56.0);
  EXPECT_DOUBLE_EQ(d->systems[0].ac.at(i)->value(), 107.6);
  EXPECT_DOUBLE_EQ(d->systems[1].ac.at(i)->value(), 32.9);
  // The brightest row, line 806: 2022-08-03,12,1198.0,44.1,1261.0,...
  EXPECT_DOUBLE_EQ(*d->ghi_w_m2.at(*d->ghi_w_m2.IndexOf(Kst(2022, 8, 3, 12))), 1198.0);
  // 축구장 sums to 23588.0 over the file (python csv: sum of column 7).
  double sum = 0;
  for (const auto& v : d->systems[0].ac.values()) sum += v->value();
  EXPECT_NEAR(sum, 23588.0, 1e-6);
}

TEST(GistPvTest, MissingHoursAndEmptyFieldsAreGaps) {
  auto d = ParseGistPvCsv(std::string(kHeader) +
                              "2022-07-01,10,500,30,480,40,10.5,\n"
                              "2022-07-01,12,600,31,590,45,12,3\n",
                          "gist.csv");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->ghi_w_m2.size(), 3u);
  EXPECT_FALSE(d->ghi_w_m2.at(1));  // 11:00 missing in every series
  EXPECT_FALSE(d->systems[0].ac.at(1));
  EXPECT_FALSE(d->systems[1].ac.at(0));  // empty field
  EXPECT_DOUBLE_EQ(d->systems[1].ac.at(2)->value(), 3);
}

// Every hour from the first row to the last gets a slot: two rows a millennium apart would take
// gigabytes (found by tests/fuzz/gist_pv_fuzz). 20 years (7,305 days) is the most a file may span.
// 1011-07-01 to 2022-07-01: 1,011 x 365 days + 246 leap days (253 years divisible by 4 in
// 1012..2020, less 1100, 1300, 1400, 1500, 1700, 1800, 1900) = 369,261.
TEST(GistPvTest, RefusesRowsSpanningMoreThanTwentyYears) {
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "1011-07-01,0,0,20,0,20,0,0\n2022-07-01,0,0,20,0,20,0,0\n"),
              HasSubstr("gist.csv: the rows run from 1011-07-01T00:00:00+09:00 to 2022-07-01T00:00:00+09:00, "
                        "369261 days"));
  // 2002-07-01 to 2022-07-01: 20 x 365 days + 5 leap days (2004, 2008, 2012, 2016, 2020) = 7,305.
  auto at_bound =
      ParseGistPvCsv(std::string(kHeader) + "2002-07-01,0,0,20,0,20,0,0\n2022-07-01,0,0,20,0,20,0,0\n", "gist.csv");
  ASSERT_TRUE(at_bound) << at_bound.error().message;
  EXPECT_EQ(at_bound->ghi_w_m2.size(), 7305u * 24 + 1);
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "2002-06-30,23,0,20,0,20,0,0\n2022-07-01,0,0,20,0,20,0,0\n"),
              HasSubstr("7305 days (20 years)"));
}

TEST(GistPvTest, ErrorsNameTheFileAndLine) {
  EXPECT_THAT(ErrorOf("day,time,ghi\n"), HasSubstr("gist.csv:1: expected a header 'day,time,"));
  EXPECT_THAT(ErrorOf("day,time,수평면,외기온도,경사면,모듈온도\n2022-07-01,0,0,0,0,0\n"),
              HasSubstr("naming at least one system"));
  EXPECT_THAT(ErrorOf("day,time,수평면,외기온도,경사면,모듈온도,A,A\n"),
              HasSubstr("gist.csv:1: system column 8 is a repeated name"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "2022-07-01,3,0,20,abc,20,0,0\n"),
              HasSubstr("gist.csv:2: 경사면 'abc' is not a number"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "2022-07-01,24,0,20,0,20,0,0\n"),
              HasSubstr("gist.csv:2: time 24 is outside 0..23"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "2022-07-01,3,0,20,0,20,0\n"),
              HasSubstr("gist.csv:2: expected 8 fields, found 7"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "2022-07-01,3,0,20,0,20,0,nan\n"),
              HasSubstr("gist.csv:2: B동 is 'nan', not a finite number"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "2022-07-01,3,0,20,0,20,0,0\n" + "2022-07-01,3,0,20,0,20,0,0\n"),
              HasSubstr("gist.csv:3: 2022-07-01 3:00 repeats line 2"));
  EXPECT_THAT(ErrorOf(std::string(kHeader)), HasSubstr("gist.csv: no data rows"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("gist.csv: the file is empty"));
}

}  // namespace
}  // namespace meg
