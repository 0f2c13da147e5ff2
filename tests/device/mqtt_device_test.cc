// MQTT driver tests: payload decoding as pure functions, then the driver against a real mosquitto
// broker started on a free port, with mosquitto_pub / mosquitto_sub as the devices. Waits on the
// network are bounded polls, never fixed sleeps; every child process is killed when its test ends.
#include "device/mqtt/mqtt_device.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "device/peer_process.h"

namespace meg {
namespace {

namespace fs = std::filesystem;
using meg::testing::PeerProcess;
using meg::testing::ReadFile;
using meg::testing::TempDir;
using meg::testing::WaitFor;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Instant kT0 = ToInstant(*ParseIso8601("2024-08-12T14:00:00+09:00"));

// ---------------------------------------------------------------------------------------------
// Payloads

TEST(MqttPayloadTest, DefaultPrefixIsOpenmegSlashId) {
  MqttSpec spec;
  EXPECT_EQ(MqttTopicPrefix(spec, "ess1"), "openmeg/ess1");
  spec.topic_prefix = "site7/bess/";
  EXPECT_EQ(MqttTopicPrefix(spec, "ess1"), "site7/bess");
}

TEST(MqttPayloadTest, BatteryTelemetryKeepsUnitsAndSigns) {
  const auto p =
      ParseTelemetryPayload(R"({"time":"2024-08-12T14:00:05+09:00","power_kw":-42.5,"soc_pct":63.2,)"
                            R"("max_charge_kw":100,"max_discharge_kw":90.5,"rated_kw":125,"vendor_x":"ignored"})",
                            DeviceKind::kBattery);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(p->time);
  EXPECT_EQ(*p->time, kT0 + seconds{5});
  const Telemetry& t = p->telemetry;
  EXPECT_EQ(t.time, kT0 + seconds{5});
  EXPECT_EQ(t.quality, Quality::kGood);
  EXPECT_DOUBLE_EQ(t.power.value(), -42.5);  // charging
  EXPECT_DOUBLE_EQ(*t.soc_pct, 63.2);
  EXPECT_DOUBLE_EQ(t.max_charge->value(), 100);
  EXPECT_DOUBLE_EQ(t.max_discharge->value(), 90.5);
  EXPECT_DOUBLE_EQ(t.rated_power->value(), 125);
}

TEST(MqttPayloadTest, TsMsAndNoTime) {
  const auto ms = ParseTelemetryPayload(R"({"ts_ms":1723438805250,"power_kw":12})", DeviceKind::kPv);
  ASSERT_TRUE(ms) << ms.error().message;
  EXPECT_EQ(*ms->time, kT0 + milliseconds{5250});
  const auto none = ParseTelemetryPayload(R"({"power_kw":-3,"soc_pct":50})", DeviceKind::kMeter);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->time);
  EXPECT_FALSE(none->telemetry.soc_pct);  // battery-only fields are dropped for a meter
}

TEST(MqttPayloadTest, MalformedPayloadsNameTheProblem) {
  struct Case {
    std::string payload;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "not JSON"},
      {"{power_kw: 5}", "not JSON (parse error at line 1, column 2"},
      {R"({"power_kw":1e400})", "number overflow parsing '1e400'"},
      {"[1,2]", "an array, expected a JSON object"},
      {R"({"soc_pct":50})", "\"power_kw\" is missing"},
      {R"({"power_kw":"5"})", "\"power_kw\" is a string, expected a number (kW, + discharge"},
      {R"({"power_kw":5,"soc_pct":"high"})", "\"soc_pct\" is a string, expected a number in %"},
      {R"({"power_kw":5,"time":"2024-08-12T14:00:05"})", "has no UTC offset"},
      {R"({"power_kw":5,"time":17})", "\"time\" is a number"},
      {R"({"power_kw":5,"ts_ms":-1})", "\"ts_ms\" is out of range"},
      {R"({"power_kw":5,"ts_ms":1.5})", "\"ts_ms\" is out of range"},
      {"{\"power_kw\":5,\"x\":\"\xff\xfe\"}", "not JSON"},
      {std::string(70 * 1024, ' '), "larger than"},
  };
  for (const Case& c : cases) {
    const auto p = ParseTelemetryPayload(c.payload, DeviceKind::kBattery);
    ASSERT_FALSE(p) << c.payload;
    EXPECT_NE(p.error().message.find(c.expected), std::string::npos) << c.payload << " -> " << p.error().message;
  }
}

TEST(MqttPayloadTest, ImplausibleValuesAreBadQuality) {
  for (const char* payload : {R"({"power_kw":5,"soc_pct":100.5})", R"({"power_kw":5,"soc_pct":-1})",
                              R"({"power_kw":5,"max_charge_kw":-2})", R"({"power_kw":5,"rated_kw":-1})"}) {
    const auto p = ParseTelemetryPayload(payload, DeviceKind::kBattery);
    ASSERT_TRUE(p) << payload << ": " << p.error().message;
    EXPECT_EQ(p->telemetry.quality, Quality::kBad) << payload;
  }
  const auto edge = ParseTelemetryPayload(R"({"power_kw":0,"soc_pct":100})", DeviceKind::kBattery);
  ASSERT_TRUE(edge);
  EXPECT_EQ(edge->telemetry.quality, Quality::kGood);
}

