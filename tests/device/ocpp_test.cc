// The OCPP 1.6J central system against charge points OpenMEG did not write: simulators on the npm
// package ocpp-rpc in strict mode (tests/device/ocpp_cp/charge_points.mjs), which check every
// answer and call of ours against OCPP 1.6's JSON schemas. Each test starts the central system on
// a free port and the simulators as a child process.
#include "device/ocpp/central_system.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "device/peer_process.h"

namespace meg {
namespace {

using ::meg::testing::PeerProcess;
using ::meg::testing::TempDir;
using ::meg::testing::WaitFor;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

class SystemClock final : public Clock {
 public:
  Instant Now() const override { return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()); }
  void SleepUntil(Instant) override {}
};

// 3 phases x 230 V x 32 A = 22.08 kW a connector; 6 A = 4.14 kW.
ChargerSpec Charger(const std::string& id) {
  ChargerSpec c;
  c.id = id;
  return c;
}

std::vector<ChargerSpec> Chargers(const std::string& prefix, int n) {
  std::vector<ChargerSpec> out;
  for (int i = 1; i <= n; ++i) out.push_back(Charger(prefix + std::to_string(i)));
  return out;
}

const std::filesystem::path kFixture = std::filesystem::path(MEG_TEST_SOURCE_DIR) / "device" / "ocpp_cp";

class CentralSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kFixture / "node_modules" / "ocpp-rpc"))
        << "the charge-point simulators need their npm packages: (cd " << kFixture.string()
        << " && npm ci) (scripts/test does it)";
    ASSERT_FALSE(dir_.path().empty());
  }

  void StartCentralSystem(std::vector<ChargerSpec> chargers, int limit_grace_ms = 10000) {
    OcppSpec spec;
    spec.port = 0;
    spec.limit_grace_ms = limit_grace_ms;
    auto cs = CentralSystem::Start(spec, std::move(chargers), clock_);
    ASSERT_TRUE(cs) << cs.error().message;
    cs_ = std::move(*cs);
  }

  PeerProcess ChargePoints(const std::string& scenario, int count = 1) {
    return PeerProcess({"node", (kFixture / "charge_points.mjs").string(), "--url",
                        "ws://127.0.0.1:" + std::to_string(cs_->port()) + "/ocpp", "--scenario", scenario, "--count",
                        std::to_string(count)},
                       log_);
  }

  // The simulators' output lines, parsed.
  std::vector<json> Lines() const {
    std::vector<json> out;
    std::istringstream in(::meg::testing::ReadFile(log_));
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded()) out.push_back(std::move(j));
    }
    return out;
  }
  std::vector<json> Lines(const std::string& event) const {
    std::vector<json> out;
    for (json& j : Lines()) {
      if (j.value("event", "") == event) out.push_back(std::move(j));
    }
    return out;
  }
  std::string Log() const { return ::meg::testing::ReadFile(log_); }

  std::vector<OcppEvent> EventsOf(const std::string& kind) {
    std::vector<OcppEvent> out;
    for (OcppEvent& e : cs_->Events()) {
      if (e.kind == kind) out.push_back(std::move(e));
    }
    return out;
  }

  std::optional<EvSession> SessionOn(const std::string& charger) {
    for (EvSession& s : cs_->Sessions(clock_.Now())) {
      if (s.charger == charger) return s;
    }
    return std::nullopt;
  }

  SystemClock clock_;
  TempDir dir_{"meg-ocpp-"};
  std::filesystem::path log_ = dir_.path() / "charge-points.log";
  std::unique_ptr<CentralSystem> cs_;
};

