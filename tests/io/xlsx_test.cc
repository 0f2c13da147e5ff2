// The .xlsx reader on workbooks written by openpyxl (an independent writer) and on zips built
// part by part to hold one fault each: tests/io/xlsx/make_fixtures.py writes them all.
#include "io/xlsx.h"

#include <gtest/gtest.h>

#include "io/meter_download.h"
#include "io/text_file.h"

namespace meg {
namespace {

std::string Fixture(const std::string& name) {
  auto bytes = ReadTextFile(std::string(MEG_TEST_SOURCE_DIR) + "/io/xlsx/" + name);
  EXPECT_TRUE(bytes) << bytes.error().message;
  return bytes ? *bytes : std::string();
}

void ExpectError(const Result<XlsxSheet>& r, const std::string& needle) {
  ASSERT_FALSE(r) << "expected an error containing: " << needle;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

TEST(XlsxTest, ReadsKepcosScreenExportSheetByNameOrFirst) {
  const auto bytes = Fixture("kepco-text.xlsx");
  ASSERT_TRUE(LooksLikeZip(bytes));
  auto first = ReadXlsxSheet(bytes, "kepco.xlsx");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->name, "15분 사용량");
  EXPECT_EQ(first->sheet_names, (std::vector<std::string>{"15분 사용량", "요약"}));
  ASSERT_EQ(first->rows.size(), 2u + 96u);
  EXPECT_EQ(first->rows[0].number, 1);
  EXPECT_EQ(first->rows[0].cells, (std::vector<std::string>{"한전ON 15분 전력사용량"}));
  EXPECT_EQ(first->rows[1].cells,
            (std::vector<std::string>{"계기번호", "고객번호", "검침일", "순방향 유효전력량(KWH)"}));
  EXPECT_EQ(first->rows[2].cells, (std::vector<std::string>{"55-282007100", "196705100", "2024-03-05 00:15", "1.25"}));
  EXPECT_EQ(first->rows.back().number, 98);
  EXPECT_EQ(first->rows.back().cells[2], "2024-03-05 24:00");
  EXPECT_EQ(first->rows.back().cells[3], "120");

  auto summary = ReadXlsxSheet(bytes, "kepco.xlsx", "요약");
  ASSERT_TRUE(summary) << summary.error().message;
  ASSERT_EQ(summary->rows.size(), 1u);
  EXPECT_EQ(summary->rows[0].cells, (std::vector<std::string>{"합계", "5820"}));
  ExpectError(ReadXlsxSheet(bytes, "kepco.xlsx", "Sheet9"),
              "no sheet 'Sheet9'; the workbook has '15분 사용량', '요약'");
}

// Date cells are numbers with a date format: 2024-03-05 00:15 is serial 45356.0104166...; in the
// 1904 system the same instant is 1,462 days less. Both read back as the date-time written.
TEST(XlsxTest, DateCellsReadAsTheirDateTimeInBothDateSystems) {
  for (const char* name : {"dates.xlsx", "dates-1904.xlsx"}) {
    auto r = ReadXlsxSheet(Fixture(name), name);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->rows.size(), 97u) << name;
    EXPECT_EQ(r->rows[1].cells[0], "2024-03-05 00:15") << name;
    EXPECT_EQ(r->rows[4].cells[0], "2024-03-05 01:00") << name;
    EXPECT_EQ(r->rows[96].cells[0], "2024-03-06 00:00") << name;
    EXPECT_EQ(r->rows[96].cells[1], "96") << name;
  }
}

// Prefixed element names, an absolute target, rich text without its phonetic run, inline
// strings, a formula's cached value, booleans, cells without r= and a sparse row.
TEST(XlsxTest, ReadsWhatOtherWritersWrite) {
  auto r = ReadXlsxSheet(Fixture("crafted.xlsx"), "crafted.xlsx");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->name, "Data");
  ASSERT_EQ(r->rows.size(), 3u);
  EXPECT_EQ(r->rows[0].cells, (std::vector<std::string>{"검침일", "사용량"}));
  EXPECT_EQ(r->rows[1].number, 2);
  EXPECT_EQ(r->rows[1].cells, (std::vector<std::string>{"2024-03-05 00:15", "2"}));
  EXPECT_EQ(r->rows[2].number, 4);
  EXPECT_EQ(r->rows[2].cells, (std::vector<std::string>{"2024-03-05 00:30", "3.5E0", "", "TRUE"}));
}