// Outside bytes: mutations of a valid payload decode or fail, never crash (seeded).
TEST(MqttPayloadTest, MutatedPayloadsNeverCrash) {
  const std::string valid = R"({"ts_ms":1723438805250,"power_kw":-42.5,"soc_pct":63.2,"max_charge_kw":100,)"
                            R"("max_discharge_kw":90,"rated_kw":125,"x":[1,{"y":null}]})";
  std::mt19937 rng(20240812);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string p = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % p.size();
      switch (rng() % 3) {
        case 0: p[at] = static_cast<char>(rng() % 256); break;
        case 1: p.erase(at, 1 + rng() % 8); break;
        default: p.insert(at, 1, "{}[]\",:0e-.9"[rng() % 13]); break;
      }
      if (p.empty()) p = "{";
    }
    const auto r = ParseTelemetryPayload(p, DeviceKind::kBattery);
    if (r) {
      ++decoded;
      EXPECT_TRUE(r->telemetry.quality == Quality::kBad || std::isfinite(r->telemetry.power.value()));
    } else {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_GT(decoded, 0);
}

TEST(MqttPayloadTest, SetpointCarriesOnlyWhatApplies) {
  Command c;
  c.battery_power = Kilowatts{-30};
  EXPECT_EQ(*SetpointPayload(c, DeviceKind::kBattery, 7, kT0),
            R"({"seq":7,"time":"2024-08-12T14:00:00+09:00","battery_kw":-30.0})");
  EXPECT_EQ(*SetpointPayload(c, DeviceKind::kPv, 8, kT0),
            R"({"seq":8,"time":"2024-08-12T14:00:00+09:00","pv_limit_kw":null})");
  c.pv_limit = Kilowatts{55.5};
  EXPECT_EQ(*SetpointPayload(c, DeviceKind::kPv, 9, kT0),
            R"({"seq":9,"time":"2024-08-12T14:00:00+09:00","pv_limit_kw":55.5})");
  EXPECT_FALSE(SetpointPayload(c, DeviceKind::kMeter, 1, kT0));
  EXPECT_FALSE(SetpointPayload(Command{}, DeviceKind::kBattery, 1, kT0));
}

TEST(MqttPayloadTest, GeneratorTelemetryAndSetpoint) {
  const auto p = ParseTelemetryPayload(R"({"time":"2024-08-12T14:00:05+09:00","power_kw":87.5,"rated_kw":100,)"
                                       R"("soc_pct":40,"max_discharge_kw":90})",
                                       DeviceKind::kGenerator);
  ASSERT_TRUE(p) << p.error().message;
  const Telemetry& t = p->telemetry;
  EXPECT_EQ(t.time, kT0 + seconds{5});
  EXPECT_EQ(t.quality, Quality::kGood);
  EXPECT_DOUBLE_EQ(t.power.value(), 87.5);  // + production
  ASSERT_TRUE(t.rated_power);
  EXPECT_DOUBLE_EQ(t.rated_power->value(), 100);
  EXPECT_FALSE(t.soc_pct);  // battery fields are dropped for a generator
  EXPECT_FALSE(t.max_discharge);
  const auto bad = ParseTelemetryPayload(R"({"power_kw":5,"rated_kw":-1})", DeviceKind::kGenerator);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->telemetry.quality, Quality::kBad);
  const auto missing = ParseTelemetryPayload(R"({"rated_kw":100})", DeviceKind::kGenerator);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("\"power_kw\" is missing, expected a number (kW, + production)"),
            std::string::npos)
      << missing.error().message;

  Command c;
  c.generator_power = Kilowatts{62.5};
  c.battery_power = Kilowatts{-30};  // not for a generator: not sent
  EXPECT_EQ(*SetpointPayload(c, DeviceKind::kGenerator, 3, kT0),
            R"({"seq":3,"time":"2024-08-12T14:00:00+09:00","generator_kw":62.5})");
  c.generator_power = Kilowatts{0};  // stop
  EXPECT_EQ(*SetpointPayload(c, DeviceKind::kGenerator, 4, kT0),
            R"({"seq":4,"time":"2024-08-12T14:00:00+09:00","generator_kw":0.0})");
  c.generator_power = Kilowatts{-1};  // below 0: a stop
  EXPECT_EQ(*SetpointPayload(c, DeviceKind::kGenerator, 5, kT0),
            R"({"seq":5,"time":"2024-08-12T14:00:00+09:00","generator_kw":0.0})");
  // A generator's setpoint means nothing to a battery; a generator without one gets nothing.
  Command g;
  g.generator_power = Kilowatts{10};
  EXPECT_FALSE(SetpointPayload(g, DeviceKind::kBattery, 1, kT0));
  EXPECT_FALSE(SetpointPayload(g, DeviceKind::kMeter, 1, kT0));
  EXPECT_FALSE(SetpointPayload(Command{}, DeviceKind::kGenerator, 1, kT0));
  c.battery_power.reset();
  c.generator_power.reset();
  c.pv_limit = Kilowatts{5};
  EXPECT_FALSE(SetpointPayload(c, DeviceKind::kGenerator, 1, kT0));
}