TEST_F(CentralSystemTest, ANormalSessionStartsAtTheMinimumIsHeldToItsLimitAndStops) {
  StartCentralSystem({Charger("cp1")});
  PeerProcess cp = ChargePoints("session");
  ASSERT_TRUE(WaitFor([&] { return SessionOn("cp1").has_value(); }, seconds(20))) << Log();
  const EvSession s = *SessionOn("cp1");
  EXPECT_EQ(s.connector, 1);
  EXPECT_GT(s.transaction_id, 0);
  EXPECT_DOUBLE_EQ(s.need.value(), 20);  // the charger's default need (core/ev.h)
  EXPECT_NEAR(s.max_power.value(), 22.08, 1e-9);
  EXPECT_NEAR(s.min_power.value(), 4.14, 1e-9);
  EXPECT_TRUE(s.connected);
  // 11.04 kW on 3 x 230 V is 16.0 A per phase.
  ASSERT_TRUE(cs_->SetLimit("cp1", 1, Kilowatts(11.04), clock_.Now()));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto now = SessionOn("cp1");
        return now && now->limit.has_value();
      },
      seconds(10)))
      << Log();
  EXPECT_NEAR(SessionOn("cp1")->limit->value(), 11.04, 1e-9);
  ASSERT_EQ(cp.Wait(seconds(30)), 0) << Log();

  EXPECT_THAT(Log(), ::testing::Not(::testing::HasSubstr("schema-failure")));
  const auto profiles = Lines("profile");
  ASSERT_EQ(profiles.size(), 2u) << Log();
  // At boot: every new session at 6 A (connector 0: all of them), then the session's own.
  EXPECT_EQ(profiles[0]["purpose"], "TxDefaultProfile");
  EXPECT_EQ(profiles[0]["connector"], 0);
  EXPECT_DOUBLE_EQ(profiles[0]["limitA"].get<double>(), 6.0);
  EXPECT_EQ(profiles[1]["purpose"], "TxProfile");
  EXPECT_EQ(profiles[1]["tx"], s.transaction_id);
  EXPECT_EQ(profiles[1]["unit"], "A");
  EXPECT_DOUBLE_EQ(profiles[1]["limitA"].get<double>(), 16.0);
  // The car held to the profile: 3 x 230 x 16 = 11.04 kW.
  EXPECT_DOUBLE_EQ(Lines("drawing").at(0)["kw"].get<double>(), 11.04);

  EXPECT_FALSE(SessionOn("cp1").has_value());
  const auto stops = EventsOf("session-stop");
  ASSERT_EQ(stops.size(), 1u);
  const double kwh = Lines("stopped").at(0)["kwh"].get<double>();
  EXPECT_THAT(stops[0].text, ::testing::HasSubstr(fmt::format("{:.3f} kWh", kwh)));
  EXPECT_EQ(EventsOf("meter-refused").size(), 0u);
  EXPECT_EQ(EventsOf("message-refused").size(), 0u);
}

TEST_F(CentralSystemTest, AChargerThatDropsMidSessionKeepsItsSessionAndItsEnergy) {
  StartCentralSystem({Charger("cp1")});
  PeerProcess cp = ChargePoints("reconnect");
  ASSERT_TRUE(WaitFor([&] { return !EventsOf("disconnected").empty(); }, seconds(20))) << Log();
  // Offline, the session goes on (at the limit it holds) and is shown as such.
  const auto offline = SessionOn("cp1");
  ASSERT_TRUE(offline.has_value());
  EXPECT_FALSE(offline->connected);
  ASSERT_EQ(cp.Wait(seconds(30)), 0) << Log();
  EXPECT_EQ(EventsOf("connected").size(), 2u);
  // The drop, with its session under way (the charger's own close after its stop may follow).
  EXPECT_THAT(EventsOf("disconnected").at(0).text, ::testing::HasSubstr("1 session(s) under way go on"));
  // The meter values measured offline were taken after the reconnection; the stop is the whole
  // session's energy as the charger's register has it.
  const auto stops = EventsOf("session-stop");
  ASSERT_EQ(stops.size(), 1u);
  const double kwh = Lines("stopped").at(0)["kwh"].get<double>();
  EXPECT_GT(kwh, 0);
  EXPECT_THAT(stops[0].text, ::testing::HasSubstr(fmt::format("{:.3f} kWh", kwh)));
  EXPECT_THAT(stops[0].text, ::testing::HasSubstr("EVDisconnected"));
  EXPECT_EQ(EventsOf("meter-refused").size(), 0u) << Log();
}

