#include "core/calendar.h"

#include <gtest/gtest.h>

#include "io/text_file.h"

namespace meg {
namespace {

using std::chrono::year;

TEST(CalendarTest, ParsesTheSharedCalendar) {
  const std::string path = std::string(MEG_TEST_SHARED_DIR) + "/data/calendar/kr_public_holidays_2018-2027.csv";
  auto text = ReadTextFile(path);
  ASSERT_TRUE(text) << text.error().message;
  auto cal = HolidayCalendar::Parse(*text, path);
  ASSERT_TRUE(cal) << cal.error().message;
  EXPECT_EQ(cal->holidays().size(), 191u);  // wc -l = 192 lines with the header
  const Holiday* chuseok = cal->Find(year{2024} / 9 / 17);
  ASSERT_NE(chuseok, nullptr);
  EXPECT_EQ(chuseok->name, "추석");
  EXPECT_EQ(chuseok->kind, HolidayKind::kStatutory);
  EXPECT_EQ(cal->Find(year{2024} / 10 / 1)->kind, HolidayKind::kTemporary);
  EXPECT_EQ(cal->Find(year{2025} / 6 / 3)->kind, HolidayKind::kTemporary);  // 임시공휴일(대통령선거)
  EXPECT_EQ(cal->Find(year{2024} / 2 / 12)->kind, HolidayKind::kSubstitute);
  EXPECT_EQ(cal->Find(year{2024} / 4 / 10)->kind, HolidayKind::kElection);
  EXPECT_EQ(cal->Find(year{2024} / 10 / 2), nullptr);
  EXPECT_TRUE(cal->Covers(year{2018} / 1 / 1));
  EXPECT_TRUE(cal->Covers(year{2027} / 12 / 31));
  EXPECT_FALSE(cal->Covers(year{2028} / 1 / 1));
}

TEST(CalendarTest, RejectsBadRowsWithLineNumbers) {
  auto bad = HolidayCalendar::Parse("date,name\n2024-01-01,신정\n2024-13-01,x\n", "cal.csv");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("cal.csv:3"), std::string::npos);
  auto order = HolidayCalendar::Parse("date,name\n2024-03-01,a\n2024-01-01,b\n", "cal.csv");
  ASSERT_FALSE(order);
  EXPECT_NE(order.error().message.find("cal.csv:3"), std::string::npos);
  EXPECT_FALSE(HolidayCalendar::Parse("day,name\n", "cal.csv"));
}

}  // namespace
}  // namespace meg
