// DR calls and the dispatch rules of KPX 전력시장운영규칙 제12.4.3.1조. Dates: 2024-08-12 is a
// Monday, 2024-08-15 (광복절) a Thursday holiday, 2024-08-17 a Saturday.
#include "market/dr_event.h"

#include <gtest/gtest.h>

#include <string>

#include "market/calendar_2024.h"

namespace meg {
namespace {

using namespace std::chrono_literals;
using std::chrono::August;

using testing::T;
using testing::Calendar2024;

DrCall Call(const char* issued, const char* start, const char* end, double kw = 500,
            DrCallKind kind = DrCallKind::kReliability) {
  DrCall c;
  c.kind = kind;
  c.resource_id = "res-1";
  c.issued = T(issued);
  c.start = T(start);
  c.end = T(end);
  c.requested = Kilowatts{kw};
  return c;
}

const DrDispatchRules kStandard = DrDispatchRules::For(DrResourceType::kStandard);
const DrDispatchRules kSmall = DrDispatchRules::For(DrResourceType::kSmallMedium);

// Expects `status` to fail with a message containing `needle`.
void ExpectError(const Status& status, const std::string& needle) {
  ASSERT_FALSE(status.has_value()) << "expected an error containing " << needle;
  EXPECT_NE(status.error().message.find(needle), std::string::npos) << status.error().message;
}

TEST(DrEventTest, ValidStandardCallAndItsTradingHours) {
  // 14:00-16:00 issued at 13:00: 60 min notice, 2 h, inside 09-20, clear of 12-13.
  const DrCall c = Call("2024-08-12T13:00:00+09:00", "2024-08-12T14:00:00+09:00",
                        "2024-08-12T16:00:00+09:00", 500);
  EXPECT_TRUE(ValidateDrCall(c, kStandard, Calendar2024()).has_value());
  // 500 kW for two whole hours: 500 kWh asked in each.
  const auto hours = TradingHours(c);
  ASSERT_EQ(hours.size(), 2u);
  EXPECT_EQ(hours[0].hour_start, T("2024-08-12T14:00:00+09:00"));
  EXPECT_EQ(hours[0].event_minutes, 60);
  EXPECT_DOUBLE_EQ(hours[0].requested.value(), 500.0);
  EXPECT_EQ(hours[1].hour_start, T("2024-08-12T15:00:00+09:00"));
  EXPECT_DOUBLE_EQ(hours[1].requested.value(), 500.0);
}

TEST(DrEventTest, PartialTradingHoursOnTheQuarterGrid) {
  // 14:15-15:30 at 400 kW: hour 14 covers 45 min (400 x 0.75 = 300 kWh), hour 15 covers 30 min
  // (400 x 0.5 = 200 kWh).
  const DrCall c = Call("2024-08-12T13:15:00+09:00", "2024-08-12T14:15:00+09:00",
                        "2024-08-12T15:30:00+09:00", 400);
  EXPECT_TRUE(ValidateDrCall(c, kStandard, Calendar2024()).has_value());
  const auto hours = TradingHours(c);
  ASSERT_EQ(hours.size(), 2u);
  EXPECT_EQ(hours[0].hour_start, T("2024-08-12T14:00:00+09:00"));
  EXPECT_EQ(hours[0].event_minutes, 45);
  EXPECT_DOUBLE_EQ(hours[0].requested.value(), 300.0);
  EXPECT_EQ(hours[1].event_minutes, 30);
  EXPECT_DOUBLE_EQ(hours[1].requested.value(), 200.0);
}

TEST(DrEventTest, StartAndEndOnTheQuarterHour) {
  // ① "매시 정각, 15분, 30분, 45분에 발령 가능": 14:10 is not allowed.
  ExpectError(ValidateDrCall(Call("2024-08-12T13:00:00+09:00", "2024-08-12T14:10:00+09:00",
                                  "2024-08-12T15:10:00+09:00"),
                             kStandard, Calendar2024()),
              "제12.4.3.1조 ①");
}

TEST(DrEventTest, NoticeOfAtLeastSixtyMinutes) {
  // Issued 13:01 for 14:00: 59 min of notice < 60 (② 발령시각).
  ExpectError(ValidateDrCall(Call("2024-08-12T13:01:00+09:00", "2024-08-12T14:00:00+09:00",
                                  "2024-08-12T15:00:00+09:00"),
                             kStandard, Calendar2024()),
              "notice of 59 min");
  // Exactly 60 min is enough.
  EXPECT_TRUE(ValidateDrCall(Call("2024-08-12T13:00:00+09:00", "2024-08-12T14:00:00+09:00",
                                  "2024-08-12T15:00:00+09:00"),
                             kStandard, Calendar2024())
                  .has_value());
}

TEST(DrEventTest, DurationOneToFourHoursForStandardDr) {
  // 13:00-18:00 is 300 min > 240 (② 의무감축지속시간).
  ExpectError(ValidateDrCall(Call("2024-08-12T11:00:00+09:00", "2024-08-12T13:00:00+09:00",
                                  "2024-08-12T18:00:00+09:00"),
                             kStandard, Calendar2024()),
              "duration of 300 min is outside 60-240 min");
  // 30 min < 60.
  ExpectError(ValidateDrCall(Call("2024-08-12T13:00:00+09:00", "2024-08-12T14:00:00+09:00",
                                  "2024-08-12T14:30:00+09:00"),
                             kStandard, Calendar2024()),
              "duration of 30 min");
  // 4 h (14:00-18:00) is the maximum.
  EXPECT_TRUE(ValidateDrCall(Call("2024-08-12T13:00:00+09:00", "2024-08-12T14:00:00+09:00",
                                  "2024-08-12T18:00:00+09:00"),
                             kStandard, Calendar2024())
                  .has_value());
}

TEST(DrEventTest, SmallMediumDrLastsOneHour) {
  // 중소형DR: 의무감축지속시간 1시간; 2 h is too long.
  ExpectError(ValidateDrCall(Call("2024-08-12T13:00:00+09:00", "2024-08-12T14:00:00+09:00",
                                  "2024-08-12T16:00:00+09:00"),
                             kSmall, Calendar2024()),
              "duration of 120 min is outside 60-60 min");
}

TEST(DrEventTest, DispatchWindowNineToTwenty) {
  // 19:00-21:00 ends after 20:00.
  ExpectError(ValidateDrCall(Call("2024-08-12T17:00:00+09:00", "2024-08-12T19:00:00+09:00",
                                  "2024-08-12T21:00:00+09:00"),
                             kStandard, Calendar2024()),
              "outside the dispatch window 09:00-20:00");
  // 08:00-09:00 starts before 09:00.
  ExpectError(ValidateDrCall(Call("2024-08-12T07:00:00+09:00", "2024-08-12T08:00:00+09:00",
                                  "2024-08-12T09:00:00+09:00"),
                             kStandard, Calendar2024()),
              "제12.4.3.1조 ① 1호");
  // 19:00-20:00 ends at the edge: allowed.
  EXPECT_TRUE(ValidateDrCall(Call("2024-08-12T18:00:00+09:00", "2024-08-12T19:00:00+09:00",
                                  "2024-08-12T20:00:00+09:00"),
                             kStandard, Calendar2024())
                  .has_value());
}

TEST(DrEventTest, MiddayHourExcluded) {
  // 11:00-12:30 runs into 12:00-13:00.
  ExpectError(ValidateDrCall(Call("2024-08-12T10:00:00+09:00", "2024-08-12T11:00:00+09:00",
                                  "2024-08-12T12:30:00+09:00"),
                             kStandard, Calendar2024()),
              "overlaps the excluded 12:00-13:00");
  // 11:00-14:00 spans it.
  ExpectError(ValidateDrCall(Call("2024-08-12T10:00:00+09:00", "2024-08-12T11:00:00+09:00",
                                  "2024-08-12T14:00:00+09:00"),
                             kStandard, Calendar2024()),
              "excluded");
  // 11:00-12:00 and 13:00-14:00 touch it only at the edges.
  EXPECT_TRUE(ValidateDrCall(Call("2024-08-12T10:00:00+09:00", "2024-08-12T11:00:00+09:00",
                                  "2024-08-12T12:00:00+09:00"),
                             kStandard, Calendar2024())
                  .has_value());
  EXPECT_TRUE(ValidateDrCall(Call("2024-08-12T12:00:00+09:00", "2024-08-12T13:00:00+09:00",
                                  "2024-08-12T14:00:00+09:00"),
                             kStandard, Calendar2024())
                  .has_value());
}

TEST(DrEventTest, WeekdaysOnly) {
  // Saturday 2024-08-17 and 광복절 2024-08-15 are not 평일.
  ExpectError(ValidateDrCall(Call("2024-08-17T13:00:00+09:00", "2024-08-17T14:00:00+09:00",
                                  "2024-08-17T15:00:00+09:00"),
                             kStandard, Calendar2024()),
              "2024-08-17 is a Saturday, Sunday or 공휴일");
  ExpectError(ValidateDrCall(Call("2024-08-15T13:00:00+09:00", "2024-08-15T14:00:00+09:00",
                                  "2024-08-15T15:00:00+09:00"),
                             kStandard, Calendar2024()),
              "2024-08-15");
  // Economic DR cites its own article (제12.4.2.1조 ① 1호).
  ExpectError(ValidateDrCall(Call("2024-08-17T09:00:00+09:00", "2024-08-17T14:00:00+09:00",
                                  "2024-08-17T15:00:00+09:00", 500, DrCallKind::kEconomic),
                             kStandard, Calendar2024()),
              "제12.4.2.1조 ① 1호");
}

TEST(DrEventTest, CalendarMustCoverTheDay) {
  ExpectError(ValidateDrCall(Call("2025-08-11T13:00:00+09:00", "2025-08-11T14:00:00+09:00",
                                  "2025-08-11T15:00:00+09:00"),
                             kStandard, Calendar2024()),
              "does not cover 2025-08-11");
}

TEST(DrEventTest, RequestMustBePositiveAndEndAfterStart) {
  ExpectError(ValidateDrCall(Call("2024-08-12T13:00:00+09:00", "2024-08-12T14:00:00+09:00",
                                  "2024-08-12T15:00:00+09:00", 0),
                             kStandard, Calendar2024()),
              "requested_kw = 0 must be > 0");
  ExpectError(ValidateDrCall(Call("2024-08-12T13:00:00+09:00", "2024-08-12T15:00:00+09:00",
                                  "2024-08-12T14:00:00+09:00"),
                             kStandard, Calendar2024()),
              "end must be after start");
}

TEST(DrEventTest, TestCallsFollowTheDispatchRules) {
  // 제12.3.2.1조 ④: tests are dispatched like reliability calls, so the notice rule applies.
  ExpectError(ValidateDrCall(Call("2024-08-12T13:30:00+09:00", "2024-08-12T14:00:00+09:00",
                                  "2024-08-12T15:00:00+09:00", 500, DrCallKind::kTest),
                             kStandard, Calendar2024()),
              "notice of 30 min");
}

TEST(DrEventTest, EconomicCallsAreWholeTradingHours) {
  // The 감축계획량 is per trading hour: 10:30 is refused; no notice rule, any hour of a 평일.
  ExpectError(ValidateDrCall(Call("2024-08-11T15:00:00+09:00", "2024-08-12T10:30:00+09:00",
                                  "2024-08-12T11:30:00+09:00", 500, DrCallKind::kEconomic),
                             kStandard, Calendar2024()),
              "whole trading hour");
  EXPECT_TRUE(ValidateDrCall(Call("2024-08-12T06:00:00+09:00", "2024-08-12T06:00:00+09:00",
                                  "2024-08-12T22:00:00+09:00", 500, DrCallKind::kEconomic),
                             kStandard, Calendar2024())
                  .has_value());
}

TEST(DrEventTest, AtMostTwoCallsPerDay) {
  const std::vector<DrCall> calls = {
      Call("2024-08-12T08:00:00+09:00", "2024-08-12T09:00:00+09:00", "2024-08-12T10:00:00+09:00"),
      Call("2024-08-12T14:00:00+09:00", "2024-08-12T15:00:00+09:00", "2024-08-12T16:00:00+09:00"),
      Call("2024-08-12T12:00:00+09:00", "2024-08-12T13:00:00+09:00", "2024-08-12T14:00:00+09:00"),
  };
  // In time order the third is the 15:00 call.
  ExpectError(ValidateDrCallsOfDay(calls, kStandard), "call 2024-08-12T15:00:00+09:00: call 3");
  // Two are fine; economic calls do not count.
  std::vector<DrCall> two(calls.begin(), calls.begin() + 2);
  two.push_back(Call("2024-08-11T15:00:00+09:00", "2024-08-12T17:00:00+09:00",
                     "2024-08-12T18:00:00+09:00", 500, DrCallKind::kEconomic));
  EXPECT_TRUE(ValidateDrCallsOfDay(two, kStandard).has_value());
  // Another resource has its own limit.
  std::vector<DrCall> other = calls;
  other[2].resource_id = "res-2";
  EXPECT_TRUE(ValidateDrCallsOfDay(other, kStandard).has_value());
}

TEST(DrEventTest, OverlapAndConsecutiveCalls) {
  const DrCall a =
      Call("2024-08-12T13:00:00+09:00", "2024-08-12T14:00:00+09:00", "2024-08-12T15:00:00+09:00");
  const DrCall b =
      Call("2024-08-12T14:00:00+09:00", "2024-08-12T15:00:00+09:00", "2024-08-12T16:00:00+09:00");
  const DrCall overlapping =
      Call("2024-08-12T13:30:00+09:00", "2024-08-12T14:30:00+09:00", "2024-08-12T15:30:00+09:00");
  ExpectError(ValidateDrCallsOfDay({a, overlapping}, kStandard), "overlaps the call starting");
  // Back to back (15:00 = 15:00): allowed for 표준DR, not for 중소형DR (② 비연속적으로).
  EXPECT_TRUE(ValidateDrCallsOfDay({a, b}, kStandard).has_value());
  ExpectError(ValidateDrCallsOfDay({a, b}, kSmall), "must not be consecutive");
}

TEST(DrEventTest, ParseDrCallKind) {
  EXPECT_EQ(*ParseDrCallKind("Reliability"), DrCallKind::kReliability);
  EXPECT_EQ(*ParseDrCallKind(" economic "), DrCallKind::kEconomic);
  EXPECT_EQ(*ParseDrCallKind("TEST"), DrCallKind::kTest);
  const auto bad = ParseDrCallKind("peak");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "kind 'peak' is not one of reliability, economic, test");
  EXPECT_EQ(DrCallKindName(DrCallKind::kTest), "test");
}

TEST(DrEventTest, ParsesACallFile) {
  const std::string csv =
      "# DR calls of August\n"
      "issued,start,end,requested_kw,kind\n"
      "2024-08-12T13:00:00+09:00,2024-08-12T14:00:00+09:00,2024-08-12T16:00:00+09:00,500,"
      "reliability\n"
      "\n"
      "2024-08-13T04:00:00Z,2024-08-13T05:00:00Z,2024-08-13T06:00:00Z,250.5,\n"
      "2024-08-13T15:00:00+09:00,2024-08-14T10:00:00+09:00,2024-08-14T12:00:00+09:00,300,"
      "economic\n";
  auto calls = ParseDrCalls(csv, "dr_calls.csv", "res-1", kStandard, Calendar2024());
  ASSERT_TRUE(calls.has_value()) << calls.error().message;
  ASSERT_EQ(calls->size(), 3u);
  EXPECT_EQ((*calls)[0].kind, DrCallKind::kReliability);
  EXPECT_EQ((*calls)[0].resource_id, "res-1");
  EXPECT_EQ((*calls)[0].start, T("2024-08-12T14:00:00+09:00"));
  EXPECT_DOUBLE_EQ((*calls)[0].requested.value(), 500.0);
  // An empty kind is reliability; 05:00Z is 14:00 KST.
  EXPECT_EQ((*calls)[1].kind, DrCallKind::kReliability);
  EXPECT_EQ((*calls)[1].start, T("2024-08-13T14:00:00+09:00"));
  EXPECT_DOUBLE_EQ((*calls)[1].requested.value(), 250.5);
  EXPECT_EQ((*calls)[2].kind, DrCallKind::kEconomic);
}

TEST(DrEventTest, CallFileErrorsNameTheLine) {
  const std::string header = "issued,start,end,requested_kw\n";
  const std::string good =
      "2024-08-12T13:00:00+09:00,2024-08-12T14:00:00+09:00,2024-08-12T15:00:00+09:00,500\n";
  auto parse = [](const std::string& text) {
    auto r = ParseDrCalls(text, "dr_calls.csv", "res-1", kStandard, Calendar2024());
    return r.has_value() ? Status(Ok{}) : Status(r.error());
  };
  // A timestamp without an offset on line 3.
  ExpectError(parse(header + good +
                    "2024-08-13T13:00:00,2024-08-13T14:00:00+09:00,2024-08-13T15:00:00+09:00,5\n"),
              "dr_calls.csv:3:");
  // A rule broken on line 2 (notice of 30 min).
  ExpectError(
      parse(header +
            "2024-08-12T13:30:00+09:00,2024-08-12T14:00:00+09:00,2024-08-12T15:00:00+09:00,5\n"),
      "dr_calls.csv:2: call 2024-08-12T14:00:00+09:00: notice of 30 min");
  // Not a number.
  ExpectError(
      parse(header +
            "2024-08-12T13:00:00+09:00,2024-08-12T14:00:00+09:00,2024-08-12T15:00:00+09:00,abc\n"),
      "dr_calls.csv:2: requested_kw 'abc' is not a number");
  // A missing column.
  ExpectError(parse("issued,start,requested_kw\n"), "dr_calls.csv:1: missing column 'end'");
  // A short row.
  ExpectError(parse(header + "2024-08-12T13:00:00+09:00,2024-08-12T14:00:00+09:00\n"),
              "dr_calls.csv:2: 2 fields where the header has 4");
  // The third call of a day is on line 4.
  ExpectError(
      parse(header + good +
            "2024-08-12T14:00:00+09:00,2024-08-12T15:00:00+09:00,2024-08-12T16:00:00+09:00,5\n"
            "2024-08-12T15:00:00+09:00,2024-08-12T16:00:00+09:00,2024-08-12T17:00:00+09:00,5\n"),
      "dr_calls.csv:4:");
  ExpectError(parse("\n# only a comment\n"), "dr_calls.csv: the file is empty");
}

}  // namespace
}  // namespace meg
