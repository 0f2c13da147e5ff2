#include "control/demand_meter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tariff/bill.h"

namespace meg {

void DemandMeter::StartMonth(Month m) {
  month_ = m;
  month_peak_ = Kilowatts(0);
  ratchet_ = Kilowatts(RatchetPeakKw(m, closed_months_));
}

void DemandMeter::Restore(std::vector<std::pair<Month, double>> peaks) {
  if (!started_) restored_ = std::move(peaks);
}

std::vector<std::pair<Month, double>> DemandMeter::MonthPeaks() const {
  if (!started_) return restored_;
  std::vector<std::pair<Month, double>> out = closed_months_;
  out.emplace_back(month_, month_peak_.value());
  return out;
}

Kilowatts DemandMeter::window_average() const {
  const double h = static_cast<double>((last_ - observed_from_).count()) / 3'600'000.0;
  return h > 0 ? window_energy_ / Hours(h) : Kilowatts(0);
}

KilowattHours DemandMeter::window_energy() const {
  if (window_complete()) return window_energy_;
  return window_average() * Hours(static_cast<double>(window_elapsed().count()) / 3'600'000.0);
}

void DemandMeter::CloseWindow() {
  // KEPCO's demand is the window's energy over the whole 15 minutes.
  const Kilowatts demand = window_energy() / kIntervalHours;
  last_demand_ = demand;
  if (window_counts_ && window_complete()) month_peak_ = Kilowatts(std::max(month_peak_.value(), demand.value()));
}

void DemandMeter::Add(Instant now, Kilowatts grid, bool counts) {
  if (!started_) {
    started_ = true;
    last_ = now;
    grid_ = std::isfinite(grid.value()) ? grid : Kilowatts(0);
    window_start_ = IntervalStart(ToTimestamp(now));
    observed_from_ = now;
    window_counts_ = counts;
    const Month m = KstMonthOf(window_start_);
    double restored_peak = 0;
    for (const auto& [month, peak] : restored_) {
      if (month < m) closed_months_.emplace_back(month, peak);
      if (month == m) restored_peak = std::max(restored_peak, peak);
    }
    std::sort(closed_months_.begin(), closed_months_.end());
    restored_.clear();
    if (m != month_) StartMonth(m);
    month_peak_ = Kilowatts(restored_peak);
    return;
  }
  if (now <= last_) return;
  while (true) {
    const Instant window_end = ToInstant(window_start_ + std::chrono::seconds(kInterval));
    const Instant upto = std::min(now, window_end);
    window_energy_ += grid_ * Hours(static_cast<double>((upto - last_).count()) / 3'600'000.0);
    last_ = upto;
    if (now < window_end) break;
    CloseWindow();
    const Month closed = KstMonthOf(window_start_);
    window_start_ += std::chrono::seconds(kInterval);
    observed_from_ = ToInstant(window_start_);
    window_energy_ = KilowattHours(0);
    window_counts_ = counts;  // the caller says for the window holding `now`; gaps do not count
    if (window_start_ != IntervalStart(ToTimestamp(now))) window_counts_ = false;
    const Month next = KstMonthOf(window_start_);
    if (next != closed) {
      closed_months_.emplace_back(closed, month_peak_.value());
      StartMonth(next);
    }
  }
  window_counts_ = counts;
  if (std::isfinite(grid.value())) grid_ = grid;
}

void DemandMeter::AddEnergy(Instant now, KilowattHours since_last, bool counts) {
  if (started_ && now > last_ && std::isfinite(since_last.value())) {
    grid_ = since_last / Hours(static_cast<double>((now - last_).count()) / 3'600'000.0);
  }
  Add(now, Kilowatts(std::numeric_limits<double>::quiet_NaN()), counts);
}

}  // namespace meg
