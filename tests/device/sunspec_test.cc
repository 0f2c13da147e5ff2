// Tests of device/sunspec.h on hand-built register images. Expected values are computed by hand
// in the comments; register offsets are those of the SunSpec model definitions (see sunspec.cc).
#include "device/sunspec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <random>
#include <string_view>

namespace meg {
namespace {

using ::testing::HasSubstr;
using Regs = std::vector<uint16_t>;

constexpr uint16_t kNi16 = 0x8000;   // int16 and sunssf "not implemented"
constexpr uint16_t kNiU16 = 0xFFFF;  // uint16 "not implemented"
constexpr int kBase = 40000;
const Instant kNow{Millis(1'723'449'600'000)};  // 2024-08-12T08:00:00Z

uint16_t S(int v) { return static_cast<uint16_t>(v); }  // an int16 as its register

Command BatteryAt(double kw) {
  Command c;
  c.battery_power = Kilowatts(kw);
  return c;
}
Command PvCap(double kw) {
  Command c;
  c.pv_limit = Kilowatts(kw);
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
Command Both(double battery_kw, double pv_kw) {
  Command c = BatteryAt(battery_kw);
  c.pv_limit = Kilowatts(pv_kw);
  return c;
}

Regs Text(std::string_view s, int registers) {
  Regs r(registers, 0);
  for (size_t i = 0; i < s.size() && i < 2 * r.size(); ++i) {
    r[i / 2] |= static_cast<uint16_t>(static_cast<unsigned char>(s[i]) << (i % 2 == 0 ? 8 : 0));
  }
  return r;
}

Regs Cat(std::initializer_list<Regs> parts) {
  Regs out;
  for (const Regs& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Model 1, L = 66: Mn @2, Md @18, Opt @34, Vr @42, SN @50, DA @66, Pad @67 (68 registers).
Regs Common(std::string_view mn = "OpenMEG", std::string_view md = "Test", std::string_view sn = "SN-1") {
  return Cat({{1, 66}, Text(mn, 16), Text(md, 16), Text("", 8), Text("1.0", 8), Text(sn, 16), {1, 0}});
}
// Inverter 101..103, L = 50: W @14, W_SF @15 (52 registers).
Regs Inverter(uint16_t w, uint16_t w_sf, uint16_t id = 103) {
  Regs r(52, 0);
  r[0] = id, r[1] = 50, r[14] = w, r[15] = w_sf;
  return r;
}
// Meter 201..204, L = 105: W @18, W_SF @22 (107 registers).
Regs Meter(uint16_t w, uint16_t w_sf, uint16_t id = 203) {
  Regs r(107, 0);
  r[0] = id, r[1] = 105, r[18] = w, r[22] = w_sf;
  return r;
}
// Nameplate 120, L = 26: WRtg @3, WRtg_SF @4, MaxDisChaRte @25, _SF @26 (28 registers).
Regs Nameplate(uint16_t w_rtg, uint16_t sf, uint16_t max_dis = kNiU16, uint16_t max_dis_sf = kNi16) {
  Regs r(28, kNiU16);
  r[0] = 120, r[1] = 26, r[2] = 4, r[3] = w_rtg, r[4] = sf, r[25] = max_dis, r[26] = max_dis_sf;
  return r;
}
// Storage 124, L = 24 (26 registers).
struct StorageRegs {
  uint16_t w_cha_max = 2500;      // @2, with WChaMax_SF 1: 25000 W
  uint16_t stor_ctl_mod = 0;      // @5
  uint16_t cha_state = 6543;      // @8, with ChaState_SF -2: 65.43 %
  uint16_t out_w_rte = 0;         // @12
  uint16_t in_w_rte = 0;          // @13
  uint16_t w_cha_max_sf = 1;      // @18
  uint16_t cha_state_sf = S(-2);  // @22
  uint16_t rte_sf = S(-2);        // @25 InOutWRte_SF
};
Regs Storage(const StorageRegs& s = {}) {
  Regs r(26, 0);
  r[0] = 124, r[1] = 24;
  r[2] = s.w_cha_max, r[5] = s.stor_ctl_mod, r[8] = s.cha_state, r[12] = s.out_w_rte;
  r[13] = s.in_w_rte, r[18] = s.w_cha_max_sf, r[22] = s.cha_state_sf, r[25] = s.rte_sf;
  return r;
}
// Immediate controls 123, L = 24: WMaxLimPct @5, WMaxLim_Ena @9, WMaxLimPct_SF @23 (26 registers).
Regs Controls(uint16_t pct = 1000, uint16_t ena = 0, uint16_t sf = S(-1)) {
  Regs r(26, 0);
  r[0] = 123, r[1] = 24, r[5] = pct, r[9] = ena, r[23] = sf;
  return r;
}
// "SunS", the models, the end marker.
Regs Chain(std::initializer_list<Regs> models) {
  Regs out{0x5375, 0x6e53};
  for (const Regs& m : models) out.insert(out.end(), m.begin(), m.end());
  out.insert(out.end(), {0xFFFF, 0});
  return out;
}
RegisterImage ImageOf(const Regs& chain) {
  RegisterImage image;
  image.Add(kBase, chain);
  return image;
}

// Addresses in the chains below: common at 40002 (68 registers), the next model at 40070.
Regs BatteryChain(uint16_t w = S(-500), const StorageRegs& s = {}) {
  return Chain({Common(), Inverter(w, 1), Storage(s)});  // inverter 40070, storage 40122
}
Regs PvChain(uint16_t w = 8000, uint16_t pct = 1000, uint16_t ena = 0) {
  // inverter 40070, nameplate 40122, controls 40150
  return Chain({Common(), Inverter(w, 0), Nameplate(10000, 0), Controls(pct, ena)});
}

SunSpecLayout Discover(const Regs& chain) {
  auto layout = DiscoverSunSpec(kBase, chain);
  EXPECT_TRUE(layout) << layout.error().message;
  return layout ? *layout : SunSpecLayout{};
}

// ---- Points ----

struct PointCase {
  const char* name;
  bool int16;
  uint16_t value, sf;
  std::optional<double> expected;  // nullopt: not implemented
};

TEST(SunSpecPoint, ScalesAndRecognisesNotImplemented) {
  const PointCase cases[] = {
      {"int16 1234 x 10^-1 = 123.4", true, 1234, S(-1), 123.4},
      {"int16 -1234 x 10^0", true, S(-1234), 0, -1234.0},
      {"int16 -32767 x 10^2 = -3276700", true, S(-32767), 2, -3276700.0},
      {"int16 5 x 10^-10", true, 5, S(-10), 5e-10},
      {"uint16 65534 x 10^1 = 655340", false, 65534, 1, 655340.0},
      {"uint16 0x8000 is a value for uint16: 32768", false, 0x8000, 0, 32768.0},
      {"int16 0x8000 not implemented", true, kNi16, 0, std::nullopt},
      {"uint16 0xFFFF not implemented", false, kNiU16, 0, std::nullopt},
      {"int16 0xFFFF is -1", true, 0xFFFF, 0, -1.0},
      {"sunssf 0x8000 makes the value unusable", true, 100, kNi16, std::nullopt},
      {"uint16 with sunssf 0x8000", false, 100, kNi16, std::nullopt},
  };
  for (const PointCase& c : cases) {
    auto r = c.int16 ? SunSpecInt16(c.value, c.sf) : SunSpecUint16(c.value, c.sf);
    ASSERT_TRUE(r) << c.name << ": " << r.error().message;
    ASSERT_EQ(r->has_value(), c.expected.has_value()) << c.name;
    if (c.expected) {
      EXPECT_NEAR(**r, *c.expected, std::abs(*c.expected) * 1e-12) << c.name;
    }
  }
}

TEST(SunSpecPoint, ScaleFactorOutsideTenIsAnError) {
  for (const uint16_t sf : {S(11), S(-11), S(32767), S(-32767)}) {
    auto r = SunSpecInt16(1, sf);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("outside -10..10"));
  }
}

TEST(SunSpecPoint, Strings) {
  EXPECT_EQ(SunSpecString(Text("SolarEdge", 16)), "SolarEdge");  // NUL padded
  EXPECT_EQ(SunSpecString(Text("SE10K   ", 4)), "SE10K");        // trailing spaces dropped
  EXPECT_EQ(SunSpecString(Text("ABCD", 2)), "ABCD");             // full, no NUL
  EXPECT_EQ(SunSpecString(Regs{0x41FF, 0x0742}), "A??B");        // non-printable -> '?'
  EXPECT_EQ(SunSpecString(Regs{0x0041}), "");                    // ends at the first NUL
  EXPECT_EQ(SunSpecString(Regs{}), "");
}

// ---- Discovery ----

TEST(SunSpecDiscover, WalksTheChain) {
  const SunSpecLayout layout = Discover(BatteryChain());
  // 40002: common (L 66) -> 40002 + 2 + 66 = 40070: inverter (L 50) -> 40122: storage (L 24)
  // -> 40148: end.
  const std::vector<SunSpecModel> expected{{1, 40002, 66}, {103, 40070, 50}, {124, 40122, 24}};
  EXPECT_EQ(layout.base, kBase);
  EXPECT_EQ(layout.models, expected);
  ASSERT_NE(layout.Find({101, 102, 103}), nullptr);
  EXPECT_EQ(layout.Find({101, 102, 103})->address, 40070);
  EXPECT_EQ(layout.Find({123}), nullptr);
}

TEST(SunSpecDiscover, WorksAtAnotherBaseThroughAReader) {
  const Regs chain = Chain({Common(), Meter(0, 0)});
  int requests = 0;
  auto layout = DiscoverSunSpec(0, [&](int address, int count) -> Result<std::vector<uint16_t>> {
    ++requests;
    if (address < 0 || address + count > static_cast<int>(chain.size())) return IoError("no");
    return std::vector<uint16_t>(chain.begin() + address, chain.begin() + address + count);
  });
  ASSERT_TRUE(layout) << layout.error().message;
  EXPECT_EQ(layout->models, (std::vector<SunSpecModel>{{1, 2, 66}, {203, 70, 105}}));
  EXPECT_EQ(requests, 4);  // marker, common, meter, end
}

struct BrokenChain {
  const char* name;
  Regs image;
  const char* message;
};

TEST(SunSpecDiscover, BrokenChainsAreErrors) {
  Regs too_long{0x5375, 0x6e53};  // 65 models of L 0 after the common model: no end in sight
  for (const uint16_t r : Common()) too_long.push_back(r);
  for (int i = 0; i < 65; ++i) too_long.insert(too_long.end(), {64000, 0});
  too_long.insert(too_long.end(), {0xFFFF, 0});
  Regs truncated = BatteryChain();
  truncated.resize(truncated.size() - 2);  // the end marker cut off: the image ends
  Regs wraps = Chain({Common(), Inverter(0, 0)});
  wraps[2 + 68 + 1] = 65000;  // inverter L: 40070 + 2 + 65000 > 65536
  const BrokenChain cases[] = {
      {"no marker", Regs{0x5375, 0x6e54, 1, 0}, "no SunSpec marker"},
      {"empty image", Regs{}, "outside the image"},
      {"marker only", Regs{0x5375, 0x6e53}, "outside the image"},
      {"no models", Regs{0x5375, 0x6e53, 0xFFFF, 0}, "has no models"},
      {"first model not common", Chain({Inverter(0, 0)}), "not common model 1"},
      {"model ID 0", Cat({{0x5375, 0x6e53}, Common(), {0, 0}}), "model ID 0"},
      {"runs past 65535", wraps, "runs past register 65535"},
      {"truncated", truncated, "outside the image"},
      {"more than 64 models", too_long, "more than 64 models"},
  };
  for (const BrokenChain& c : cases) {
    auto r = DiscoverSunSpec(kBase, c.image);
    ASSERT_FALSE(r) << c.name;
    EXPECT_THAT(r.error().message, HasSubstr(c.message)) << c.name;
  }
}

TEST(SunSpecDiscover, BaseNearTheEndOfTheAddressSpace) {
  // "SunS" at 65534..65535: the first header would be at 65536.
  auto r = DiscoverSunSpec(65534, Regs{0x5375, 0x6e53});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("past register 65535"));
  EXPECT_FALSE(DiscoverSunSpec(65535, Regs{0x5375, 0x6e53}));
  EXPECT_FALSE(DiscoverSunSpec(-1, Regs{0x5375, 0x6e53}));
}

// ---- Model decoders ----

TEST(SunSpecModels, Common) {
  auto c = DecodeCommon(Common("Fronius", "Symo 10.0-3-M", "28123456"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->manufacturer, "Fronius");
  EXPECT_EQ(c->model, "Symo 10.0-3-M");
  EXPECT_EQ(c->serial, "28123456");
}

TEST(SunSpecModels, InverterWattsForEachInverterModel) {
  for (const uint16_t id : {101, 102, 103}) {
    // W = 1234 with W_SF = -1 -> 123.4 W
    auto w = DecodeInverterWatts(Inverter(1234, S(-1), id));
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_TRUE(w->has_value());
    EXPECT_NEAR(**w, 123.4, 1e-9);
  }
  auto ni = DecodeInverterWatts(Inverter(kNi16, 0));
  ASSERT_TRUE(ni);
  EXPECT_FALSE(ni->has_value());
}

TEST(SunSpecModels, MeterWattsForEachMeterModel) {
  for (const uint16_t id : {201, 202, 203, 204}) {
    // W = -4321 with W_SF = 1 -> -43210 W (export)
    auto w = DecodeMeterWatts(Meter(S(-4321), 1, id));
    ASSERT_TRUE(w) << w.error().message;
    EXPECT_DOUBLE_EQ(w->value(), -43210.0);
  }
}

TEST(SunSpecModels, ShortOrWrongBlocksAreErrors) {
  Regs short_l = Inverter(0, 0);
  short_l[1] = 10;  // L = 10 but W_SF sits at offset 15
  auto a = DecodeInverterWatts(short_l);
  ASSERT_FALSE(a);
  EXPECT_THAT(a.error().message, HasSubstr("L = 10, too short"));
  auto b = DecodeInverterWatts(Meter(0, 0));  // a meter where an inverter was expected
  ASSERT_FALSE(b);
  EXPECT_THAT(b.error().message, HasSubstr("model ID 203 where model 101/102/103"));
  const Regs inverter = Inverter(0, 0);
  auto c = DecodeInverterWatts(std::span(inverter).first(10));  // fewer registers than read
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("10 registers read, 16 needed"));
  EXPECT_FALSE(DecodeStorage(Regs{124}));
  EXPECT_FALSE(DecodeCommon(Regs{}));
}

TEST(SunSpecModels, Storage) {
  StorageRegs s;
  s.stor_ctl_mod = 2, s.out_w_rte = 4000, s.in_w_rte = S(-100);
  auto r = DecodeStorage(Storage(s));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->w_cha_max.value(), 25000.0);  // 2500 x 10^1 W
  EXPECT_EQ(r->stor_ctl_mod, 2);
  EXPECT_DOUBLE_EQ(r->cha_state.value(), 65.43);  // 6543 x 10^-2 %
  EXPECT_DOUBLE_EQ(r->out_w_rte.value(), 40.0);   // 4000 x 10^-2 %
  EXPECT_DOUBLE_EQ(r->in_w_rte.value(), -1.0);    // -100 x 10^-2 %
  EXPECT_EQ(r->in_out_w_rte_sf, -2);
  s.cha_state_sf = kNi16;  // ChaState_SF not implemented: SoC unknown
  s.rte_sf = kNi16;
  auto ni = DecodeStorage(Storage(s));
  ASSERT_TRUE(ni);
  EXPECT_FALSE(ni->cha_state);
  EXPECT_FALSE(ni->in_out_w_rte_sf);
  s.w_cha_max_sf = S(12);
  auto bad = DecodeStorage(Storage(s));
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("WChaMax_SF: scale factor 12"));
}

TEST(SunSpecModels, NameplateAndControls) {
  // WRtg 1500 x 10^1 = 15000 W; MaxDisChaRte 12000 x 10^0 W
  auto n = DecodeNameplate(Nameplate(1500, 1, 12000, 0));
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_DOUBLE_EQ(n->w_rtg.value(), 15000.0);
  EXPECT_FALSE(n->max_cha_rte);
  EXPECT_DOUBLE_EQ(n->max_dis_cha_rte.value(), 12000.0);
  auto c = DecodeControls(Controls(755, 1, S(-1)));  // 755 x 10^-1 = 75.5 %
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_DOUBLE_EQ(c->w_max_lim_pct.value(), 75.5);
  EXPECT_TRUE(c->w_max_lim_enabled);
  EXPECT_EQ(c->w_max_lim_pct_sf, -1);
}

// ---- Telemetry ----

TEST(SunSpecTelemetry, ReadsAreMergedPerKind) {
  // Battery: inverter 40070 + 16 (to W_SF), storage 40122 + 26 -> one read 40070..40147 (78).
  auto battery = SunSpecTelemetryReads(DeviceKind::kBattery, Discover(BatteryChain()));
  ASSERT_TRUE(battery) << battery.error().message;
  EXPECT_EQ(*battery, (std::vector<RegisterRead>{{40070, 78, false}}));
  // PV: inverter 40070 + 16, nameplate 40122 + 27 -> 40070..40148 (79).
  auto pv = SunSpecTelemetryReads(DeviceKind::kPv, Discover(PvChain()));
  ASSERT_TRUE(pv) << pv.error().message;
  EXPECT_EQ(*pv, (std::vector<RegisterRead>{{40070, 79, false}}));
  // Meter: 40070 + 23 (to W_SF at offset 22).
  auto meter = SunSpecTelemetryReads(DeviceKind::kMeter, Discover(Chain({Common(), Meter(0, 0)})));
  ASSERT_TRUE(meter) << meter.error().message;
  EXPECT_EQ(*meter, (std::vector<RegisterRead>{{40070, 23, false}}));
}

TEST(SunSpecTelemetry, MissingRequiredModelIsAnError) {
  const SunSpecLayout pv = Discover(PvChain());
  auto battery = SunSpecTelemetryReads(DeviceKind::kBattery, pv);
  ASSERT_FALSE(battery);
  EXPECT_THAT(battery.error().message, HasSubstr("no storage model 124"));
  auto meter = SunSpecTelemetryReads(DeviceKind::kMeter, pv);
  ASSERT_FALSE(meter);
  EXPECT_THAT(meter.error().message, HasSubstr("no meter model"));
  auto inverter = SunSpecTelemetryReads(DeviceKind::kPv, Discover(Chain({Common(), Meter(0, 0)})));
  ASSERT_FALSE(inverter);
  EXPECT_THAT(inverter.error().message, HasSubstr("no inverter model"));
}

struct TelemetryCase {
  const char* name;
  DeviceKind kind;
  Regs chain;
  Quality quality;
  double power_kw;
  std::optional<double> soc_pct;
  std::optional<double> max_charge_kw, max_discharge_kw, rated_kw;
  const char* problem;  // substring; "" when kGood
};

TEST(SunSpecTelemetry, DecodesEachKind) {
  StorageRegs soc_250;
  soc_250.cha_state = 25000;  // 25000 x 10^-2 = 250 %
  StorageRegs soc_ni;
  soc_ni.cha_state = kNiU16;
  const TelemetryCase cases[] = {
      // W -500 x 10^1 = -5000 W = -5 kW (charging); ChaState 6543 x 10^-2 = 65.43 %;
      // WChaMax 2500 x 10^1 = 25000 W = 25 kW, also the discharge limit (no nameplate).
      {"battery charging", DeviceKind::kBattery, BatteryChain(S(-500)), Quality::kGood, -5.0, 65.43, 25.0, 25.0,
       std::nullopt, ""},
      // With nameplate 120: WRtg 3000 x 10^1 = 30 kW rating, MaxDisChaRte 2000 x 10^1 = 20 kW.
      {"battery with nameplate", DeviceKind::kBattery,
       Chain({Common(), Inverter(1234, S(-1)), Nameplate(3000, 1, 2000, 1), Storage()}), Quality::kGood, 0.1234, 65.43,
       25.0, 20.0, 30.0, ""},  // 1234 x 10^-1 W = 0.1234 kW
      {"battery SoC 250 %", DeviceKind::kBattery, BatteryChain(0, soc_250), Quality::kBad, 0.0, 250.0, 25.0, 25.0,
       std::nullopt, "SoC 250.0 % is outside 0..100"},
      {"battery SoC not implemented", DeviceKind::kBattery, BatteryChain(0, soc_ni), Quality::kBad, 0.0, std::nullopt,
       25.0, 25.0, std::nullopt, "ChaState (SoC) is not "},
      {"battery W not implemented", DeviceKind::kBattery, BatteryChain(kNi16), Quality::kBad, 0.0, 65.43, 25.0, 25.0,
       std::nullopt, "W (AC power) is not implemented"},
      // W 30000 x 10^1 = 300 kW > 10 x 25 kW
      {"battery power 12x its limit", DeviceKind::kBattery, BatteryChain(30000), Quality::kBad, 300.0, 65.43, 25.0,
       25.0, std::nullopt, "more than 10x the rating"},
      // PV: W 8000 x 10^0 W = 8 kW; WRtg 10000 x 10^0 W = 10 kW.
      {"pv", DeviceKind::kPv, PvChain(8000), Quality::kGood, 8.0, std::nullopt, std::nullopt, std::nullopt, 10.0, ""},
      // Meter: W -1234 x 10^0 = -1234 W = -1.234 kW (export).
      {"meter exporting", DeviceKind::kMeter, Chain({Common(), Meter(S(-1234), 0)}), Quality::kGood, -1.234,
       std::nullopt, std::nullopt, std::nullopt, std::nullopt, ""},
      {"meter W_SF not implemented", DeviceKind::kMeter, Chain({Common(), Meter(100, kNi16)}), Quality::kBad, 0.0,
       std::nullopt, std::nullopt, std::nullopt, std::nullopt, "not implemented"},
  };
  for (const TelemetryCase& c : cases) {
    const SunSpecLayout layout = Discover(c.chain);
    auto d = DecodeSunSpecTelemetry(c.kind, layout, ImageOf(c.chain), kNow);
    ASSERT_TRUE(d) << c.name << ": " << d.error().message;
    const Telemetry& t = d->telemetry;
    EXPECT_EQ(t.time, kNow) << c.name;
    EXPECT_EQ(t.quality, c.quality) << c.name << ": " << d->problem;
    EXPECT_NEAR(t.power.value(), c.power_kw, 1e-9) << c.name;
    EXPECT_EQ(t.soc_pct.has_value(), c.soc_pct.has_value()) << c.name;
    if (c.soc_pct && t.soc_pct) {
      EXPECT_NEAR(*t.soc_pct, *c.soc_pct, 1e-9) << c.name;
    }
    auto kw = [](const std::optional<Kilowatts>& k) { return k ? std::optional(k->value()) : std::nullopt; };
    EXPECT_EQ(kw(t.max_charge), c.max_charge_kw) << c.name;
    EXPECT_EQ(kw(t.max_discharge), c.max_discharge_kw) << c.name;
    EXPECT_EQ(kw(t.rated_power), c.rated_kw) << c.name;
    if (*c.problem == '\0') {
      EXPECT_EQ(d->problem, "") << c.name;
    } else {
      EXPECT_THAT(d->problem, HasSubstr(c.problem)) << c.name;
    }
  }
}

TEST(SunSpecTelemetry, SignInversion) {
  const Regs chain = Chain({Common(), Meter(S(-1234), 0)});
  auto d = DecodeSunSpecTelemetry(DeviceKind::kMeter, Discover(chain), ImageOf(chain), kNow,
                                  /*power_sign_inverted=*/true);
  ASSERT_TRUE(d);
  EXPECT_DOUBLE_EQ(d->telemetry.power.value(), 1.234);
}

TEST(SunSpecTelemetry, ChangedLayoutAndMissingRegistersAreErrors) {
  const Regs chain = BatteryChain();
  const SunSpecLayout layout = Discover(chain);
  Regs changed = chain;
  changed[2 + 68 + 1] = 48;  // the inverter at 40070 now says L = 48
  auto d = DecodeSunSpecTelemetry(DeviceKind::kBattery, layout, ImageOf(changed), kNow);
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message, HasSubstr("model 103 at 40070"));
  EXPECT_THAT(d.error().message, HasSubstr("changed its SunSpec layout"));
  RegisterImage partial;
  partial.Add(40070, Regs(16, 0));  // the inverter part only, and not even its ID
  auto p = DecodeSunSpecTelemetry(DeviceKind::kBattery, layout, partial, kNow);
  ASSERT_FALSE(p);
  EXPECT_FALSE(p.error().message.empty());
}

