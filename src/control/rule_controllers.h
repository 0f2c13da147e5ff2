// Rule-based controllers for the site twin and the live loop.
//   NoBattery ("none"): PV only, the battery idle: the baseline every saving is measured from.
//   PeakShave ("peak-shave"): in the style of OpenEMS' peak-shaving and time-of-use controllers:
//     charge in 경부하 (off-peak), discharge to hold grid demand at a threshold in the intervals
//     whose demand counts for 요금적용전력 (중간/최대부하 on non-holidays), and nothing else.
// Not thread-safe; one instance per control loop.
#pragma once

#include <array>
#include <memory>
#include <string_view>

#include "control/controller.h"

namespace meg {

class NoBattery final : public Controller {
 public:
  std::string_view name() const override { return "none"; }
  Setpoints Decide(const SiteImage& image) override;
};

struct PeakShaveConfig {
  // Grid demand to hold in counted intervals; 0 = adaptive only (see below).
  Kilowatts threshold;
  // Off-peak charging target, % SoC (clipped to the battery's window by its limits).
  double charge_to_soc_pct = 100;
};

// The threshold held in a counted interval is the largest of
//  - config.threshold if the operator set one (> 0), else the day's plan (below),
//  - image.ratchet and image.month_peak: shaving below a peak already locked in for the billing
//    window saves nothing and only spends the battery,
// where the day's plan is: at the first interval of each day, the lowest level at which yesterday's
//    counted demand (a persistence forecast) could have been held with a full battery window
//    (90 % of its deliverable energy, its discharge rating). Until a whole day has been seen the
//    plan is "no shaving".
class PeakShave final : public Controller {
 public:
  explicit PeakShave(PeakShaveConfig config) : config_(config) {}
  std::string_view name() const override { return "peak-shave"; }
  Setpoints Decide(const SiteImage& image) override;

 private:
  void StartDay(const SiteImage& image);

  PeakShaveConfig config_;
  Date day_{};
  bool seen_day_ = false;      // a whole day of net demand has been recorded
  bool recording_ = false;     // the current day is being recorded from its first interval
  std::array<double, kIntervalsPerDay> today_{};     // net demand per slot, counted slots only
  std::array<double, kIntervalsPerDay> yesterday_{};
  double plan_ = 0;            // today's planned threshold, kW
};

// "none" or "peak-shave"; nullptr for an unknown name.
std::unique_ptr<Controller> MakeRuleController(std::string_view name, const PeakShaveConfig& config);

}  // namespace meg
