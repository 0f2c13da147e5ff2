#include "core/ess.h"

#include <algorithm>

#include "core/check.h"

namespace meg {

KilowattHours StoredAt(const EssSpec& ess, double soc_pct) { return ess.usable_kwh * (soc_pct / 100.0); }
KilowattHours SocFloor(const EssSpec& ess) { return StoredAt(ess, ess.soc_min_pct); }
KilowattHours SocCeiling(const EssSpec& ess) { return StoredAt(ess, ess.soc_max_pct); }

KilowattHours DeliverableFull(const EssSpec& ess) {
  return (SocCeiling(ess) - SocFloor(ess)) * (ess.discharge_efficiency_pct / 100.0);
}

Kilowatts MaxDischarge(const EssSpec& ess, KilowattHours stored, Hours dt, std::optional<Kilowatts> previous) {
  MEG_CHECK(dt.value() > 0);
  const double eta = ess.discharge_efficiency_pct / 100.0;
  double kw = std::max(0.0, (stored - SocFloor(ess)).value()) * eta / dt.value();
  kw = std::min(kw, ess.discharge_kw.value());
  if (previous && ess.ramp_kw_per_min > 0)
    kw = std::min(kw, previous->value() + ess.ramp_kw_per_min * dt.value() * 60.0);
  return Kilowatts(std::max(0.0, kw));
}

Kilowatts MaxCharge(const EssSpec& ess, KilowattHours stored, Hours dt, std::optional<Kilowatts> previous) {
  MEG_CHECK(dt.value() > 0);
  const double eta = ess.charge_efficiency_pct / 100.0;
  double kw = std::max(0.0, (SocCeiling(ess) - stored).value()) / eta / dt.value();
  kw = std::min(kw, ess.charge_kw.value());
  if (previous && ess.ramp_kw_per_min > 0)
    kw = std::min(kw, -previous->value() + ess.ramp_kw_per_min * dt.value() * 60.0);
  return Kilowatts(std::max(0.0, kw));
}

EssSpec ShareOf(const EssSpec& ess, int n) {
  MEG_CHECK(n >= 1);
  const double share = 1.0 / static_cast<double>(n);
  EssSpec each = ess;
  each.usable_kwh = ess.usable_kwh * share;
  each.charge_kw = ess.charge_kw * share;
  each.discharge_kw = ess.discharge_kw * share;
  each.ramp_kw_per_min = ess.ramp_kw_per_min * share;
  return each;
}

}  // namespace meg