// ---- Encoders ----

struct EncodeCase {
  const char* name;
  DeviceKind kind;
  Regs chain;
  Command command;
  std::vector<RegisterWrite> writes;  // expected; empty with `error` set: an error
  const char* error;
};

TEST(SunSpecEncode, Commands) {
  StorageRegs no_w_cha_max;
  no_w_cha_max.w_cha_max = kNiU16;
  StorageRegs no_rte_sf;
  no_rte_sf.rte_sf = kNi16;
  StorageRegs fine_rte_sf;
  fine_rte_sf.rte_sf = S(-3);  // 100 % would be 100000: does not fit int16
  const Regs battery = BatteryChain();
  // Storage at 40122: StorCtl_Mod 40127, OutWRte 40134, InWRte 40135. WChaMax 25 kW.
  // Controls at 40150: WMaxLimPct 40155, WMaxLim_Ena 40159; WRtg 10 kW; WMaxLimPct_SF -1.
  const EncodeCase cases[] = {
      // +10 kW / 25 kW = 40 % -> 40 / 10^-2 = 4000 in OutWRte; DISCHARGE bit (2).
      {"discharge 10 kW", DeviceKind::kBattery, battery, BatteryAt(10), {{40134, {4000, 0}}, {40127, {2}}}, ""},
      // -5 kW / 25 kW = 20 % -> 2000 in InWRte; CHARGE bit (1).
      {"charge 5 kW", DeviceKind::kBattery, battery, BatteryAt(-5), {{40134, {0, 2000}}, {40127, {1}}}, ""},
      // 0: both limits at 0 with both bits (3): hold.
      {"hold", DeviceKind::kBattery, battery, BatteryAt(0), {{40134, {0, 0}}, {40127, {3}}}, ""},
      // 100 kW is more than WChaMax: 100 % -> 10000.
      {"clamped to WChaMax", DeviceKind::kBattery, battery, BatteryAt(100), {{40134, {10000, 0}}, {40127, {2}}}, ""},
      // 0.0123 kW = 12.3 W / 25000 W = 0.0492 % -> 4.92 -> 5.
      {"rounds to the register", DeviceKind::kBattery, battery, BatteryAt(0.0123), {{40134, {5, 0}}, {40127, {2}}}, ""},
      {"battery: no setpoint, no writes", DeviceKind::kBattery, battery, {}, {}, ""},
      {"WChaMax not implemented",
       DeviceKind::kBattery,
       BatteryChain(0, no_w_cha_max),
       BatteryAt(1),
       {},
       "WChaMax is not implemented"},
      {"InOutWRte_SF not implemented",
       DeviceKind::kBattery,
       BatteryChain(0, no_rte_sf),
       BatteryAt(1),
       {},
       "InOutWRte_SF is not implemented"},
      {"rate does not fit", DeviceKind::kBattery, BatteryChain(0, fine_rte_sf), BatteryAt(25), {}, "does not fit"},
      {"not finite", DeviceKind::kBattery, battery, BatteryAt(NAN), {}, "not a finite number"},
      {"no storage model", DeviceKind::kBattery, PvChain(), BatteryAt(1), {}, "no storage model 124"},
      // 2.5 kW / 10 kW = 25 % -> 25 / 10^-1 = 250; then enable.
      {"pv cap 2.5 kW", DeviceKind::kPv, PvChain(), PvCap(2.5), {{40155, {250}}, {40159, {1}}}, ""},
      {"pv cap above rating", DeviceKind::kPv, PvChain(), PvCap(12), {{40155, {1000}}, {40159, {1}}}, ""},
      {"pv cap below zero", DeviceKind::kPv, PvChain(), PvCap(-1), {{40155, {0}}, {40159, {1}}}, ""},
      {"pv no cap", DeviceKind::kPv, PvChain(), {}, {{40159, {0}}}, ""},
      {"pv cap without nameplate",
       DeviceKind::kPv,
       Chain({Common(), Inverter(0, 0), Controls()}),
       PvCap(1),
       {},
       "needs the rating WRtg"},
      {"pv without controls",
       DeviceKind::kPv,
       Chain({Common(), Inverter(0, 0)}),
       PvCap(1),
       {},
       "no immediate controls model 123"},
      {"meter: nothing to write", DeviceKind::kMeter, Chain({Common(), Meter(0, 0)}), Both(1, 1), {}, ""},
  };
  for (const EncodeCase& c : cases) {
    const SunSpecLayout layout = Discover(c.chain);
    auto reads = SunSpecCommandReads(c.kind, layout, c.command);
    auto w = EncodeSunSpecCommand(c.kind, layout, ImageOf(c.chain), c.command);
    if (*c.error != '\0') {
      ASSERT_FALSE(w) << c.name;
      EXPECT_THAT(w.error().message, HasSubstr(c.error)) << c.name;
      continue;
    }
    ASSERT_TRUE(reads) << c.name << ": " << reads.error().message;
    ASSERT_TRUE(w) << c.name << ": " << w.error().message;
    EXPECT_EQ(*w, c.writes) << c.name;
  }
}

