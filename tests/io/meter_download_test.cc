// The meter-download reader: encodings, the header, the columns, the label convention, the unit
// and the interval, each detected and each set by option; bad files refused with the line.
// Expected values are worked by hand from the rows written here.
#include "io/meter_download.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace meg {
namespace {

// The UTF-8 header KEPCO's download writes (한전ON).
const char* kKepcoHeader = "계기번호,고객번호,검침일,순방향 유효전력량(KWH)";

// One day of KEPCO rows: label 00:15 .. 24:00 on `date`, the k-th row (k = 1..96) holding k kWh.
std::string KepcoDay(const std::string& date) {
  std::string s;
  for (int k = 1; k <= 96; ++k) {
    const int m = 15 * k;
    s += fmt::format("55-282007100,196705100,{} {:02d}:{:02d},{}\n", date, m / 60, m % 60, k);
  }
  return s;
}

Result<UsageImport> Read(const std::string& bytes, const MeterReadOptions& meter = {},
                         const UsageReadOptions& read = {}) {
  return ReadUsageBytes(bytes, "meter.csv", meter, read);
}

bool Said(const UsageImport& u, const std::string& needle) {
  for (const auto& line : u.detected) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string AllSaid(const UsageImport& u) {
  std::string s;
  for (const auto& line : u.detected) s += line + "\n";
  return s;
}

void ExpectError(const Result<UsageImport>& r, const std::string& needle) {
  ASSERT_FALSE(r) << "expected an error containing: " << needle;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

// Row k is the kWh of (00:15 (k-1), 00:15 k]: the first interval starts at 00:00 and its mean
// is 1 kWh / 0.25 h = 4 kW; the last (labelled 24:00) starts at 23:45 with 96 x 4 = 384 kW.
TEST(MeterDownloadTest, AKepcoDayEndsAt2400AndEachRowIsTheQuarterBeforeItsLabel) {
  auto r = Read(std::string(kKepcoHeader) + "\n" + KepcoDay("2024-03-05"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->meter_download);
  ASSERT_EQ(r->usage.kw.size(), 96u);
  EXPECT_EQ(FormatKst(r->usage.kw.start()), "2024-03-05T00:00:00+09:00");
  EXPECT_DOUBLE_EQ(r->usage.kw.at(0)->value(), 4.0);
  EXPECT_DOUBLE_EQ(r->usage.kw.at(95)->value(), 384.0);
  EXPECT_EQ(FormatKst(r->usage.kw.TimeAt(95)), "2024-03-05T23:45:00+09:00");
  EXPECT_FALSE(r->usage.kvar.has_value());
  EXPECT_TRUE(Said(*r, "encoding: UTF-8 (detected")) << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "header: line 1")) << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "time: column 3 '검침일'")) << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "usage: column 4 '순방향 유효전력량(KWH)' (detected by name)")) << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "labels: the end of each interval")) << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "line 97 is labelled 24:00")) << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "interval: 15 minutes")) << AllSaid(*r);
  EXPECT_TRUE(r->warnings.empty());
}

