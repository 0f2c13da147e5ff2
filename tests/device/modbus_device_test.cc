// Integration tests of ModbusDevice against a real Modbus TCP server: the pymodbus fixture
// tests/device/sunspec_server.py, started per test on a free port and killed in teardown. Time
// for health and backoff is a `now` the test moves by hand; only the server's start-up and the
// battery's SoC (simulated on the server's clock) are waited for, in bounded loops.
#include "device/modbus/modbus_device.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "device/peer_process.h"

namespace meg {
namespace {

using meg::testing::FreePort;
using meg::testing::PeerProcess;
using meg::testing::TempDir;
using ::testing::AnyOf;
using ::testing::HasSubstr;

const Instant kT0{Millis(1'723'449'600'000)};  // 2024-08-12T08:00:00Z

// Values served by the fixture (sunspec_server.py keeps the same numbers).
constexpr double kWChaMaxKw = 25.0;  // WChaMax 2500 x 10^1 W
constexpr double kPvRatedKw = 10.0;  // WRtg 10000 W
constexpr double kMeterKw = 12.34;   // W 1234 x 10^1 W
// Battery registers: storage model 124 at 40122 (common 40002 + 68, inverter 40070 + 52).
constexpr int kStorCtlMod = 40127, kOutWRte = 40134;
// The generator's vendor map: output in W (int32) at 40000..40001, rating in 0.1 kW at 40002
// (500 = 50 kW), output setpoint in 0.1 kW at 40010.
constexpr int kGenPower = 40000, kGenRated = 40002, kGenSetpoint = 40010;
// The thermal storage's vendor map (sunspec_server.py --kind thermal-storage): the electricity
// saved in 0.1 kW (int16) at 40000, SoC in 0.01 % at 40001, max charge / discharge in 0.1 kW of
// cooling at 40002 / 40003 (300 = 30 kW, 400 = 40 kW), COP in 0.01 (int16) at 40004, rating in
// kW of cooling at 40005 (40); the setpoint in 0.1 kW of cooling (int16) at 40010. The fixture's
// power is the cooling held / COP.
constexpr int kTsPower = 40000, kTsSoc = 40001, kTsMaxCharge = 40002, kTsMaxDischarge = 40003, kTsCop = 40004,
              kTsRated = 40005, kTsSetpoint = 40010;

bool HaveProgram(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

// Holding registers read by mbpoll, an independent Modbus client: address -> value.
std::map<int, int> Mbpoll(int port, int address, int count) {
  const std::string cmd = "mbpoll -m tcp -a 1 -0 -1 -o 2 -p " + std::to_string(port) + " -r " +
                          std::to_string(address) + " -c " + std::to_string(count) + " 127.0.0.1 2>&1";
  std::map<int, int> values;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return values;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    int reg = 0, value = 0;
    if (std::sscanf(line, "[%d]: %d", &reg, &value) == 2) values[reg] = value;
  }
  pclose(f);
  return values;
}

class ModbusDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(testing::kSunSpecPython, X_OK) != 0) {
      GTEST_SKIP() << testing::kSunSpecPython << " is missing";
    }
    ASSERT_FALSE(dir_.path().empty());
    port_ = FreePort();
    ASSERT_GT(port_, 0);
  }

  // Starts the fixture server (`--kind kind args...`) on `port` into `server`, which kills it
  // when it goes, so a failing test leaves no server behind.
  ::testing::AssertionResult Serve(PeerProcess& server, int port, const std::string& kind,
                                   std::vector<std::string> args = {}) {
    server = testing::StartSunSpecServer(dir_.path(), port, kind, std::move(args));
    if (server.running()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "sunspec_server.py did not listen on " << port << ":\n"
                                         << testing::ReadFile(testing::SunSpecLog(dir_.path(), port, kind));
  }

  ModbusSpec Spec() const {
    ModbusSpec s;
    s.host = "127.0.0.1";
    s.port = port_;
    s.timeout_ms = 1000;
    s.retries = 1;
    s.backoff_max_ms = 4000;
    s.lost_after_ms = 10000;
    return s;
  }

  Telemetry MustRead(ModbusDevice& d, Instant now) {
    auto t = d.Read(now);
    EXPECT_TRUE(t) << (t ? "" : t.error().message);
    return t ? *t : Telemetry{};
  }

  TempDir dir_{"openmeg-modbus-test-"};  // before the servers: they die before it goes
  int port_ = -1;
  PeerProcess server_;
};