TEST(MqttPayloadTest, ThermalStorageTelemetry) {
  const DeviceKind ts = DeviceKind::kThermalStorage;
  const auto p = ParseTelemetryPayload(
      R"({"time":"2024-08-12T14:00:05+09:00","power_kw":12.5,"soc_pct":65.5,)"
      R"("max_charge_kw":300,"max_discharge_kw":400,"cop":4.2,"cooling_load_kw":2500,"rated_kw":400})",
      ts);
  ASSERT_TRUE(p) << p.error().message;
  const Telemetry& t = p->telemetry;
  EXPECT_EQ(t.time, kT0 + seconds{5});
  EXPECT_EQ(t.quality, Quality::kGood);
  EXPECT_DOUBLE_EQ(t.power.value(), 12.5);  // kW of electricity its discharge saves
  EXPECT_DOUBLE_EQ(t.soc_pct.value(), 65.5);
  EXPECT_DOUBLE_EQ(t.max_charge->value(), 300);  // kW of cooling
  EXPECT_DOUBLE_EQ(t.max_discharge->value(), 400);
  EXPECT_DOUBLE_EQ(t.cop.value(), 4.2);
  EXPECT_DOUBLE_EQ(t.cooling_load->value(), 2500);  // kW of cooling the plant serves
  EXPECT_DOUBLE_EQ(t.rated_power->value(), 400);
  // Charging: - the electricity it costs.
  const auto charging = ParseTelemetryPayload(R"({"power_kw":-3,"soc_pct":20,"cop":3.5})", ts);
  ASSERT_TRUE(charging) << charging.error().message;
  EXPECT_DOUBLE_EQ(charging->telemetry.power.value(), -3);
  EXPECT_EQ(charging->telemetry.quality, Quality::kGood);
  // "cop": null is no COP; 0 or below is bad quality, as a SoC outside 0..100 is.
  const auto no_cop = ParseTelemetryPayload(R"({"power_kw":1,"soc_pct":50,"cop":null})", ts);
  ASSERT_TRUE(no_cop);
  EXPECT_FALSE(no_cop->telemetry.cop);
  EXPECT_EQ(no_cop->telemetry.quality, Quality::kGood);
  for (const char* payload : {R"({"power_kw":1,"soc_pct":50,"cop":0})", R"({"power_kw":1,"soc_pct":50,"cop":-2})",
                              R"({"power_kw":1,"soc_pct":101,"cop":4})", R"({"power_kw":1,"max_charge_kw":-5})",
                              R"({"power_kw":1,"soc_pct":50,"cooling_load_kw":-1})"}) {
    const auto bad = ParseTelemetryPayload(payload, ts);
    ASSERT_TRUE(bad) << payload << ": " << bad.error().message;
    EXPECT_EQ(bad->telemetry.quality, Quality::kBad) << payload;
  }
  // Errors name the key and what was expected.
  const auto text = ParseTelemetryPayload(R"({"power_kw":1,"cop":"high"})", ts);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("\"cop\" is a string, expected a number in kW of cooling per kW of electricity"),
            std::string::npos)
      << text.error().message;
  const auto missing = ParseTelemetryPayload(R"({"soc_pct":50})", ts);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(
                "\"power_kw\" is missing, expected a number (kW of electricity, + saved by discharging / - spent "
                "charging)"),
            std::string::npos)
      << missing.error().message;
  // "cop" is a thermal storage's key only: other kinds ignore it unread, even of the wrong type.
  const auto battery = ParseTelemetryPayload(R"({"power_kw":1,"soc_pct":50,"cop":"high"})", DeviceKind::kBattery);
  ASSERT_TRUE(battery) << battery.error().message;
  EXPECT_FALSE(battery->telemetry.cop);
  EXPECT_DOUBLE_EQ(battery->telemetry.soc_pct.value(), 50);
}

TEST(MqttPayloadTest, ThermalStorageSetpoint) {
  const DeviceKind ts = DeviceKind::kThermalStorage;
  Command c;
  c.thermal_power = Kilowatts{20};    // discharge 20 kW of cooling
  c.battery_power = Kilowatts{-30};   // not for a thermal storage: not sent
  c.generator_power = Kilowatts{10};  // nor this
  EXPECT_EQ(*SetpointPayload(c, ts, 3, kT0), R"({"seq":3,"time":"2024-08-12T14:00:00+09:00","thermal_kw":20.0})");
  c.thermal_power = Kilowatts{-12.5};  // charge
  EXPECT_EQ(*SetpointPayload(c, ts, 4, kT0), R"({"seq":4,"time":"2024-08-12T14:00:00+09:00","thermal_kw":-12.5})");
  c.thermal_power = Kilowatts{0};  // hold
  EXPECT_EQ(*SetpointPayload(c, ts, 5, kT0), R"({"seq":5,"time":"2024-08-12T14:00:00+09:00","thermal_kw":0.0})");
  // A thermal storage without its setpoint gets nothing, nor do others for one.
  c.thermal_power.reset();
  EXPECT_FALSE(SetpointPayload(c, ts, 1, kT0));
  EXPECT_FALSE(SetpointPayload(Command{}, ts, 1, kT0));
  Command only;
  only.thermal_power = Kilowatts{5};
  for (const DeviceKind kind : {DeviceKind::kMeter, DeviceKind::kBattery, DeviceKind::kGenerator}) {
    EXPECT_FALSE(SetpointPayload(only, kind, 1, kT0));
  }
}

TEST(MqttConnectionTest, RejectsBadOptions) {
  MqttConnectionOptions o;
  o.client_id = "x";
  o.keepalive_s = 2;
  EXPECT_FALSE(MqttConnection::Open(o));
  o.keepalive_s = 10;
  o.client_id = "a/b";
  EXPECT_FALSE(MqttConnection::Open(o));
}

// ---------------------------------------------------------------------------------------------
// Child processes and the broker

class MqttBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    port_ = testing::FreePort();
    ASSERT_GT(port_, 0);
    StartBroker();
  }

  // Starts `argv` with stdout and stderr to the file `out` in the temp dir (emptied first); it is
  // killed when the test ends. With a pipe on its stdin when `pipe_stdin`.
  PeerProcess& Spawn(std::vector<std::string> argv, const std::string& out, bool pipe_stdin = false) {
    std::error_code ec;
    fs::remove(dir_.path() / out, ec);  // PeerProcess appends: each run's output alone
    return children_.emplace_back(std::move(argv), dir_.path() / out, pipe_stdin);
  }

  void StartBroker() {
    broker_ = testing::StartMosquitto(dir_.path(), port_);
    ASSERT_TRUE(broker_.running()) << "mosquitto did not start or listen on " << port_ << ":\n"
                                   << ReadFile(dir_.path() / "mosquitto.log");
  }

  void KillBroker() { broker_.Kill(); }

  std::vector<std::string> Client(const char* program) const {
    return {program, "-h", "127.0.0.1", "-p", std::to_string(port_)};
  }

  // Publishes with mosquitto_pub and waits for it.
  void Pub(const std::string& topic, const std::string& payload, bool retain = false) {
    std::vector<std::string> argv = Client("mosquitto_pub");
    argv.insert(argv.end(), {"-q", "1", "-t", topic, "-m", payload});
    if (retain) argv.push_back("-r");
    PeerProcess& c = Spawn(argv, "pub.log");
    ASSERT_EQ(c.Wait(seconds{10}), 0) << "mosquitto_pub failed: " << ReadFile(dir_.path() / "pub.log");
  }

  // Subscribes with mosquitto_sub until one message (retained or new) arrives; returns it.
  std::string SubOne(const std::string& topic) {
    std::vector<std::string> argv = Client("mosquitto_sub");
    argv.insert(argv.end(), {"-q", "1", "-C", "1", "-W", "5", "-t", topic});
    PeerProcess& c = Spawn(argv, "sub-one.log");
    EXPECT_EQ(c.Wait(seconds{10}), 0) << ReadFile(dir_.path() / "sub-one.log");
    std::string out = ReadFile(dir_.path() / "sub-one.log");
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  std::shared_ptr<MqttConnection> Connect(const std::string& client_id) {
    MqttConnectionOptions o;
    o.port = port_;
    o.keepalive_s = 5;
    o.client_id = client_id;
    o.reconnect_max_s = 2;  // keeps the restart test short
    auto c = MqttConnection::Open(o);
    EXPECT_TRUE(c) << c.error().message;
    return c ? *c : nullptr;
  }

  MqttSpec Spec() const {
    MqttSpec s;
    s.port = port_;
    s.keepalive_s = 5;
    s.lost_after_ms = 10000;
    return s;
  }

  // Reads until the device returns a telemetry with `power_kw` (bounded).
  static Result<Telemetry> ReadUntil(MqttDevice& d, Instant now, double power_kw) {
    Result<Telemetry> t = d.Read(now);
    WaitFor(
        [&] {
          t = d.Read(now);
          return t && t->power.value() == power_kw;
        },
        seconds{10});
    return t;
  }

  TempDir dir_{"openmeg-mqtt-test-"};  // before the processes: they die before it goes
  int port_ = -1;
  PeerProcess broker_;
  std::deque<PeerProcess> children_;  // mosquitto_pub and mosquitto_sub
};

TEST_F(MqttBrokerTest, ReadsTelemetryPublishedByMosquittoPub) {
  auto broker = Connect("openmeg-read");
  ASSERT_TRUE(broker);
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{10})) << broker->last_error();
  MqttSpec pv_spec = Spec();
  pv_spec.topic_prefix = "site1/pv-roof/";
  MqttDevice ess("ess1", DeviceKind::kBattery, Spec(), broker);
  MqttDevice pv("pv1", DeviceKind::kPv, pv_spec, broker);
  MqttDevice meter("meter", DeviceKind::kMeter, Spec(), broker);
  EXPECT_EQ(pv.topic_prefix(), "site1/pv-roof");

  const auto none = ess.Read(kT0);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no telemetry yet on openmeg/ess1/telemetry"), std::string::npos);

  // Subscriptions are made asynchronously: publish until each device has its value.
  auto publish_until = [&](MqttDevice& d, const std::string& payload, double power) {
    Result<Telemetry> t = d.Read(kT0);
    WaitFor(
        [&] {
          Pub(d.topic_prefix() + "/telemetry", payload);
          t = d.Read(kT0 + seconds{1});
          return t && t->power.value() == power;
        },
        seconds{10});
    return t;
  };
  const auto e =
      publish_until(ess,
                    R"({"time":"2024-08-12T14:00:05+09:00","power_kw":-42.5,"soc_pct":63.2,"max_charge_kw":100,)"
                    R"("max_discharge_kw":90,"rated_kw":125})",
                    -42.5);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->time, kT0 + seconds{5});
  EXPECT_EQ(e->quality, Quality::kGood);
  EXPECT_DOUBLE_EQ(*e->soc_pct, 63.2);
  EXPECT_DOUBLE_EQ(e->max_charge->value(), 100);
  EXPECT_DOUBLE_EQ(e->max_discharge->value(), 90);
  EXPECT_DOUBLE_EQ(e->rated_power->value(), 125);

  const auto p = publish_until(pv, R"({"ts_ms":1723438803000,"power_kw":118.25,"rated_kw":150})", 118.25);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->time, kT0 + seconds{3});
  EXPECT_DOUBLE_EQ(p->rated_power->value(), 150);

  // No time in the payload: stamped with the `now` of the Read that first saw it.
  const auto m = publish_until(meter, R"({"power_kw":-15})", -15);  // exporting
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->time, kT0 + seconds{1});
  EXPECT_EQ(meter.Read(kT0 + seconds{9})->time, kT0 + seconds{1});

  // Implausible values are read, marked bad.
  const auto bad = publish_until(ess, R"({"power_kw":-41,"soc_pct":140})", -41);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->quality, Quality::kBad);
  EXPECT_EQ(ess.Health().state, HealthState::kOk);
}

