#include "core/time.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace meg {
namespace {

TEST(TimeTest, ParsesIso8601WithOffset) {
  const auto kst = ParseIso8601("2024-08-12T14:00:00+09:00");
  ASSERT_TRUE(kst);
  const auto utc = ParseIso8601("2024-08-12T05:00:00Z");
  ASSERT_TRUE(utc);
  EXPECT_EQ(*kst, *utc);
  EXPECT_EQ(kst->time_since_epoch().count(), 1723438800);  // date -d 2024-08-12T05:00:00Z +%s
  EXPECT_EQ(FormatKst(*kst), "2024-08-12T14:00:00+09:00");
  EXPECT_TRUE(ParseIso8601("2024-08-12T14:00+09:00"));
}

TEST(TimeTest, RejectsTimestampsWithoutOffsetOrInvalid) {
  for (const char* bad : {"2024-08-12T14:00:00", "2024-02-30T00:00:00+09:00", "2024-08-12 25:00:00Z",
                          "12/08/2024 14:00", "2024-08-12T14:00:00+09:00x", ""}) {
    auto r = ParseIso8601(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_NE(ParseIso8601("2024-08-12T14:00:00").error().message.find("no UTC offset"), std::string::npos);
}

TEST(TimeTest, KstCivilDates) {
  const auto t = *ParseIso8601("2024-02-29T23:45:00+09:00");
  const auto k = ToKst(t);
  EXPECT_EQ(k.date, std::chrono::year{2024} / 2 / 29);
  EXPECT_EQ(k.minute_of_day, 23 * 60 + 45);
  EXPECT_EQ(k.weekday(), std::chrono::Thursday);
  EXPECT_EQ(FromKst(std::chrono::year{2024} / 2 / 29, 23 * 60 + 45), t);
  EXPECT_EQ(DaysInMonth(std::chrono::year{2024} / 2), 29);
  EXPECT_EQ(DaysInMonth(std::chrono::year{2025} / 2), 28);
  EXPECT_EQ(FormatKst(StartOfKstMonth(std::chrono::year{2024} / 3)), "2024-03-01T00:00:00+09:00");
  EXPECT_TRUE(IsIntervalAligned(t));
  EXPECT_FALSE(IsIntervalAligned(t + std::chrono::minutes{5}));
}

TEST(TimeTest, ParsesDatesAndMonths) {
  EXPECT_EQ(*ParseMonth("2024-08"), std::chrono::year{2024} / 8);
  EXPECT_FALSE(ParseMonth("2024-13"));
  EXPECT_FALSE(ParseDate("2023-02-29"));
  EXPECT_EQ(FormatDate(*ParseDate("2024-02-29")), "2024-02-29");
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// 14:00:05 KST on 2024-08-12 is 05:00:05 UTC; .25 s is 250 ms, digits past the third are cut.
TEST(ClockTextTest, MillisecondsRoundTripInKst) {
  const Instant t = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60)) + Millis(5'250);
  EXPECT_EQ(FormatKstMillis(t), "2024-08-12T14:00:05.250+09:00");
  EXPECT_EQ(*ParseIso8601Millis("2024-08-12T14:00:05.250+09:00"), t);
  EXPECT_EQ(*ParseIso8601Millis("2024-08-12T05:00:05.25Z"), t);
  EXPECT_EQ(*ParseIso8601Millis("2024-08-12T14:00:05.2509+09:00"), t);
  EXPECT_EQ(*ParseIso8601Millis("2024-08-12T14:00:05+09:00"), t - Millis(250));
  EXPECT_FALSE(ParseIso8601Millis("2024-08-12T14:00:05.+09:00"));
  EXPECT_FALSE(ParseIso8601Millis("2024-08-12T14:00:05.1234567890+09:00"));
  EXPECT_FALSE(ParseIso8601Millis("2024-08-12T14:00:05.250"));  // no offset
}

}  // namespace
}  // namespace meg
