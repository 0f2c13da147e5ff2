#include "io/usage_csv.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace meg {
namespace {

std::string Rows(const std::vector<std::pair<const char*, const char*>>& rows) {
  std::string s = "timestamp,kW\n";
  for (const auto& [t, v] : rows) s += std::string(t) + "," + v + "\n";
  return s;
}

void ExpectError(const std::string& text, const std::string& needle, const UsageReadOptions& o = {}) {
  auto r = ParseUsageCsv(text, "usage.csv", o);
  ASSERT_FALSE(r) << "expected an error containing: " << needle;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

TEST(UsageCsvTest, ParsesAWellFormedFile) {
  auto r = ParseUsageCsv(Rows({{"2024-08-12T14:00:00+09:00", "812.4"},
                               {"2024-08-12T14:15:00+09:00", "820"},
                               {"2024-08-12T05:30:00Z", "-10.5"}}),
                         "usage.csv");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->kw.size(), 3u);
  EXPECT_EQ(FormatKst(r->kw.start()), "2024-08-12T14:00:00+09:00");
  EXPECT_DOUBLE_EQ(r->kw.at(2)->value(), -10.5);  // export, kept with its sign
  EXPECT_FALSE(r->kvar.has_value());
  EXPECT_TRUE(r->repairs.empty());
}

TEST(UsageCsvTest, ReportsEachProblemWithFileAndLine) {
  ExpectError("time,kW\n", "usage.csv:1: expected the header");
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "abc"}}), "usage.csv:2: kW 'abc' is not a number");
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "NaN"}}), "usage.csv:2: kW is 'NaN'");
  ExpectError(Rows({{"2024-08-12T14:00:00", "1"}}), "usage.csv:2: timestamp '2024-08-12T14:00:00' has no UTC offset");
  ExpectError(Rows({{"2024-08-12T14:05:00+09:00", "1"}}), "not the start of a 15-minute interval");
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "1"}, {"2024-08-12T14:00:00+09:00", "2"}}),
              "usage.csv:3: duplicate interval 2024-08-12T14:00:00+09:00 with a different value");
  ExpectError(Rows({{"2024-08-12T14:15:00+09:00", "1"}, {"2024-08-12T14:00:00+09:00", "2"}}),
              "usage.csv:3: timestamp 2024-08-12T14:00:00+09:00 is earlier");
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "1"}, {"2024-08-12T15:00:00+09:00", "2"}}),
              "usage.csv:3: 3 missing interval(s) before this line, from 2024-08-12T14:15:00+09:00");
  ExpectError("timestamp,kW\n2024-08-12T14:00:00+09:00,1,2\n", "usage.csv:2: expected 2 fields, found 3");
  ExpectError("timestamp,kW\n2024-08-12T14:00:00+09:00,\xB1\xE2\n", "usage.csv:2: bytes are not UTF-8");
  ExpectError("", "the file is empty");
}

TEST(UsageCsvTest, SpikeIsAnErrorOrARepair) {
  std::vector<std::pair<const char*, const char*>> rows;
  std::vector<std::string> times;
  for (int i = 0; i < 12; ++i)
    times.push_back(fmt::format("2024-08-12T{:02d}:{:02d}:00+09:00", 10 + i / 4, i % 4 * 15));
  for (int i = 0; i < 12; ++i) rows.push_back({times[static_cast<size_t>(i)].c_str(), i == 5 ? "1000000" : "800"});
  const std::string text = Rows(rows);
  ExpectError(text, "usage.csv:7: 1000000 kW is a spike");
  UsageReadOptions o;
  o.repair.spikes = true;
  auto r = ParseUsageCsv(text, "usage.csv", o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->kw.at(5)->value(), 800.0);  // interpolated between its 800 kW neighbours
  ASSERT_EQ(r->repairs.size(), 1u);
  EXPECT_NE(r->repairs[0].find("usage.csv:7"), std::string::npos);
}

