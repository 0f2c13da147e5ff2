// Modbus register maps as pure code over register values: the SunSpec model chain (discovery,
// telemetry decoding, setpoint encoding) and plain vendor maps (core/site.h VendorModbusMap).
// No I/O: the Modbus adapter (device/modbus) reads and writes the registers named here. Any
// register content gives a value or an Error (fuzzed in tests/device/sunspec_test.cc).
// Stateless functions and value types; thread-safe.
//
//   auto layout = DiscoverSunSpec(40000, reader);                 // "SunS", then models
//   auto reads = SunSpecTelemetryReads(DeviceKind::kBattery, *layout);
//   RegisterImage image;  // ... image.Add(read.address, registers) for each read ...
//   auto t = DecodeSunSpecTelemetry(DeviceKind::kBattery, *layout, image, now);
//
// Addresses are 0-based PDU addresses (SunSpec's 40001 is 40000 here). Register offsets within a
// model count from its ID register (ID = 0, L = 1), as in the SunSpec model definitions
// (github.com/sunspec/models, json/model_<id>.json).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/site.h"
#include "core/units.h"
#include "device/device.h"

namespace meg {

inline constexpr int kMaxRegistersPerRead = 125;  // Modbus FC 03/04 limit
inline constexpr int kMaxSunSpecModels = 64;      // a longer chain is treated as broken

// A read of `count` registers from `address`: holding registers (FC 03) or input (FC 04).
struct RegisterRead {
  int address = 0;
  int count = 0;
  bool input = false;
  bool operator==(const RegisterRead&) const = default;
};

// A write of `values` to consecutive holding registers from `address` (FC 16).
struct RegisterWrite {
  int address = 0;
  std::vector<uint16_t> values;
  bool operator==(const RegisterWrite&) const = default;
};

// Registers read from a device, kept as runs of consecutive registers. Spans returned by Get
// stay valid until the next Add.
class RegisterImage {
 public:
  void Add(int address, std::vector<uint16_t> values, bool input = false);
  // The `count` registers at `address`, or an Error naming the range when they were not read.
  Result<std::span<const uint16_t>> Get(int address, int count, bool input = false) const;