TEST(SunSpecEncode, ReadsForCommands) {
  const SunSpecLayout battery = Discover(BatteryChain());
  auto b = SunSpecCommandReads(DeviceKind::kBattery, battery, BatteryAt(1));
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, (std::vector<RegisterRead>{{40122, 26, false}}));  // storage block
  const SunSpecLayout pv = Discover(PvChain());
  auto p = SunSpecCommandReads(DeviceKind::kPv, pv, PvCap(1));
  ASSERT_TRUE(p);
  // nameplate 40122 + 27 and controls 40150 + 24 -> 40122..40173 (52)
  EXPECT_EQ(*p, (std::vector<RegisterRead>{{40122, 52, false}}));
}

TEST(SunSpecEncode, GeneratorIsNotSupported) {
  for (const DeviceKind kind : {DeviceKind::kMeter, DeviceKind::kPv, DeviceKind::kBattery}) {
    EXPECT_TRUE(SunSpecSupports(kind));
  }
  const auto no = SunSpecSupports(DeviceKind::kGenerator);
  ASSERT_FALSE(no);
  EXPECT_THAT(no.error().message, HasSubstr("a generator cannot be driven over SunSpec"));
  EXPECT_THAT(no.error().message, HasSubstr("sunspec = false"));
  // Even over a chain with an inverter, nameplate and controls, every call refuses it.
  const Regs chain = PvChain();
  const SunSpecLayout layout = Discover(chain);
  const RegisterImage image = ImageOf(chain);
  const DeviceKind gen = DeviceKind::kGenerator;
  const auto reads = SunSpecTelemetryReads(gen, layout);
  ASSERT_FALSE(reads);
  EXPECT_EQ(reads.error().message, no.error().message);
  EXPECT_FALSE(DecodeSunSpecTelemetry(gen, layout, image, kNow));
  EXPECT_FALSE(SunSpecCommandReads(gen, layout, GeneratorAt(10)));
  EXPECT_FALSE(EncodeSunSpecCommand(gen, layout, image, GeneratorAt(10)));
  // A generator's setpoint means nothing to PV: the writes of an empty command (no cap).
  auto pv = EncodeSunSpecCommand(DeviceKind::kPv, layout, image, GeneratorAt(10));
  ASSERT_TRUE(pv) << pv.error().message;
  EXPECT_EQ(*pv, *EncodeSunSpecCommand(DeviceKind::kPv, layout, image, Command{}));
}

