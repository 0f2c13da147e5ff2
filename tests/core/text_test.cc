#include "core/text.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

TEST(TextTest, SplitsLinesAndRejectsWrongEncodings) {
  auto lines = SplitLines("\xEF\xBB\xBF" "a,b\r\nc\n\nd", "f.csv");
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 4u);
  EXPECT_EQ((*lines)[0].text, "a,b");
  EXPECT_EQ((*lines)[3].number, 4);
  auto cp949 = SplitLines("ok\n\xC0\xFC\xB7\xC2\n", "f.csv");  // "전력" in CP949
  ASSERT_FALSE(cp949);
  EXPECT_NE(cp949.error().message.find("f.csv:2"), std::string::npos);
  EXPECT_NE(cp949.error().message.find("CP949"), std::string::npos);
  auto utf16 = SplitLines(std::string("\xFF\xFEt\0", 4), "f.csv");
  ASSERT_FALSE(utf16);
  EXPECT_NE(utf16.error().message.find("UTF-16"), std::string::npos);
}

TEST(TextTest, SplitsCsvWithQuotes) {
  auto f = SplitCsv(R"(a,"b,c","d""e",)");
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, (std::vector<std::string>{"a", "b,c", "d\"e", ""}));
  EXPECT_FALSE(SplitCsv("\"open"));
}

TEST(TextTest, ParsesOnlyFiniteNumbers) {
  EXPECT_DOUBLE_EQ(*ParseFiniteDouble(" 812.4 "), 812.4);
  EXPECT_DOUBLE_EQ(*ParseFiniteDouble("-1e3"), -1000.0);
  for (const char* bad : {"nan", "inf", "1e999", "12a", "", "1,000"}) EXPECT_FALSE(ParseFiniteDouble(bad)) << bad;
}

TEST(TextTest, FormatsThousandsAndWidth) {
  EXPECT_EQ(WithThousands(15225120), "15,225,120");
  EXPECT_EQ(WithThousands(-1000), "-1,000");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(DisplayWidth("기본요금 basic"), 14u);
}

}  // namespace
}  // namespace meg