TEST(XlsxTest, RefusesMalformedAndOversizedWorkbooksClearly) {
  XlsxLimits small;
  small.max_part_bytes = 1u << 20;
  ExpectError(ReadXlsxSheet(Fixture("bomb.xlsx"), "bomb.xlsx", "", small),
              "bomb.xlsx: the part xl/worksheets/data.xml inflates to");
  // The default bound (256 MiB) reads the same 4 MiB part.
  EXPECT_TRUE(ReadXlsxSheet(Fixture("bomb.xlsx"), "bomb.xlsx"));
  ExpectError(ReadXlsxSheet(Fixture("wide.xlsx"), "wide.xlsx"), "cell 'XFE1' is beyond Excel's 16384 columns");
  ExpectError(ReadXlsxSheet(Fixture("far-cells.xlsx"), "far.xlsx"),
              "more than 10000000 cells, counting the empty ones left of each cell");
  ExpectError(ReadXlsxSheet(Fixture("dtd.xlsx"), "dtd.xlsx"), "it declares a DTD");
  ExpectError(ReadXlsxSheet(Fixture("bad-string.xlsx"), "bad.xlsx"),
              "row 1: shared string '5' does not exist (1 strings)");
  ExpectError(ReadXlsxSheet(Fixture("broken.xlsx"), "broken.xlsx"),
              "broken.xlsx: xl/worksheets/data.xml line 1: mismatched tag");
  ExpectError(ReadXlsxSheet(Fixture("spreadsheet.ods"), "s.ods"), "not an .xlsx workbook (an OpenDocument .ods?");
  ExpectError(ReadXlsxSheet(std::string("PK\x03\x04garbage", 11), "g.xlsx"), "g.xlsx: not a readable zip");
  XlsxLimits few;
  few.max_cells = 100;
  ExpectError(ReadXlsxSheet(Fixture("kepco-text.xlsx"), "kepco.xlsx", "", few), "more than 100 cells");
}

// Through the usage reader: the workbook bills as KEPCO's CSV does, and says which sheet it read.
TEST(XlsxTest, AKepcoWorkbookIsAMeterDownload) {
  auto r = ReadUsageBytes(Fixture("kepco-text.xlsx"), "kepco.xlsx", {}, {});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->usage.kw.size(), 96u);
  EXPECT_EQ(FormatKst(r->usage.kw.start()), "2024-03-05T00:00:00+09:00");
  EXPECT_DOUBLE_EQ(r->usage.kw.at(0)->value(), 5.0);  // 1.25 kWh in 15 minutes
  EXPECT_EQ(r->detected.front(),
            "format: meter download, an .xlsx workbook: sheet '15분 사용량' (the first of 2: '15분 사용량', '요약')");
  bool said_row = false;
  for (const auto& d : r->detected) said_row = said_row || d.find("row 98 is labelled 24:00") != std::string::npos;
  EXPECT_TRUE(said_row);
  auto dated = ReadUsageBytes(Fixture("dates.xlsx"), "dates.xlsx", {}, {});
  ASSERT_TRUE(dated) << dated.error().message;
  EXPECT_DOUBLE_EQ(dated->usage.kw.at(95)->value(), 384.0);
  MeterReadOptions cp949;
  cp949.encoding = "cp949";
  auto refused = ReadUsageBytes(Fixture("dates.xlsx"), "dates.xlsx", cp949, {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("the encoding option is for CSV files"), std::string::npos);
}

}  // namespace
}  // namespace meg