TEST(SunSpecEncode, ThermalStorageIsNotSupported) {
  const auto no = SunSpecSupports(DeviceKind::kThermalStorage);
  ASSERT_FALSE(no);
  EXPECT_THAT(no.error().message, HasSubstr("a thermal storage cannot be driven over SunSpec"));
  EXPECT_THAT(no.error().message, HasSubstr("sunspec = false"));
  EXPECT_THAT(no.error().message, HasSubstr("registers.soc_pct"));
  // Even over a battery chain (inverter and storage model 124), every call refuses it.
  const Regs chain = BatteryChain();
  const SunSpecLayout layout = Discover(chain);
  const RegisterImage image = ImageOf(chain);
  const DeviceKind ts = DeviceKind::kThermalStorage;
  const auto reads = SunSpecTelemetryReads(ts, layout);
  ASSERT_FALSE(reads);
  EXPECT_EQ(reads.error().message, no.error().message);
  EXPECT_FALSE(DecodeSunSpecTelemetry(ts, layout, image, kNow));
  EXPECT_FALSE(SunSpecCommandReads(ts, layout, ThermalAt(10)));
  EXPECT_FALSE(SunSpecCommandReads(ts, layout, Command{}));
  EXPECT_FALSE(EncodeSunSpecCommand(ts, layout, image, ThermalAt(10)));
  // A thermal storage's setpoint means nothing to a battery: no writes.
  auto battery = EncodeSunSpecCommand(DeviceKind::kBattery, layout, image, ThermalAt(10));
  ASSERT_TRUE(battery) << battery.error().message;
  EXPECT_TRUE(battery->empty());
}

