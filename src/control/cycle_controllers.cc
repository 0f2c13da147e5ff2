#include "control/cycle_controllers.h"

#include <algorithm>
#include <cmath>

#include "control/limits.h"

namespace meg {
namespace {

double HoursOf(Millis d) { return static_cast<double>(d.count()) / 3'600'000.0; }

}  // namespace

std::string_view LoopModeName(LoopMode mode) {
  switch (mode) {
    case LoopMode::kNormal: return "normal";
    case LoopMode::kLocal: return "local";
    case LoopMode::kSafe: return "safe";
  }
  return "?";
}

void HoldWindowAt(const CycleView& view, Kilowatts cap, Setpoints& wish) {
  const double left_h = std::max(HoursOf(view.cycle), 0.25 - HoursOf(view.demand->window_elapsed()));
  const double allowed = (cap.value() * 0.25 - view.demand->window_energy().value()) / left_h;
  // The generator gives what the limit stage will let it give of its wish (the window's metered
  // energy corrects, cycle by cycle, for one that gives less).
  const LimitedSetpoints after = ApplySafetyLimits(*view.image, wish);
  const double net =
      view.image->load.value() - view.pv_now.value() - after.generator.value() - after.thermal_electric.value();
  wish.battery = Kilowatts(std::max(wish.battery.value(), net - allowed));
}

void ScheduleFollower::Run(const CycleView& view, Setpoints& wish, CycleRecord&) {
  if (view.mode == LoopMode::kNormal && view.schedule != nullptr) {
    wish = {view.schedule->battery, view.schedule->pv_limit, view.schedule->generator, view.schedule->thermal};
  }
}

void ManualOverride::Set(std::optional<Kilowatts> battery, Instant until) {
  battery_ = battery;
  until_ = until;
}

void ManualOverride::Run(const CycleView& view, Setpoints& wish, CycleRecord&) {
  if (battery_ && view.now >= until_) battery_.reset();
  if (view.mode != LoopMode::kSafe && battery_) wish.battery = *battery_;
}

void BatteryModeController::Run(const CycleView& view, Setpoints& wish, CycleRecord&) {
  if (mode_.kind != BatteryModeKind::kAuto && view.now >= mode_.until) mode_ = BatteryMode{};
  if (view.mode == LoopMode::kSafe || ess_ == nullptr || view.image == nullptr || !view.image->has_battery) return;
  const auto w = BatteryModeWish(mode_, view.now, view.image->soc_pct, *ess_);
  if (!w) return;
  wish.battery = mode_.kind == BatteryModeKind::kChargeTo ? Kilowatts(std::min(wish.battery.value(), w->value())) : *w;
}

void PeakGuard::Run(const CycleView& view, Setpoints& wish, CycleRecord& record) {
  if (view.mode == LoopMode::kSafe || !view.window_counts || view.battery_held) return;
  // A peak already locked in (month peak, ratchet) or set by the operator is held with a margin;
  // the plan's own import, when higher, is the plan's choice and is held as is.
  double target = LockedInDemand(*view.demand, demand_target_, margin_pct_).value();
  if (view.mode == LoopMode::kNormal && view.schedule != nullptr) {
    target = std::max(target, view.schedule->planned_grid.value());
  }
  if (target <= 0) return;
  HoldWindowAt(view, Kilowatts(target), wish);
  record.demand_target = Kilowatts(target);
}

Kilowatts LockedInDemand(const DemandMeter& demand, Kilowatts operator_target, double margin_pct) {
  return Kilowatts(std::max({operator_target.value(), demand.month_peak().value(), demand.ratchet().value()}) *
                   (1.0 - margin_pct / 100.0));
}

void DrGuard::Run(const CycleView& view, Setpoints& wish, CycleRecord& record) {
  // While a DR call is in force, hold the running 15-minute average at the call's import cap the
  // way the peak guard holds its target (the CBL is settled on metered energy).
  if (view.mode == LoopMode::kSafe || view.dr == nullptr || view.battery_held) return;
  const Timestamp now = ToTimestamp(view.now);
  const DrCommitment* c = DrCommitmentAt(*view.dr, IntervalStart(now), now);
  if (c == nullptr) return;
  HoldWindowAt(view, c->import_cap, wish);
  record.dr_cap = c->import_cap;
}

void ExportLimiter::Run(const CycleView& view, Setpoints& wish, CycleRecord&) {
  // Curtail PV before the meter shows more export than allowed, given the battery power the limit
  // stage will really allow (a guard asking for more discharge than the battery has must not
  // curtail PV for power that never comes).
  if (view.mode == LoopMode::kSafe) return;
  const SiteImage& image = *view.image;
  const double pv_now = view.pv_now.value();
  const double min_grid = image.export_allowed ? -std::max(0.0, image.export_limit.value()) : 0.0;
  const LimitedSetpoints after =
      ApplySafetyLimits(image, Setpoints{wish.battery, Kilowatts(-1), wish.generator, wish.thermal});
  const double grid_after =
      image.load.value() - pv_now - after.battery.value() - after.generator.value() - after.thermal_electric.value();
  if (grid_after < min_grid) {
    const double limit = std::max(0.0, pv_now - (min_grid - grid_after));
    wish.pv_limit = Kilowatts(wish.pv_limit.value() >= 0 ? std::min(wish.pv_limit.value(), limit) : limit);
  }
}

}  // namespace meg
