// DrDesk (market/dr_desk.h): a call's lifecycle from waiting to settled on a synthetic meter
// whose CBL is known by hand, a call without history, the dispatch rules on calls added later,
// and the order of issue.
#include "market/dr_desk.h"

#include <gtest/gtest.h>

#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

using testing::Ymd;

const Date kEventDay = Ymd(2024, 7, 31);  // a Wednesday; no holiday in July 2024

// 100 kW at every quarter-hour from 2024-07-01 up to `until`, and `event_kw` over the event
// [10:00, 12:00) of 07-31 (where `until` covers it).
PowerSeries Meter(Timestamp until, double event_kw) {
  const Timestamp start = FromKst(Ymd(2024, 7, 1));
  std::vector<std::optional<Kilowatts>> v;
  for (Timestamp t = start; t < until; t += kInterval) {
    const KstDateTime k = ToKst(t);
    const bool event = k.date == kEventDay && k.minute_of_day >= 600 && k.minute_of_day < 720;
    v.push_back(Kilowatts(event ? event_kw : 100.0));
  }
  return PowerSeries(start, kInterval, std::move(v));
}

DrCall Call(int issued_min, int start_min, int end_min, double kw, Date day = kEventDay) {
  return DrCall{DrCallKind::kReliability, "site",       FromKst(day, issued_min), FromKst(day, start_min),
                FromKst(day, end_min),    Kilowatts(kw)};
}

class DrDeskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    calendar_ = testing::LoadSharedCalendar();
    program_.cbl.method = CblMethod::kMid6of10;
    program_.smp = WonPerKwh::FromMilliWon(125'400);
    program_.mgp = WonPerKwh::FromMilliWon(300'000);
  }
  HolidayCalendar calendar_;
  DrProgram program_;
};

