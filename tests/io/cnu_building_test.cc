#include "io/cnu_building.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/time.h"
#include "io/text_file.h"

namespace meg {
namespace {

using ::testing::HasSubstr;
using Kind = CnuAnomaly::Kind;

constexpr const char* kHeader = ",date,temperatures(C),humidity(%),pressure(hPa),energy\n";

std::string PathFor(std::string_view building) {
  return MEG_TEST_SHARED_DIR "/data/load/cnu_gwangju/" + std::string(building) + ".csv";
}

Result<CnuBuildingData> Load(std::string_view building, const CnuReadOptions& options = {}) {
  auto text = ReadTextFile(PathFor(building));
  if (!text) return text.error();
  return ParseCnuBuildingCsv(*text, PathFor(building), options);
}

Timestamp Kst(int y, unsigned m, unsigned d, int hour) { return FromKst(std::chrono::year{y} / m / d, hour * 60); }

double SumOf(const IntervalSeries<KilowattHours>& s) {
  double sum = 0;
  for (const auto& v : s.values()) sum += v ? v->value() : 0;
  return sum;
}

size_t MissingOf(const IntervalSeries<KilowattHours>& s) {
  size_t n = 0;
  for (const auto& v : s.values()) n += v ? 0 : 1;
  return n;
}

std::string ErrorOf(std::string_view text) {
  auto r = ParseCnuBuildingCsv(text, "cnu.csv");
  return r ? "" : r.error().message;
}

// Expected figures below come from a Python script over the raw files, independent of this code:
//   e = [float(r[5]) for r in rows]; p90 = sorted(e)[len(e) * 9 // 10]
//   spikes: x > 20 * p90; zero runs: >= 24 consecutive exact zeros (lines = index + 2).

TEST(CnuBuildingTest, ParsesACleanBuilding) {
  auto data = Load("agri3_HV_02");
  ASSERT_TRUE(data) << data.error().message;
  // 11209 rows (wc -l 11210 with the header), 2021-01-01 0:00 to 2022-04-13 0:00, every hour.
  ASSERT_EQ(data->energy_kwh.size(), 11209u);
  EXPECT_EQ(data->energy_kwh.start(), Kst(2021, 1, 1, 0));
  EXPECT_EQ(data->energy_kwh.step(), std::chrono::hours{1});
  EXPECT_EQ(data->energy_kwh.TimeAt(11208), Kst(2022, 4, 13, 0));
  EXPECT_TRUE(data->energy_kwh.Gaps().empty());
  EXPECT_TRUE(data->anomalies.empty());
  // Line 2: 0,2021-01-01 0:00,-1.8,79.0,1018.5,164.351999999955
  EXPECT_DOUBLE_EQ(data->energy_kwh.at(0)->value(), 164.351999999955);
  EXPECT_DOUBLE_EQ(*data->temp_c.at(0), -1.8);
  EXPECT_DOUBLE_EQ(*data->humidity_pct.at(0), 79.0);
  EXPECT_DOUBLE_EQ(*data->pressure_hpa.at(0), 1018.5);
  // Blank weather fields (grep -c ',,\|,$' -> 31 rows): 3 temperatures, 4 humidities and 31
  // pressures are blank; they are gaps, the energy is not.
  EXPECT_EQ(data->temp_c.Gaps().size(), 1u);
  EXPECT_EQ(data->temp_c.Gaps()[0].start, Kst(2021, 9, 29, 18));  // line 6524
  EXPECT_EQ(data->temp_c.Gaps()[0].count, 3u);
  EXPECT_EQ(data->pressure_hpa.Gaps()[0].count, 31u);
  EXPECT_NEAR(SumOf(data->energy_kwh), 1797017.8226250012, 1e-6);
}

TEST(CnuBuildingTest, FlagsTheMeterFaultsOfAgri4) {
  auto data = Load("agri4_HV_01");
  ASSERT_TRUE(data) << data.error().message;
  size_t spikes = 0, runs = 0, run_hours = 0;
  for (const auto& a : data->anomalies) {
    if (a.kind == Kind::kSpike) ++spikes;
    if (a.kind == Kind::kZeroRun) {
      ++runs;
      run_hours += a.hours;
    }
  }
  EXPECT_EQ(spikes, 13u);
  EXPECT_EQ(runs, 9u);
  EXPECT_EQ(run_hours, 5261u);
  ASSERT_GE(data->anomalies.size(), 3u);
  // Line 1507: 1505,2021-03-04 17:00,7.8,99.0,1012.8,383941.31200000003
  const CnuAnomaly& spike = data->anomalies[0];
  EXPECT_EQ(spike.kind, Kind::kSpike);
  EXPECT_EQ(spike.first_line, 1507);
  EXPECT_EQ(spike.start, Kst(2021, 3, 4, 17));
  EXPECT_DOUBLE_EQ(spike.energy.value(), 383941.31200000003);
  EXPECT_THAT(spike.message, HasSubstr("agri4_HV_01.csv:1507: 383941.3 kWh at 2021-03-04T17:00:00+09:00 is a spike"));
  // Lines 2029-2096: 68 h of 0.0 from 2021-03-26 11:00; the meter catches up at line 2097
  // (12372.8).
  const CnuAnomaly& run = data->anomalies[3];
  EXPECT_EQ(run.kind, Kind::kZeroRun);
  EXPECT_EQ(run.first_line, 2029);
  EXPECT_EQ(run.last_line, 2096);
  EXPECT_EQ(run.hours, 68u);
  EXPECT_EQ(run.start, Kst(2021, 3, 26, 11));
  EXPECT_THAT(run.message, HasSubstr("agri4_HV_01.csv:2029-2096: 68 h of exactly 0 kWh"));
  EXPECT_EQ(data->anomalies[4].first_line, 2097);
  EXPECT_EQ(data->anomalies[4].kind, Kind::kSpike);
  // Kept as values unless asked.
  EXPECT_TRUE(data->energy_kwh.Gaps().empty());

  CnuReadOptions to_gaps;
  to_gaps.anomalies_to_gaps = true;
  auto cleaned = Load("agri4_HV_01", to_gaps);
  ASSERT_TRUE(cleaned) << cleaned.error().message;
  EXPECT_EQ(cleaned->anomalies.size(), 22u);
  EXPECT_EQ(MissingOf(cleaned->energy_kwh), 5274u);  // 13 spikes + 5261 zero hours
  EXPECT_NEAR(SumOf(cleaned->energy_kwh), 1398580.626000005, 1e-6);
}

TEST(CnuBuildingTest, TurnsTheFaultsOfEng3IntoGaps) {
  CnuReadOptions to_gaps;
  to_gaps.anomalies_to_gaps = true;
  auto data = Load("eng3_HV_01", to_gaps);
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_EQ(data->anomalies.size(), 9u);  // 7 spikes, zero runs of 1469 h and 599 h
  EXPECT_EQ(MissingOf(data->energy_kwh), 2075u);
  EXPECT_NEAR(SumOf(data->energy_kwh), 763191.3520000048, 1e-6);
}

TEST(CnuBuildingTest, FlagsAZeroRunOfExactlyTheThreshold) {
  auto data = Load("univ_HQ_HV_02");
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->anomalies.size(), 3u);
  // Lines 8604-8627: 24 h of zero from 2021-12-25 10:00 (Christmas; still a stopped meter by rule).
  EXPECT_EQ(data->anomalies[0].first_line, 8604);
  EXPECT_EQ(data->anomalies[0].hours, 24u);
  EXPECT_EQ(data->anomalies[0].start, Kst(2021, 12, 25, 10));
  // The last run reaches the end of the file: lines 8943-11210, 2268 h.
  EXPECT_EQ(data->anomalies[2].first_line, 8943);
  EXPECT_EQ(data->anomalies[2].last_line, 11210);
  EXPECT_EQ(data->anomalies[2].hours, 2268u);
  CnuReadOptions longer;
  longer.min_zero_run_hours = 25;
  auto fewer = Load("univ_HQ_HV_02", longer);
  ASSERT_TRUE(fewer) << fewer.error().message;
  EXPECT_EQ(fewer->anomalies.size(), 2u);
}

TEST(CnuBuildingTest, DetectsFaultsInASmallFile) {
  std::string text = kHeader;
  const double kwh[] = {10, 11, 0, 0, 0, 12, 13, 5000, 10, 11, 12};
  for (int h = 0; h < 11; ++h) {
    text +=
        std::to_string(h) + ",2021-01-01 " + std::to_string(h) + ":00,1.0,50.0,1000.0," + std::to_string(kwh[h]) + "\n";
  }
  CnuReadOptions options;
  options.min_zero_run_hours = 3;
  options.anomalies_to_gaps = true;
  auto data = ParseCnuBuildingCsv(text, "cnu.csv", options);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->anomalies.size(), 2u);
  EXPECT_EQ(data->anomalies[0].kind, Kind::kZeroRun);
  EXPECT_EQ(data->anomalies[0].first_line, 4);
  EXPECT_EQ(data->anomalies[0].last_line, 6);
  EXPECT_EQ(data->anomalies[1].kind, Kind::kSpike);  // 5000 > 20 x p90 (13)
  EXPECT_EQ(data->anomalies[1].first_line, 9);
  ASSERT_EQ(data->energy_kwh.Gaps().size(), 2u);
  EXPECT_EQ(data->energy_kwh.Gaps()[0].start, Kst(2021, 1, 1, 2));
  EXPECT_EQ(data->energy_kwh.Gaps()[0].count, 3u);
  EXPECT_EQ(data->energy_kwh.Gaps()[1].start, Kst(2021, 1, 1, 7));
}