// The same day in CP949 (the bytes of Python's cp949 codec) and in UTF-8 with a byte-order mark.
TEST(MeterDownloadTest, Cp949AndUtf8WithABomAreDecodedAndNamed) {
  const std::string cp949_header =
      "\xB0\xE8\xB1\xE2\xB9\xF8\xC8\xA3,\xB0\xED\xB0\xB4\xB9\xF8\xC8\xA3,\xB0\xCB\xC4\xA7\xC0\xCF,"
      "\xBC\xF8\xB9\xE6\xC7\xE2 \xC0\xAF\xC8\xBF\xC0\xFC\xB7\xC2\xB7\xAE(KWH)";
  auto cp = Read(cp949_header + "\r\n" + KepcoDay("2024-03-05"));
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_TRUE(Said(*cp, "encoding: CP949 (EUC-KR) (detected: the bytes are not UTF-8)")) << AllSaid(*cp);
  EXPECT_TRUE(Said(*cp, "usage: column 4 '순방향 유효전력량(KWH)'")) << AllSaid(*cp);
  EXPECT_DOUBLE_EQ(cp->usage.kw.at(95)->value(), 384.0);

  auto bom = Read("\xEF\xBB\xBF" + std::string(kKepcoHeader) + "\n" + KepcoDay("2024-03-05"));
  ASSERT_TRUE(bom) << bom.error().message;
  EXPECT_TRUE(Said(*bom, "encoding: UTF-8 with a byte-order mark")) << AllSaid(*bom);
  EXPECT_TRUE(Said(*bom, "time: column 3 '검침일'")) << AllSaid(*bom);

  // Forcing UTF-8 on CP949 bytes fails at the first of them (line 1), naming the encoding.
  MeterReadOptions utf8;
  utf8.encoding = "utf-8";
  ExpectError(Read(cp949_header + "\n" + KepcoDay("2024-03-05"), utf8), "meter.csv:1: bytes are not UTF-8");
  // Bytes that are neither: 0xFF is no CP949 lead byte.
  ExpectError(Read("time,kWh\n\xFF\xFF,1\n"), "meter.csv:2: byte 0xFF at offset 9 is neither UTF-8 nor CP949");
}

// A title line above the header, a total row below the data, blank lines: read as KEPCO's screen
// exports write them.
TEST(MeterDownloadTest, ATitleLineAndATotalRowAreSkippedAndSaid) {
  auto r =
      Read("전력사용량 조회 (15분)\n\n" + std::string(kKepcoHeader) + "\n" + KepcoDay("2024-03-05") + ",,합계,4656\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(Said(*r,
                   "header: line 3 (detected: the line above the first date; line 1 is a title "
                   "'전력사용량 조회 (15분)')"))
      << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "skipped: 1 total row(s), the first on line 100")) << AllSaid(*r);
  EXPECT_EQ(r->usage.kw.size(), 96u);
}

// Without a header the columns are found by content: the meter number is not a number, the
// customer number is constant, and the one varying column is the usage.
TEST(MeterDownloadTest, WithoutAHeaderTheVaryingColumnIsTheUsage) {
  auto r = Read(KepcoDay("2024-03-05"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(Said(*r, "header: none (detected: the first line holds a date)")) << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "usage: column 4 (detected by content: the one column of numbers that varies)")) << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "column 1 (not numbers), column 2 (constant: a meter or customer number, not usage)"))
      << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "unit: kWh per interval (detected: assumed")) << AllSaid(*r);
  EXPECT_DOUBLE_EQ(r->usage.kw.at(0)->value(), 4.0);
}

// Labels 00:00 .. 23:45 name each interval's start; an option can say so for any file.
TEST(MeterDownloadTest, StartLabelsAreDetectedOrSet) {
  std::string start = "일시,사용량\n";
  for (int k = 0; k < 96; ++k) start += fmt::format("2024-03-05 {:02d}:{:02d},{}\n", k * 15 / 60, k * 15 % 60, k + 1);
  auto r = Read(start);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(Said(*r,
                   "labels: the start of each interval, a day running 00:00 .. 23:45 (detected: the labels run "
                   "00:00 .. 23:45)"))
      << AllSaid(*r);
  EXPECT_EQ(FormatKst(r->usage.kw.start()), "2024-03-05T00:00:00+09:00");
  EXPECT_DOUBLE_EQ(r->usage.kw.at(0)->value(), 4.0);

  // The same rows said to be end labels: the day moves back 15 minutes.
  MeterReadOptions end;
  end.labels = LabelConvention::kIntervalEnd;
  auto e = Read(start, end);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(FormatKst(e->usage.kw.start()), "2024-03-04T23:45:00+09:00");
  EXPECT_TRUE(Said(*e, "labels: the end of each interval (set by option)")) << AllSaid(*e);
}