// ---- Vendor maps ----

RegisterField Field(int address, RegisterField::Type type, double scale = 1.0, bool input = false) {
  RegisterField f;
  f.address = address, f.type = type, f.scale = scale, f.input_register = input;
  return f;
}

struct FieldCase {
  const char* name;
  RegisterField field;
  Regs regs;
  double value;
};

TEST(VendorField, DecodesAndEncodesEachType) {
  using T = RegisterField::Type;
  const FieldCase cases[] = {
      // 0xFF38 = -200 as int16; x 0.1 = -20.0
      {"int16", Field(0, T::kInt16, 0.1), {0xFF38}, -20.0},
      {"uint16", Field(0, T::kUint16), {0xFFFF}, 65535.0},
      // high word first: 0xFFFE1DC0 = -123456 as int32; x 0.001 = -123.456
      {"int32 high word first", Field(0, T::kInt32, 0.001), {0xFFFE, 0x1DC0}, -123.456},
      // 0x0001'0000 = 65536
      {"uint32 high word first", Field(0, T::kUint32), {0x0001, 0x0000}, 65536.0},
      {"uint32 max", Field(0, T::kUint32), {0xFFFF, 0xFFFF}, 4294967295.0},
      // 12.5f = 0x41480000
      {"float32", Field(0, T::kFloat32), {0x4148, 0x0000}, 12.5},
      // -0.75f = 0xBF400000; x 2 = -1.5
      {"float32 scaled", Field(0, T::kFloat32, 2.0), {0xBF40, 0x0000}, -1.5},
  };
  for (const FieldCase& c : cases) {
    auto v = DecodeField(c.field, c.regs);
    ASSERT_TRUE(v) << c.name << ": " << v.error().message;
    EXPECT_NEAR(*v, c.value, 1e-9) << c.name;
    auto regs = EncodeField(c.field, c.value);
    ASSERT_TRUE(regs) << c.name << ": " << regs.error().message;
    EXPECT_EQ(*regs, c.regs) << c.name;
  }
}

TEST(VendorField, Errors) {
  using T = RegisterField::Type;
  EXPECT_FALSE(DecodeField(Field(0, T::kInt32), Regs{1}));            // one register short
  EXPECT_FALSE(DecodeField(Field(0, T::kFloat32), Regs{0x7FC0, 0}));  // NaN
  EXPECT_FALSE(DecodeField(Field(0, T::kFloat32), Regs{0x7F80, 0}));  // +inf
  EXPECT_FALSE(EncodeField(Field(0, T::kInt16), 32768));              // above int16
  EXPECT_TRUE(EncodeField(Field(0, T::kInt16), 32767.4));             // rounds to 32767
  EXPECT_FALSE(EncodeField(Field(0, T::kUint16), -1));
  EXPECT_FALSE(EncodeField(Field(0, T::kUint32), 4294967296.0));
  EXPECT_FALSE(EncodeField(Field(0, T::kInt32, 0.0), 1));  // scale 0
  EXPECT_FALSE(EncodeField(Field(0, T::kInt16), NAN));
  EXPECT_FALSE(EncodeField(Field(0, T::kFloat32), 1e300));
  // 1 kW in 0.1 kW units = 10
  EXPECT_EQ(EncodeField(Field(0, T::kInt16, 0.1), 1.0).value(), Regs{10});
}

VendorModbusMap BatteryMap() {
  using T = RegisterField::Type;
  VendorModbusMap m;
  m.power_kw = Field(100, T::kInt32, 0.001);  // W as int32 at 100..101
  m.soc_pct = Field(102, T::kUint16, 0.1);
  m.max_charge_kw = Field(200, T::kFloat32, 1.0, /*input=*/true);
  m.setpoint_kw = Field(300, T::kInt16, 0.1);
  m.power_sign_inverted = true;  // the device says + charge
  return m;
}

TEST(VendorMap, TelemetryReadsAndDecode) {
  const VendorModbusMap map = BatteryMap();
  auto reads = VendorTelemetryReads(DeviceKind::kBattery, map);
  ASSERT_TRUE(reads) << reads.error().message;
  // power 100..101 and SoC 102 touch: one holding read of 3; the input register apart.
  EXPECT_EQ(*reads, (std::vector<RegisterRead>{{100, 3, false}, {200, 2, true}}));
  RegisterImage image;
  // power 0x0000'1388 = 5000 -> 5.000 kW charging on the device's sign -> -5 kW ours;
  // SoC 655 x 0.1 = 65.5 %; max charge 25.0f = 0x41C80000.
  image.Add(100, {0x0000, 0x1388, 655});
  image.Add(200, {0x41C8, 0x0000}, /*input=*/true);
  auto d = DecodeVendorTelemetry(DeviceKind::kBattery, map, image, kNow);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->telemetry.quality, Quality::kGood);
  EXPECT_DOUBLE_EQ(d->telemetry.power.value(), -5.0);
  EXPECT_DOUBLE_EQ(d->telemetry.soc_pct.value(), 65.5);
  EXPECT_DOUBLE_EQ(d->telemetry.max_charge->value(), 25.0);
  EXPECT_FALSE(d->telemetry.max_discharge);
  // SoC 1200 x 0.1 = 120 %: kBad.
  RegisterImage bad;
  bad.Add(100, {0, 0, 1200});
  bad.Add(200, {0, 0}, true);
  auto b = DecodeVendorTelemetry(DeviceKind::kBattery, map, bad, kNow);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->telemetry.quality, Quality::kBad);
  // A register not read: an error.
  auto missing = DecodeVendorTelemetry(DeviceKind::kBattery, map, RegisterImage(), kNow);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("power_kw"));
}