// A reliability call of 30 kW over 10:00-12:00, issued at 09:00. The meter is 100 kW flat, so
// every reference day of Mid(6/10) (별표28 1.2) holds 100 kWh in each trading hour: the CBL is
// 100 kWh and the cap 100 - 30 = 70 kW; extra reduction up to 0.2 x 30 = 6 kW is worth MGP (300).
// Metered at 75 kW in the event, each hour reduces 100 - 75 = 25 kWh of the 30 asked: 50 of 60
// kWh in all (83 %), paid 25 kWh x 300 KRW = 7,500 KRW an hour, 15,000 KRW (별표26 Ⅰ.2 가).
TEST_F(DrDeskTest, ACallIsIssuedAtItsIssueTimeAndSettledAfterItsLastQuarterHour) {
  program_.calls = {Call(9 * 60, 10 * 60, 12 * 60, 30)};
  DrDesk desk(program_);
  ASSERT_EQ(desk.calls().size(), 1u);
  EXPECT_EQ(desk.state(0), DrCallState::kWaiting);
  EXPECT_TRUE(desk.DueForIssue(FromKst(kEventDay, 9 * 60) - std::chrono::seconds(1)).empty());
  EXPECT_EQ(desk.DueForIssue(FromKst(kEventDay, 9 * 60)), std::vector<size_t>{0});

  const Timestamp issue = FromKst(kEventDay, 9 * 60);
  auto c = desk.Issue(0, Meter(issue, 75), issue, calendar_);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(desk.state(0), DrCallState::kIssued);
  EXPECT_TRUE(desk.DueForIssue(issue + std::chrono::hours(1)).empty());
  ASSERT_EQ(c->size(), 2u);
  for (size_t h = 0; h < 2; ++h) {
    const DrCommitment& k = (*c)[h];
    EXPECT_EQ(k.known_from, issue);
    EXPECT_EQ(k.start, FromKst(kEventDay, 10 * 60 + 60 * static_cast<int>(h)));
    EXPECT_EQ(k.end, FromKst(kEventDay, 11 * 60 + 60 * static_cast<int>(h)));
    EXPECT_NEAR(k.import_cap.value(), 70.0, 1e-9);
    EXPECT_NEAR(k.extra_cap.value(), 6.0, 1e-9);
    EXPECT_DOUBLE_EQ(k.extra_krw_per_kwh, 300.0);
  }

  // Due once the quarter-hour after the end has begun: 12:15, not 12:14:59.
  EXPECT_TRUE(desk.DueForSettlement(FromKst(kEventDay, 12 * 60 + 15) - std::chrono::seconds(1)).empty());
  EXPECT_EQ(desk.DueForSettlement(FromKst(kEventDay, 12 * 60 + 15)), std::vector<size_t>{0});
  auto o = desk.Settle(0, Meter(FromKst(kEventDay, 12 * 60 + 15), 75), calendar_);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(desk.state(0), DrCallState::kSettled);
  EXPECT_TRUE(desk.DueForSettlement(FromKst(kEventDay, 18 * 60)).empty());
  ASSERT_EQ(o->cbl.hours.size(), 2u);
  EXPECT_NEAR(o->cbl.hours[0].baseline.value(), 100.0, 1e-9);
  EXPECT_NEAR(o->cbl.hours[1].baseline.value(), 100.0, 1e-9);
  EXPECT_NEAR(o->settlement.measured.value(), 50.0, 1e-9);
  EXPECT_NEAR(o->settlement.requested.value(), 60.0, 1e-9);
  EXPECT_NEAR(o->settlement.performance, 50.0 / 60.0, 1e-9);
  EXPECT_EQ(o->settlement.energy_payment.value(), 15'000);
  EXPECT_TRUE(desk.notes().empty());
}

// A meter of one day has no reference day: not issued (noted, not retried), and still settled
// with a reduction of 0 (제12.5.2.3조 ④).
TEST_F(DrDeskTest, ACallWithoutHistoryIsNotIssuedButSettledAsZero) {
  program_.calls = {Call(9 * 60, 10 * 60, 12 * 60, 30)};
  DrDesk desk(program_);
  const Timestamp issue = FromKst(kEventDay, 9 * 60);
  const PowerSeries one_day =
      Meter(FromKst(kEventDay, 12 * 60 + 15), 75).Slice(FromKst(kEventDay), FromKst(kEventDay, 12 * 60 + 15));
  auto c = desk.Issue(0, one_day.Slice(FromKst(kEventDay), issue), issue, calendar_);
  EXPECT_FALSE(c);
  EXPECT_EQ(desk.state(0), DrCallState::kNotIssued);
  EXPECT_TRUE(desk.DueForIssue(issue + std::chrono::hours(1)).empty());
  ASSERT_EQ(desk.notes().size(), 1u);
  EXPECT_NE(desk.notes().front().find("no CBL at issue"), std::string::npos) << desk.notes().front();
  EXPECT_NE(desk.notes().front().find("2024-07-31T10:00:00+09:00"), std::string::npos) << desk.notes().front();

  EXPECT_EQ(desk.DueForSettlement(FromKst(kEventDay, 12 * 60 + 15)), std::vector<size_t>{0});
  auto o = desk.Settle(0, one_day, calendar_);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(desk.state(0), DrCallState::kSettled);
  EXPECT_EQ(o->settlement.measured.value(), 0.0);
  EXPECT_EQ(o->settlement.energy_payment.value(), 0);
}

// The caller may withdraw an issued call (its loop refused the commitments) and give up a
// settlement (its meter could not be read): each is noted and never retried.
TEST_F(DrDeskTest, TheCallerCanMarkACallNotIssuedOrNotSettled) {
  program_.calls = {Call(9 * 60, 10 * 60, 12 * 60, 30)};
  DrDesk desk(program_);
  const Timestamp issue = FromKst(kEventDay, 9 * 60);
  ASSERT_TRUE(desk.Issue(0, Meter(issue, 75), issue, calendar_));
  desk.MarkNotIssued(0, "the loop refused its commitments: audit log full");
  EXPECT_EQ(desk.state(0), DrCallState::kNotIssued);
  EXPECT_EQ(desk.DueForSettlement(FromKst(kEventDay, 13 * 60)), std::vector<size_t>{0});
  desk.MarkNotSettled(0, "the store's meter could not be read");
  EXPECT_EQ(desk.state(0), DrCallState::kNotSettled);
  EXPECT_TRUE(desk.DueForSettlement(FromKst(kEventDay, 13 * 60)).empty());
  ASSERT_EQ(desk.notes().size(), 2u);
  EXPECT_EQ(desk.notes()[0], "DR call at 2024-07-31T10:00:00+09:00: the loop refused its commitments: audit log full");
  EXPECT_EQ(desk.notes()[1], "DR call at 2024-07-31T10:00:00+09:00: not settled: the store's meter could not be read");
  EXPECT_EQ(DrCallStateName(desk.state(0)), "not_settled");
}

// Calls added later pass the dispatch rules of 제12.4.3.1조: alone (the 12:00-13:00 hour is
// excluded, an hour's notice) and with the calls of their day (at most two a day).
TEST_F(DrDeskTest, AddedCallsAreCheckedByTheDispatchRules) {
  program_.calls = {Call(9 * 60, 10 * 60, 11 * 60, 30)};
  DrDesk desk(program_);
  const DrDispatchRules rules = DrDispatchRules::For(DrResourceType::kStandard);
  EXPECT_FALSE(desk.Add(Call(10 * 60, 11 * 60 + 30, 12 * 60 + 30, 30), rules,
                        calendar_));                                                   // into 12:00-13:00
  EXPECT_FALSE(desk.Add(Call(13 * 60 + 30, 14 * 60, 15 * 60, 30), rules, calendar_));  // 30 min notice
  auto second = desk.Add(Call(13 * 60, 14 * 60, 15 * 60, 30), rules, calendar_);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*second, 1u);
  EXPECT_EQ(desk.state(1), DrCallState::kWaiting);
  EXPECT_FALSE(desk.Add(Call(15 * 60, 16 * 60, 17 * 60, 30), rules, calendar_));  // a third that day
  EXPECT_EQ(desk.calls().size(), 2u);
}