Command BatteryAt(double kw) {
  Command c;
  c.battery_power = Kilowatts(kw);
  return c;
}

Command GeneratorAt(double kw) {
  Command c;
  c.generator_power = Kilowatts(kw);
  return c;
}

Command ThermalAt(double kw_cooling) {
  Command c;
  c.thermal_power = Kilowatts(kw_cooling);
  return c;
}

TEST_F(ModbusDeviceTest, ReadsBattery) {
  ASSERT_TRUE(Serve(server_, port_, "battery", {"--soc", "65"}));
  ModbusDevice ess("ess1", DeviceKind::kBattery, Spec());
  const Telemetry t = MustRead(ess, kT0);
  EXPECT_EQ(t.time, kT0);
  EXPECT_EQ(t.quality, Quality::kGood) << ess.quality_problem();
  EXPECT_DOUBLE_EQ(t.power.value(), 0.0);  // StorCtl_Mod 0: idle
  ASSERT_TRUE(t.soc_pct);
  EXPECT_NEAR(*t.soc_pct, 65.0, 0.01);  // ChaState 6500 x 10^-2
  EXPECT_DOUBLE_EQ(t.max_charge.value().value(), kWChaMaxKw);
  EXPECT_DOUBLE_EQ(t.max_discharge.value().value(), kWChaMaxKw);
  EXPECT_FALSE(t.rated_power);  // no nameplate model in the battery image
  EXPECT_EQ(ess.Health().state, HealthState::kOk);
  ASSERT_TRUE(ess.sunspec_identity());
  EXPECT_EQ(ess.sunspec_identity()->manufacturer, "OpenMEG");
  EXPECT_EQ(ess.sunspec_identity()->model, "Fixture battery");
  EXPECT_EQ(ess.sunspec_identity()->serial, "FIX-0001");
}

TEST_F(ModbusDeviceTest, ReadsPvAndMeter) {
  ASSERT_TRUE(Serve(server_, port_, "pv", {"--pv-available-kw", "8"}));
  ModbusDevice pv("pv1", DeviceKind::kPv, Spec());
  const Telemetry p = MustRead(pv, kT0);
  EXPECT_EQ(p.quality, Quality::kGood) << pv.quality_problem();
  EXPECT_DOUBLE_EQ(p.power.value(), 8.0);  // W 8000 x 10^0 W
  EXPECT_DOUBLE_EQ(p.rated_power.value().value(), kPvRatedKw);

  PeerProcess meter_server;
  const int meter_port = FreePort();
  ASSERT_TRUE(Serve(meter_server, meter_port, "meter"));
  ModbusSpec spec = Spec();
  spec.port = meter_port;
  ModbusDevice meter("grid", DeviceKind::kMeter, spec);
  const Telemetry m = MustRead(meter, kT0);
  EXPECT_EQ(m.quality, Quality::kGood);
  EXPECT_NEAR(m.power.value(), kMeterKw, 1e-9);
  spec.map.power_sign_inverted = true;  // a meter wired backwards
  ModbusDevice backwards("grid2", DeviceKind::kMeter, spec);
  EXPECT_NEAR(MustRead(backwards, kT0).power.value(), -kMeterKw, 1e-9);
}

