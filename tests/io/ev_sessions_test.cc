// EV session files: a good file, and each kind of bad row refused with its line.
#include "io/ev_sessions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/time.h"

namespace meg {
namespace {

using ::testing::HasSubstr;

std::vector<ChargerSpec> Chargers() {
  ChargerSpec a, b;
  a.id = "cp1";
  b.id = "cp2";
  b.connectors = 2;
  return {a, b};
}

TEST(EvSessionsTest, ReadsAFileAndWritesItBack) {
  const std::string text = R"(# the car park, 1 July
charger,connector,arrival,departure,energy_kwh
cp2,2,2024-07-01T09:00:00+09:00,2024-07-01T12:00:00+09:00,7
cp1,1,2024-07-01T08:12:00+09:00,2024-07-01T17:40:00+09:00,18.5
)";
  auto s = ParseEvSessions(text, "cars.csv", Chargers());
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->size(), 2u);
  // By arrival.
  EXPECT_EQ((*s)[0].charger, "cp1");
  EXPECT_EQ((*s)[0].arrival, FromKst(std::chrono::year{2024} / 7 / 1, 8 * 60 + 12));
  EXPECT_EQ((*s)[0].departure, FromKst(std::chrono::year{2024} / 7 / 1, 17 * 60 + 40));
  EXPECT_DOUBLE_EQ((*s)[0].energy.value(), 18.5);
  EXPECT_EQ((*s)[1].connector, 2);
  auto again = ParseEvSessions(FormatEvSessions(*s), "again.csv", Chargers());
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[1].arrival, (*s)[1].arrival);
  EXPECT_DOUBLE_EQ((*again)[1].energy.value(), 7);
}

TEST(EvSessionsTest, RefusesEveryBadRowWithItsLine) {
  const std::string text = R"(charger,connector,arrival,departure,energy_kwh
cp9,1,2024-07-01T09:00:00+09:00,2024-07-01T12:00:00+09:00,7
cp1,2,2024-07-01T09:00:00+09:00,2024-07-01T12:00:00+09:00,7
cp1,1,yesterday,2024-07-01T12:00:00+09:00,7
cp1,1,2024-07-01T12:00:00+09:00,2024-07-01T09:00:00+09:00,7
cp1,1,2024-07-01T09:00:00+09:00,2024-07-01T12:00:00+09:00,7000
cp1,1,2024-07-01T09:00:00+09:00,2024-07-01T12:00:00+09:00
cp2,1,2024-07-01T09:00:00+09:00,2024-07-01T12:00:00+09:00,7
cp2,1,2024-07-01T11:00:00+09:00,2024-07-01T13:00:00+09:00,7
)";
  auto s = ParseEvSessions(text, "cars.csv", Chargers());
  ASSERT_FALSE(s);
  const std::string& m = s.error().message;
  EXPECT_THAT(m, HasSubstr("7 problem(s)"));
  EXPECT_THAT(m, HasSubstr("cars.csv:2: charger 'cp9' is not a [[charger]] of the site"));
  EXPECT_THAT(m, HasSubstr("cars.csv:3: connector 2 of charger 'cp1', which has 1..1"));
  EXPECT_THAT(m, HasSubstr("cars.csv:4: arrival:"));
  EXPECT_THAT(m, HasSubstr("cars.csv:5: the departure is not after the arrival"));
  EXPECT_THAT(m, HasSubstr("cars.csv:6: energy_kwh = 7000 is outside 0..1000 kWh"));
  EXPECT_THAT(m, HasSubstr("cars.csv:7: expected 5 fields"));
  EXPECT_THAT(m, HasSubstr("cars.csv:9: overlaps the session of line 8 on charger 'cp2' connector 1"));
  auto header = ParseEvSessions("car,when\n", "cars.csv", Chargers());
  ASSERT_FALSE(header);
  EXPECT_THAT(header.error().message, HasSubstr("cars.csv:1: the header must be"));
  EXPECT_FALSE(ParseEvSessions("# nothing\n", "cars.csv", Chargers()));
}

}  // namespace
}  // namespace meg
