#include "core/text.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

TEST(TextTest, SplitsLinesAndRejectsWrongEncodings) {
  auto lines = SplitLines(
      "\xEF\xBB\xBF"
      "a,b\r\nc\n\nd",
      "f.csv");
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

TEST(TextTest, NamesUtf32ApartFromUtf16) {
  // FF FE 00 00 is UTF-32 LE's byte-order mark; its first two bytes are UTF-16 LE's.
  auto le32 = SplitLines(std::string("\xFF\xFE\0\0t\0\0\0", 8), "f.csv");
  ASSERT_FALSE(le32);
  EXPECT_NE(le32.error().message.find("f.csv:1: the file is UTF-32LE"), std::string::npos) << le32.error().message;
  auto be32 = SplitLines(std::string("\0\0\xFE\xFF\0\0\0t", 8), "f.csv");
  ASSERT_FALSE(be32);
  EXPECT_NE(be32.error().message.find("the file is UTF-32BE"), std::string::npos) << be32.error().message;
  auto le16 = SplitLines(std::string("\xFF\xFEt\0", 4), "f.csv");
  ASSERT_FALSE(le16);
  EXPECT_NE(le16.error().message.find("the file is UTF-16LE"), std::string::npos) << le16.error().message;
  auto be16 = SplitLines(std::string("\xFE\xFF\0t", 4), "f.csv");
  ASSERT_FALSE(be16);
  EXPECT_NE(be16.error().message.find("the file is UTF-16BE"), std::string::npos) << be16.error().message;
}

TEST(TextTest, ExcerptCutsLongTextAndSaysItsLength) {
  EXPECT_EQ(Excerpt("812.4"), "812.4");
  EXPECT_EQ(Excerpt(std::string(60, 'x')), std::string(60, 'x'));
  EXPECT_EQ(Excerpt(std::string(1'000'000, 'x')), std::string(60, 'x') + "... (1000000 bytes)");
  // 59 ASCII bytes then a 3-byte Hangul syllable: the cut backs up to the character's start.
  const std::string hangul = std::string(59, 'a') + "\xEC\xA0\x84" + std::string(10, 'b');
  EXPECT_EQ(Excerpt(hangul), std::string(59, 'a') + "... (72 bytes)");
  // A shorter bound, also cut on a character boundary: "가" is 3 bytes in UTF-8.
  EXPECT_EQ(Excerpt("가나다", 4), "가... (9 bytes)");
  auto bad = ParseFiniteDouble(std::string(1 << 20, '9') + "x");
  ASSERT_FALSE(bad);
  EXPECT_LT(bad.error().message.size(), 120u);
  EXPECT_NE(bad.error().message.find("(1048577 bytes)"), std::string::npos) << bad.error().message.substr(0, 200);
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

// User names and site ids: 1-64 of A-Z a-z 0-9 . _ - (a URL path segment, a users-file field).
TEST(TextTest, ValidNamesAreShortAndUrlSafe) {
  EXPECT_TRUE(ValidName("jeonju-hospital"));
  EXPECT_TRUE(ValidName("cnu.e8_2"));
  EXPECT_TRUE(ValidName(std::string(64, 'a')));
  EXPECT_FALSE(ValidName(std::string(65, 'a')));
  EXPECT_FALSE(ValidName(""));
  EXPECT_FALSE(ValidName("a/b"));
  EXPECT_FALSE(ValidName("a b"));
  EXPECT_FALSE(ValidName("a,b"));
  EXPECT_FALSE(ValidName("병원"));
}

}  // namespace
}  // namespace meg