TEST_F(MqttBrokerTest, WriteArrivesAsDocumentedJsonAndIsAcked) {
  auto broker = Connect("openmeg-write");
  ASSERT_TRUE(broker);
  MqttDevice ess("ess1", DeviceKind::kBattery, Spec(), broker);
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{10})) << broker->last_error();

  // stdbuf: mosquitto_sub's -d lines reach the file at once, so SUBACK can be waited for.
  std::vector<std::string> argv = Client("mosquitto_sub");
  argv.insert(argv.begin(), {"stdbuf", "-oL"});
  argv.insert(argv.end(), {"-q", "1", "-C", "1", "-d", "-t", "openmeg/ess1/setpoint"});
  PeerProcess& sub = Spawn(argv, "setpoint.log");
  ASSERT_TRUE(
      WaitFor([&] { return ReadFile(dir_.path() / "setpoint.log").find("SUBACK") != std::string::npos; }, seconds{10}))
      << ReadFile(dir_.path() / "setpoint.log");

  Command c;
  c.battery_power = Kilowatts{-30};  // charge 30 kW
  c.pv_limit = Kilowatts{10};        // not for a battery: not sent
  const Status s = ess.Write(c, kT0 + seconds{7});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(ess.setpoints_sent(), 1);
  ASSERT_EQ(sub.Wait(seconds{10}), 0) << ReadFile(dir_.path() / "setpoint.log");

  std::string line;
  std::istringstream lines(ReadFile(dir_.path() / "setpoint.log"));
  while (std::getline(lines, line) && (line.empty() || line[0] != '{')) {
  }
  const auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_TRUE(j.is_object()) << ReadFile(dir_.path() / "setpoint.log");
  EXPECT_EQ(j["seq"], 1);
  EXPECT_EQ(j["time"], "2024-08-12T14:00:07+09:00");
  EXPECT_EQ(j["battery_kw"], -30.0);
  EXPECT_FALSE(j.contains("pv_limit_kw"));
  EXPECT_TRUE(WaitFor([&] { return ess.setpoints_acked() == 1; }, seconds{10}));

  // A meter has nothing to set: Ok, nothing sent.
  MqttDevice meter("meter", DeviceKind::kMeter, Spec(), broker);
  EXPECT_TRUE(meter.Write(c, kT0));
  EXPECT_EQ(meter.setpoints_sent(), 0);
}

TEST_F(MqttBrokerTest, ThermalStorageReadsAndWritesThroughTheBroker) {
  auto broker = Connect("openmeg-tes");
  ASSERT_TRUE(broker);
  MqttDevice tes("tes1", DeviceKind::kThermalStorage, Spec(), broker);
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{10})) << broker->last_error();

  // Telemetry from mosquitto_pub (published until the subscription is in place).
  Result<Telemetry> t = tes.Read(kT0);
  WaitFor(
      [&] {
        Pub("openmeg/tes1/telemetry", R"({"ts_ms":1723438805000,"power_kw":-3,"soc_pct":42,"max_charge_kw":300,)"
                                      R"("max_discharge_kw":400,"cop":3.5,"rated_kw":400})");
        t = tes.Read(kT0 + seconds{6});
        return t && t->power.value() == -3;
      },
      seconds{10});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->time, kT0 + seconds{5});
  EXPECT_EQ(t->quality, Quality::kGood);
  EXPECT_DOUBLE_EQ(t->soc_pct.value(), 42);
  EXPECT_DOUBLE_EQ(t->cop.value(), 3.5);
  EXPECT_DOUBLE_EQ(t->max_discharge->value(), 400);

  // A setpoint, seen by mosquitto_sub (stdbuf: its -d lines reach the file at once).
  std::vector<std::string> argv = Client("mosquitto_sub");
  argv.insert(argv.begin(), {"stdbuf", "-oL"});
  argv.insert(argv.end(), {"-q", "1", "-C", "1", "-d", "-t", "openmeg/tes1/setpoint"});
  PeerProcess& sub = Spawn(argv, "tes-setpoint.log");
  ASSERT_TRUE(WaitFor([&] { return ReadFile(dir_.path() / "tes-setpoint.log").find("SUBACK") != std::string::npos; },
                      seconds{10}))
      << ReadFile(dir_.path() / "tes-setpoint.log");
  Command nan;
  nan.thermal_power = Kilowatts{NAN};
  const Status refused = tes.Write(nan, kT0 + seconds{7});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("not a finite number"), std::string::npos) << refused.error().message;
  EXPECT_EQ(tes.setpoints_sent(), 0);
  Command c;
  c.thermal_power = Kilowatts{-12.5};  // charge 12.5 kW of cooling
  const Status s = tes.Write(c, kT0 + seconds{7});
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(sub.Wait(seconds{10}), 0) << ReadFile(dir_.path() / "tes-setpoint.log");
  std::string line;
  std::istringstream lines(ReadFile(dir_.path() / "tes-setpoint.log"));
  while (std::getline(lines, line) && (line.empty() || line[0] != '{')) {
  }
  const auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_TRUE(j.is_object()) << ReadFile(dir_.path() / "tes-setpoint.log");
  EXPECT_EQ(j["seq"], 1);
  EXPECT_EQ(j["time"], "2024-08-12T14:00:07+09:00");
  EXPECT_EQ(j["thermal_kw"], -12.5);
  EXPECT_TRUE(WaitFor([&] { return tes.setpoints_acked() == 1; }, seconds{10}));
}