TEST_F(ModbusDeviceTest, BatteryFollowsSetpointAndMbpollSeesTheRegisters) {
  // 3600 simulated seconds per wall second, so that the SoC visibly moves.
  ASSERT_TRUE(Serve(server_, port_, "battery", {"--time-scale", "3600"}));
  ModbusDevice ess("ess1", DeviceKind::kBattery, Spec());
  Instant now = kT0;
  const double soc0 = MustRead(ess, now).soc_pct.value_or(-1);

  // +10 kW: OutWRte = 10 / 25 = 40 % -> 4000 (InOutWRte_SF -2), StorCtl_Mod = 2 (DISCHARGE).
  ASSERT_TRUE(ess.Write(BatteryAt(10), now));
  EXPECT_NEAR(MustRead(ess, now += Millis(100)).power.value(), 10.0, 1e-9);
  // Discharging 10 kW out of 50 kWh: the SoC falls (bounded wait on the server's clock).
  double soc = soc0;
  for (int i = 0; i < 100 && soc >= soc0 - 0.5; ++i) {  // until strictly below, as checked
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    soc = MustRead(ess, now += Millis(100)).soc_pct.value_or(soc0);
  }
  EXPECT_LT(soc, soc0 - 0.5);

  // -5 kW: InWRte = 5 / 25 = 20 % -> 2000, StorCtl_Mod = 1 (CHARGE).
  ASSERT_TRUE(ess.Write(BatteryAt(-5), now));
  EXPECT_NEAR(MustRead(ess, now += Millis(100)).power.value(), -5.0, 1e-9);

  if (!HaveProgram("mbpoll")) GTEST_SKIP() << "mbpoll is not installed";
  const auto regs = Mbpoll(port_, kStorCtlMod, kOutWRte + 2 - kStorCtlMod);
  ASSERT_EQ(regs.count(kStorCtlMod), 1u) << "mbpoll read nothing";
  EXPECT_EQ(regs.at(kStorCtlMod), 1);      // CHARGE bit
  EXPECT_EQ(regs.at(kOutWRte), 0);         // OutWRte
  EXPECT_EQ(regs.at(kOutWRte + 1), 2000);  // InWRte: 20.00 %
}

TEST_F(ModbusDeviceTest, PvFollowsCap) {
  ASSERT_TRUE(Serve(server_, port_, "pv", {"--pv-available-kw", "8"}));
  ModbusDevice pv("pv1", DeviceKind::kPv, Spec());
  Command cap;
  cap.pv_limit = Kilowatts(2.5);  // 25 % of 10 kW -> WMaxLimPct 250 (SF -1), enabled
  ASSERT_TRUE(pv.Write(cap, kT0));
  EXPECT_NEAR(MustRead(pv, kT0).power.value(), 2.5, 1e-9);
  ASSERT_TRUE(pv.Write(Command{}, kT0));  // no cap: WMaxLim_Ena = 0
  EXPECT_NEAR(MustRead(pv, kT0).power.value(), 8.0, 1e-9);
}

TEST_F(ModbusDeviceTest, VendorMapOverTheSameRegisters) {
  ASSERT_TRUE(Serve(server_, port_, "battery", {"--soc", "40"}));
  ModbusSpec spec = Spec();
  spec.sunspec = false;
  // The fixture's inverter W (40084, int16 in 10 W = 0.01 kW) and ChaState (40130, 0.01 %).
  spec.map.power_kw = {40084, RegisterField::Type::kInt16, 0.01, false};
  spec.map.soc_pct = {40130, RegisterField::Type::kUint16, 0.01, false};
  ModbusDevice ess("ess-vendor", DeviceKind::kBattery, spec);
  const Telemetry t = MustRead(ess, kT0);
  EXPECT_EQ(t.quality, Quality::kGood);
  EXPECT_DOUBLE_EQ(t.power.value(), 0.0);
  EXPECT_NEAR(t.soc_pct.value_or(-1), 40.0, 0.01);
  EXPECT_FALSE(ess.sunspec_identity());
}

// The site file's map for the fixture's generator (sunspec_server.py --kind generator).
ModbusSpec GeneratorModbus(ModbusSpec spec) {
  spec.sunspec = false;
  spec.map.power_kw = {kGenPower, RegisterField::Type::kInt32, 0.001, false};
  spec.map.rated_kw = {kGenRated, RegisterField::Type::kUint16, 0.1, false};
  spec.map.setpoint_kw = {kGenSetpoint, RegisterField::Type::kUint16, 0.1, false};
  return spec;
}