// Due calls come earliest issued first, whatever their order in the program.
TEST_F(DrDeskTest, DueCallsComeInIssueOrder) {
  program_.calls = {Call(13 * 60, 14 * 60, 15 * 60, 30), Call(9 * 60, 10 * 60, 11 * 60, 30)};
  DrDesk desk(program_);
  EXPECT_EQ(desk.DueForIssue(FromKst(kEventDay, 10 * 60)), std::vector<size_t>{1});
  EXPECT_EQ(desk.DueForIssue(FromKst(kEventDay, 13 * 60)), (std::vector<size_t>{1, 0}));
}

// An aggregator re-splitting its resource's call (center/fleet_dr.h) cannot hand a member an
// extra share as another call: it overlaps the member's call and comes with less than 60
// minutes' notice (제12.4.3.1조 ②), and both are refused. Revise cuts the call at 10:45 and adds a
// continuation of 50 kW over 10:45-12:00, issued at 10:40 and due at once. On the flat 100 kW
// meter the continuation's caps are 100 - 50 = 50 kW over [10:45, 11:00) and [11:00, 12:00).
// Metered at 75 kW, each part settles on its own minutes (별표28 3.2.4): the first over
// 10:00-10:45, CBL 75 kWh, actual 56.25, 18.75 kWh of the 22.5 asked; the continuation 25 - 18.75
// = 6.25 of 12.5 kWh in 10:45-11:00 and 100 - 75 = 25 of 50 kWh in 11:00-12:00. A later KPX call
// of the day is still the second of the day: the continuation does not count.
TEST_F(DrDeskTest, ARevisionCutsTheCallAndContinuesItWithTheNewShare) {
  program_.calls = {Call(9 * 60, 10 * 60, 12 * 60, 30)};
  DrDesk desk(program_);
  const DrDispatchRules rules = DrDispatchRules::For(DrResourceType::kStandard);
  const Timestamp issue = FromKst(kEventDay, 9 * 60);
  ASSERT_TRUE(desk.Issue(0, Meter(issue, 75), issue, calendar_));

  const Timestamp now = FromKst(kEventDay, 10 * 60 + 40), from = FromKst(kEventDay, 10 * 60 + 45);
  auto extra = desk.Add(DrCall{DrCallKind::kReliability, "site", now, from, FromKst(kEventDay, 12 * 60), Kilowatts(20)},
                        rules, calendar_);
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.error().message.find("notice"), std::string::npos) << extra.error().message;
  extra = desk.Add(Call(8 * 60, 10 * 60 + 45, 12 * 60, 20), rules, calendar_);
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.error().message.find("overlap"), std::string::npos) << extra.error().message;

  EXPECT_FALSE(desk.Revise(0, from + std::chrono::minutes(5), Kilowatts(50), now));  // off the grid
  EXPECT_FALSE(desk.Revise(0, FromKst(kEventDay, 12 * 60), Kilowatts(50), now));     // at the end
  EXPECT_FALSE(desk.Revise(0, from, Kilowatts(0), now));
  auto k = desk.Revise(0, from, Kilowatts(50), now);
  ASSERT_TRUE(k) << k.error().message;
  ASSERT_EQ(*k, 1u);
  EXPECT_TRUE(desk.continuation(1));
  EXPECT_FALSE(desk.continuation(0));
  EXPECT_EQ(desk.calls()[0].end, from);
  EXPECT_EQ(desk.calls()[1].start, from);
  EXPECT_EQ(desk.calls()[1].end, FromKst(kEventDay, 12 * 60));
  EXPECT_EQ(desk.DueForIssue(now), std::vector<size_t>{1});
  auto c = desk.Issue(1, Meter(now, 75), now, calendar_);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].start, from);
  EXPECT_EQ((*c)[0].end, FromKst(kEventDay, 11 * 60));
  EXPECT_NEAR((*c)[0].import_cap.value(), 50.0, 1e-9);
  EXPECT_NEAR((*c)[1].import_cap.value(), 50.0, 1e-9);

  EXPECT_TRUE(desk.Add(Call(13 * 60, 14 * 60, 15 * 60, 30), rules, calendar_));

  const PowerSeries metered = Meter(FromKst(kEventDay, 12 * 60 + 15), 75);
  auto first = desk.Settle(0, metered, calendar_);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_NEAR(first->settlement.requested.value(), 22.5, 1e-9);
  EXPECT_NEAR(first->settlement.measured.value(), 18.75, 1e-9);
  auto rest = desk.Settle(1, metered, calendar_);
  ASSERT_TRUE(rest) << rest.error().message;
  ASSERT_EQ(rest->settlement.hours.size(), 2u);
  EXPECT_NEAR(rest->settlement.hours[0].requested.value(), 12.5, 1e-9);
  EXPECT_NEAR(rest->settlement.hours[0].measured.value(), 6.25, 1e-9);
  EXPECT_NEAR(rest->settlement.hours[1].measured.value(), 25.0, 1e-9);
  EXPECT_FALSE(desk.Revise(0, from, Kilowatts(50), now));  // settled: too late
}

}  // namespace
}  // namespace meg