TEST(UsageCsvTest, GapsAndDuplicatesRepairedOnlyWhenAsked) {
  const std::string gap = Rows({{"2024-08-12T14:00:00+09:00", "100"}, {"2024-08-12T14:45:00+09:00", "400"}});
  UsageReadOptions o;
  o.repair.gaps = true;
  auto r = ParseUsageCsv(gap, "usage.csv", o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->kw.size(), 4u);
  EXPECT_DOUBLE_EQ(r->kw.at(1)->value(), 200.0);  // linear between 100 and 400
  EXPECT_DOUBLE_EQ(r->kw.at(2)->value(), 300.0);
  EXPECT_EQ(r->repairs.size(), 1u);
  const std::string dup = Rows({{"2024-08-12T14:00:00+09:00", "100"},
                                {"2024-08-12T14:00:00+09:00", "100"},
                                {"2024-08-12T14:15:00+09:00", "100"}});
  ExpectError(dup, "usage.csv:3: duplicate interval");
  UsageReadOptions d;
  d.repair.duplicates = true;
  auto ok = ParseUsageCsv(dup, "usage.csv", d);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->kw.size(), 2u);
}

// keep_gaps: the two missing intervals between 14:00 and 14:45 stay gaps (no error, no
// interpolation, no repair line); a spike repaired on request is still filled.
TEST(UsageCsvTest, KeepGapsLeavesMissingIntervalsEmpty) {
  const std::string gap = Rows({{"2024-08-12T14:00:00+09:00", "100"}, {"2024-08-12T14:45:00+09:00", "400"}});
  UsageReadOptions o;
  o.keep_gaps = true;
  auto r = ParseUsageCsv(gap, "usage.csv", o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->kw.size(), 4u);
  EXPECT_DOUBLE_EQ(r->kw.at(0)->value(), 100.0);
  EXPECT_FALSE(r->kw.at(1).has_value());
  EXPECT_FALSE(r->kw.at(2).has_value());
  EXPECT_DOUBLE_EQ(r->kw.at(3)->value(), 400.0);
  EXPECT_TRUE(r->repairs.empty());
  std::string text = "timestamp,kW\n";
  for (int k = 0; k < 12; ++k) {
    if (k == 8) continue;  // a gap
    text += FormatKst(*ParseIso8601("2024-08-12T14:00:00+09:00") + kInterval * k) + (k == 5 ? ",1e6\n" : ",800\n");
  }
  o.repair.spikes = true;
  auto s = ParseUsageCsv(text, "usage.csv", o);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_DOUBLE_EQ(s->kw.at(5)->value(), 800.0);  // the spike, interpolated
  EXPECT_FALSE(s->kw.at(8).has_value());          // the gap, kept
}

TEST(UsageCsvTest, ReadsReactivePower) {
  auto r = ParseUsageCsv("timestamp,kW,kvar\n2024-08-12T14:00:00+09:00,500,-120.5\n", "usage.csv");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->kvar.has_value());
  EXPECT_DOUBLE_EQ(*r->kvar->at(0), -120.5);
}

// Issue 16: an 80-byte file dated 0001-01-01 and 9999-12-31 made the reader allocate 5.6 GB and
// abort. Dates outside 2000..2099 are refused row by row; a span beyond 3,660 days before the grid
// is allocated.
TEST(UsageCsvTest, RefusesMillenniaBeforeAllocating) {
  const std::string millennia = Rows({{"0001-01-01T00:00:00+09:00", "1"}, {"9999-12-31T23:45:00+09:00", "1"}});
  ExpectError(millennia, "usage.csv:2: timestamp 0001-01-01T00:00:00+09:00 is outside the years 2000..2099");
  ExpectError(millennia, "usage.csv:3: timestamp 9999-12-31T23:45:00+09:00 is outside the years 2000..2099");
  ExpectError(Rows({{"1999-12-31T23:45:00+09:00", "1"}}),
              "usage.csv:2: timestamp 1999-12-31T23:45:00+09:00 is outside");
  ExpectError(Rows({{"2100-01-01T00:00:00+09:00", "1"}}),
              "usage.csv:2: timestamp 2100-01-01T00:00:00+09:00 is outside");
  // 2000-01-01 .. 2099-12-31: 36,524 days, within the years but not one file.
  ExpectError(Rows({{"2000-01-01T00:00:00+09:00", "1"}, {"2099-12-31T23:45:00+09:00", "1"}}),
              "usage.csv:3: the rows span 2000-01-01T00:00:00+09:00 (line 2) to 2099-12-31T23:45:00+09:00 (line 3), "
              "more than 3660 days");
  // 3,660 days apart is refused, 3,659 days and 23:45 is the longest file (gaps kept, not allocated twice).
  UsageReadOptions keep;
  keep.keep_gaps = true;
  ExpectError(Rows({{"2020-01-01T00:00:00+09:00", "1"}, {"2030-01-08T00:00:00+09:00", "1"}}), "more than 3660 days",
              keep);
  auto longest =
      ParseUsageCsv(Rows({{"2020-01-01T00:00:00+09:00", "1"}, {"2030-01-07T23:45:00+09:00", "1"}}), "usage.csv", keep);
  ASSERT_TRUE(longest) << longest.error().message;
  EXPECT_EQ(longest->kw.size(), 3660u * 96);
}

