#include "device/sunspec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <utility>

namespace meg {
namespace {

constexpr int kAddressSpace = 65536;
constexpr uint16_t kEndId = 0xFFFF;
constexpr uint16_t kNotImplementedInt16 = 0x8000;
constexpr uint16_t kNotImplementedUint16 = 0xFFFF;
constexpr int kMaxScaleFactor = 10;  // SunSpec: sunssf in -10..10
constexpr double kImplausibleFactor = 10.0;

// ---- Register offsets from the model's ID register (github.com/sunspec/models, json/) ----
// Model 1 (common), model_1.json: ID 0, L 1, Mn[16] 2, Md[16] 18, Opt[8] 34, Vr[8] 42,
// SN[16] 50, DA 66, Pad 67.
constexpr int kCommonMn = 2, kCommonMd = 18, kCommonSn = 50, kCommonStringLen = 16;
// Models 101/102/103 (inverter, int + sunssf), model_10x.json: A 2, AphA..C 3..5, A_SF 6,
// PPVphAB..CA 7..9, PhVphA..C 10..12, V_SF 13, W 14, W_SF 15, Hz 16, ...
constexpr int kInverterW = 14, kInverterWSf = 15;
// Models 201..204 (meter), model_20x.json: A 2, AphA..C 3..5, A_SF 6, PhV 7, PhVphA..C 8..10,
// PPV 11, PPVphAB..CA 12..14, V_SF 15, Hz 16, Hz_SF 17, W 18, WphA..C 19..21, W_SF 22, ...
constexpr int kMeterW = 18, kMeterWSf = 22;
// Model 120 (nameplate), model_120.json: DERTyp 2, WRtg 3, WRtg_SF 4, VARtg 5, VARtg_SF 6,
// VArRtgQ1..4 7..10, VArRtg_SF 11, ARtg 12, ARtg_SF 13, PFRtgQ1..4 14..17, PFRtg_SF 18,
// WHRtg 19, WHRtg_SF 20, AhrRtg 21, AhrRtg_SF 22, MaxChaRte 23, MaxChaRte_SF 24,
// MaxDisChaRte 25, MaxDisChaRte_SF 26, Pad 27.
constexpr int kNameplateWRtg = 3, kNameplateWRtgSf = 4, kNameplateMaxChaRte = 23, kNameplateMaxChaRteSf = 24,
              kNameplateMaxDisChaRte = 25, kNameplateMaxDisChaRteSf = 26;
// Model 123 (immediate controls), model_123.json: Conn_WinTms 2, Conn_RvrtTms 3, Conn 4,
// WMaxLimPct 5, WMaxLimPct_WinTms 6, WMaxLimPct_RvrtTms 7, WMaxLimPct_RmpTms 8, WMaxLim_Ena 9,
// OutPFSet 10, ..., VArPct_Ena 22, WMaxLimPct_SF 23, OutPFSet_SF 24, VArPct_SF 25.
constexpr int kControlsWMaxLimPct = 5, kControlsWMaxLimEna = 9, kControlsWMaxLimPctSf = 23;
// Model 124 (storage), model_124.json: WChaMax 2, WChaGra 3, WDisChaGra 4, StorCtl_Mod 5,
// VAChaMax 6, MinRsvPct 7, ChaState 8, StorAval 9, InBatV 10, ChaSt 11, OutWRte 12, InWRte 13,
// InOutWRte_WinTms 14, InOutWRte_RvrtTms 15, InOutWRte_RmpTms 16, ChaGriSet 17, WChaMax_SF 18,
// WChaDisChaGra_SF 19, VAChaMax_SF 20, MinRsvPct_SF 21, ChaState_SF 22, StorAval_SF 23,
// InBatV_SF 24, InOutWRte_SF 25.
constexpr int kStorageWChaMax = 2, kStorageStorCtlMod = 5, kStorageChaState = 8, kStorageOutWRte = 12,
              kStorageInWRte = 13, kStorageWChaMaxSf = 18, kStorageChaStateSf = 22, kStorageInOutWRteSf = 25;
constexpr uint16_t kStorCtlCharge = 1 << 0, kStorCtlDischarge = 1 << 1;

// Registers each decoder reads from a model (last offset + 1).
constexpr int kCommonNeed = kCommonSn + kCommonStringLen;
constexpr int kInverterNeed = kInverterWSf + 1;
constexpr int kMeterNeed = kMeterWSf + 1;
constexpr int kNameplateNeed = kNameplateMaxDisChaRteSf + 1;
constexpr int kControlsNeed = kControlsWMaxLimPctSf + 1;
constexpr int kStorageNeed = kStorageInOutWRteSf + 1;

constexpr std::initializer_list<int> kInverterIds = {101, 102, 103};
constexpr std::initializer_list<int> kMeterIds = {201, 202, 203, 204};
constexpr int kCommonId = 1, kNameplateId = 120, kControlsId = 123, kStorageId = 124;

int16_t AsInt16(uint16_t raw) { return static_cast<int16_t>(raw); }

// A model's registers with bounds checked once: Open fails unless the ID is one of `ids` and
// both L and the registers read cover offsets [0, need).
class Block {
 public:
  static Result<Block> Open(std::span<const uint16_t> regs, std::initializer_list<int> ids, int need) {
    if (regs.size() < 2) return InvalidInput("model block has fewer than 2 registers");
    const int id = regs[0];
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
      return InvalidInput(fmt::format("model ID {} where model {} was expected", id, fmt::join(ids, "/")));
    }
    const int length = regs[1];
    if (2 + length < need) {
      return InvalidInput(fmt::format("model {} has L = {}, too short: its points need L >= {}", id, length, need - 2));
    }
    if (static_cast<int>(regs.size()) < need) {
      return InvalidInput(fmt::format("model {}: {} registers read, {} needed", id, regs.size(), need));
    }
    return Block(regs.first(need));
  }
  uint16_t at(int offset) const { return regs_[offset]; }
  std::span<const uint16_t> sub(int offset, int count) const { return regs_.subspan(offset, count); }
  int id() const { return regs_[0]; }