TEST_F(MqttBrokerTest, MalformedPayloadIsAClearErrorAndKeepsTheLastValidTelemetry) {
  auto broker = Connect("openmeg-malformed");
  ASSERT_TRUE(broker);
  MqttDevice ess("ess1", DeviceKind::kBattery, Spec(), broker);
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{10}));
  const std::string topic = "openmeg/ess1/telemetry";
  ASSERT_TRUE(WaitFor(
      [&] {
        Pub(topic, R"({"time":"2024-08-12T14:00:00+09:00","power_kw":20,"soc_pct":55})");
        return ess.Read(kT0).has_value();
      },
      seconds{10}));

  Pub(topic, R"({"time":"2024-08-12T14:00:02+09:00","power_kw":"lots"})");
  Result<Telemetry> t = ess.Read(kT0 + seconds{2});
  ASSERT_TRUE(WaitFor([&] { return !(t = ess.Read(kT0 + seconds{2})); }, seconds{10}));
  EXPECT_EQ(t.error().message,
            "ess1: openmeg/ess1/telemetry: \"power_kw\" is a string, expected a number (kW, + "
            "discharge / - charge); the last valid telemetry (2024-08-12T14:00:00+09:00) is kept");
  EXPECT_EQ(ess.Health().state, HealthState::kRetrying);
  EXPECT_EQ(ess.Health().consecutive_failures, 1);

  Pub(topic, "\x01\x02 not json");
  ASSERT_TRUE(WaitFor([&] { return ess.Health().consecutive_failures == 2; }, seconds{10}));
  const std::string why = ess.Read(kT0 + seconds{3}).error().message;
  EXPECT_NE(why.find("ess1: openmeg/ess1/telemetry: payload is not JSON (parse error at line 1"), std::string::npos)
      << why;
  EXPECT_NE(why.find("): '?? not json'; the last valid"), std::string::npos) << why;

  // The next valid payload is read; the malformed ones never replaced anything.
  Pub(topic, R"({"time":"2024-08-12T14:00:04+09:00","power_kw":21,"soc_pct":54.9})");
  t = ReadUntil(ess, kT0 + seconds{4}, 21);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->time, kT0 + seconds{4});
  EXPECT_EQ(ess.Health().state, HealthState::kOk);
  EXPECT_EQ(ess.Health().consecutive_failures, 0);
}

TEST_F(MqttBrokerTest, LastWillOfflineMakesTheDeviceLost) {
  auto broker = Connect("openmeg-will");
  ASSERT_TRUE(broker);
  MqttDevice ess("ess1", DeviceKind::kBattery, Spec(), broker);
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{10}));
  const std::string status = "openmeg/ess1/status";
  Pub(status, "offline", /*retain=*/true);  // the device has not been seen
  ASSERT_TRUE(WaitFor(
      [&] {
        Pub("openmeg/ess1/telemetry", R"({"power_kw":5})");
        return ess.Read(kT0).has_value();
      },
      seconds{10}));
  ASSERT_TRUE(WaitFor([&] { return ess.Health().state == HealthState::kLost; }, seconds{10}));

  // The "device": a client that says "online" and leaves "offline" as its last will.
  std::vector<std::string> argv = Client("mosquitto_pub");
  argv.insert(argv.end(), {"-k", "5", "-q", "1", "-r", "-l", "-t", status, "--will-topic", status, "--will-payload",
                           "offline", "--will-qos", "1", "--will-retain"});
  PeerProcess& device = Spawn(argv, "device.log", /*pipe_stdin=*/true);
  ASSERT_GE(device.stdin_fd(), 0);
  ASSERT_EQ(write(device.stdin_fd(), "online\n", 7), 7);
  ASSERT_TRUE(WaitFor([&] { return ess.Health().state == HealthState::kOk; }, seconds{10}))
      << ess.Health().last_error << "\n"
      << ReadFile(dir_.path() / "device.log");

  device.Kill();                                     // SIGKILL: no DISCONNECT, the broker publishes the will
  const auto bound = milliseconds{1500 * 5 + 2000};  // 1.5 x keepalive, and a margin
  ASSERT_TRUE(WaitFor([&] { return ess.Health().state == HealthState::kLost; }, bound));
  EXPECT_EQ(ess.Health().last_error, "ess1: openmeg/ess1/status is \"offline\" (the device left the broker)");
}

TEST_F(MqttBrokerTest, NoTelemetryForLostAfterMakesTheDeviceLost) {
  auto broker = Connect("openmeg-silent");
  ASSERT_TRUE(broker);
  MqttSpec spec = Spec();
  spec.lost_after_ms = 3000;
  MqttDevice pv("pv1", DeviceKind::kPv, spec, broker);
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{10}));
  EXPECT_FALSE(pv.Read(kT0));
  EXPECT_EQ(pv.Health().state, HealthState::kOk);  // connected, waiting for its first telemetry
  EXPECT_FALSE(pv.Read(kT0 + milliseconds{3001}));
  EXPECT_EQ(pv.Health().state, HealthState::kLost);

  ASSERT_TRUE(WaitFor(
      [&] {
        Pub("openmeg/pv1/telemetry", R"({"power_kw":80})");
        return pv.Read(kT0 + seconds{4}).has_value();
      },
      seconds{10}));
  EXPECT_EQ(pv.Health().state, HealthState::kOk);
  ASSERT_TRUE(pv.Read(kT0 + seconds{7}));
  EXPECT_EQ(pv.Health().state, HealthState::kOk);
  ASSERT_TRUE(pv.Read(kT0 + milliseconds{7001}));  // the old value; its time says how old
  EXPECT_EQ(pv.Health().state, HealthState::kLost);
  EXPECT_EQ(pv.Health().last_error,
            "pv1: no valid telemetry on openmeg/pv1/telemetry for 3001 ms (lost after 3000 ms)");
}

