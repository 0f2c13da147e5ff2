// Modbus register decoding (device/sunspec): the input is a register image, two bytes a register,
// high byte first, from the SunSpec base address 40000 on. The SunSpec chain is discovered in it;
// when one is found, each device kind's telemetry is decoded from the registers its reads name
// (reads past the image's end are left out, as a failed read) and a command is encoded. The model
// decoders and a plain vendor map (its fields at addresses taken from the image) run on the same
// registers. Every result is a value or an Error; good telemetry is finite with SoC in 0..100 and
// a COP, when there is one, above 0.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "device/sunspec.h"

#include "fuzz_check.h"

namespace meg {
namespace {

constexpr int kBase = 40000;

void Fail(const char* what) {
  std::fprintf(stderr, "fuzz: %s\n", what);
  std::abort();
}

void CheckTelemetry(const Result<DecodedTelemetry>& d) {
  fuzz::CheckValueOrError(d);
  if (!d || d->telemetry.quality == Quality::kBad) return;
  const Telemetry& t = d->telemetry;
  if (!std::isfinite(t.power.value())) Fail("good telemetry with a power that is not finite");
  if (t.soc_pct && !(*t.soc_pct >= 0 && *t.soc_pct <= 100)) Fail("good telemetry with SoC outside 0..100");
  if (t.cop && !(std::isfinite(*t.cop) && *t.cop > 0)) Fail("good telemetry with a COP not above 0");
  if (t.cooling_load && !(std::isfinite(t.cooling_load->value()) && t.cooling_load->value() >= 0)) {
    Fail("good telemetry with a cooling load below 0");
  }
}

void CheckWrites(const Result<std::vector<RegisterWrite>>& writes) {
  fuzz::CheckValueOrError(writes);
  if (!writes) return;
  for (const RegisterWrite& w : *writes) {
    if (w.address < 0 || w.values.empty() || w.address + static_cast<int>(w.values.size()) > 65536) {
      Fail("a register write outside 0..65535");
    }
  }
}

// The registers of `reads` that lie inside `regs` (which starts at `start`).
RegisterImage ImageFor(const std::vector<RegisterRead>& reads, std::span<const uint16_t> regs, int start) {
  RegisterImage image;
  for (const RegisterRead& r : reads) {
    const long from = static_cast<long>(r.address) - start;
    if (from < 0 || r.count < 0 || from + r.count > static_cast<long>(regs.size())) continue;
    const auto slice = regs.subspan(static_cast<size_t>(from), static_cast<size_t>(r.count));
    image.Add(r.address, std::vector<uint16_t>(slice.begin(), slice.end()), r.input);
  }
  return image;
}

}  // namespace
}  // namespace meg

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  std::vector<uint16_t> regs(size / 2);
  for (size_t i = 0; i < regs.size(); ++i) regs[i] = static_cast<uint16_t>(data[2 * i] << 8 | data[2 * i + 1]);
  const std::span<const uint16_t> all(regs);
  const Instant now{std::chrono::milliseconds{1'723'438'800'000}};  // 2024-08-12 14:00 KST
  const Command commands[] = {{.battery_power = Kilowatts(3)}, {.battery_power = Kilowatts(-1e9)},
                              {.battery_power = Kilowatts(0)}, {.pv_limit = Kilowatts(2)},
                              {.pv_limit = Kilowatts(-1)},     {.thermal_power = Kilowatts(-4)},
                              {.thermal_power = Kilowatts(6)}, {}};
  const size_t pick = size % std::size(commands);

  // The model decoders on every model-sized tail at the model headers the chain walk would see.
  for (size_t at = 0; at < regs.size(); at += 1 + regs[at] % 97) {
    const auto tail = all.subspan(at);
    fuzz::CheckValueOrError(DecodeCommon(tail));
    fuzz::CheckValueOrError(DecodeInverterWatts(tail));
    fuzz::CheckValueOrError(DecodeMeterWatts(tail));
    fuzz::CheckValueOrError(DecodeNameplate(tail));
    fuzz::CheckValueOrError(DecodeStorage(tail));
    fuzz::CheckValueOrError(DecodeControls(tail));
  }

  auto layout = DiscoverSunSpec(kBase, all);
  fuzz::CheckValueOrError(layout);
  if (layout) {
    for (const DeviceKind kind : {DeviceKind::kMeter, DeviceKind::kPv, DeviceKind::kBattery, DeviceKind::kGenerator,
                                  DeviceKind::kThermalStorage}) {
      auto reads = SunSpecTelemetryReads(kind, *layout);
      fuzz::CheckValueOrError(reads);
      if (!reads) continue;
      for (const RegisterRead& r : *reads) {
        if (r.count < 1 || r.count > kMaxRegistersPerRead || r.address < 0 || r.address + r.count > 65536) {
          Fail("a telemetry read outside 1..125 registers or 0..65535");
        }
      }
      const RegisterImage image = ImageFor(*reads, all, kBase);
      CheckTelemetry(DecodeSunSpecTelemetry(kind, *layout, image, now));
      CheckTelemetry(DecodeSunSpecTelemetry(kind, *layout, image, now, /*power_sign_inverted=*/true));
      auto command_reads = SunSpecCommandReads(kind, *layout, commands[pick]);
      fuzz::CheckValueOrError(command_reads);
      if (command_reads) {
        CheckWrites(EncodeSunSpecCommand(kind, *layout, ImageFor(*command_reads, all, kBase), commands[pick]));
      }
    }
  }

  // A plain vendor map whose fields lie at the addresses (0..255) and types the first registers say,
  // over the same registers seen from address 0.
  if (regs.size() >= 7) {
    const double scales[] = {1, 0.001, 0.1, 1e30, -1};
    auto field = [&](int i) {
      return RegisterField{.address = regs[i] % 256,
                           .type = static_cast<RegisterField::Type>(regs[i] / 256 % 5),
                           .scale = scales[regs[i] / 1280 % 5]};
    };
    const VendorModbusMap map{.power_kw = field(0),
                              .soc_pct = field(1),
                              .max_charge_kw = field(2),
                              .max_discharge_kw = field(3),
                              .rated_kw = field(4),
                              .setpoint_kw = field(5),
                              .pv_limit_kw = field(6),
                              .cop = regs.size() >= 8 ? field(7) : RegisterField{},
                              .cooling_load_kw = regs.size() >= 9 ? field(8) : RegisterField{},
                              .power_sign_inverted = (regs[0] & 1) != 0};
    for (const DeviceKind kind : {DeviceKind::kMeter, DeviceKind::kPv, DeviceKind::kBattery, DeviceKind::kGenerator,
                                  DeviceKind::kThermalStorage}) {
      auto reads = VendorTelemetryReads(kind, map);
      fuzz::CheckValueOrError(reads);
      if (reads) CheckTelemetry(DecodeVendorTelemetry(kind, map, ImageFor(*reads, all, 0), now));
      auto command_reads = VendorCommandReads(kind, map, commands[pick]);
      fuzz::CheckValueOrError(command_reads);
      if (command_reads) {
        CheckWrites(EncodeVendorCommand(kind, map, ImageFor(*command_reads, all, 0), commands[pick]));
      }
    }
  }
  return 0;
}
