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
  for (int i = 0; i < 12; ++i) times.push_back(fmt::format("2024-08-12T{:02d}:{:02d}:00+09:00", 10 + i / 4, i % 4 * 15));
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
  const std::string dup = Rows({{"2024-08-12T14:00:00+09:00", "100"}, {"2024-08-12T14:00:00+09:00", "100"},
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

TEST(UsageCsvTest, FormatRoundTrips) {
  const std::string text = Rows({{"2024-08-12T14:00:00+09:00", "812.400"}, {"2024-08-12T14:15:00+09:00", "820.000"}});
  auto r = ParseUsageCsv(text, "usage.csv");
  ASSERT_TRUE(r);
  EXPECT_EQ(FormatUsageCsv(r->kw), text);
}

}  // namespace
}  // namespace meg