TEST_F(ModbusDeviceTest, GeneratorReadsItsVendorMapAndFollowsTheSetpoint) {
  ASSERT_TRUE(Serve(server_, port_, "generator", {"--generator-kw", "12.3"}));
  ModbusDevice fc("fc1", DeviceKind::kGenerator, GeneratorModbus(Spec()));
  Instant now = kT0;
  const Telemetry t = MustRead(fc, now);
  EXPECT_EQ(t.quality, Quality::kGood) << fc.quality_problem();
  EXPECT_NEAR(t.power.value(), 12.3, 1e-9);  // 12300 W x 0.001, + production
  ASSERT_TRUE(t.rated_power);
  EXPECT_NEAR(t.rated_power->value(), 50.0, 1e-9);  // 500 x 0.1 kW
  EXPECT_FALSE(t.soc_pct);
  EXPECT_FALSE(fc.sunspec_identity());

  // 37.5 kW -> setpoint 375 (0.1 kW); the fixture's output follows: 37500 W.
  ASSERT_TRUE(fc.Write(GeneratorAt(37.5), now += Millis(100)));
  EXPECT_NEAR(MustRead(fc, now += Millis(100)).power.value(), 37.5, 1e-9);
  // A command with nothing for a generator writes nothing: the output stays.
  ASSERT_TRUE(fc.Write(BatteryAt(10), now += Millis(100)));
  ASSERT_TRUE(fc.Write(Command{}, now += Millis(100)));
  EXPECT_NEAR(MustRead(fc, now += Millis(100)).power.value(), 37.5, 1e-9);

  if (HaveProgram("mbpoll")) {
    const auto regs = Mbpoll(port_, kGenSetpoint, 1);
    ASSERT_EQ(regs.count(kGenSetpoint), 1u) << "mbpoll read nothing";
    EXPECT_EQ(regs.at(kGenSetpoint), 375);
  }

  // 0 = stop.
  ASSERT_TRUE(fc.Write(GeneratorAt(0), now += Millis(100)));
  EXPECT_DOUBLE_EQ(MustRead(fc, now += Millis(100)).power.value(), 0.0);
  EXPECT_EQ(fc.Health().state, HealthState::kOk);

  // A device that reports production as negative: the sign is flipped to ours.
  ASSERT_TRUE(fc.Write(GeneratorAt(20), now += Millis(100)));
  ModbusSpec inverted = GeneratorModbus(Spec());
  inverted.map.power_sign_inverted = true;
  ModbusDevice backwards("fc2", DeviceKind::kGenerator, inverted);
  EXPECT_NEAR(MustRead(backwards, now += Millis(100)).power.value(), -20.0, 1e-9);
}