TEST_F(CentralSystemTest, AChargerThatIgnoresItsLimitIsFlagged) {
  StartCentralSystem({Charger("cp1")}, /*limit_grace_ms=*/1000);
  PeerProcess cp = ChargePoints("ignore");
  ASSERT_TRUE(WaitFor([&] { return SessionOn("cp1").has_value(); }, seconds(20))) << Log();
  ASSERT_TRUE(cs_->SetLimit("cp1", 1, Kilowatts(6.9), clock_.Now()));  // 10 A
  ASSERT_TRUE(WaitFor([&] { return !EventsOf("ignores-limit").empty(); }, seconds(15))) << Log();
  const auto s = SessionOn("cp1");
  ASSERT_TRUE(s.has_value());
  EXPECT_FALSE(s->follows_limit);
  EXPECT_NEAR(s->limit->value(), 6.9, 1e-9);
  EXPECT_NEAR(s->power.value(), 22.08, 1e-9);
  EXPECT_THAT(EventsOf("ignores-limit")[0].text, ::testing::HasSubstr("22.08 kW over its accepted limit of 6.90 kW"));
  ASSERT_EQ(cp.Wait(seconds(30)), 0) << Log();
}

TEST_F(CentralSystemTest, BadMeterValuesAreRefusedWithAnEventAndChangeNothing) {
  StartCentralSystem({Charger("cp1")});
  PeerProcess cp = ChargePoints("bad-meter");
  ASSERT_TRUE(WaitFor([&] { return !Lines("sent-bad").empty(); }, seconds(20))) << Log();
  const auto refused = EventsOf("meter-refused");
  ASSERT_EQ(refused.size(), 3u) << Log();
  EXPECT_THAT(refused[0].text, ::testing::HasSubstr("out of order"));
  EXPECT_THAT(refused[1].text, ::testing::HasSubstr("went back"));
  EXPECT_THAT(refused[2].text, ::testing::HasSubstr("power 5000.000 kW is outside 0..33.1 kW"));
  // "NaN" is not a number: the whole message is refused (CALLERROR), not just ignored.
  const auto malformed = EventsOf("message-refused");
  ASSERT_EQ(malformed.size(), 1u);
  EXPECT_THAT(malformed[0].text, ::testing::HasSubstr("MeterValues"));
  EXPECT_THAT(Lines("call-error").at(0)["error"].get<std::string>(), ::testing::HasSubstr("not a number"));
  ASSERT_EQ(cp.Wait(seconds(30)), 0) << Log();
  // The last, good value after the bad ones was taken: 4.5 kW.
  EXPECT_EQ(EventsOf("meter-refused").size(), 3u);
  EXPECT_THAT(Log(), ::testing::Not(::testing::HasSubstr("schema-failure")));
}

TEST_F(CentralSystemTest, FiftyChargersAtOnceEachGetTheirShare) {
  StartCentralSystem(Chargers("cp", 50));
  PeerProcess cp = ChargePoints("fleet", 50);
  ASSERT_TRUE(WaitFor([&] { return cs_->Sessions(clock_.Now()).size() == 50; }, seconds(30))) << Log();
  // 300 kW shared by 50: 6 kW each, 8.69 A, floored to 8.6 A by the profile (5.934 kW).
  for (const EvSession& s : cs_->Sessions(clock_.Now())) {
    ASSERT_TRUE(cs_->SetLimit(s.charger, s.connector, Kilowatts(6), clock_.Now()));
  }
  ASSERT_EQ(cp.Wait(seconds(60)), 0) << Log();
  std::map<std::string, double> tx_limit;
  for (const json& p : Lines("profile")) {
    if (p["purpose"] == "TxProfile") tx_limit[p["cp"].get<std::string>()] = p["limitA"].get<double>();
  }
  ASSERT_EQ(tx_limit.size(), 50u);
  for (const auto& [id, a] : tx_limit) EXPECT_DOUBLE_EQ(a, 8.6) << id;
  EXPECT_EQ(EventsOf("session-stop").size(), 50u);
  EXPECT_EQ(EventsOf("call-failed").size(), 0u);
  EXPECT_THAT(Log(), ::testing::Not(::testing::HasSubstr("schema-failure")));
}