// Hourly rows: each hour's kWh is its mean kW, laid on its four quarters, with a warning.
TEST(MeterDownloadTest, HourlyRowsSpreadOverTheirQuartersWithAWarning) {
  std::string s = "검침일시,사용량(kWh)\n";
  for (int h = 1; h <= 24; ++h) s += fmt::format("2024/03/05 {}:00,{}\n", h, 100 * h);
  auto r = Read(s);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->usage.kw.size(), 96u);
  // The hour ending 01:00 holds 100 kWh: 100 kW over 00:00 .. 01:00.
  for (int q = 0; q < 4; ++q) EXPECT_DOUBLE_EQ(r->usage.kw.at(q)->value(), 100.0);
  EXPECT_DOUBLE_EQ(r->usage.kw.at(95)->value(), 2400.0);
  EXPECT_TRUE(Said(*r, "interval: 1 hour")) << AllSaid(*r);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("billing demand"), std::string::npos);
}

// Separate date and time columns; a kW column (the mean, not energy); thousands separators.
TEST(MeterDownloadTest, DateAndTimeColumnsAndAPowerColumn) {
  std::string s = "날짜,시간,전력(kW)\n";
  for (int k = 1; k <= 96; ++k) {
    s += fmt::format("2024-03-05,{:02d}:{:02d},\"1,{:03d}.5\"\n", 15 * k / 60, 15 * k % 60, k);
  }
  auto r = Read(s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(Said(*r, "time: date in column 1 '날짜', time of day in column 2 '시간'")) << AllSaid(*r);
  EXPECT_TRUE(Said(*r, "unit: kW, the mean power over each interval (detected: the column's name says kW)"))
      << AllSaid(*r);
  EXPECT_DOUBLE_EQ(r->usage.kw.at(0)->value(), 1001.5);
  EXPECT_DOUBLE_EQ(r->usage.kw.at(95)->value(), 1096.5);
}

// Lagging and leading reactive energy become kvar (lagging +, leading -) for the power factor.
TEST(MeterDownloadTest, ReactiveColumnsBecomeKvar) {
  std::string s = "검침일,순방향 유효전력량(KWH),지상 무효전력량(kvarh),진상 무효전력량(kvarh)\n";
  for (int k = 1; k <= 96; ++k)
    s += fmt::format("2024-03-05 {:02d}:{:02d},{},10,{}\n", 15 * k / 60, 15 * k % 60, k, k == 1 ? 4 : 0);
  auto r = Read(s);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->usage.kvar.has_value());
  EXPECT_DOUBLE_EQ(*r->usage.kvar->at(0), (10.0 - 4.0) * 4);
  EXPECT_DOUBLE_EQ(*r->usage.kvar->at(1), 40.0);
  EXPECT_TRUE(
      Said(*r, "reactive: column 3 '지상 무효전력량(kvarh)' lagging, column 4 '진상 무효전력량(kvarh)' leading"))
      << AllSaid(*r);
}

TEST(MeterDownloadTest, OptionsNameTheColumnsAndTheHeader) {
  MeterReadOptions o;
  o.header_row = 1;
  o.time_column = "2";
  o.value_column = "c";
  auto r = Read("a,b,c\nx,2024-03-05 00:15,5\nx,2024-03-05 00:30,6\n", o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->usage.kw.size(), 2u);
  EXPECT_DOUBLE_EQ(r->usage.kw.at(1)->value(), 24.0);
  EXPECT_TRUE(Said(*r, "usage: column 3 'c' (set by option)")) << AllSaid(*r);
  o.value_column = "d";
  ExpectError(Read("a,b,c\nx,2024-03-05 00:15,5\n", o),
              "value column 'd': no such column; the header has 'a', 'b', 'c'");
  o.value_column = "9";
  ExpectError(Read("a,b,c\nx,2024-03-05 00:15,5\n", o), "value column 9: the file has columns 1..3");
}

