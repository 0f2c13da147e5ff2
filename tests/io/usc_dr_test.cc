// The USC DR records parser on the shipped files (counts from `wc -l` and `grep -c NA`) and on
// malformed input.
#include "io/usc_dr.h"

#include <gtest/gtest.h>

#include "io/text_file.h"

namespace meg {
namespace {

TEST(UscDrTest, ParsesTheSharedRecords) {
  const std::string dir = std::string(MEG_TEST_SHARED_DIR) + "/data/dr/";
  auto text = ReadTextFile(dir + "meteredConsumption.csv");
  ASSERT_TRUE(text) << text.error().message;
  auto rows = ParseUscConsumption(*text, "meteredConsumption.csv");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1167u);  // 1,168 lines less the header
  EXPECT_EQ(rows->front().building, "BKS");
  EXPECT_EQ(rows->front().strategy, "VFD");
  EXPECT_EQ(FormatDate(rows->front().date), "2012-11-26");
  ASSERT_TRUE(rows->front().kwh);
  EXPECT_DOUBLE_EQ(*rows->front().kwh, 530.86);
  auto sce_text = ReadTextFile(dir + "curtailment-SCE.csv");
  ASSERT_TRUE(sce_text);
  auto sce = ParseUscCurtailment(*sce_text, "curtailment-SCE.csv");
  ASSERT_TRUE(sce) << sce.error().message;
  EXPECT_EQ(sce->size(), 148u);
  int na = 0;
  for (const auto& c : *sce) na += c.kwh ? 0 : 1;
  EXPECT_EQ(na, 5);  // grep -c NA curtailment-SCE.csv
}

TEST(UscDrTest, RefusesAWrongHeaderAndBadFields) {
  EXPECT_FALSE(ParseUscCurtailment("date,curtailment\n2012-01-01,3\n", "x.csv"));
  auto bad_date = ParseUscCurtailment("\"\",\"date\",\"curtailment\"\n\"1\",\"2012-13-01\",3\n", "x.csv");
  ASSERT_FALSE(bad_date);
  EXPECT_NE(bad_date.error().message.find("x.csv:2: date '2012-13-01'"), std::string::npos) << bad_date.error().message;
  auto short_row = ParseUscConsumption("\"\",\"buildings\",\"date\",\"strategy\",\"consumption\"\n\"1\",\"A\"\n", "m.csv");
  ASSERT_FALSE(short_row);
  EXPECT_NE(short_row.error().message.find("m.csv:2: 2 fields, expected 5"), std::string::npos);
}

}  // namespace
}  // namespace meg