TEST_F(MqttBrokerTest, BrokerRestartRetriesThenReconnectsAndResubscribes) {
  auto broker = Connect("openmeg-restart");
  ASSERT_TRUE(broker);
  MqttDevice ess("ess1", DeviceKind::kBattery, Spec(), broker);
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{10}));
  const std::string topic = "openmeg/ess1/telemetry";
  ASSERT_TRUE(WaitFor(
      [&] {
        Pub(topic, R"({"power_kw":10})");
        return ess.Read(kT0).has_value();
      },
      seconds{10}));

  KillBroker();
  ASSERT_TRUE(WaitFor([&] { return !broker->connected(); }, seconds{10}));
  ASSERT_TRUE(ess.Read(kT0 + seconds{1}));  // the last telemetry stays, with its time
  const DeviceHealth down = ess.Health();
  EXPECT_EQ(down.state, HealthState::kRetrying);
  EXPECT_NE(down.last_error.find("connection lost"), std::string::npos) << down.last_error;
  Command c;
  c.battery_power = Kilowatts{15};
  const Status w = ess.Write(c, kT0 + seconds{1});
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("ess1: not connected, setpoint to openmeg/ess1/setpoint not sent"),
            std::string::npos)
      << w.error().message;

  StartBroker();  // same port
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{15})) << broker->last_error();
  Result<Telemetry> t = ess.Read(kT0 + seconds{2});
  ASSERT_TRUE(WaitFor(
      [&] {
        Pub(topic, R"({"power_kw":11})");
        t = ess.Read(kT0 + seconds{2});
        return t && t->power.value() == 11;
      },
      seconds{10}))
      << "no telemetry after the reconnect: not resubscribed?";
  EXPECT_EQ(ess.Health().state, HealthState::kRetrying);  // the last Write failed
  ASSERT_TRUE(ess.Write(c, kT0 + seconds{2}));
  EXPECT_EQ(ess.Health().state, HealthState::kOk);
  EXPECT_TRUE(WaitFor([&] { return ess.setpoints_acked() == 1; }, seconds{10}));
}

TEST_F(MqttBrokerTest, ControllerStatusIsOnlineThenOfflineOnShutdown) {
  auto broker = Connect("openmeg-status");
  ASSERT_TRUE(broker);
  ASSERT_EQ(broker->status_topic(), "openmeg/controller/openmeg-status/status");
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{10}));
  ASSERT_TRUE(WaitFor([&] { return broker->publishes_acked() >= 1; }, seconds{10}));
  EXPECT_EQ(SubOne(broker->status_topic()), "online");
  const std::string topic = broker->status_topic();
  broker.reset();
  EXPECT_EQ(SubOne(topic), "offline");
}

TEST_F(MqttBrokerTest, ConnectsWhenTheBrokerComesUpLater) {
  KillBroker();
  auto broker = Connect("openmeg-late");
  ASSERT_TRUE(broker);
  MqttDevice ess("ess1", DeviceKind::kBattery, Spec(), broker);
  EXPECT_TRUE(WaitFor([&] { return broker->last_error().find("retrying") != std::string::npos; }, seconds{10}))
      << broker->last_error();
  EXPECT_EQ(ess.Health().state, HealthState::kRetrying);
  Command c;
  c.battery_power = Kilowatts{5};
  EXPECT_FALSE(ess.Write(c, kT0));
  EXPECT_EQ(ess.Health().consecutive_failures, 1);

  StartBroker();
  ASSERT_TRUE(WaitFor([&] { return broker->connected(); }, seconds{15})) << broker->last_error();
  const Result<Telemetry> t = [&] {
    Result<Telemetry> r = ess.Read(kT0);
    WaitFor(
        [&] {
          Pub("openmeg/ess1/telemetry", R"({"power_kw":3})");
          r = ess.Read(kT0);
          return r.has_value();
        },
        seconds{10});
    return r;
  }();
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(ess.Write(c, kT0));
  EXPECT_EQ(ess.Health().state, HealthState::kOk);
}

// ---------------------------------------------------------------------------------------------
// Authentication and TLS (issue 16): a broker that takes no anonymous clients, then one that
// speaks only TLS with a certificate from a CA made here by openssl.

class MqttSecureBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    port_ = testing::FreePort();
    ASSERT_GT(port_, 0);
  }

  // Runs `argv` to its end (bounded); true if it exited 0. Its output goes to `log`.
  bool Run(std::vector<std::string> argv, const std::string& log) {
    PeerProcess p(std::move(argv), dir_.path() / log);
    return p.running() && p.Wait(seconds{30}) == 0;
  }

  // A broker with `conf` lines after its listener; waits until it listens.
  void StartBroker(const std::string& conf) {
    const auto path = dir_.path() / "mosquitto.conf";
    // Run as root, mosquitto would drop to the user "mosquitto", who cannot read this folder.
    const passwd* me = getpwuid(geteuid());
    std::ofstream(path) << "listener " << port_ << " 127.0.0.1\npersistence false\n"
                        << (me != nullptr ? std::string("user ") + me->pw_name + "\n" : std::string()) << conf;
    broker_ = PeerProcess({"mosquitto", "-c", path.string()}, dir_.path() / "mosquitto.log");
    ASSERT_TRUE(broker_.running() && WaitFor([&] { return testing::Accepts(port_); }, seconds{10}))
        << ReadFile(dir_.path() / "mosquitto.log");
  }

  MqttConnectionOptions Options(const std::string& client_id) const {
    MqttConnectionOptions o;
    o.port = port_;
    o.keepalive_s = 5;
    o.client_id = client_id;
    o.reconnect_max_s = 1;
    return o;
  }

  std::string File(const std::string& name, const std::string& text) const {
    const auto path = dir_.path() / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // Publishes `payload` to `topic` with mosquitto_pub and `extra` options until `device` has it.
  Result<Telemetry> PublishUntilRead(MqttDevice& device, const std::string& topic, const std::string& payload,
                                     const std::vector<std::string>& extra) {
    Result<Telemetry> t = device.Read(kT0);
    WaitFor(
        [&] {
          std::vector<std::string> argv = {
              "mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port_), "-q", "1", "-t", topic, "-m", payload};
          argv.insert(argv.end(), extra.begin(), extra.end());
          EXPECT_TRUE(Run(argv, "pub.log")) << ReadFile(dir_.path() / "pub.log");
          t = device.Read(kT0);
          return t.has_value();
        },
        seconds{10});
    return t;
  }

  TempDir dir_{"openmeg-mqtt-secure-"};
  int port_ = -1;
  PeerProcess broker_;
};

TEST_F(MqttSecureBrokerTest, UsernameAndPasswordFileAgainstABrokerWithoutAnonymousAccess) {
  const std::string passwd = (dir_.path() / "passwd").string();
  ASSERT_TRUE(Run({"mosquitto_passwd", "-b", "-c", passwd, "meg", "s3cret"}, "passwd.log"))
      << ReadFile(dir_.path() / "passwd.log");
  StartBroker("allow_anonymous false\npassword_file " + passwd + "\n");

  MqttConnectionOptions good = Options("openmeg-auth");
  good.username = "meg";
  good.password_file = File("meg.pw", "s3cret\n");
  auto connection = MqttConnection::Open(good);
  ASSERT_TRUE(connection) << connection.error().message;
  ASSERT_TRUE(WaitFor([&] { return (*connection)->connected(); }, seconds{10})) << (*connection)->last_error();
  MqttSpec spec;
  spec.port = port_;
  MqttDevice meter("m1", DeviceKind::kMeter, spec, *connection);
  const Result<Telemetry> t =
      PublishUntilRead(meter, "openmeg/m1/telemetry", R"({"power_kw":12.5})", {"-u", "meg", "-P", "s3cret"});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->power.value(), 12.5);

  // A wrong password, and none at all, are refused by the broker: never connected, and said so.
  MqttConnectionOptions wrong = Options("openmeg-wrong");
  wrong.username = "meg";
  wrong.password_file = File("wrong.pw", "guess\n");
  auto refused = MqttConnection::Open(wrong);
  ASSERT_TRUE(refused) << refused.error().message;
  auto anonymous = MqttConnection::Open(Options("openmeg-anonymous"));
  ASSERT_TRUE(anonymous) << anonymous.error().message;
  for (auto* c : {&*refused, &*anonymous}) {
    EXPECT_TRUE(WaitFor(
        [&] {
          return (*c)->last_error().find("refused the connection: Connection Refused: not authorised") !=
                 std::string::npos;
        },
        seconds{10}))
        << (*c)->last_error();
    EXPECT_FALSE((*c)->connected());
  }

  // A password file that cannot be read is a bad option, named.
  MqttConnectionOptions missing = Options("openmeg-missing");
  missing.username = "meg";
  missing.password_file = (dir_.path() / "no-such.pw").string();
  auto bad = MqttConnection::Open(missing);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("no-such.pw: cannot read its first line"), std::string::npos)
      << bad.error().message;
}

TEST_F(MqttSecureBrokerTest, TlsWithTheBrokersCaConnectsAndWithoutItDoesNot) {
  const auto at = [&](const char* name) { return (dir_.path() / name).string(); };
  const std::string ext = File("san.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  ASSERT_TRUE(Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", at("ca.key"), "-out",
                   at("ca.crt"), "-days", "2", "-subj", "/CN=openmeg test CA"},
                  "openssl.log"))
      << ReadFile(dir_.path() / "openssl.log");
  ASSERT_TRUE(Run({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", at("server.key"), "-out",
                   at("server.csr"), "-subj", "/CN=127.0.0.1"},
                  "openssl.log"));
  ASSERT_TRUE(Run({"openssl", "x509", "-req", "-in", at("server.csr"), "-CA", at("ca.crt"), "-CAkey", at("ca.key"),
                   "-CAcreateserial", "-out", at("server.crt"), "-days", "2", "-extfile", ext},
                  "openssl.log"))
      << ReadFile(dir_.path() / "openssl.log");
  ASSERT_TRUE(Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", at("other.key"), "-out",
                   at("other.crt"), "-days", "2", "-subj", "/CN=another CA"},
                  "openssl.log"));
  StartBroker("allow_anonymous true\ncafile " + at("ca.crt") + "\ncertfile " + at("server.crt") + "\nkeyfile " +
              at("server.key") + "\n");

  MqttConnectionOptions tls = Options("openmeg-tls");
  tls.tls_ca_file = at("ca.crt");
  auto connection = MqttConnection::Open(tls);
  ASSERT_TRUE(connection) << connection.error().message;
  ASSERT_TRUE(WaitFor([&] { return (*connection)->connected(); }, seconds{10})) << (*connection)->last_error();
  MqttSpec spec;
  spec.port = port_;
  MqttDevice pv("pv1", DeviceKind::kPv, spec, *connection);
  const Result<Telemetry> t =
      PublishUntilRead(pv, "openmeg/pv1/telemetry", R"({"power_kw":7})", {"--cafile", at("ca.crt")});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->power.value(), 7);

  // Plain MQTT to the TLS listener, and TLS trusting another CA: never connected.
  MqttConnectionOptions other = Options("openmeg-other-ca");
  other.tls_ca_file = at("other.crt");
  auto untrusted = MqttConnection::Open(other);
  ASSERT_TRUE(untrusted) << untrusted.error().message;
  auto plain = MqttConnection::Open(Options("openmeg-plain"));
  ASSERT_TRUE(plain) << plain.error().message;
  std::this_thread::sleep_for(seconds{3});  // a few connection attempts each
  EXPECT_FALSE((*untrusted)->connected());
  EXPECT_FALSE((*plain)->connected());

  // A CA file that does not exist is a bad option, named.
  MqttConnectionOptions missing = Options("openmeg-no-ca");
  missing.tls_ca_file = at("no-such-ca.crt");
  auto bad = MqttConnection::Open(missing);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("no-such-ca.crt"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace meg