TEST(VendorMap, UnmappedPowerIsAnError) {
  auto r = VendorTelemetryReads(DeviceKind::kMeter, VendorModbusMap{});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("power_kw is not mapped"));
  VendorModbusMap out_of_range;
  out_of_range.power_kw = Field(65535, RegisterField::Type::kInt32);
  EXPECT_FALSE(VendorTelemetryReads(DeviceKind::kMeter, out_of_range));
}

TEST(VendorMap, Commands) {
  using T = RegisterField::Type;
  const VendorModbusMap battery = BatteryMap();
  // +2.5 kW discharge, device sign inverted -> -2.5 kW -> -25 in 0.1 kW = 0xFFE7
  auto b = EncodeVendorCommand(DeviceKind::kBattery, battery, RegisterImage(), BatteryAt(2.5));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(*b, (std::vector<RegisterWrite>{{300, {0xFFE7}}}));

  VendorModbusMap pv;
  pv.power_kw = Field(0, T::kUint16, 0.01);
  pv.rated_kw = Field(10, T::kUint16, 0.1);
  pv.pv_limit_kw = Field(20, T::kUint32, 0.001);
  // 7.5 kW in W = 7500 = 0x0000'1D4C
  auto cap = EncodeVendorCommand(DeviceKind::kPv, pv, RegisterImage(), PvCap(7.5));
  ASSERT_TRUE(cap) << cap.error().message;
  EXPECT_EQ(*cap, (std::vector<RegisterWrite>{{20, {0x0000, 0x1D4C}}}));
  // No cap: write the rating, read from rated_kw: 100 x 0.1 = 10 kW -> 10000 = 0x2710.
  auto reads = VendorCommandReads(DeviceKind::kPv, pv, {});
  ASSERT_TRUE(reads);
  EXPECT_EQ(*reads, (std::vector<RegisterRead>{{10, 1, false}}));
  RegisterImage image;
  image.Add(10, {100});
  auto lift = EncodeVendorCommand(DeviceKind::kPv, pv, image, {});
  ASSERT_TRUE(lift) << lift.error().message;
  EXPECT_EQ(*lift, (std::vector<RegisterWrite>{{20, {0x0000, 0x2710}}}));

  auto unmapped = EncodeVendorCommand(DeviceKind::kPv, battery, RegisterImage(), PvCap(1));
  ASSERT_FALSE(unmapped);
  EXPECT_THAT(unmapped.error().message, HasSubstr("pv_limit_kw is not mapped"));
  VendorModbusMap read_only = battery;
  read_only.setpoint_kw.input_register = true;
  EXPECT_FALSE(EncodeVendorCommand(DeviceKind::kBattery, read_only, RegisterImage(), BatteryAt(1)));
}

// A fuel cell's controller: output in 0.1 kW (int16) at 500, rating in 0.1 kW at 501, output
// setpoint in 0.1 kW (uint16) at 510; soc_pct mapped too, which a generator does not read.
VendorModbusMap GeneratorMap() {
  using T = RegisterField::Type;
  VendorModbusMap m;
  m.power_kw = Field(500, T::kInt16, 0.1);
  m.rated_kw = Field(501, T::kUint16, 0.1);
  m.soc_pct = Field(502, T::kUint16, 0.1);
  m.setpoint_kw = Field(510, T::kUint16, 0.1);
  return m;
}

TEST(VendorMap, GeneratorTelemetry) {
  VendorModbusMap map = GeneratorMap();
  auto reads = VendorTelemetryReads(DeviceKind::kGenerator, map);
  ASSERT_TRUE(reads) << reads.error().message;
  EXPECT_EQ(*reads, (std::vector<RegisterRead>{{500, 2, false}}));  // power and rating, not SoC
  RegisterImage image;
  image.Add(500, {423, 1000});  // 42.3 kW out, rated 100.0 kW
  auto d = DecodeVendorTelemetry(DeviceKind::kGenerator, map, image, kNow);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->telemetry.quality, Quality::kGood);
  EXPECT_EQ(d->telemetry.time, kNow);
  EXPECT_NEAR(d->telemetry.power.value(), 42.3, 1e-9);
  EXPECT_NEAR(d->telemetry.rated_power.value().value(), 100.0, 1e-9);
  EXPECT_FALSE(d->telemetry.soc_pct);
  EXPECT_FALSE(d->telemetry.max_charge);
  // A device that says - production: 0xFE59 = -423 -> 42.3 kW ours.
  map.power_sign_inverted = true;
  RegisterImage inverted;
  inverted.Add(500, {0xFE59, 1000});
  auto i = DecodeVendorTelemetry(DeviceKind::kGenerator, map, inverted, kNow);
  ASSERT_TRUE(i) << i.error().message;
  EXPECT_NEAR(i->telemetry.power.value(), 42.3, 1e-9);
  // 1200 kW from a 100 kW unit (more than 10x its rating): kBad.
  RegisterImage wild;
  wild.Add(500, {12000, 1000});
  auto w = DecodeVendorTelemetry(DeviceKind::kGenerator, GeneratorMap(), wild, kNow);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->telemetry.quality, Quality::kBad);
}

TEST(VendorMap, GeneratorSetpoint) {
  const VendorModbusMap map = GeneratorMap();
  const DeviceKind gen = DeviceKind::kGenerator;
  // Nothing to read first: the setpoint is written as it is.
  auto reads = VendorCommandReads(gen, map, GeneratorAt(1));
  ASSERT_TRUE(reads);
  EXPECT_TRUE(reads->empty());
  struct Case {
    const char* name;
    Command command;
    std::vector<RegisterWrite> writes;
  };
  Command both = GeneratorAt(20);
  both.battery_power = Kilowatts(5);  // not for a generator
  const Case cases[] = {
      {"37.5 kW -> 375 x 0.1 kW", GeneratorAt(37.5), {{510, {375}}}},
      {"0 = stop", GeneratorAt(0), {{510, {0}}}},
      {"negative output taken as a stop", GeneratorAt(-2), {{510, {0}}}},
      {"only the generator's field", both, {{510, {200}}}},
      {"a battery's setpoint: nothing", BatteryAt(5), {}},
      {"a PV cap: nothing", PvCap(5), {}},
      {"empty: nothing", Command{}, {}},
  };
  for (const Case& c : cases) {
    auto w = EncodeVendorCommand(gen, map, RegisterImage(), c.command);
    ASSERT_TRUE(w) << c.name << ": " << w.error().message;
    EXPECT_EQ(*w, c.writes) << c.name;
  }
  // A battery given a generator's setpoint writes nothing either.
  auto battery = EncodeVendorCommand(DeviceKind::kBattery, BatteryMap(), RegisterImage(), GeneratorAt(5));
  ASSERT_TRUE(battery);
  EXPECT_TRUE(battery->empty());

  // A device whose sign is inverted takes the setpoint in its sign, as a battery does:
  // 12.5 kW -> -125 x 0.1 kW = 0xFF83 in an int16.
  VendorModbusMap inverted = map;
  inverted.power_sign_inverted = true;
  inverted.setpoint_kw = Field(510, RegisterField::Type::kInt16, 0.1);
  auto inv = EncodeVendorCommand(gen, inverted, RegisterImage(), GeneratorAt(12.5));
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(*inv, (std::vector<RegisterWrite>{{510, {0xFF83}}}));

  // Errors: not finite, setpoint not mapped, read-only, out of the register's range.
  EXPECT_FALSE(EncodeVendorCommand(gen, map, RegisterImage(), GeneratorAt(NAN)));
  VendorModbusMap unmapped = map;
  unmapped.setpoint_kw = RegisterField{};
  auto u = EncodeVendorCommand(gen, unmapped, RegisterImage(), GeneratorAt(1));
  ASSERT_FALSE(u);
  EXPECT_THAT(u.error().message, HasSubstr("setpoint_kw is not mapped"));
  VendorModbusMap read_only = map;
  read_only.setpoint_kw.input_register = true;
  EXPECT_FALSE(EncodeVendorCommand(gen, read_only, RegisterImage(), GeneratorAt(1)));
  EXPECT_FALSE(EncodeVendorCommand(gen, map, RegisterImage(), GeneratorAt(7000)));  // 70000 > 65535
}