 private:
  struct Run {
    int address;
    bool input;
    std::vector<uint16_t> values;
  };
  std::vector<Run> runs_;
};

// Why decoded telemetry is Quality::kBad (empty when kGood), for the device's health message.
struct DecodedTelemetry {
  Telemetry telemetry;
  std::string problem;
};

// Returns `decoded` marked kBad when a value is implausible: SoC outside 0..100, a non-finite
// number, a COP (thermal storage) not above 0, or |power| above 10x the rating when one is known
// (rated_power, else the larger of max_charge and max_discharge; for thermal storage these are
// kW of cooling against its power in kW of electricity, a loose bound while the COP is above
// 0.1).
DecodedTelemetry CheckPlausible(DecodedTelemetry decoded);

// ---- SunSpec ----

// One model of the chain.
struct SunSpecModel {
  int id = 0;       // e.g. 103
  int address = 0;  // of its ID register; its registers are [address, address + 2 + length)
  int length = 0;   // L: registers after ID and L
  bool operator==(const SunSpecModel&) const = default;
};

struct SunSpecLayout {
  int base = 0;                      // address of the "SunS" marker
  std::vector<SunSpecModel> models;  // chain order; models[0] is common model 1
  // The first model with one of `ids`, or nullptr.
  const SunSpecModel* Find(std::initializer_list<int> ids) const;
  bool operator==(const SunSpecLayout&) const = default;
};

// Reads `count` (1..125) holding registers at `address`: the adapter's I/O, or an image in tests.
using RegisterReader = std::function<Result<std::vector<uint16_t>>(int address, int count)>;

// Walks the chain at `base`: the marker "SunS" (0x5375 0x6e53), then {ID, L} headers until ID
// 0xFFFF. Errors: no marker; first model not common model 1; model ID 0; a model running past
// address 65535; more than kMaxSunSpecModels models; a failed read.
Result<SunSpecLayout> DiscoverSunSpec(int base, const RegisterReader& read);
// The same over `image`, the registers from `base` on; reading past its end is an error.
Result<SunSpecLayout> DiscoverSunSpec(int base, std::span<const uint16_t> image);

// A point's value times 10^sf. nullopt when "not implemented": int16 0x8000, uint16 0xFFFF or
// sunssf 0x8000. Error when sf (int16) is outside -10..10.
Result<std::optional<double>> SunSpecInt16(uint16_t value, uint16_t sf);
Result<std::optional<double>> SunSpecUint16(uint16_t value, uint16_t sf);
// A string point: two ASCII bytes a register, high byte first; ends at the first NUL, trailing
// spaces dropped, bytes outside printable ASCII shown as '?'.
std::string SunSpecString(std::span<const uint16_t> registers);

// Model decoders. `block` holds the model's registers from its ID register on; each decoder
// checks the ID and that L and the block cover the points it reads.
struct SunSpecCommon {       // model 1
  std::string manufacturer;  // Mn
  std::string model;         // Md
  std::string serial;        // SN
};
Result<SunSpecCommon> DecodeCommon(std::span<const uint16_t> block);
// Inverter 101/102/103: AC power W in watts (+ out of the inverter). nullopt: not implemented.
Result<std::optional<double>> DecodeInverterWatts(std::span<const uint16_t> block);
// Meter 201..204: total real power W in watts (+ import). nullopt: not implemented.
Result<std::optional<double>> DecodeMeterWatts(std::span<const uint16_t> block);
struct SunSpecNameplate {  // model 120, watts; nullopt: not implemented
  std::optional<double> w_rtg;
  std::optional<double> max_cha_rte;
  std::optional<double> max_dis_cha_rte;
};
Result<SunSpecNameplate> DecodeNameplate(std::span<const uint16_t> block);
struct SunSpecStorage {             // model 124; nullopt: not implemented
  std::optional<double> w_cha_max;  // W
  uint16_t stor_ctl_mod = 0;        // bit 0 CHARGE, bit 1 DISCHARGE
  std::optional<double> cha_state;  // SoC, %
  std::optional<double> out_w_rte;  // % of WChaMax
  std::optional<double> in_w_rte;   // % of WChaMax
  std::optional<int> in_out_w_rte_sf;
};
Result<SunSpecStorage> DecodeStorage(std::span<const uint16_t> block);
struct SunSpecControls {                // model 123
  std::optional<double> w_max_lim_pct;  // % of WMax; nullopt: not implemented
  bool w_max_lim_enabled = false;       // WMaxLim_Ena == 1
  std::optional<int> w_max_lim_pct_sf;
};
Result<SunSpecControls> DecodeControls(std::span<const uint16_t> block);

// Ok for the kinds SunSpec serves (meter, PV, battery). Error for a generator (no SunSpec model
// sets its output) and a thermal storage (no SunSpec model describes cold storage): they speak a
// vendor map (the site file refuses sunspec = true for them).
Status SunSpecSupports(DeviceKind kind);

// The reads that DecodeSunSpecTelemetry needs, merged into requests of at most 125 registers.
// Required models: meter 201..204; PV 101..103; battery 101..103 and 124. Nameplate 120 is read
// when present. Error when a required model is missing, or SunSpecSupports(kind) fails.
Result<std::vector<RegisterRead>> SunSpecTelemetryReads(DeviceKind kind, const SunSpecLayout& layout);
// Telemetry at `now` from `image` (read per SunSpecTelemetryReads): meter and PV power from W,
// battery power from its inverter's W (+ discharge), SoC from ChaState, max charge/discharge from
// WChaMax (MaxDisChaRte when model 120 has it), rating from WRtg. A required value not implemented
// or implausible: Quality::kBad with the problem. Error when the image does not hold a model or a
// model's ID or L differ from `layout` (the device changed its layout: rediscover).
// `power_sign_inverted` flips the power (VendorModbusMap's flag, for a meter wired backwards).
Result<DecodedTelemetry> DecodeSunSpecTelemetry(DeviceKind kind, const SunSpecLayout& layout,
                                                const RegisterImage& image, Instant now,
                                                bool power_sign_inverted = false);

// The reads that EncodeSunSpecCommand needs for `command` (battery: model 124; PV: 123 and 120).
// Error when SunSpecSupports(kind) fails (a generator, a thermal storage), whatever the command.
Result<std::vector<RegisterRead>> SunSpecCommandReads(DeviceKind kind, const SunSpecLayout& layout,
                                                      const Command& command);
// Register writes for `command`, in order. Battery (model 124), power p clamped to +-WChaMax:
//   p > 0: OutWRte = p / WChaMax in %, InWRte = 0, then StorCtl_Mod = 2 (DISCHARGE bit);
//   p < 0: OutWRte = 0, InWRte = |p| / WChaMax in %, then StorCtl_Mod = 1 (CHARGE bit);
//   p = 0: both 0, then StorCtl_Mod = 3 (both limits at 0: hold).
// PV (model 123): cap c: WMaxLimPct = c / WRtg in % (clamped to 0..100), then WMaxLim_Ena = 1;
// no cap: WMaxLim_Ena = 0. Meter, or nothing to do: no writes. Error when a needed value is not
// implemented (WChaMax, InOutWRte_SF, WMaxLimPct_SF, WRtg), a setpoint is not finite, or
// SunSpecSupports(kind) fails.
Result<std::vector<RegisterWrite>> EncodeSunSpecCommand(DeviceKind kind, const SunSpecLayout& layout,
                                                        const RegisterImage& image, const Command& command);

// ---- Plain vendor maps ----

// Registers a field takes: 1 (int16, uint16) or 2 (int32, uint32, float32; high word first).
int RegisterCount(RegisterField::Type type);
// The engineering value raw * scale of `field` from its registers. Error: too few registers, or
// a float32 that is not finite.
Result<double> DecodeField(const RegisterField& field, std::span<const uint16_t> registers);
// The registers that hold `value` (engineering) in `field`: value / scale, rounded for integer
// types. Error: scale 0, a value not finite or outside the type's range.
Result<std::vector<uint16_t>> EncodeField(const RegisterField& field, double value);

// The reads for `kind`'s mapped fields, adjacent fields merged. Error when power_kw is not
// mapped or a field lies outside 0..65535.
Result<std::vector<RegisterRead>> VendorTelemetryReads(DeviceKind kind, const VendorModbusMap& map);
// Telemetry at `now` from `image`: power_kw (sign flipped when power_sign_inverted), and for a
// battery or a thermal storage soc_pct, max_charge_kw, max_discharge_kw (magnitudes); for a
// thermal storage also cop and cooling_load_kw (its power is kW of electricity, + saved by discharging / - spent
// charging; its SoC and limits are of cooling); rated_kw (a magnitude) for every kind but a
// meter. Optional fields that are not mapped stay empty (the site file requires soc_pct of a
// battery and a thermal storage). Implausible values (CheckPlausible): Quality::kBad.
Result<DecodedTelemetry> DecodeVendorTelemetry(DeviceKind kind, const VendorModbusMap& map, const RegisterImage& image,
                                               Instant now);
// The reads EncodeVendorCommand needs: rated_kw when a PV cap is lifted.
Result<std::vector<RegisterRead>> VendorCommandReads(DeviceKind kind, const VendorModbusMap& map,
                                                     const Command& command);
// Writes for `command`: setpoint_kw for a battery (battery_power, + discharge), a generator
// (generator_power, + production, a negative output taken as 0 = stop) or a thermal storage
// (thermal_power, kW of cooling, + discharge / - charge), flipped when power_sign_inverted; PV
// pv_limit_kw, a negative cap taken as 0 (no cap: the rating read from rated_kw). A command
// without the kind's field: no writes. Error when the field is not mapped.
Result<std::vector<RegisterWrite>> EncodeVendorCommand(DeviceKind kind, const VendorModbusMap& map,
                                                       const RegisterImage& image, const Command& command);

}  // namespace meg
