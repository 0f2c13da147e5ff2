// The chargers' twin: exact energy, a car that fills up within a step, limits as a charger holds
// them, unmanaged chargers, refused arrivals, and cars already there at the start.
#include "device/sim/ev_twin.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

const Date kDay = std::chrono::year{2024} / 7 / 1;
Instant At(int minute) { return ToInstant(FromKst(kDay, minute)); }

ChargerSpec OnePhase(const std::string& id) {  // 1 x 220 V x 32 A = 7.04 kW, 6 A = 1.32 kW
  ChargerSpec c;
  c.id = id;
  c.phases = 1;
  c.voltage_v = 220;
  return c;
}

EvSessionPlan Car(const std::string& charger, int from_min, int to_min, double kwh) {
  EvSessionPlan p;
  p.charger = charger;
  p.arrival = FromKst(kDay, from_min);
  p.departure = FromKst(kDay, to_min);
  p.energy = KilowattHours(kwh);
  return p;
}

TEST(EvTwinTest, ACarDrawsItsLimitUntilFullAndStopsWithinTheStep) {
  EvTwin twin({OnePhase("a")}, {Car("a", 9 * 60, 18 * 60, 2)}, true, At(9 * 60));
  EXPECT_NEAR(twin.AdvanceTo(At(9 * 60)).value(), 0, 1e-12);
  ASSERT_EQ(twin.Sessions(At(9 * 60)).size(), 1u);
  // Until a limit is set, the minimum (the central system's default profile): 1.32 kW.
  EXPECT_NEAR(twin.power().value(), 1.32, 1e-12);
  ASSERT_TRUE(twin.SetLimit("a", 1, Kilowatts(7.04), At(9 * 60)));
  // 2 kWh at 7.04 kW takes 17.05 min: a quarter-hour gives 1.76 kWh, the next 0.24 and stops.
  EXPECT_NEAR(twin.AdvanceTo(At(9 * 60 + 15)).value(), 1.76, 1e-9);
  EXPECT_NEAR(twin.AdvanceTo(At(9 * 60 + 30)).value(), 0.24, 1e-6);
  EXPECT_NEAR(twin.power().value(), 0, 1e-12);
  EXPECT_NEAR(twin.outcomes()[0].delivered.value(), 2, 1e-6);
  // 5 kW asked is 22.7 A, held at 22.7 A x 220 V = 4.994 kW (the 0.1 A floor); 1 kW is under the
  // minimum: paused.
  EvTwin other({OnePhase("a")}, {Car("a", 9 * 60, 18 * 60, 20)}, true, At(9 * 60));
  other.AdvanceTo(At(9 * 60));
  ASSERT_TRUE(other.SetLimit("a", 1, Kilowatts(5), At(9 * 60)));
  EXPECT_NEAR(other.power().value(), 22.7 * 220 / 1000, 1e-9);
  ASSERT_TRUE(other.SetLimit("a", 1, Kilowatts(1), At(9 * 60)));
  EXPECT_NEAR(other.power().value(), 0, 1e-12);
  EXPECT_FALSE(other.SetLimit("b", 1, Kilowatts(1), At(9 * 60)));
}

TEST(EvTwinTest, UnmanagedChargersIgnoreLimitsAndRefusedCarsDoNotStart) {
  EvTwin plugged({OnePhase("a")}, {Car("a", 9 * 60, 18 * 60, 20)}, false, At(9 * 60));
  plugged.AdvanceTo(At(9 * 60));
  ASSERT_TRUE(plugged.SetLimit("a", 1, Kilowatts(0), At(9 * 60)));
  EXPECT_NEAR(plugged.power().value(), 7.04, 1e-12);
  EXPECT_FALSE(plugged.Sessions(At(9 * 60)).front().follows_limit);
  EvTwin full({OnePhase("a")}, {Car("a", 9 * 60, 18 * 60, 20)}, true, At(8 * 60));
  full.AcceptNewSessions(false);
  full.AdvanceTo(At(10 * 60));
  EXPECT_TRUE(full.Sessions(At(10 * 60)).empty());
  EXPECT_TRUE(full.outcomes()[0].refused);
  EXPECT_FALSE(full.outcomes()[0].started);
}

TEST(EvTwinTest, ACarThereAtTheStartWantsTheShareOfItsStayLeft) {
  // 08:00-16:00 wanting 16 kWh; the twin starts at 12:00: half its stay is left, so 8 kWh. A car
  // gone by 12:00 is not replayed.
  EvTwin twin({OnePhase("a"), OnePhase("b")}, {Car("a", 8 * 60, 16 * 60, 16), Car("b", 7 * 60, 11 * 60, 10)}, true,
              At(12 * 60));
  twin.AdvanceTo(At(12 * 60));
  const auto sessions = twin.Sessions(At(12 * 60));
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].charger, "a");
  EXPECT_EQ(sessions[0].started, At(12 * 60));
  EXPECT_NEAR(sessions[0].need.value(), 8, 1e-9);
}

}  // namespace
}  // namespace meg