 private:
  explicit Block(std::span<const uint16_t> regs) : regs_(regs) {}
  std::span<const uint16_t> regs_;
};

Result<std::optional<int>> ScaleFactor(uint16_t raw) {
  if (raw == kNotImplementedInt16) return std::optional<int>();
  const int sf = AsInt16(raw);
  if (sf < -kMaxScaleFactor || sf > kMaxScaleFactor) {
    return InvalidInput(fmt::format("scale factor {} is outside -10..10", sf));
  }
  return std::optional<int>(sf);
}

Result<std::optional<double>> Scaled(std::optional<double> value, uint16_t sf_raw) {
  MEG_TRY_ASSIGN(sf, ScaleFactor(sf_raw));
  if (!value || !sf) return std::optional<double>();
  return std::optional<double>(*value * std::pow(10.0, *sf));
}

// Prefixes an error with where it happened.
Error In(const SunSpecModel& m, const Error& e) {
  return Error{e.code, fmt::format("SunSpec model {} at {}: {}", m.id, m.address, e.message)};
}

// Error text of a point: "W_SF: scale factor 99 is outside -10..10".
template <typename T>
Result<T> Named(const char* point, Result<T> r) {
  if (r) return r;
  return Error{r.error().code, fmt::format("{}: {}", point, r.error().message)};
}

// Merges reads of the same table when the result stays within 125 registers; with `gaps`,
// also across unread registers between them (safe inside a SunSpec chain, whose registers are
// all readable).
std::vector<RegisterRead> Merge(std::vector<RegisterRead> reads, bool gaps) {
  std::sort(reads.begin(), reads.end(), [](const RegisterRead& a, const RegisterRead& b) {
    return std::pair(a.input, a.address) < std::pair(b.input, b.address);
  });
  std::vector<RegisterRead> out;
  for (const RegisterRead& r : reads) {
    if (!out.empty()) {
      RegisterRead& last = out.back();
      const int end = std::max(last.address + last.count, r.address + r.count);
      const bool touches = r.address <= last.address + last.count;
      if (last.input == r.input && (gaps || touches) && end - last.address <= kMaxRegistersPerRead) {
        last.count = end - last.address;
        continue;
      }
    }
    out.push_back(r);
  }
  return out;
}

// The read of a model's first `need` registers (fewer if L is shorter: the decoder reports it).
RegisterRead ModelRead(const SunSpecModel& m, int need) {
  return RegisterRead{m.address, std::min(need, 2 + m.length), false};
}

// The model's registers from `image`, checked against the layout: a different ID or L means
// the device's layout changed since discovery.
Result<std::span<const uint16_t>> ModelRegisters(const SunSpecModel& m, int need, const RegisterImage& image) {
  const RegisterRead r = ModelRead(m, need);
  auto regs = image.Get(r.address, r.count);
  if (!regs) return In(m, regs.error());
  if ((*regs)[0] != m.id || (*regs)[1] != m.length) {
    return In(m, InvalidInput(fmt::format("found ID {} L {} instead of L {}: the device changed "
                                          "its SunSpec layout",
                                          (*regs)[0], (*regs)[1], m.length)));
  }
  return regs;
}

std::string JoinProblem(std::string a, const std::string& b) {
  if (a.empty()) return b;
  return a + "; " + b;
}

Kilowatts KwFromW(double w) { return Kilowatts(w / 1000.0); }

}  // namespace

// ---- RegisterImage ----

void RegisterImage::Add(int address, std::vector<uint16_t> values, bool input) {
  runs_.push_back(Run{address, input, std::move(values)});
}

Result<std::span<const uint16_t>> RegisterImage::Get(int address, int count, bool input) const {
  if (count > 0) {
    for (const Run& run : runs_) {
      const long offset = static_cast<long>(address) - run.address;
      if (run.input == input && offset >= 0 && offset + count <= static_cast<long>(run.values.size())) {
        return std::span<const uint16_t>(run.values).subspan(offset, count);
      }
    }
  }
  return InvalidInput(
      fmt::format("{} registers {}..{} were not read", input ? "input" : "holding", address, address + count - 1));
}

