#include "device/sim/battery.h"

#include <algorithm>

#include "core/check.h"
#include "core/ess.h"

namespace meg {

Battery::Battery(const EssSpec& spec)
    : spec_(spec),
      stored_(StoredAt(spec, spec.soc_initial_pct)),
      min_stored_(SocFloor(spec)),
      max_stored_(SocCeiling(spec)) {
  MEG_CHECK(spec.usable_kwh.value() > 0);
  MEG_CHECK(spec.charge_efficiency_pct > 0 && spec.discharge_efficiency_pct > 0);
  MEG_CHECK(spec.soc_min_pct < spec.soc_max_pct);
}

Kilowatts Battery::MaxDischarge(Hours dt) const { return meg::MaxDischarge(spec_, stored_, dt, last_power_); }

Kilowatts Battery::MaxCharge(Hours dt) const { return meg::MaxCharge(spec_, stored_, dt, last_power_); }

Battery::Step Battery::Apply(Kilowatts setpoint, Hours dt) const {
  MEG_CHECK(dt.value() > 0);
  const double p = std::clamp(setpoint.value(), -MaxCharge(dt).value(), MaxDischarge(dt).value());
  Battery next = *this;
  if (p >= 0) {
    next.stored_ -= KilowattHours(p * dt.value() / (spec_.discharge_efficiency_pct / 100.0));
    next.discharged_ += KilowattHours(p * dt.value());
  } else {
    next.stored_ += KilowattHours(-p * dt.value() * (spec_.charge_efficiency_pct / 100.0));
    next.charged_ += KilowattHours(-p * dt.value());
  }
  // Rounding at the window's edges must not step outside it.
  next.stored_ = KilowattHours(std::clamp(next.stored_.value(), min_stored_.value(), max_stored_.value()));
  next.last_power_ = Kilowatts(p);
  return Step{next, Kilowatts(p)};
}

double Battery::Cycles() const { return (charged_.value() + discharged_.value()) / 2.0 / spec_.usable_kwh.value(); }

}  // namespace meg
