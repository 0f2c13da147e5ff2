#include "control/rule_controllers.h"

#include <algorithm>
#include <limits>

namespace meg {
namespace {

Setpoints NoBatteryDecision() { return Setpoints{Kilowatts(0), Kilowatts(-1)}; }

}  // namespace

Setpoints NoBattery::Decide(const SiteImage&) { return NoBatteryDecision(); }

namespace {

// The lowest threshold T with Σ max(0, x - T) x 0.25 h <= energy and max(x) - T <= power.
double LowestHoldable(const std::array<double, kIntervalsPerDay>& net, double energy_kwh,
                      double power_kw) {
  double hi = *std::max_element(net.begin(), net.end());
  double lo = std::max(0.0, hi - power_kw);
  auto fits = [&](double t) {
    double e = 0;
    for (double x : net) e += std::max(0.0, x - t) * 0.25;
    return e <= energy_kwh;
  };
  if (fits(lo)) return lo;
  for (int i = 0; i < 40; ++i) {  // bisection to well under 1 W
    const double mid = (lo + hi) / 2;
    (fits(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

void PeakShave::StartDay(const SiteImage& image) {
  const KstDateTime k = ToKst(image.start);
  // A day with no counted interval (a holiday) says nothing about the next one: keep the plan.
  const bool informative =
      recording_ && *std::max_element(today_.begin(), today_.end()) > 0;
  if (informative) {
    yesterday_ = today_;
    seen_day_ = true;
  }
  today_.fill(0.0);
  day_ = k.date;
  recording_ = k.minute_of_day == 0;
  if (informative) {
    plan_ = LowestHoldable(yesterday_, 0.9 * image.battery_deliverable_full.value(),
                           image.battery_discharge_rating.value());
  } else if (!seen_day_) {
    plan_ = std::numeric_limits<double>::infinity();
  }
}

Setpoints PeakShave::Decide(const SiteImage& image) {
  Setpoints s{Kilowatts(0), Kilowatts(-1)};
  if (!image.has_battery) return s;
  const KstDateTime k = ToKst(image.start);
  if (k.date != day_) StartDay(image);
  const double net = image.load.value() - image.pv_available.value();  // grid demand without ESS
  if (image.demand_counts) {
    today_[static_cast<size_t>(k.minute_of_day / 15)] = net;
    // An operator's threshold replaces the adaptive plan; the locked-in peaks bound both.
    const double floor = config_.threshold.value() > 0 ? config_.threshold.value() : plan_;
    const double threshold = std::max({floor, image.ratchet.value(), image.month_peak.value()});
    if (net > threshold) s.battery = Kilowatts(net - threshold);
    return HoldDrCap(image, s);
  }
  if (image.band == Band::kOffPeak && image.soc_pct < config_.charge_to_soc_pct) {
    // Charge as fast as the battery allows; SafetyLimits keeps import under contract power.
    s.battery = -image.battery_max_charge;
  }
  return HoldDrCap(image, s);
}

std::unique_ptr<Controller> MakeRuleController(std::string_view name, const PeakShaveConfig& config) {
  if (name == "none") return std::make_unique<NoBattery>();
  if (name == "peak-shave") return std::make_unique<PeakShave>(config);
  return nullptr;
}

}  // namespace meg