DecodedTelemetry CheckPlausible(DecodedTelemetry d) {
  Telemetry& t = d.telemetry;
  auto bad = [&](const std::string& why) {
    t.quality = Quality::kBad;
    d.problem = JoinProblem(std::move(d.problem), why);
  };
  const double p = t.power.value();
  if (!std::isfinite(p)) bad("power is not a finite number");
  if (t.soc_pct && !(*t.soc_pct >= 0.0 && *t.soc_pct <= 100.0)) {
    bad(fmt::format("SoC {:.1f} % is outside 0..100", *t.soc_pct));
  }
  // A chiller's COP is kW of cooling per kW of electricity: 0 or below is no reading.
  if (t.cop && !(std::isfinite(*t.cop) && *t.cop > 0.0)) bad(fmt::format("COP {} is not above 0", *t.cop));
  if (t.cooling_load && !(std::isfinite(t.cooling_load->value()) && t.cooling_load->value() >= 0.0)) {
    bad(fmt::format("cooling load {} kW is below 0", t.cooling_load->value()));
  }
  double rating = 0;
  if (t.rated_power) {
    rating = t.rated_power->value();
  } else {
    if (t.max_charge) rating = std::max(rating, t.max_charge->value());
    if (t.max_discharge) rating = std::max(rating, t.max_discharge->value());
  }
  if (std::isfinite(p) && std::isfinite(rating) && rating > 0 && std::abs(p) > kImplausibleFactor * rating) {
    bad(fmt::format("power {:.3f} kW is more than 10x the rating {:.3f} kW", p, rating));
  }
  return d;
}

// ---- SunSpec ----

const SunSpecModel* SunSpecLayout::Find(std::initializer_list<int> ids) const {
  for (const SunSpecModel& m : models) {
    if (std::find(ids.begin(), ids.end(), m.id) != ids.end()) return &m;
  }
  return nullptr;
}

Result<SunSpecLayout> DiscoverSunSpec(int base, const RegisterReader& read) {
  if (base < 0 || base + 2 > kAddressSpace) {
    return InvalidInput(fmt::format("SunSpec base {} is outside 0..65533", base));
  }
  auto header = [&](int address) -> Result<std::vector<uint16_t>> {
    auto regs = read(address, 2);
    if (regs && regs->size() != 2) {
      return IoError(fmt::format("read of 2 registers at {} gave {}", address, regs->size()));
    }
    return regs;
  };
  MEG_TRY_ASSIGN(marker, header(base));
  if (marker[0] != 0x5375 || marker[1] != 0x6e53) {
    return InvalidInput(
        fmt::format("no SunSpec marker \"SunS\" (0x5375 0x6e53) at {}: found "
                    "0x{:04x} 0x{:04x}",
                    base, marker[0], marker[1]));
  }
  SunSpecLayout layout;
  layout.base = base;
  int address = base + 2;
  for (int i = 0; i <= kMaxSunSpecModels; ++i) {
    if (address + 2 > kAddressSpace) {
      return InvalidInput(fmt::format("SunSpec chain runs past register 65535 after {} models", layout.models.size()));
    }
    MEG_TRY_ASSIGN(regs, header(address));
    const int id = regs[0], length = regs[1];
    if (id == kEndId) {
      if (layout.models.empty()) {
        return InvalidInput(fmt::format("SunSpec chain at {} has no models", base));
      }
      return layout;
    }
    if (i == kMaxSunSpecModels) break;
    if (id == 0) {
      return InvalidInput(fmt::format("SunSpec chain broken at {}: model ID 0", address));
    }
    if (layout.models.empty() && id != kCommonId) {
      return InvalidInput(
          fmt::format("SunSpec chain at {} starts with model {}, not common "
                      "model 1",
                      address, id));
    }
    if (address + 2 + length > kAddressSpace) {
      return InvalidInput(
          fmt::format("SunSpec model {} at {} has L = {}: runs past register "
                      "65535",
                      id, address, length));
    }
    layout.models.push_back(SunSpecModel{id, address, length});
    address += 2 + length;
  }
  return InvalidInput(
      fmt::format("SunSpec chain at {} has more than {} models and no end "
                  "marker",
                  base, kMaxSunSpecModels));
}

Result<SunSpecLayout> DiscoverSunSpec(int base, std::span<const uint16_t> image) {
  return DiscoverSunSpec(base, [&](int address, int count) -> Result<std::vector<uint16_t>> {
    const long offset = static_cast<long>(address) - base;
    if (count < 1 || offset < 0 || offset + count > static_cast<long>(image.size())) {
      return IoError(fmt::format("registers {}..{} are outside the image", address, address + count - 1));
    }
    const auto sub = image.subspan(offset, count);
    return std::vector<uint16_t>(sub.begin(), sub.end());
  });
}

Result<std::optional<double>> SunSpecInt16(uint16_t value, uint16_t sf) {
  if (value == kNotImplementedInt16) return Scaled(std::nullopt, sf);
  return Scaled(static_cast<double>(AsInt16(value)), sf);
}

Result<std::optional<double>> SunSpecUint16(uint16_t value, uint16_t sf) {
  if (value == kNotImplementedUint16) return Scaled(std::nullopt, sf);
  return Scaled(static_cast<double>(value), sf);
}