// A chilled-water or ice storage's plant controller: the electricity its discharge saves in
// 0.1 kW (int16, + saves / - costs) at 600, SoC in 0.01 % at 601, max charge and discharge in
// 0.1 kW of cooling at 602 and 603, the chillers' COP in 0.01 (int16) at 604, rating in kW of
// cooling at 605; the setpoint in 0.1 kW of cooling (int16, + discharge / - charge) at 610.
VendorModbusMap ThermalStorageMap() {
  using T = RegisterField::Type;
  VendorModbusMap m;
  m.power_kw = Field(600, T::kInt16, 0.1);
  m.soc_pct = Field(601, T::kUint16, 0.01);
  m.max_charge_kw = Field(602, T::kUint16, 0.1);
  m.max_discharge_kw = Field(603, T::kUint16, 0.1);
  m.cop = Field(604, T::kInt16, 0.01);
  m.rated_kw = Field(605, T::kUint16);
  m.setpoint_kw = Field(610, T::kInt16, 0.1);
  m.pv_limit_kw = Field(620, T::kUint16);  // not a thermal storage's: never read nor written
  return m;
}

// The map's registers: 12.5 kW saved, SoC 65.50 %, charge 300.0 and discharge 400.0 kW of
// cooling, COP `cop` x 0.01, rated 400 kW of cooling.
RegisterImage ThermalStorageImage(uint16_t cop = 420) {
  RegisterImage image;
  image.Add(600, {125, 6550, 3000, 4000, cop, 400});
  return image;
}

// A plant that also says the cooling it serves (uint16, kW of cooling, at 606): 2,500 kW.
TEST(VendorMap, ThermalStorageCoolingLoad) {
  VendorModbusMap map = ThermalStorageMap();
  map.cooling_load_kw = Field(606, RegisterField::Type::kUint16);
  const DeviceKind ts = DeviceKind::kThermalStorage;
  auto reads = VendorTelemetryReads(ts, map);
  ASSERT_TRUE(reads) << reads.error().message;
  EXPECT_EQ(*reads, (std::vector<RegisterRead>{{600, 7, false}}));  // 600..606 in one read
  RegisterImage image;
  image.Add(600, {125, 6550, 3000, 4000, 420, 400, 2500});
  auto d = DecodeVendorTelemetry(ts, map, image, kNow);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->telemetry.quality, Quality::kGood) << d->problem;
  EXPECT_NEAR(d->telemetry.cooling_load.value().value(), 2500, 1e-9);
  // Not a battery's: a battery's map with the register reads no cooling load.
  auto battery = VendorTelemetryReads(DeviceKind::kBattery, map);
  ASSERT_TRUE(battery);
  for (const RegisterRead& r : *battery) EXPECT_LT(r.address + r.count, 607) << r.address;
}

TEST(VendorMap, ThermalStorageTelemetry) {
  VendorModbusMap map = ThermalStorageMap();
  const DeviceKind ts = DeviceKind::kThermalStorage;
  auto reads = VendorTelemetryReads(ts, map);
  ASSERT_TRUE(reads) << reads.error().message;
  EXPECT_EQ(*reads, (std::vector<RegisterRead>{{600, 6, false}}));  // 600..605 in one read
  auto d = DecodeVendorTelemetry(ts, map, ThermalStorageImage(), kNow);
  ASSERT_TRUE(d) << d.error().message;
  const Telemetry& t = d->telemetry;
  EXPECT_EQ(t.quality, Quality::kGood) << d->problem;
  EXPECT_EQ(t.time, kNow);
  EXPECT_NEAR(t.power.value(), 12.5, 1e-9);            // 125 x 0.1 kW of electricity, + saved
  EXPECT_NEAR(t.soc_pct.value(), 65.5, 1e-9);          // 6550 x 0.01 %
  EXPECT_NEAR(t.max_charge->value(), 300.0, 1e-9);     // 3000 x 0.1 kW of cooling
  EXPECT_NEAR(t.max_discharge->value(), 400.0, 1e-9);  // 4000 x 0.1 kW of cooling
  EXPECT_NEAR(t.cop.value(), 4.2, 1e-9);               // 420 x 0.01
  EXPECT_NEAR(t.rated_power->value(), 400.0, 1e-9);    // 400 x 1 kW of cooling

  // Charging, on a device that says + charge: 0xFF83 = -125 -> -12.5 kW its sign -> +12.5 ours;
  // the COP, a ratio, is not flipped.
  map.power_sign_inverted = true;
  RegisterImage inverted;
  inverted.Add(600, {0xFF83, 6550, 3000, 4000, 420, 400});
  auto i = DecodeVendorTelemetry(ts, map, inverted, kNow);
  ASSERT_TRUE(i) << i.error().message;
  EXPECT_NEAR(i->telemetry.power.value(), 12.5, 1e-9);
  EXPECT_NEAR(i->telemetry.cop.value(), 4.2, 1e-9);

  // A COP of 0 or below is no reading: kBad, saying why. 0xFF6A = -150 -> -1.5.
  for (const auto& [raw, why] : {std::pair<uint16_t, const char*>{0, "COP 0 is not above 0"},
                                 std::pair<uint16_t, const char*>{0xFF6A, "COP -1.5 is not above 0"}}) {
    auto b = DecodeVendorTelemetry(ts, ThermalStorageMap(), ThermalStorageImage(raw), kNow);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->telemetry.quality, Quality::kBad) << why;
    EXPECT_THAT(b->problem, HasSubstr(why));
  }
  // A float32 COP that is NaN (0x7FC00000) is no number at all: an Error naming the field, as
  // for every field of a vendor map.
  VendorModbusMap float_cop = ThermalStorageMap();
  float_cop.cop = Field(700, RegisterField::Type::kFloat32);
  RegisterImage nan = ThermalStorageImage();
  nan.Add(700, {0x7FC0, 0x0000});
  auto n = DecodeVendorTelemetry(ts, float_cop, nan, kNow);
  ASSERT_FALSE(n);
  EXPECT_THAT(n.error().message, HasSubstr("cop: field at 700 is not a finite number"));
  // SoC 12000 x 0.01 = 120 %: kBad, as a battery's.
  RegisterImage soc;
  soc.Add(600, {125, 12000, 3000, 4000, 420, 400});
  auto s = DecodeVendorTelemetry(ts, ThermalStorageMap(), soc, kNow);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->telemetry.quality, Quality::kBad);
  EXPECT_THAT(s->problem, HasSubstr("SoC 120.0 % is outside 0..100"));

  // The optional fields unmapped: power and SoC only, good.
  VendorModbusMap lean;
  lean.power_kw = map.power_kw;
  lean.soc_pct = map.soc_pct;
  auto l = DecodeVendorTelemetry(ts, lean, ThermalStorageImage(), kNow);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->telemetry.quality, Quality::kGood);
  EXPECT_FALSE(l->telemetry.cop);
  EXPECT_FALSE(l->telemetry.max_charge);
  EXPECT_FALSE(l->telemetry.rated_power);

  // The COP is a thermal storage's field only: a battery over the same map reads 600..603 and
  // 605, not 604.
  auto b = VendorTelemetryReads(DeviceKind::kBattery, ThermalStorageMap());
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, (std::vector<RegisterRead>{{600, 4, false}, {605, 1, false}}));
  auto bd = DecodeVendorTelemetry(DeviceKind::kBattery, ThermalStorageMap(), ThermalStorageImage(0), kNow);
  ASSERT_TRUE(bd);
  EXPECT_FALSE(bd->telemetry.cop);
  EXPECT_EQ(bd->telemetry.quality, Quality::kGood);
}

