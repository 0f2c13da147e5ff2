#include "core/battery_mode.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "core/ess.h"
#include "core/time.h"

namespace meg {
namespace {

constexpr auto kMaxAhead = std::chrono::hours(24 * 7);

std::string Kst(Instant t) { return FormatKst(ToTimestamp(t)).substr(0, 16); }

}  // namespace

std::string_view BatteryModeName(BatteryModeKind kind) {
  switch (kind) {
    case BatteryModeKind::kAuto: return "auto";
    case BatteryModeKind::kHoldSoc: return "hold-soc";
    case BatteryModeKind::kChargeTo: return "charge-to";
    case BatteryModeKind::kDischargeWindow: return "discharge-window";
  }
  return "auto";
}

Result<BatteryModeKind> ParseBatteryModeKind(std::string_view name) {
  for (auto k : {BatteryModeKind::kAuto, BatteryModeKind::kHoldSoc, BatteryModeKind::kChargeTo,
                 BatteryModeKind::kDischargeWindow}) {
    if (BatteryModeName(k) == name) return k;
  }
  return InvalidInput(
      fmt::format("battery mode '{}' is not one of auto, hold-soc, charge-to, discharge-window", name.substr(0, 40)));
}

Status CheckBatteryMode(const BatteryMode& m, const EssSpec& ess, Instant now) {
  if (m.kind == BatteryModeKind::kAuto) return Ok{};
  const std::string name(BatteryModeName(m.kind));
  if (m.until <= now)
    return InvalidInput(fmt::format("{}: 'until' {} is not after now ({})", name, Kst(m.until), Kst(now)));
  if (m.until - now > kMaxAhead) {
    return InvalidInput(fmt::format("{}: 'until' {} is more than 7 days ahead", name, Kst(m.until)));
  }
  if (m.from >= m.until)
    return InvalidInput(fmt::format("{}: 'from' {} is not before 'until' {}", name, Kst(m.from), Kst(m.until)));
  if (m.kind == BatteryModeKind::kChargeTo && !(m.soc_pct >= ess.soc_min_pct && m.soc_pct <= ess.soc_max_pct)) {
    return InvalidInput(fmt::format("charge-to: soc_pct {} is outside the battery's SoC window {}..{} %", m.soc_pct,
                                    ess.soc_min_pct, ess.soc_max_pct));
  }
  if (m.kind == BatteryModeKind::kDischargeWindow &&
      !(m.power.value() > 0 && m.power.value() <= ess.discharge_kw.value())) {
    return InvalidInput(
        fmt::format("discharge-window: power_kw {} is not above 0 and at most the discharge rating {} kW",
                    m.power.value(), ess.discharge_kw.value()));
  }
  return Ok{};
}

std::string DescribeBatteryMode(const BatteryMode& m) {
  switch (m.kind) {
    case BatteryModeKind::kAuto: return "auto";
    case BatteryModeKind::kHoldSoc: return fmt::format("hold-soc until {}", Kst(m.until));
    case BatteryModeKind::kChargeTo: return fmt::format("charge-to {:g} % by {}", m.soc_pct, Kst(m.until));
    case BatteryModeKind::kDischargeWindow:
      return fmt::format("discharge-window {:g} kW from {} to {}", m.power.value(), Kst(m.from), Kst(m.until));
  }
  return "auto";
}

bool InForce(const BatteryMode& m, Instant now) {
  return m.kind != BatteryModeKind::kAuto && now >= m.from && now < m.until;
}

std::optional<Kilowatts> BatteryModeWish(const BatteryMode& m, Instant now, double soc_pct, const EssSpec& ess) {
  if (!InForce(m, now)) return std::nullopt;
  switch (m.kind) {
    case BatteryModeKind::kAuto: return std::nullopt;
    case BatteryModeKind::kHoldSoc: return Kilowatts(0);
    case BatteryModeKind::kDischargeWindow: return m.power;
    case BatteryModeKind::kChargeTo: {
      // AC energy still to charge, spread evenly over the time left.
      const double missing_kwh = std::max(0.0, (m.soc_pct - soc_pct) / 100.0 * ess.usable_kwh.value());
      if (missing_kwh <= 0) return Kilowatts(0);
      const double ac_kwh = missing_kwh / (ess.charge_efficiency_pct / 100.0);
      const double hours = std::chrono::duration<double, std::ratio<3600>>(m.until - now).count();
      return Kilowatts(-std::min(ess.charge_kw.value(), ac_kwh / std::max(hours, 1.0 / 60)));
    }
  }
  return std::nullopt;
}

Status CheckBackupReserve(double reserve_pct, const EssSpec& ess) {
  if (reserve_pct == 0) return Ok{};
  if (!(reserve_pct >= ess.soc_min_pct && reserve_pct <= ess.soc_max_pct)) {
    return InvalidInput(fmt::format("backup reserve {} % is outside the battery's SoC window {}..{} % (0: none)",
                                    reserve_pct, ess.soc_min_pct, ess.soc_max_pct));
  }
  return Ok{};
}

}  // namespace meg