std::string SunSpecString(std::span<const uint16_t> registers) {
  std::string s;
  for (size_t i = 0; i < 2 * registers.size(); ++i) {
    const int c = i % 2 == 0 ? registers[i / 2] >> 8 : registers[i / 2] & 0xFF;
    if (c == 0) break;
    s.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

Result<SunSpecCommon> DecodeCommon(std::span<const uint16_t> regs) {
  MEG_TRY_ASSIGN(b, Block::Open(regs, {kCommonId}, kCommonNeed));
  return SunSpecCommon{SunSpecString(b.sub(kCommonMn, kCommonStringLen)),
                       SunSpecString(b.sub(kCommonMd, kCommonStringLen)),
                       SunSpecString(b.sub(kCommonSn, kCommonStringLen))};
}

Result<std::optional<double>> DecodeInverterWatts(std::span<const uint16_t> regs) {
  MEG_TRY_ASSIGN(b, Block::Open(regs, kInverterIds, kInverterNeed));
  return Named("W_SF", SunSpecInt16(b.at(kInverterW), b.at(kInverterWSf)));
}

Result<std::optional<double>> DecodeMeterWatts(std::span<const uint16_t> regs) {
  MEG_TRY_ASSIGN(b, Block::Open(regs, kMeterIds, kMeterNeed));
  return Named("W_SF", SunSpecInt16(b.at(kMeterW), b.at(kMeterWSf)));
}

Result<SunSpecNameplate> DecodeNameplate(std::span<const uint16_t> regs) {
  MEG_TRY_ASSIGN(b, Block::Open(regs, {kNameplateId}, kNameplateNeed));
  MEG_TRY_ASSIGN(w_rtg, Named("WRtg_SF", SunSpecUint16(b.at(kNameplateWRtg), b.at(kNameplateWRtgSf))));
  MEG_TRY_ASSIGN(cha, Named("MaxChaRte_SF", SunSpecUint16(b.at(kNameplateMaxChaRte), b.at(kNameplateMaxChaRteSf))));
  MEG_TRY_ASSIGN(dis,
                 Named("MaxDisChaRte_SF", SunSpecUint16(b.at(kNameplateMaxDisChaRte), b.at(kNameplateMaxDisChaRteSf))));
  return SunSpecNameplate{w_rtg, cha, dis};
}

Result<SunSpecStorage> DecodeStorage(std::span<const uint16_t> regs) {
  MEG_TRY_ASSIGN(b, Block::Open(regs, {kStorageId}, kStorageNeed));
  SunSpecStorage s;
  MEG_TRY_ASSIGN(w_cha_max, Named("WChaMax_SF", SunSpecUint16(b.at(kStorageWChaMax), b.at(kStorageWChaMaxSf))));
  MEG_TRY_ASSIGN(cha_state, Named("ChaState_SF", SunSpecUint16(b.at(kStorageChaState), b.at(kStorageChaStateSf))));
  MEG_TRY_ASSIGN(out, Named("InOutWRte_SF", SunSpecInt16(b.at(kStorageOutWRte), b.at(kStorageInOutWRteSf))));
  MEG_TRY_ASSIGN(in, Named("InOutWRte_SF", SunSpecInt16(b.at(kStorageInWRte), b.at(kStorageInOutWRteSf))));
  MEG_TRY_ASSIGN(rte_sf, Named("InOutWRte_SF", ScaleFactor(b.at(kStorageInOutWRteSf))));
  s.w_cha_max = w_cha_max;
  s.stor_ctl_mod = b.at(kStorageStorCtlMod);
  s.cha_state = cha_state;
  s.out_w_rte = out;
  s.in_w_rte = in;
  s.in_out_w_rte_sf = rte_sf;
  return s;
}

Result<SunSpecControls> DecodeControls(std::span<const uint16_t> regs) {
  MEG_TRY_ASSIGN(b, Block::Open(regs, {kControlsId}, kControlsNeed));
  MEG_TRY_ASSIGN(pct, Named("WMaxLimPct_SF", SunSpecUint16(b.at(kControlsWMaxLimPct), b.at(kControlsWMaxLimPctSf))));
  MEG_TRY_ASSIGN(sf, Named("WMaxLimPct_SF", ScaleFactor(b.at(kControlsWMaxLimPctSf))));
  return SunSpecControls{pct, b.at(kControlsWMaxLimEna) == 1, sf};
}

Status SunSpecSupports(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kMeter:
    case DeviceKind::kPv:
    case DeviceKind::kBattery: return Ok{};
    case DeviceKind::kGenerator:
      // SunSpec has no model that sets a dispatchable generator's output (an inverter's model 123
      // only caps it).
      return InvalidInput(
          "a generator cannot be driven over SunSpec (no SunSpec model sets its output): use a "
          "vendor map (sunspec = false, registers.power_kw and registers.setpoint_kw)");
    case DeviceKind::kThermalStorage:
      // SunSpec's models are of electric DER (inverters, batteries, meters); none holds a stock
      // of cooling or a chiller's COP.
      return InvalidInput(
          "a thermal storage cannot be driven over SunSpec (no SunSpec model describes cold "
          "storage): use a vendor map (sunspec = false, registers.power_kw, registers.soc_pct and "
          "registers.setpoint_kw)");
  }
  return InvalidInput("unknown device kind");
}

namespace {

// The models `kind` reads, with how many registers of each; nullptr entries are optional
// models the device lacks.
struct Needed {
  const SunSpecModel* model;
  int need;
};

Result<std::vector<Needed>> TelemetryModels(DeviceKind kind, const SunSpecLayout& layout) {
  MEG_TRY(SunSpecSupports(kind));
  std::vector<Needed> out;
  const SunSpecModel* inverter = layout.Find(kInverterIds);
  switch (kind) {
    case DeviceKind::kMeter: {
      const SunSpecModel* meter = layout.Find(kMeterIds);
      if (!meter) return InvalidInput("SunSpec layout has no meter model 201..204");
      out.push_back({meter, kMeterNeed});
      return out;
    }
    case DeviceKind::kBattery: {
      const SunSpecModel* storage = layout.Find({kStorageId});
      if (!storage) return InvalidInput("SunSpec layout has no storage model 124");
      out.push_back({storage, kStorageNeed});
      [[fallthrough]];
    }
    case DeviceKind::kPv:
      if (!inverter) return InvalidInput("SunSpec layout has no inverter model 101..103");
      out.push_back({inverter, kInverterNeed});
      out.push_back({layout.Find({kNameplateId}), kNameplateNeed});
      return out;
    case DeviceKind::kGenerator:
    case DeviceKind::kThermalStorage: break;  // refused by SunSpecSupports
  }
  return InvalidInput("unknown device kind");
}

std::vector<RegisterRead> ReadsOf(const std::vector<Needed>& models) {
  std::vector<RegisterRead> reads;
  for (const Needed& n : models) {
    if (n.model) reads.push_back(ModelRead(*n.model, n.need));
  }
  return Merge(std::move(reads), /*gaps=*/true);
}

// Decodes one model of the layout from the image; errors name the model and its address.
template <typename T>
Result<T> DecodeModel(const SunSpecModel& m, int need, const RegisterImage& image,
                      Result<T> (*decode)(std::span<const uint16_t>)) {
  auto regs = ModelRegisters(m, need, image);
  if (!regs) return regs.error();
  auto r = decode(*regs);
  if (!r) return In(m, r.error());
  return r;
}

}  // namespace

Result<std::vector<RegisterRead>> SunSpecTelemetryReads(DeviceKind kind, const SunSpecLayout& layout) {
  MEG_TRY_ASSIGN(models, TelemetryModels(kind, layout));
  return ReadsOf(models);
}

Result<DecodedTelemetry> DecodeSunSpecTelemetry(DeviceKind kind, const SunSpecLayout& layout,
                                                const RegisterImage& image, Instant now, bool power_sign_inverted) {
  MEG_TRY_ASSIGN(models, TelemetryModels(kind, layout));
  DecodedTelemetry d;
  d.telemetry.time = now;
  std::optional<double> watts;
  if (kind == DeviceKind::kMeter) {
    MEG_TRY_ASSIGN(w, DecodeModel(*models[0].model, kMeterNeed, image, &DecodeMeterWatts));
    watts = w;
  } else {
    const SunSpecModel& inverter = *layout.Find(kInverterIds);
    MEG_TRY_ASSIGN(w, DecodeModel(inverter, kInverterNeed, image, &DecodeInverterWatts));
    watts = w;
    SunSpecNameplate nameplate;
    if (const SunSpecModel* m = layout.Find({kNameplateId})) {
      MEG_TRY_ASSIGN(np, DecodeModel(*m, kNameplateNeed, image, &DecodeNameplate));
      nameplate = np;
    }
    if (nameplate.w_rtg) d.telemetry.rated_power = KwFromW(*nameplate.w_rtg);
    if (kind == DeviceKind::kBattery) {
      const SunSpecModel& sm = *layout.Find({kStorageId});
      MEG_TRY_ASSIGN(storage, DecodeModel(sm, kStorageNeed, image, &DecodeStorage));
      d.telemetry.soc_pct = storage.cha_state;
      if (!storage.cha_state) {
        d.telemetry.quality = Quality::kBad;
        d.problem = JoinProblem(d.problem, fmt::format("SunSpec model 124 at {}: ChaState (SoC) "
                                                       "is not implemented",
                                                       sm.address));
      }
      if (storage.w_cha_max) d.telemetry.max_charge = KwFromW(*storage.w_cha_max);
      const auto discharge = nameplate.max_dis_cha_rte ? nameplate.max_dis_cha_rte : storage.w_cha_max;
      if (discharge) d.telemetry.max_discharge = KwFromW(*discharge);
    }
  }
  if (watts) {
    d.telemetry.power = KwFromW(power_sign_inverted ? -*watts : *watts);
  } else {
    d.telemetry.quality = Quality::kBad;
    d.problem = JoinProblem(d.problem, "SunSpec W (AC power) is not implemented");
  }
  return CheckPlausible(std::move(d));
}

namespace {

// Rounds `x` to an integer register value in [lo, hi], or fails naming `what`.
Result<uint16_t> ToRegister(double x, long lo, long hi, const char* what) {
  if (!std::isfinite(x) || x < lo - 0.5 || x >= hi + 0.5) {
    return InvalidInput(fmt::format("{} {} does not fit its register ({}..{})", what, x, lo, hi));
  }
  const long v = std::clamp(std::lround(x), lo, hi);
  return static_cast<uint16_t>(v & 0xFFFF);
}

Result<std::vector<RegisterWrite>> EncodeStorage(const SunSpecModel& m, const SunSpecStorage& s, Kilowatts power) {
  const double p_w = power.value() * 1000.0;
  if (!std::isfinite(p_w)) return InvalidInput("battery_power is not a finite number");
  if (!s.w_cha_max || *s.w_cha_max <= 0) {
    return In(m, InvalidInput("WChaMax is not implemented or 0: a setpoint cannot be expressed "
                              "in % of it"));
  }
  if (!s.in_out_w_rte_sf) {
    return In(m, InvalidInput("InOutWRte_SF is not implemented: the rates cannot be written"));
  }
  // InWRte/OutWRte are int16 percent of WChaMax in 10^InOutWRte_SF units (model_124.json).
  const double pct = std::min(std::abs(p_w) / *s.w_cha_max * 100.0, 100.0);
  const double raw = pct / std::pow(10.0, *s.in_out_w_rte_sf);
  auto rate = ToRegister(raw, -32767, 32767, "rate");
  if (!rate) return In(m, rate.error());
  const uint16_t out = p_w > 0 ? *rate : 0;
  const uint16_t in = p_w < 0 ? *rate : 0;
  const uint16_t mode = p_w > 0   ? kStorCtlDischarge
                        : p_w < 0 ? kStorCtlCharge
                                  : static_cast<uint16_t>(kStorCtlCharge | kStorCtlDischarge);
  return std::vector<RegisterWrite>{{m.address + kStorageOutWRte, {out, in}}, {m.address + kStorageStorCtlMod, {mode}}};
}

Result<std::vector<RegisterWrite>> EncodeControls(const SunSpecModel& m, const SunSpecControls& c,
                                                  std::optional<Kilowatts> limit, std::optional<double> w_rtg) {
  if (!limit) return std::vector<RegisterWrite>{{m.address + kControlsWMaxLimEna, {0}}};
  const double limit_w = limit->value() * 1000.0;
  if (!std::isfinite(limit_w)) return InvalidInput("pv_limit is not a finite number");
  if (!w_rtg || *w_rtg <= 0) {
    return In(m, InvalidInput("a PV cap needs the rating WRtg (nameplate model 120), which the "
                              "device does not give"));
  }
  if (!c.w_max_lim_pct_sf) {
    return In(m, InvalidInput("WMaxLimPct_SF is not implemented: the cap cannot be written"));
  }
  // WMaxLimPct: uint16 percent of WMax in 10^WMaxLimPct_SF units (model_123.json); WMax taken
  // as the nameplate WRtg.
  const double pct = std::clamp(limit_w / *w_rtg * 100.0, 0.0, 100.0);
  auto raw = ToRegister(pct / std::pow(10.0, *c.w_max_lim_pct_sf), 0, 65534, "WMaxLimPct");
  if (!raw) return In(m, raw.error());
  return std::vector<RegisterWrite>{{m.address + kControlsWMaxLimPct, {*raw}}, {m.address + kControlsWMaxLimEna, {1}}};
}

}  // namespace

Result<std::vector<RegisterRead>> SunSpecCommandReads(DeviceKind kind, const SunSpecLayout& layout,
                                                      const Command& command) {
  std::vector<Needed> models;
  MEG_TRY(SunSpecSupports(kind));
  if (kind == DeviceKind::kBattery && command.battery_power) {
    const SunSpecModel* storage = layout.Find({kStorageId});
    if (!storage) return InvalidInput("SunSpec layout has no storage model 124");
    models.push_back({storage, kStorageNeed});
  } else if (kind == DeviceKind::kPv) {
    const SunSpecModel* controls = layout.Find({kControlsId});
    if (!controls) return InvalidInput("SunSpec layout has no immediate controls model 123");
    models.push_back({controls, kControlsNeed});
    if (command.pv_limit) models.push_back({layout.Find({kNameplateId}), kNameplateNeed});
  }
  return ReadsOf(models);
}

Result<std::vector<RegisterWrite>> EncodeSunSpecCommand(DeviceKind kind, const SunSpecLayout& layout,
                                                        const RegisterImage& image, const Command& command) {
  MEG_TRY(SunSpecCommandReads(kind, layout, command));  // checks the models exist
  if (kind == DeviceKind::kBattery && command.battery_power) {
    const SunSpecModel& m = *layout.Find({kStorageId});
    MEG_TRY_ASSIGN(storage, DecodeModel(m, kStorageNeed, image, &DecodeStorage));
    return EncodeStorage(m, storage, *command.battery_power);
  }
  if (kind == DeviceKind::kPv) {
    const SunSpecModel& m = *layout.Find({kControlsId});
    MEG_TRY_ASSIGN(controls, DecodeModel(m, kControlsNeed, image, &DecodeControls));
    std::optional<double> w_rtg;
    if (const SunSpecModel* np = layout.Find({kNameplateId}); np && command.pv_limit) {
      MEG_TRY_ASSIGN(nameplate, DecodeModel(*np, kNameplateNeed, image, &DecodeNameplate));
      w_rtg = nameplate.w_rtg;
    }
    return EncodeControls(m, controls, command.pv_limit, w_rtg);
  }
  return std::vector<RegisterWrite>{};
}

// ---- Plain vendor maps ----

int RegisterCount(RegisterField::Type type) {
  switch (type) {
    case RegisterField::Type::kInt16:
    case RegisterField::Type::kUint16: return 1;
    case RegisterField::Type::kInt32:
    case RegisterField::Type::kUint32:
    case RegisterField::Type::kFloat32: return 2;
  }
  return 1;
}

Result<double> DecodeField(const RegisterField& field, std::span<const uint16_t> regs) {
  const int n = RegisterCount(field.type);
  if (static_cast<int>(regs.size()) < n) {
    return InvalidInput(fmt::format("field at {} needs {} registers, got {}", field.address, n, regs.size()));
  }
  const uint32_t word = n == 2 ? (static_cast<uint32_t>(regs[0]) << 16) | regs[1] : regs[0];
  double raw = 0;
  switch (field.type) {
    case RegisterField::Type::kInt16: raw = AsInt16(regs[0]); break;
    case RegisterField::Type::kUint16: raw = regs[0]; break;
    case RegisterField::Type::kInt32: raw = static_cast<int32_t>(word); break;
    case RegisterField::Type::kUint32: raw = word; break;
    case RegisterField::Type::kFloat32: raw = std::bit_cast<float>(word); break;
  }
  const double value = raw * field.scale;
  if (!std::isfinite(value)) {
    return InvalidInput(fmt::format("field at {} is not a finite number", field.address));
  }
  return value;
}

Result<std::vector<uint16_t>> EncodeField(const RegisterField& field, double value) {
  if (field.scale == 0.0 || !std::isfinite(field.scale)) {
    return InvalidInput(fmt::format("field at {} has scale {}", field.address, field.scale));
  }
  const double x = value / field.scale;
  auto where = [&] { return fmt::format("value {} for the field at {}", value, field.address); };
  if (!std::isfinite(x)) return InvalidInput(where() + " is not a finite number");
  auto fit = [&](double lo, double hi) -> Result<int64_t> {
    if (x < lo - 0.5 || x >= hi + 0.5) {
      return InvalidInput(fmt::format("{} is outside the register's range", where()));
    }
    return std::clamp<int64_t>(std::llround(x), static_cast<int64_t>(lo), static_cast<int64_t>(hi));
  };
  auto words = [](uint32_t w) {
    return std::vector<uint16_t>{static_cast<uint16_t>(w >> 16), static_cast<uint16_t>(w)};
  };
  switch (field.type) {
    case RegisterField::Type::kInt16: {
      MEG_TRY_ASSIGN(v, fit(-32768, 32767));
      return std::vector<uint16_t>{static_cast<uint16_t>(v & 0xFFFF)};
    }
    case RegisterField::Type::kUint16: {
      MEG_TRY_ASSIGN(v, fit(0, 65535));
      return std::vector<uint16_t>{static_cast<uint16_t>(v)};
    }
    case RegisterField::Type::kInt32: {
      MEG_TRY_ASSIGN(v, fit(-2147483648.0, 2147483647.0));
      return words(static_cast<uint32_t>(v & 0xFFFFFFFF));
    }
    case RegisterField::Type::kUint32: {
      MEG_TRY_ASSIGN(v, fit(0, 4294967295.0));
      return words(static_cast<uint32_t>(v));
    }
    case RegisterField::Type::kFloat32: {
      if (std::abs(x) > std::numeric_limits<float>::max()) {
        return InvalidInput(where() + " is outside float32's range");
      }
      return words(std::bit_cast<uint32_t>(static_cast<float>(x)));
    }
  }
  return InvalidInput("unknown register type");
}

namespace {

struct VendorRead {
  const char* name;
  const RegisterField* field;
};

// True for the kinds that store energy and read soc_pct, max_charge_kw and max_discharge_kw: a
// battery (kWh and kW of electricity) and a thermal storage (of cooling).
bool ReadsStorage(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kBattery:
    case DeviceKind::kThermalStorage: return true;
    case DeviceKind::kMeter:
    case DeviceKind::kPv:
    case DeviceKind::kGenerator: return false;
  }
  return false;
}

std::vector<VendorRead> VendorFields(DeviceKind kind, const VendorModbusMap& map) {
  std::vector<VendorRead> f{{"power_kw", &map.power_kw}};
  if (ReadsStorage(kind)) {
    f.push_back({"soc_pct", &map.soc_pct});
    f.push_back({"max_charge_kw", &map.max_charge_kw});
    f.push_back({"max_discharge_kw", &map.max_discharge_kw});
  }
  if (kind == DeviceKind::kThermalStorage) {
    f.push_back({"cop", &map.cop});
    f.push_back({"cooling_load_kw", &map.cooling_load_kw});
  }
  if (kind != DeviceKind::kMeter) f.push_back({"rated_kw", &map.rated_kw});
  return f;
}

Status CheckAddress(const char* name, const RegisterField& f) {
  if (f.address < 0 || f.address + RegisterCount(f.type) > kAddressSpace) {
    return InvalidInput(fmt::format("vendor map: {} address {} is outside 0..65535", name, f.address));
  }
  return Ok{};
}

// What setpoint_kw is set to for `command`, in OpenMEG's sign: the battery's power (+ discharge),
// the generator's output (+ production; a negative one taken as 0, stop) or the thermal
// storage's kW of cooling (+ discharge / - charge); nullopt when the command has none for `kind`.
std::optional<Kilowatts> PowerSetpoint(DeviceKind kind, const Command& command) {
  switch (kind) {
    case DeviceKind::kBattery: return command.battery_power;
    case DeviceKind::kThermalStorage: return command.thermal_power;
    case DeviceKind::kGenerator:
      if (!command.generator_power) return std::nullopt;
      // Not std::max: a NaN must stay NaN, for EncodeField to refuse it rather than stop.
      return command.generator_power->value() < 0 ? Kilowatts(0) : *command.generator_power;
    case DeviceKind::kMeter:
    case DeviceKind::kPv: return std::nullopt;
  }
  return std::nullopt;
}

Result<double> ReadField(const char* name, const RegisterField& f, const RegisterImage& image) {
  auto regs = image.Get(f.address, RegisterCount(f.type), f.input_register);
  if (!regs) return Error{regs.error().code, fmt::format("{}: {}", name, regs.error().message)};
  auto v = DecodeField(f, *regs);
  if (!v) return Error{v.error().code, fmt::format("{}: {}", name, v.error().message)};
  return v;
}

}  // namespace