TEST(VendorMap, ThermalStorageSetpoint) {
  const VendorModbusMap map = ThermalStorageMap();
  const DeviceKind ts = DeviceKind::kThermalStorage;
  auto reads = VendorCommandReads(ts, map, ThermalAt(1));
  ASSERT_TRUE(reads);
  EXPECT_TRUE(reads->empty());  // written as it is
  struct Case {
    const char* name;
    Command command;
    std::vector<RegisterWrite> writes;
  };
  Command both = ThermalAt(20);
  both.battery_power = Kilowatts(5);    // not for a thermal storage
  both.generator_power = Kilowatts(7);  // nor this
  const Case cases[] = {
      {"discharge 20 kW of cooling -> 200 x 0.1 kW", ThermalAt(20), {{610, {200}}}},
      {"charge 12.5 kW of cooling -> -125 = 0xFF83", ThermalAt(-12.5), {{610, {0xFF83}}}},
      {"hold", ThermalAt(0), {{610, {0}}}},
      {"only the thermal storage's field", both, {{610, {200}}}},
      {"a battery's setpoint: nothing", BatteryAt(5), {}},
      {"a generator's setpoint: nothing", GeneratorAt(5), {}},
      {"a PV cap: nothing", PvCap(5), {}},
      {"empty: nothing", Command{}, {}},
  };
  for (const Case& c : cases) {
    auto w = EncodeVendorCommand(ts, map, RegisterImage(), c.command);
    ASSERT_TRUE(w) << c.name << ": " << w.error().message;
    EXPECT_EQ(*w, c.writes) << c.name;
  }
  // A battery or a generator given a thermal storage's setpoint writes nothing.
  for (const DeviceKind kind : {DeviceKind::kBattery, DeviceKind::kGenerator}) {
    auto w = EncodeVendorCommand(kind, map, RegisterImage(), ThermalAt(5));
    ASSERT_TRUE(w);
    EXPECT_TRUE(w->empty());
  }
  // A device whose sign is inverted takes the setpoint in its sign, as a battery does:
  // discharge 20 kW -> -200 = 0xFF38.
  VendorModbusMap inverted = map;
  inverted.power_sign_inverted = true;
  auto inv = EncodeVendorCommand(ts, inverted, RegisterImage(), ThermalAt(20));
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(*inv, (std::vector<RegisterWrite>{{610, {0xFF38}}}));

  // Errors: not finite, setpoint not mapped, read-only, out of the register's range.
  EXPECT_FALSE(EncodeVendorCommand(ts, map, RegisterImage(), ThermalAt(NAN)));
  VendorModbusMap unmapped = map;
  unmapped.setpoint_kw = RegisterField{};
  auto u = EncodeVendorCommand(ts, unmapped, RegisterImage(), ThermalAt(1));
  ASSERT_FALSE(u);
  EXPECT_THAT(u.error().message, HasSubstr("setpoint_kw is not mapped"));
  VendorModbusMap read_only = map;
  read_only.setpoint_kw.input_register = true;
  EXPECT_FALSE(EncodeVendorCommand(ts, read_only, RegisterImage(), ThermalAt(1)));
  EXPECT_FALSE(EncodeVendorCommand(ts, map, RegisterImage(), ThermalAt(-4000)));  // -40000 < -32768
}

// ---- Property: any register content gives a value or an Error ----

// Checks a result: a value, or an Error that says something.
template <typename T>
void ExpectValueOrError(const Result<T>& r) {
  if (!r) {
    ASSERT_FALSE(r.error().message.empty());
  }
}

// Outcomes of the telemetry decodes, to show the property reached every path.
struct Outcomes {
  int good = 0, bad = 0, error = 0;
};

void ExpectSane(const Result<DecodedTelemetry>& d, Outcomes& seen) {
  ExpectValueOrError(d);
  if (!d) {
    ++seen.error;
    return;
  }
  if (d->telemetry.quality == Quality::kBad) {
    ++seen.bad;
    return;
  }
  ++seen.good;
  const Telemetry& t = d->telemetry;
  ASSERT_TRUE(std::isfinite(t.power.value()));
  if (t.soc_pct) {
    ASSERT_TRUE(*t.soc_pct >= 0 && *t.soc_pct <= 100);
  }
  if (t.cop) {
    ASSERT_TRUE(std::isfinite(*t.cop) && *t.cop > 0);
  }
}

TEST(SunSpecProperty, RandomImagesNeverCrash) {
  std::mt19937 rng(20240812);
  const Regs templates[] = {BatteryChain(), PvChain(), Chain({Common(), Meter(1234, 1)}),
                            Chain({Common(), Inverter(5, 0), Nameplate(100, 2, 50, 1), Storage(),
                                   Controls(500, 1, S(-1))})};
  const uint16_t specials[] = {0x0000, 0x8000, 0xFFFF, 0x7FFF, 0x0001, S(-10), S(10),
                               S(11),  124,    103,    1,      0x5375, 0x6e53};
  const Command commands[] = {BatteryAt(3), BatteryAt(-1e9), PvCap(2), GeneratorAt(4), ThermalAt(-6), {}};
  int discovered = 0;
  Outcomes seen;
  for (int i = 0; i < 100'000; ++i) {
    Regs image;
    const int mode = static_cast<int>(rng() % 4);
    if (mode == 0) {  // noise behind a marker
      image.resize(rng() % 300);
      for (uint16_t& r : image) r = static_cast<uint16_t>(rng());
      if (image.size() >= 2) image[0] = 0x5375, image[1] = 0x6e53;
    } else {  // a real chain with a few registers changed, perhaps cut short
      image = templates[rng() % std::size(templates)];
      const int mutations = 1 + static_cast<int>(rng() % 6);
      for (int m = 0; m < mutations; ++m) {
        const uint16_t v = rng() % 2 ? static_cast<uint16_t>(rng()) : specials[rng() % std::size(specials)];
        image[rng() % image.size()] = v;
      }
      if (mode == 3) image.resize(rng() % (image.size() + 1));
    }
    auto layout = DiscoverSunSpec(kBase, image);
    ExpectValueOrError(layout);
    // Model decoders on whatever lies at a random offset.
    const size_t at = image.empty() ? 0 : rng() % image.size();
    const auto tail = std::span<const uint16_t>(image).subspan(at);
    ExpectValueOrError(DecodeCommon(tail));
    ExpectValueOrError(DecodeInverterWatts(tail));
    ExpectValueOrError(DecodeMeterWatts(tail));
    ExpectValueOrError(DecodeNameplate(tail));
    ExpectValueOrError(DecodeStorage(tail));
    ExpectValueOrError(DecodeControls(tail));
    ExpectValueOrError(
        DecodeField(Field(0, static_cast<RegisterField::Type>(rng() % 5), rng() % 2 ? 1e-3 : 1e30), tail));
    if (!layout) continue;
    ++discovered;
    const RegisterImage registers = ImageOf(image);
    for (const DeviceKind kind : {DeviceKind::kMeter, DeviceKind::kPv, DeviceKind::kBattery, DeviceKind::kGenerator,
                                  DeviceKind::kThermalStorage}) {
      ExpectValueOrError(SunSpecTelemetryReads(kind, *layout));
      ExpectSane(DecodeSunSpecTelemetry(kind, *layout, registers, kNow), seen);
      const Command& command = commands[rng() % std::size(commands)];
      ExpectValueOrError(SunSpecCommandReads(kind, *layout, command));
      ExpectValueOrError(EncodeSunSpecCommand(kind, *layout, registers, command));
    }
    if (HasFatalFailure()) return;
  }
  // The property exercised the decoders, not just discovery.
  EXPECT_GT(discovered, 10'000);
  EXPECT_GT(seen.good, 1'000);
  EXPECT_GT(seen.bad, 100);
  EXPECT_GT(seen.error, 1'000);
  std::printf("discovered %d; telemetry good %d, bad %d, error %d\n", discovered, seen.good, seen.bad, seen.error);
}

}  // namespace
}  // namespace meg