// Every boot is answered with the heartbeat interval and followed, unasked, by the default
// profile: new sessions at the connector's 6 A until the loop sets their share.
TEST_F(CentralSystemTest, ABootIsFollowedByTheDefaultProfile) {
  StartCentralSystem({Charger("cp1")});
  PeerProcess cp = ChargePoints("boot");
  ASSERT_EQ(cp.Wait(seconds(20)), 0) << Log();
  EXPECT_EQ(Lines("boot").at(0)["interval"], 60);
  const auto profiles = Lines("profile");
  ASSERT_EQ(profiles.size(), 1u) << Log();
  EXPECT_EQ(profiles[0]["purpose"], "TxDefaultProfile");
  EXPECT_DOUBLE_EQ(profiles[0]["limitA"].get<double>(), 6.0);
  EXPECT_THAT(Log(), ::testing::Not(::testing::HasSubstr("schema-failure")));
}

// The operator's calls reach the charger in OCPP 1.6's form (strict mode checks each): a remote
// stop of the session under way (which the charger then stops), a remote start, the connector
// made inoperative, the profiles cleared.
TEST_F(CentralSystemTest, TheOperatorsCallsReachTheCharger) {
  StartCentralSystem({Charger("cp1")});
  PeerProcess cp = ChargePoints("remote");
  ASSERT_TRUE(WaitFor([&] { return SessionOn("cp1").has_value(); }, seconds(20))) << Log();
  const int tx = SessionOn("cp1")->transaction_id;
  ASSERT_TRUE(cs_->RemoteStop("cp1", 1));
  ASSERT_TRUE(WaitFor([&] { return !SessionOn("cp1").has_value(); }, seconds(15))) << Log();
  EXPECT_FALSE(cs_->RemoteStop("cp1", 1));  // no session any more
  // The charger closes its connection after its stop and connects again; the calls wait for it.
  ASSERT_TRUE(
      WaitFor([&] { return EventsOf("connected").size() == 2 && cs_->Chargers().at(0).connected; }, seconds(15)))
      << Log();
  ASSERT_TRUE(cs_->RemoteStart("cp1", 1, "TAG-1"));
  ASSERT_TRUE(cs_->ChangeAvailability("cp1", 1, false));
  ASSERT_TRUE(cs_->ClearLimits("cp1"));
  EXPECT_FALSE(cs_->RemoteStart("cp9", 1, "TAG-1"));
  ASSERT_EQ(cp.Wait(seconds(30)), 0) << Log();
  std::map<std::string, json> calls;
  for (const json& c : Lines("call")) calls[c["action"].get<std::string>()] = c["params"];
  ASSERT_EQ(calls.size(), 4u) << Log();
  EXPECT_EQ(calls["RemoteStopTransaction"]["transactionId"], tx);
  EXPECT_EQ(calls["RemoteStartTransaction"]["idTag"], "TAG-1");
  EXPECT_EQ(calls["RemoteStartTransaction"]["connectorId"], 1);
  EXPECT_EQ(calls["ChangeAvailability"]["type"], "Inoperative");
  EXPECT_THAT(Log(), ::testing::Not(::testing::HasSubstr("schema-failure")));
  EXPECT_EQ(EventsOf("call-failed").size(), 0u);
}

TEST_F(CentralSystemTest, AChargerNotInTheSiteFileIsRefusedAtTheUpgrade) {
  StartCentralSystem({Charger("cp1")});
  PeerProcess cp = ChargePoints("unknown");
  ASSERT_EQ(cp.Wait(seconds(20)), 0) << Log();
  EXPECT_THAT(Lines("refused").at(0)["error"].get<std::string>(), ::testing::HasSubstr("Not Found"));
}

TEST(CentralSystemStartTest, RefusesAChargerListItCannotServe) {
  SystemClock clock;
  OcppSpec spec;
  spec.port = 0;
  auto twice = CentralSystem::Start(spec, {Charger("a"), Charger("a")}, clock);
  ASSERT_FALSE(twice);
  EXPECT_THAT(twice.error().message, ::testing::HasSubstr("'a' is given twice"));
  spec.host = "not-an-address";
  auto bad_host = CentralSystem::Start(spec, {Charger("a")}, clock);
  ASSERT_FALSE(bad_host);
  EXPECT_THAT(bad_host.error().message, ::testing::HasSubstr("not an IP address"));
}

}  // namespace
}  // namespace meg