// A day of good rows (lines 2..97), then the row at fault on line 98.
TEST(MeterDownloadTest, BadRowsAreRefusedWithTheirLines) {
  const std::string day = std::string(kKepcoHeader) + "\n" + KepcoDay("2024-03-05");
  ExpectError(Read(day + "m,1,2024-03-06 00:15,-2\n"), "meter.csv:98: usage -2 is negative");
  ExpectError(Read(day + "m,1,2024-13-06 00:15,2\n"), "meter.csv:98: '2024-13-06 00:15' is not a date and time");
  ExpectError(Read(day + "m,1,2024-03-06 00:15,abc\n"), "meter.csv:98: usage 'abc' is not a number");
  // 24:15 is no time.
  ExpectError(Read(day + "m,1,2024-03-06 24:15,2\n"), "meter.csv:98: '2024-03-06 24:15' is not a date");
  // The same interval twice with different values, as the usage checks say it.
  ExpectError(Read(day + "m,1,2024-03-05 24:00,3\n"), "meter.csv:98: duplicate interval");
  // A missing reading is a gap, reported unless repaired.
  const std::string gap = day + "m,1,2024-03-06 00:15,\nm,1,2024-03-06 00:30,3\n";
  ExpectError(Read(gap), "1 missing interval(s)");
  UsageReadOptions repair;
  repair.repair.gaps = true;
  auto r = Read(gap, {}, repair);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->usage.kw.at(96)->value(), (384.0 + 12.0) / 2);  // between 384 and 12 kW
  // Rows 10 minutes apart are no meter's interval.
  ExpectError(Read("검침일,사용량\n2024-03-05 00:10,1\n2024-03-05 00:20,1\n2024-03-05 00:30,2\n"),
              "the labels are mostly 10 minutes apart");
  // Two columns that both look like usage.
  ExpectError(Read("검침일,사용량,전력량\n2024-03-05 00:15,1,2\n2024-03-05 00:30,3,4\n"),
              "several columns could be the usage");
  ExpectError(Read("날씨,기온\n맑음,3\n"), "no date-time label such as 2024-01-01 00:15");
  ExpectError(Read("검침일,사용량\n2024-03-05 00:15,1" + std::string(5000, ',') + "\n"),
              "the rows have 5002 columns; a meter download has a few (at most 1000 are read)");
  ExpectError(Read("PK\x03\x04rest"), "meter.csv: not a readable zip, so not an .xlsx workbook");
}

// OpenMEG's own CSV reads as before, and the meter options do not apply to it.
TEST(MeterDownloadTest, OpenMegCsvIsReadAsBeforeAndRefusesMeterOptions) {
  const std::string iso = "timestamp,kW\n2024-03-05T00:00:00+09:00,4\n2024-03-05T00:15:00+09:00,8\n";
  auto r = Read(iso);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->meter_download);
  EXPECT_DOUBLE_EQ(r->usage.kw.at(1)->value(), 8.0);
  MeterReadOptions o;
  o.labels = LabelConvention::kIntervalEnd;
  ExpectError(Read(iso, o), "the meter-download options do not apply to it");
  // A header that only starts like it is a meter download's: timestamp at the interval's end, kWh.
  auto other = Read("Timestamp,Usage (kWh)\n2024-03-05 00:15,1\n2024-03-05 00:30,2\n");
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_TRUE(other->meter_download);
  EXPECT_EQ(FormatKst(other->usage.kw.start()), "2024-03-05T00:00:00+09:00");
}

TEST(MeterDownloadTest, OptionTextsAreParsedOrRefused) {
  EXPECT_EQ(*ParseLabelConvention("End"), LabelConvention::kIntervalEnd);
  EXPECT_EQ(*ParseLabelConvention("start"), LabelConvention::kIntervalStart);
  EXPECT_FALSE(ParseLabelConvention("middle"));
  EXPECT_EQ(*ParseMeterUnit("kWh"), MeterUnit::kKwh);
  EXPECT_EQ(*ParseMeterUnit("KW"), MeterUnit::kKw);
  EXPECT_FALSE(ParseMeterUnit("MWh"));
  auto bad = DecodeText("abc", "latin-1", "f.csv");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("say utf-8 or cp949"), std::string::npos);
}

}  // namespace
}  // namespace meg
