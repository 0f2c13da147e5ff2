// The server's limits as pure classes, on a simulated clock: connection admission with its
// reserve, event streams per session, the login throttle (per client and per client and user,
// bounded, expiring) and the rate limit of refusal records.
#include "server/limits.h"

#include <gtest/gtest.h>

#include "core/time.h"
#include "server/auth.h"

namespace meg {
namespace {

const Instant kT0 = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));

TEST(ConnectionGateTest, PerClientTotalAndReserve) {
  ServerLimits l;
  l.max_connections = 10;
  l.max_connections_per_client = 6;
  l.reserve = 3;
  l.reserve_client_max = 2;
  ConnectionGate gate(l);
  for (int i = 0; i < 6; ++i) EXPECT_FALSE(gate.Admit("10.0.0.1")) << i;
  EXPECT_TRUE(gate.Admit("10.0.0.1"));   // its 7th: over the per-client limit
  EXPECT_FALSE(gate.Admit("10.0.0.2"));  // 7 open: the reserve (the last 3 of 10) begins
  EXPECT_FALSE(gate.Admit("10.0.0.2"));  // 8: 10.0.0.2 held 1 < 2
  EXPECT_TRUE(gate.Admit("10.0.0.2"));   // it holds 2: not for the reserve
  EXPECT_FALSE(gate.Admit("10.0.0.3"));  // 9: a fresh client gets in
  EXPECT_FALSE(gate.Admit("10.0.0.4"));  // 10
  auto full = gate.Admit("10.0.0.5");
  ASSERT_TRUE(full);
  EXPECT_NE(full->find("limit of 10"), std::string::npos) << *full;
  EXPECT_EQ(gate.open(), 10);
  gate.Release("10.0.0.1");
  EXPECT_EQ(gate.open(), 9);
  EXPECT_FALSE(gate.Admit("10.0.0.5"));
}

// An IPv6 host is one /64: its addresses share every per-client limit.
TEST(ClientOfTest, Ipv4ItselfIpv6ByItsSlash64) {
  EXPECT_EQ(ClientOf("10.0.0.9"), "10.0.0.9");
  EXPECT_EQ(ClientOf("2001:db8:1:2::5"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientOf("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientOf("2001:db8::1"), "2001:db8:0:0::/64");
  EXPECT_EQ(ClientOf("::1"), "0:0:0:0::/64");
}

TEST(StreamGateTest, PerSessionAndTotal) {
  ServerLimits l;
  l.max_streams_per_session = 4;
  l.max_streams = 6;
  StreamGate gate(l);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(gate.Admit("a")) << i;
  EXPECT_TRUE(gate.Admit("a"));
  EXPECT_FALSE(gate.Admit("b"));
  EXPECT_FALSE(gate.Admit("b"));
  EXPECT_TRUE(gate.Admit("c"));  // 6 open in all
  gate.Release("a");
  EXPECT_FALSE(gate.Admit("c"));
}

TEST(LoginThrottleTest, PerClientAndUserNotPerUserAlone) {
  ServerLimits l;  // 5 per (client, user), 20 per client, 60 s
  LoginThrottle t(l);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(t.Locked("10.0.0.9", "kim", kT0));
    t.Failed("10.0.0.9", "kim", kT0);
  }
  EXPECT_TRUE(t.Locked("10.0.0.9", "kim", kT0));
  // The same user from another client, and another user from the attacker's client, are not locked.
  EXPECT_FALSE(t.Locked("10.0.0.1", "kim", kT0));
  EXPECT_FALSE(t.Locked("10.0.0.9", "lee", kT0));
  // After the window the pair is free again and its entries are gone.
  EXPECT_FALSE(t.Locked("10.0.0.9", "kim", kT0 + std::chrono::seconds(60)));
  EXPECT_EQ(t.entries(), 0u);
  // 20 failures from one client over several names lock that client for every name.
  for (int i = 0; i < 20; ++i) t.Failed("10.0.0.9", "user" + std::to_string(i), kT0 + std::chrono::seconds(61));
  EXPECT_TRUE(t.Locked("10.0.0.9", "lee", kT0 + std::chrono::seconds(62)));
  EXPECT_FALSE(t.Locked("10.0.0.1", "lee", kT0 + std::chrono::seconds(62)));
}

// 2,000 failed logins under distinct names from distinct clients: the table stays at its bound.
TEST(LoginThrottleTest, TableIsBounded) {
  ServerLimits l;
  l.login_table_entries = 100;
  LoginThrottle t(l);
  for (int i = 0; i < 2000; ++i) {
    t.Failed("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), "u" + std::to_string(i),
             kT0 + std::chrono::milliseconds(i));
  }
  EXPECT_LE(t.entries(), 100u);
  // The newest failures are kept: the last pair is still counted.
  for (int k = 0; k < 4; ++k) t.Failed("10.0.7.249", "u1999", kT0 + std::chrono::seconds(3));
  EXPECT_TRUE(t.Locked("10.0.7.249", "u1999", kT0 + std::chrono::seconds(3)));
}

TEST(RefusalLogTest, AtMostNPerClientPerWindowThenASummary) {
  ServerLimits l;  // 10 per client per 60 s
  RefusalLog log(l);
  int recorded = 0;
  for (int i = 0; i < 25; ++i) recorded += static_cast<int>(log.Note("10.0.0.9", "refused", kT0).size());
  EXPECT_EQ(recorded, 10);
  EXPECT_EQ(log.Note("10.0.0.1", "refused", kT0).size(), 1u);  // another client has its own count
  // The next refusal after the window: the summary of the 15 not recorded, and the new one.
  const auto later = log.Note("10.0.0.1", "refused", kT0 + std::chrono::seconds(61));
  ASSERT_EQ(later.size(), 2u);
  EXPECT_NE(later[0].find("10.0.0.9: 15 more refusals"), std::string::npos) << later[0];
  EXPECT_EQ(later[1], "10.0.0.1: refused");
}

TEST(SessionsTest, IdleAndAbsoluteLifetime) {
  SimClock clock(kT0);
  Sessions sessions(clock);  // 8 h idle, 12 h in all
  auto token = sessions.Open("kim", Role::kOperator);
  ASSERT_TRUE(token);
  // Used every hour: alive for 12 h after login, not a minute more.
  for (int h = 1; h <= 12; ++h) {
    clock.Advance(std::chrono::hours(1));
    EXPECT_TRUE(sessions.Find(*token)) << h;
  }
  clock.Advance(std::chrono::minutes(1));
  EXPECT_FALSE(sessions.Find(*token));
  // Idle for more than 8 h ends a session too.
  auto idle = sessions.Open("kim", Role::kOperator);
  ASSERT_TRUE(idle);
  clock.Advance(std::chrono::hours(8) + std::chrono::minutes(1));
  EXPECT_FALSE(sessions.IsOpen(*idle));
  EXPECT_FALSE(sessions.Find(*idle));
}

}  // namespace
}  // namespace meg