TEST(CnuBuildingTest, MissingHoursAreGaps) {
  auto data = ParseCnuBuildingCsv(std::string(kHeader) +
                                      "0,2021-01-01 0:00,1,50,1000,10\n"
                                      "1,2021-01-01 3:00,1,50,1000,11\n",
                                  "cnu.csv");
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->energy_kwh.size(), 4u);
  ASSERT_EQ(data->energy_kwh.Gaps().size(), 1u);
  EXPECT_EQ(data->energy_kwh.Gaps()[0].start, Kst(2021, 1, 1, 1));
  EXPECT_EQ(data->energy_kwh.Gaps()[0].count, 2u);
  EXPECT_EQ(data->temp_c.Gaps()[0].count, 2u);
}

// Two rows a millennium apart would put millions of hours on the grid (found by the fuzzers).
TEST(CnuBuildingTest, RefusesRowsSpanningMoreThanTwentyYears) {
  EXPECT_THAT(ErrorOf(std::string(kHeader) + "0,1021-01-01 0:00,1,50,1000,10\n1,2021-01-01 0:00,1,50,1000,10\n"),
              HasSubstr("cnu.csv: the rows run from 1021-01-01"));
}

TEST(CnuBuildingTest, ReportsMalformedInputWithTheLine) {
  const std::string ok_row = "0,2021-01-01 0:00,1,50,1000,10\n";
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "1,2021-01-01 1:00,1,50,1000,abc\n"),
              HasSubstr("cnu.csv:3: energy 'abc' is not a number"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "1,2021-01-01 1:00,NaN,50,1000,10\n"),
              HasSubstr("cnu.csv:3: temperatures(C) is 'NaN', not a finite number"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "1,2021-01-01 1:00,1,50,1000,-4\n"),
              HasSubstr("cnu.csv:3: energy -4 kWh is negative"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "1,2021-01-01 1:00,1,150,1000,4\n"),
              HasSubstr("cnu.csv:3: humidity(%) 150 is outside 0..100"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "1,2021-01-01 0:00,1,50,1000,10\n"),
              HasSubstr("cnu.csv:3: hour 2021-01-01T00:00:00+09:00 repeats line 2"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "1,2020-12-31 23:00,1,50,1000,10\n"),
              HasSubstr("cnu.csv:3: hour 2020-12-31T23:00:00+09:00 is earlier than line 2"));
  EXPECT_THAT(ErrorOf(kHeader + std::string("0,2021-01-01 0:30,1,50,1000,10\n")),
              HasSubstr("cnu.csv:2: date '2021-01-01 0:30' is not on the hour"));
  EXPECT_THAT(ErrorOf(kHeader + std::string("0,2021-13-01 0:00,1,50,1000,10\n")),
              HasSubstr("cnu.csv:2: date-time '2021-13-01 0:00' has no valid date"));
  EXPECT_THAT(ErrorOf(kHeader + std::string("0,2021-01-01 0:00,1,50,1000\n")),
              HasSubstr("cnu.csv:2: expected 6 fields, found 5"));
  EXPECT_THAT(ErrorOf(",date,energy\n" + ok_row), HasSubstr("cnu.csv:1: expected the CNU header"));
  EXPECT_THAT(ErrorOf(kHeader + ok_row + "1,2021-01-01 1:00,1,50,1000,1\xE0\n"),
              HasSubstr("cnu.csv:3: bytes are not UTF-8"));
}

}  // namespace
}  // namespace meg