// Issue 16: every row at 1e12 kW billed a negative amount; 1e300 billed 0 kWh. Beyond 10 x the
// contract power (when known) or 10,000,000 kW, a value is refused with its line.
TEST(UsageCsvTest, RefusesImpossibleValuesWithTheLine) {
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "800"}, {"2024-08-12T14:15:00+09:00", "1e12"}}),
              "usage.csv:3: kW 1000000000000 is not a possible 15-minute mean: beyond 10000000 (the bound for a site "
              "of unknown contract power)");
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "1e300"}}), "usage.csv:2: kW 1e+300 is not a possible");
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "-1e300"}}), "usage.csv:2: kW -1e+300 is not a possible");
  ExpectError("timestamp,kW,kvar\n2024-08-12T14:00:00+09:00,500,1e9\n",
              "usage.csv:2: kvar 1000000000 is not a possible 15-minute mean");
  UsageReadOptions contract;
  contract.contract_power = Kilowatts(1000);
  ExpectError(
      Rows({{"2024-08-12T14:00:00+09:00", "10000.5"}}),
      "usage.csv:2: kW 10000.5 is not a possible 15-minute mean: beyond 10000 (10 x the contract power 1000 kW)",
      contract);
  auto edge = ParseUsageCsv(Rows({{"2024-08-12T14:00:00+09:00", "10000"}, {"2024-08-12T14:15:00+09:00", "-10000"}}),
                            "usage.csv", contract);
  ASSERT_TRUE(edge) << edge.error().message;
  EXPECT_DOUBLE_EQ(edge->kw.at(1)->value(), -10000.0);  // export, within the bound, kept
}

// NaN, infinities and overflowing literals were refused before issue 16; kept so, each by name.
TEST(UsageCsvTest, RefusesNonFiniteValuesByName) {
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "nan"}}), "usage.csv:2: kW is 'nan', not a number");
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "inf"}}), "usage.csv:2: kW 'inf' is not a number");
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "-Infinity"}}), "usage.csv:2: kW '-Infinity' is not a number");
  ExpectError(Rows({{"2024-08-12T14:00:00+09:00", "1e400"}}), "usage.csv:2: kW '1e400' is not a finite number");
}

// Issue 16: a 1 MB bad field was echoed whole. Every echoed field is cut to 60 bytes + its length.
TEST(UsageCsvTest, EchoesAtMostSixtyBytesOfABadField) {
  const std::string huge(1 << 20, '7');
  auto bad_kw = ParseUsageCsv(Rows({{"2024-08-12T14:00:00+09:00", (huge + "x").c_str()}}), "usage.csv");
  ASSERT_FALSE(bad_kw);
  EXPECT_EQ(bad_kw.error().message,
            "usage.csv:2: kW '" + std::string(60, '7') + "... (1048577 bytes)' is not a number");
  auto bad_time = ParseUsageCsv(Rows({{huge.c_str(), "1"}}), "usage.csv");
  ASSERT_FALSE(bad_time);
  EXPECT_LT(bad_time.error().message.size(), 200u) << bad_time.error().message.substr(0, 300);
  auto bad_header = ParseUsageCsv("timestamp,kW," + huge + "\n", "usage.csv");
  ASSERT_FALSE(bad_header);
  EXPECT_LT(bad_header.error().message.size(), 200u);
  EXPECT_NE(bad_header.error().message.find("... (1048589 bytes)"), std::string::npos)
      << bad_header.error().message.substr(0, 300);
}

TEST(UsageCsvTest, FormatRoundTrips) {
  const std::string text = Rows({{"2024-08-12T14:00:00+09:00", "812.400"}, {"2024-08-12T14:15:00+09:00", "820.000"}});
  auto r = ParseUsageCsv(text, "usage.csv");
  ASSERT_TRUE(r);
  EXPECT_EQ(FormatUsageCsv(r->kw), text);
}

}  // namespace
}  // namespace meg
