// The share of headroom among EV sessions, worked by hand. Connectors: 3 x 230 V x 32 A = 22.08 kW
// (minimum 6 A: 4.14 kW) and 1 x 230 V x 32 A = 7.36 kW (minimum 1.38 kW).
#include "control/ev_share.h"

#include <cmath>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meg {
namespace {

using ::testing::HasSubstr;

EvShareInput ThreePhase(double left_kwh, double hours_left, int priority = 0) {
  EvShareInput s;
  s.max_power = Kilowatts(22.08);
  s.min_power = Kilowatts(4.14);
  s.left = KilowattHours(left_kwh);
  s.hours_left = hours_left;
  s.priority = priority;
  return s;
}

EvShareInput OnePhase(double left_kwh, double hours_left) {
  EvShareInput s = ThreePhase(left_kwh, hours_left);
  s.max_power = Kilowatts(7.36);
  s.min_power = Kilowatts(1.38);
  return s;
}

TEST(EvShareTest, EqualSharesOfTheRoomUnderTheTarget) {
  const std::vector<EvShareInput> in = {ThreePhase(20, 8), ThreePhase(10, 6), ThreePhase(30, 9)};
  const EvShareResult r = ShareEvHeadroom(Kilowatts(30), Kilowatts(500), in);
  for (const EvShareDecision& d : r.sessions) {
    EXPECT_NEAR(d.limit->value(), 10, 1e-9);
    EXPECT_EQ(d.why, EvShareReason::kShare);
  }
  EXPECT_NEAR(r.total.value(), 30, 1e-9);
  EXPECT_NEAR(r.contract_room_left.value(), 470, 1e-9);
  // Slack: 8 h - 20 / 22.08 h = 7.094 h.
  EXPECT_NEAR(r.sessions[0].slack_h, 8 - 20 / 22.08, 1e-12);
}

TEST(EvShareTest, AShareUnderTheMinimumPausesTheSessionWithTheMostSlack) {
  // 10 kW among three is 3.33 kW each, under 4.14 kW: the one with the most slack (9 - 30/22.08 =
  // 7.64 h) is paused and the other two get 5 kW each.
  const std::vector<EvShareInput> in = {ThreePhase(20, 8), ThreePhase(10, 6), ThreePhase(30, 9)};
  const EvShareResult r = ShareEvHeadroom(Kilowatts(10), Kilowatts(500), in);
  EXPECT_NEAR(r.sessions[0].limit->value(), 5, 1e-9);
  EXPECT_NEAR(r.sessions[1].limit->value(), 5, 1e-9);
  EXPECT_NEAR(r.sessions[2].limit->value(), 0, 1e-9);
  EXPECT_EQ(r.sessions[2].why, EvShareReason::kPaused);
  EXPECT_THAT(EvShareText(in[2], r.sessions[2]),
              HasSubstr("paused: the headroom does not cover its minimum of 4.14 kW"));
  // 3 kW covers nobody's minimum: all paused.
  const EvShareResult none = ShareEvHeadroom(Kilowatts(3), Kilowatts(500), in);
  for (const EvShareDecision& d : none.sessions) EXPECT_EQ(d.why, EvShareReason::kPaused);
  EXPECT_NEAR(none.total.value(), 0, 1e-12);
}

TEST(EvShareTest, SharesAreCappedAtEachConnectorsPower) {
  // 40 kW between 7.36 and 22.08 kW connectors: the small one is full at 7.36, the other takes
  // min(22.08, 32.64) = 22.08; 10.56 kW are left over.
  const std::vector<EvShareInput> in = {ThreePhase(20, 8), OnePhase(10, 8)};
  const EvShareResult r = ShareEvHeadroom(Kilowatts(40), Kilowatts(500), in);
  EXPECT_NEAR(r.sessions[0].limit->value(), 22.08, 1e-9);
  EXPECT_NEAR(r.sessions[1].limit->value(), 7.36, 1e-9);
  EXPECT_NEAR(r.total.value(), 29.44, 1e-9);
}

TEST(EvShareTest, HigherPriorityIsServedFirst) {
  // 25 kW: priority 1 takes its full 22.08 kW; 2.92 kW is under the other's minimum: paused.
  const std::vector<EvShareInput> in = {ThreePhase(20, 8, 0), ThreePhase(20, 8, 1)};
  const EvShareResult r = ShareEvHeadroom(Kilowatts(25), Kilowatts(500), in);
  EXPECT_NEAR(r.sessions[1].limit->value(), 22.08, 1e-9);
  EXPECT_NEAR(r.sessions[0].limit->value(), 0, 1e-9);
  EXPECT_EQ(r.sessions[0].why, EvShareReason::kPaused);
}

TEST(EvShareTest, ASessionThatCannotWaitKeepsPaceAboveTheTarget) {
  // 30 kWh in 7.4 h, planned to be full a quarter-hour early: 30 / 7.15 = 4.196 kW, above the
  // 4.14 kW minimum. With no room under the target it still gets that, and no more.
  const std::vector<EvShareInput> in = {ThreePhase(30, 7.4), ThreePhase(20, 8)};
  EXPECT_NEAR(EvPaceFloor(in[0]).value(), 30 / 7.15, 1e-12);
  // 20 kWh in 8 h: 20 / 7.75 = 2.58 kW is under the minimum, and at the minimum it needs 4.83 h of
  // the 7.75: it can wait.
  EXPECT_NEAR(EvPaceFloor(in[1]).value(), 0, 1e-12);
  const EvShareResult r = ShareEvHeadroom(Kilowatts(-5), Kilowatts(100), in);
  EXPECT_NEAR(r.sessions[0].limit->value(), 30 / 7.15, 1e-9);
  EXPECT_EQ(r.sessions[0].why, EvShareReason::kKeepPace);
  EXPECT_EQ(r.sessions[1].why, EvShareReason::kPaused);
  EXPECT_NEAR(r.sessions[1].limit->value(), 0, 1e-12);
  EXPECT_THAT(EvShareText(in[0], r.sessions[0]), HasSubstr("4.2 kW: no room under the demand target"));
  // 10 kW of room: 4.196 kW to the floor, the 5.804 kW left raises both to a common level L:
  // (L - 4.196) + L = 5.804, L = 5 kW each.
  const EvShareResult room = ShareEvHeadroom(Kilowatts(10), Kilowatts(100), in);
  EXPECT_NEAR(room.sessions[0].limit->value(), 5, 1e-6);
  EXPECT_NEAR(room.sessions[1].limit->value(), 5, 1e-6);
  EXPECT_EQ(room.sessions[0].why, EvShareReason::kShare);
  // 23.8 kWh in 6.0 h: pace 23.8 / 5.75 = 4.139 kW, under the minimum: it waits (at 4.14 kW it
  // needs 5.749 h of the 5.75). 23.81 kWh: pace 4.1409 kW, at or above the minimum: it charges.
  EXPECT_NEAR(EvPaceFloor(ThreePhase(23.8, 6.0)).value(), 0, 1e-12);
  EXPECT_NEAR(EvPaceFloor(ThreePhase(23.81, 6.0)).value(), 23.81 / 5.75, 1e-12);
}

TEST(EvShareTest, ASessionThatCannotMakeItChargesAtFullPowerWithinTheContract) {
  // 20 kWh in 1 h, full a quarter-hour early: 26.7 kW, more than 22.08: full power, although the
  // room under the target is negative (it may lift the month's demand).
  const std::vector<EvShareInput> in = {ThreePhase(20, 1), ThreePhase(20, 8)};
  const EvShareResult r = ShareEvHeadroom(Kilowatts(-5), Kilowatts(100), in);
  EXPECT_EQ(r.sessions[0].why, EvShareReason::kNoSlack);
  EXPECT_NEAR(r.sessions[0].limit->value(), 22.08, 1e-9);
  EXPECT_EQ(r.sessions[1].why, EvShareReason::kPaused);
  EXPECT_THAT(EvShareText(in[0], r.sessions[0]), HasSubstr("22.1 kW (full): no slack left, 20.0 kWh to go in 1.00 h"));
  // 20 kWh in 1 h at 22.08 kW can be had (0.906 h): not late; 30 kWh cannot (at most 22.08 kWh).
  EXPECT_FALSE(r.sessions[0].late);
  const std::vector<EvShareInput> more = {ThreePhase(30, 1)};
  const EvShareResult lr = ShareEvHeadroom(Kilowatts(0), Kilowatts(100), more);
  EXPECT_TRUE(lr.sessions[0].late);
  EXPECT_THAT(EvShareText(more[0], lr.sessions[0]),
              HasSubstr("it cannot be full by its departure: at most 22.1 of the 30.0 kWh it needs"));
  // Two that cannot make it and 30 kW under the contract: the least slack (10 kWh in 0.5 h: 0.047
  // h) first at 22.08 kW, the other (0.094 h) cut to the 7.92 kW left.
  const std::vector<EvShareInput> late = {ThreePhase(20, 1), ThreePhase(10, 0.5)};
  const EvShareResult c = ShareEvHeadroom(Kilowatts(0), Kilowatts(30), late);
  EXPECT_NEAR(c.sessions[1].limit->value(), 22.08, 1e-9);
  EXPECT_EQ(c.sessions[1].why, EvShareReason::kNoSlack);
  EXPECT_NEAR(c.sessions[0].limit->value(), 7.92, 1e-9);
  EXPECT_EQ(c.sessions[0].why, EvShareReason::kContract);
  EXPECT_NEAR(c.contract_room_left.value(), 0, 1e-9);
}

TEST(EvShareTest, ASessionThatCannotBeSteeredIsCountedFirst) {
  EvShareInput rogue = ThreePhase(20, 8);
  rogue.steerable = false;
  rogue.power = Kilowatts(22.08);
  const std::vector<EvShareInput> in = {rogue, ThreePhase(20, 8)};
  const EvShareResult r = ShareEvHeadroom(Kilowatts(30), Kilowatts(40), in);
  EXPECT_FALSE(r.sessions[0].limit.has_value());
  EXPECT_EQ(r.sessions[0].why, EvShareReason::kNotSteerable);
  EXPECT_NEAR(r.sessions[1].limit->value(), 30 - 22.08, 1e-9);
  EXPECT_NEAR(r.total.value(), 30, 1e-9);
  EXPECT_NEAR(r.contract_room_left.value(), 10, 1e-9);
}

TEST(EvShareTest, ASessionWhoseNeedIsMetGetsWhatTheOthersLeave) {
  const std::vector<EvShareInput> in = {ThreePhase(0, 8), ThreePhase(20, 8)};
  const EvShareResult r = ShareEvHeadroom(Kilowatts(30), Kilowatts(500), in);
  EXPECT_NEAR(r.sessions[1].limit->value(), 22.08, 1e-9);
  EXPECT_EQ(r.sessions[1].why, EvShareReason::kShare);
  EXPECT_NEAR(r.sessions[0].limit->value(), 7.92, 1e-9);
  EXPECT_EQ(r.sessions[0].why, EvShareReason::kTopUp);
}

TEST(EvShareTest, AnUnknownRoomIsNoRoom) {
  const std::vector<EvShareInput> in = {ThreePhase(20, 8)};
  const EvShareResult r = ShareEvHeadroom(Kilowatts(std::nan("")), Kilowatts(std::nan("")), in);
  EXPECT_NEAR(r.sessions[0].limit->value(), 0, 1e-12);
  EXPECT_EQ(r.sessions[0].why, EvShareReason::kPaused);
}

}  // namespace
}  // namespace meg