Result<std::vector<RegisterRead>> VendorTelemetryReads(DeviceKind kind, const VendorModbusMap& map) {
  if (map.power_kw.address < 0) return InvalidInput("vendor map: power_kw is not mapped");
  std::vector<RegisterRead> reads;
  for (const VendorRead& v : VendorFields(kind, map)) {
    if (v.field->address == -1 && v.field != &map.power_kw) continue;
    MEG_TRY(CheckAddress(v.name, *v.field));
    reads.push_back({v.field->address, RegisterCount(v.field->type), v.field->input_register});
  }
  return Merge(std::move(reads), /*gaps=*/false);
}

Result<DecodedTelemetry> DecodeVendorTelemetry(DeviceKind kind, const VendorModbusMap& map, const RegisterImage& image,
                                               Instant now) {
  MEG_TRY(VendorTelemetryReads(kind, map));  // checks the map
  DecodedTelemetry d;
  d.telemetry.time = now;
  MEG_TRY_ASSIGN(power, ReadField("power_kw", map.power_kw, image));
  d.telemetry.power = Kilowatts(map.power_sign_inverted ? -power : power);
  auto optional_field = [&](const char* name, const RegisterField& f, std::optional<double>& out) -> Status {
    if (f.address == -1) return Ok{};
    MEG_TRY_ASSIGN(v, ReadField(name, f, image));
    out = v;
    return Ok{};
  };
  std::optional<double> soc, max_charge, max_discharge, rated;
  if (ReadsStorage(kind)) {
    MEG_TRY(optional_field("soc_pct", map.soc_pct, soc));
    MEG_TRY(optional_field("max_charge_kw", map.max_charge_kw, max_charge));
    MEG_TRY(optional_field("max_discharge_kw", map.max_discharge_kw, max_discharge));
  }
  // A ratio, not a power: never sign-flipped nor made a magnitude (0 or below is kBad).
  if (kind == DeviceKind::kThermalStorage) {
    MEG_TRY(optional_field("cop", map.cop, d.telemetry.cop));
    std::optional<double> cooling_load;
    MEG_TRY(optional_field("cooling_load_kw", map.cooling_load_kw, cooling_load));
    if (cooling_load) d.telemetry.cooling_load = Kilowatts(*cooling_load);
  }
  if (kind != DeviceKind::kMeter) MEG_TRY(optional_field("rated_kw", map.rated_kw, rated));
  d.telemetry.soc_pct = soc;
  // Limits and ratings are magnitudes whatever sign convention the device uses.
  if (max_charge) d.telemetry.max_charge = Kilowatts(std::abs(*max_charge));
  if (max_discharge) d.telemetry.max_discharge = Kilowatts(std::abs(*max_discharge));
  if (rated) d.telemetry.rated_power = Kilowatts(std::abs(*rated));
  return CheckPlausible(std::move(d));
}