TEST_F(ModbusDeviceTest, GeneratorOverSunSpecIsAClearError) {
  ASSERT_TRUE(Serve(server_, port_, "generator"));
  ModbusSpec spec = Spec();  // sunspec = true, which the site file refuses for a generator
  ModbusDevice fc("fc1", DeviceKind::kGenerator, spec);
  auto r = fc.Read(kT0);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("fc1 (127.0.0.1:"));
  EXPECT_THAT(r.error().message, HasSubstr("a generator cannot be driven over SunSpec"));
  EXPECT_THAT(r.error().message, HasSubstr("sunspec = false"));
  auto w = fc.Write(GeneratorAt(5), kT0 + Millis(10'000));  // after the backoff
  ASSERT_FALSE(w);
  EXPECT_THAT(w.error().message, HasSubstr("a generator cannot be driven over SunSpec"));
  EXPECT_TRUE(fc.Write(Command{}, kT0 + Millis(10'000)));  // nothing to write: no I/O, no error
  if (HaveProgram("mbpoll")) {
    const auto regs = Mbpoll(port_, kGenSetpoint, 1);
    ASSERT_EQ(regs.count(kGenSetpoint), 1u) << "mbpoll read nothing";
    EXPECT_EQ(regs.at(kGenSetpoint), 0);  // untouched
  }
}

// The site file's map for the fixture's thermal storage (sunspec_server.py --kind
// thermal-storage).
ModbusSpec ThermalStorageModbus(ModbusSpec spec) {
  using T = RegisterField::Type;
  spec.sunspec = false;
  spec.map.power_kw = {kTsPower, T::kInt16, 0.1, false};
  spec.map.soc_pct = {kTsSoc, T::kUint16, 0.01, false};
  spec.map.max_charge_kw = {kTsMaxCharge, T::kUint16, 0.1, false};
  spec.map.max_discharge_kw = {kTsMaxDischarge, T::kUint16, 0.1, false};
  spec.map.cop = {kTsCop, T::kInt16, 0.01, false};
  spec.map.rated_kw = {kTsRated, T::kUint16, 1.0, false};
  spec.map.setpoint_kw = {kTsSetpoint, T::kInt16, 0.1, false};
  return spec;
}

TEST_F(ModbusDeviceTest, ThermalStorageReadsItsVendorMapAndFollowsTheSetpoint) {
  // 360 simulated seconds per wall second: 20 kW of cooling out of 50 kWh moves the SoC 4 % a
  // wall second.
  ASSERT_TRUE(Serve(server_, port_, "thermal-storage", {"--soc", "65", "--cop", "4", "--time-scale", "360"}));
  ModbusDevice tes("tes1", DeviceKind::kThermalStorage, ThermalStorageModbus(Spec()));
  Instant now = kT0;
  const Telemetry t = MustRead(tes, now);
  EXPECT_EQ(t.quality, Quality::kGood) << tes.quality_problem();
  EXPECT_DOUBLE_EQ(t.power.value(), 0.0);                    // setpoint 0: idle
  EXPECT_NEAR(t.soc_pct.value_or(-1), 65.0, 1e-9);           // 6500 x 0.01 %
  EXPECT_NEAR(t.max_charge.value().value(), 30.0, 1e-9);     // 300 x 0.1 kW of cooling
  EXPECT_NEAR(t.max_discharge.value().value(), 40.0, 1e-9);  // 400 x 0.1 kW of cooling
  EXPECT_NEAR(t.cop.value_or(-1), 4.0, 1e-9);                // 400 x 0.01
  EXPECT_NEAR(t.rated_power.value().value(), 40.0, 1e-9);    // 40 x 1 kW of cooling
  EXPECT_FALSE(tes.sunspec_identity());

  // Discharge 20 kW of cooling -> setpoint 200 (0.1 kW); the chillers need 20 / 4 = 5 kW less:
  // power 50 x 0.1 = +5 kW.
  ASSERT_TRUE(tes.Write(ThermalAt(20), now += Millis(100)));
  EXPECT_NEAR(MustRead(tes, now += Millis(100)).power.value(), 5.0, 1e-9);
  double soc = 65.0;
  // Bounded wait on the server's clock until the SoC is below 64.5 % (the register's 0.01 %
  // steps can stop at exactly 64.50: the wait must go on then, as the check below says).
  for (int i = 0; i < 100 && soc >= 64.5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    soc = MustRead(tes, now += Millis(100)).soc_pct.value_or(65.0);
  }
  EXPECT_LT(soc, 64.5);
  // A device that says + charging: the sign is flipped to ours.
  ModbusSpec inverted = ThermalStorageModbus(Spec());
  inverted.map.power_sign_inverted = true;
  ModbusDevice backwards("tes2", DeviceKind::kThermalStorage, inverted);
  EXPECT_NEAR(MustRead(backwards, now += Millis(100)).power.value(), -5.0, 1e-9);

  // Charge 12 kW of cooling -> setpoint -120; it costs 12 / 4 = 3 kW: power -30 x 0.1 = -3 kW.
  ASSERT_TRUE(tes.Write(ThermalAt(-12), now += Millis(100)));
  EXPECT_NEAR(MustRead(tes, now += Millis(100)).power.value(), -3.0, 1e-9);
  // A command with nothing for a thermal storage writes nothing: the setpoint stays.
  ASSERT_TRUE(tes.Write(BatteryAt(10), now += Millis(100)));
  ASSERT_TRUE(tes.Write(GeneratorAt(10), now += Millis(100)));
  ASSERT_TRUE(tes.Write(Command{}, now += Millis(100)));
  EXPECT_NEAR(MustRead(tes, now += Millis(100)).power.value(), -3.0, 1e-9);
  EXPECT_EQ(tes.Health().state, HealthState::kOk);

  if (HaveProgram("mbpoll")) {
    const auto regs = Mbpoll(port_, kTsSetpoint, 1);
    ASSERT_EQ(regs.count(kTsSetpoint), 1u) << "mbpoll read nothing";
    EXPECT_EQ(static_cast<int16_t>(regs.at(kTsSetpoint)), -120);  // mbpoll may print it unsigned
  }
}

TEST_F(ModbusDeviceTest, ThermalStorageWithABadCopIsBadQuality) {
  // The COP register 0 (--cop 0), then -150 (--cop -1.5): no reading of the chillers.
  const std::pair<const char*, const char*> cases[] = {{"0", "COP 0 is not above 0"},
                                                       {"-1.5", "COP -1.5 is not above 0"}};
  for (const auto& [cop, why] : cases) {
    PeerProcess server;
    const int port = FreePort();
    ASSERT_TRUE(Serve(server, port, "thermal-storage", {"--cop", cop}));
    ModbusSpec spec = ThermalStorageModbus(Spec());
    spec.port = port;
    ModbusDevice tes("tes1", DeviceKind::kThermalStorage, spec);
    const Telemetry t = MustRead(tes, kT0);
    EXPECT_EQ(t.quality, Quality::kBad) << cop;
    EXPECT_THAT(tes.quality_problem(), HasSubstr(why));
    EXPECT_EQ(tes.Health().state, HealthState::kOk);  // the exchange itself was fine
  }
}

TEST_F(ModbusDeviceTest, ThermalStorageOverSunSpecIsAClearError) {
  ASSERT_TRUE(Serve(server_, port_, "thermal-storage"));
  ModbusDevice tes("tes1", DeviceKind::kThermalStorage, Spec());  // sunspec = true: refused
  auto r = tes.Read(kT0);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("tes1 (127.0.0.1:"));
  EXPECT_THAT(r.error().message, HasSubstr("a thermal storage cannot be driven over SunSpec"));
  auto w = tes.Write(ThermalAt(5), kT0 + Millis(10'000));  // after the backoff
  ASSERT_FALSE(w);
  EXPECT_THAT(w.error().message, HasSubstr("a thermal storage cannot be driven over SunSpec"));
  EXPECT_TRUE(tes.Write(Command{}, kT0 + Millis(10'000)));  // nothing to write: no I/O, no error
  if (HaveProgram("mbpoll")) {
    const auto regs = Mbpoll(port_, kTsSetpoint, 1);
    ASSERT_EQ(regs.count(kTsSetpoint), 1u) << "mbpoll read nothing";
    EXPECT_EQ(regs.at(kTsSetpoint), 0);  // untouched
  }
}

TEST_F(ModbusDeviceTest, DeadServerBacksOffGoesLostAndRecovers) {
  ASSERT_TRUE(Serve(server_, port_, "battery"));
  ModbusSpec spec = Spec();
  spec.timeout_ms = 200;
  spec.retries = 1;
  spec.backoff_max_ms = 800;
  spec.lost_after_ms = 1000;
  ModbusDevice ess("ess1", DeviceKind::kBattery, spec);
  Instant now = kT0;
  MustRead(ess, now);
  ASSERT_EQ(ess.Health().state, HealthState::kOk);

  server_.Kill();
  // A dead device costs at most (1 + retries) requests of timeout_ms each (plus slack).
  const auto start = std::chrono::steady_clock::now();
  auto r = ess.Read(now += Millis(10));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_LT(took, std::chrono::milliseconds(2 * 200 + 500));
  EXPECT_THAT(r.error().message, HasSubstr("ess1 (127.0.0.1:" + std::to_string(port_) + ")"));
  EXPECT_THAT(r.error().message,
              AnyOf(HasSubstr("refused"), HasSubstr("reset"), HasSubstr("timed out"), HasSubstr("Broken pipe")));
  EXPECT_EQ(ess.Health().state, HealthState::kRetrying);
  EXPECT_EQ(ess.Health().consecutive_failures, 1);
  EXPECT_EQ(ess.Health().last_error, r.error().message);

  // Within the backoff (200 ms after the failure): an error at once, no new attempt.
  auto waiting = ess.Read(now += Millis(50));
  ASSERT_FALSE(waiting);
  EXPECT_THAT(waiting.error().message, HasSubstr("not retrying for another 150 ms"));
  EXPECT_EQ(ess.Health().consecutive_failures, 1);

  // After it: a new attempt fails; the backoff doubles to 400 ms.
  EXPECT_FALSE(ess.Read(now += Millis(150)));  // t0 + 210
  EXPECT_EQ(ess.Health().consecutive_failures, 2);
  EXPECT_EQ(ess.Health().state, HealthState::kRetrying);
  auto doubled = ess.Read(now += Millis(1));
  ASSERT_FALSE(doubled);
  EXPECT_THAT(doubled.error().message, HasSubstr("not retrying for another 399 ms"));

  // 1000 ms after the last good exchange (t0): lost, even while backing off.
  EXPECT_FALSE(ess.Read(now = kT0 + Millis(1000)));
  EXPECT_EQ(ess.Health().state, HealthState::kLost);

  // The device comes back on the same port: the next attempt after the backoff recovers.
  ASSERT_TRUE(Serve(server_, port_, "battery", {"--soc", "30"}));
  const Telemetry t = MustRead(ess, now += Millis(spec.backoff_max_ms));
  EXPECT_NEAR(t.soc_pct.value_or(-1), 30.0, 0.01);
  EXPECT_EQ(ess.Health().state, HealthState::kOk);
  EXPECT_EQ(ess.Health().consecutive_failures, 0);
  EXPECT_EQ(ess.Health().last_error, "");
}

TEST_F(ModbusDeviceTest, GarbageIsBadQualityOrAClearError) {
  {
    PeerProcess soc;
    const int port = FreePort();
    ASSERT_TRUE(Serve(soc, port, "battery", {"--garbage", "soc"}));
    ModbusSpec spec = Spec();
    spec.port = port;
    ModbusDevice ess("ess1", DeviceKind::kBattery, spec);
    const Telemetry t = MustRead(ess, kT0);
    EXPECT_EQ(t.quality, Quality::kBad);
    EXPECT_THAT(ess.quality_problem(), HasSubstr("SoC 250.0 % is outside 0..100"));
    EXPECT_EQ(ess.Health().state, HealthState::kOk);  // the exchange itself was fine
  }
  {
    PeerProcess ni;
    const int port = FreePort();
    ASSERT_TRUE(Serve(ni, port, "meter", {"--garbage", "ni"}));
    ModbusSpec spec = Spec();
    spec.port = port;
    ModbusDevice meter("grid", DeviceKind::kMeter, spec);
    EXPECT_EQ(MustRead(meter, kT0).quality, Quality::kBad);
    EXPECT_THAT(meter.quality_problem(), HasSubstr("not implemented"));
  }
  ASSERT_TRUE(Serve(server_, port_, "pv", {"--garbage", "chain"}));
  ModbusDevice pv("pv1", DeviceKind::kPv, Spec());
  auto r = pv.Read(kT0);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("pv1 (127.0.0.1:"));
  EXPECT_THAT(r.error().message, HasSubstr("runs past register 65535"));
  EXPECT_EQ(pv.Health().state, HealthState::kRetrying);
  Command cap;
  cap.pv_limit = Kilowatts(1);
  EXPECT_FALSE(pv.Write(cap, kT0 + Millis(10'000)));  // rediscovers, fails the same way
}

}  // namespace
}  // namespace meg
