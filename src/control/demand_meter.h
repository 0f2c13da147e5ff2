// DemandMeter: the 15-minute demand as KEPCO's meter measures it: the mean grid power over each
// fixed quarter-hour window [hh:00, hh:15), ... (supply terms art. 68: 최대수요전력 is the largest
// 15-minute demand), the running average of the open window, the month's peak over the windows
// whose demand counts for 요금적용전력, and the ratchet (the largest peak of the demand months
// among the 11 months before). The live loop feeds it each cycle: the meter's energy register where
// it has one (exact), else its power sampled and held until the next cycle.
// Not thread-safe; a value type.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

class DemandMeter {
 public:
  // Grid power `grid` (+ import / - export) from `now` on, until the next call; `counts` says
  // whether the window holding `now` counts for billing demand. The power given at the previous
  // call is integrated over [previous, now), split at window boundaries. A `now` before the
  // previous call is ignored. A non-finite grid is integrated as the previous value (held).
  void Add(Instant now, Kilowatts grid, bool counts);
  // Like Add, for a meter with an energy register: `since_last` (kWh, + import) was metered over
  // [previous call, now) and is integrated there at its mean, exactly where a sampled power could
  // only be held. The first call only starts the meter. A non-finite energy holds the previous
  // mean, as Add holds a non-finite power.
  void AddEnergy(Instant now, KilowattHours since_last, bool counts);
  // Before the first Add: the peaks the meter recorded before this process started (from the
  // store), so that a restart keeps the month's peak and the ratchet. `peaks` holds each month's
  // peak over its counted windows, kW, months in any order; the month of the first Add continues
  // from its entry, earlier months feed the ratchet. Ignored after the first Add.
  void Restore(std::vector<std::pair<Month, double>> peaks);

  Timestamp window_start() const { return window_start_; }
  // Energy imported in the open window so far (kWh) and the time of it elapsed. When metering
  // began inside this window (a start or restart), the unseen start is estimated at the mean
  // seen since, and such a partial window never sets the month's peak.
  KilowattHours window_energy() const;
  Millis window_elapsed() const { return last_ - ToInstant(window_start_); }
  bool window_complete() const { return observed_from_ == ToInstant(window_start_); }
  // Mean grid power over the window so far (0 before any time has passed).
  Kilowatts window_average() const;
  bool window_counts() const { return window_counts_; }
  Kilowatts month_peak() const { return month_peak_; }  // counted windows closed this month
  Kilowatts ratchet() const { return ratchet_; }
  // The last closed window's demand, if any.
  std::optional<Kilowatts> last_demand() const { return last_demand_; }
  // Each month's peak so far, kW, by month: the closed months' (restored ones included) and the
  // open month's (month_peak()); before the first Add, what Restore was given. The form Restore
  // takes: replaying a store's quarter-hours through a meter gives what a restart restores.
  std::vector<std::pair<Month, double>> MonthPeaks() const;

 private:
  void CloseWindow();
  void StartMonth(Month m);

  bool started_ = false;
  Instant last_{};
  Kilowatts grid_;
  Timestamp window_start_{};
  Instant observed_from_{};      // metering began here in the open window (= its start unless partial)
  KilowattHours window_energy_;  // observed part
  bool window_counts_ = false;
  Month month_{};
  Kilowatts month_peak_;
  Kilowatts ratchet_;
  std::optional<Kilowatts> last_demand_;
  std::vector<std::pair<Month, double>> closed_months_;  // closed months' peaks, kW
  std::vector<std::pair<Month, double>> restored_;       // Restore's, until the first Add
};

}  // namespace meg