Result<std::vector<RegisterRead>> VendorCommandReads(DeviceKind kind, const VendorModbusMap& map,
                                                     const Command& command) {
  if (kind != DeviceKind::kPv || command.pv_limit || map.rated_kw.address == -1) {
    return std::vector<RegisterRead>{};
  }
  MEG_TRY(CheckAddress("rated_kw", map.rated_kw));
  return std::vector<RegisterRead>{
      {map.rated_kw.address, RegisterCount(map.rated_kw.type), map.rated_kw.input_register}};
}

Result<std::vector<RegisterWrite>> EncodeVendorCommand(DeviceKind kind, const VendorModbusMap& map,
                                                       const RegisterImage& image, const Command& command) {
  auto write = [](const char* name, const RegisterField& f, double value) -> Result<std::vector<RegisterWrite>> {
    if (f.address == -1) {
      return InvalidInput(fmt::format("vendor map: {} is not mapped", name));
    }
    MEG_TRY(CheckAddress(name, f));
    if (f.input_register) {
      return InvalidInput(fmt::format("vendor map: {} is an input register (read-only)", name));
    }
    MEG_TRY_ASSIGN(regs, EncodeField(f, value));
    return std::vector<RegisterWrite>{{f.address, std::move(regs)}};
  };
  if (const std::optional<Kilowatts> setpoint = PowerSetpoint(kind, command)) {
    // In the device's sign, as the power it reports.
    const double p = setpoint->value();
    return write("setpoint_kw", map.setpoint_kw, map.power_sign_inverted ? -p : p);
  }
  if (kind == DeviceKind::kPv) {
    if (command.pv_limit) {
      return write("pv_limit_kw", map.pv_limit_kw, std::max(0.0, command.pv_limit->value()));
    }
    if (map.rated_kw.address == -1) {
      return InvalidInput(
          "vendor map: lifting the PV cap writes the rating, but rated_kw is not "
          "mapped");
    }
    MEG_TRY_ASSIGN(rated, ReadField("rated_kw", map.rated_kw, image));
    return write("pv_limit_kw", map.pv_limit_kw, std::abs(rated));
  }
  return std::vector<RegisterWrite>{};
}

}  // namespace meg
