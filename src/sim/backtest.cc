#include "sim/backtest.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "control/limits.h"
#include "device/sim/battery.h"
#include "tariff/tou.h"

namespace meg {
Result<BacktestResult> RunBacktest(const BacktestRequest& r, Controller& controller) {
  MEG_CHECK(r.book && r.calendar && r.site && r.load);
  const PowerSeries& load = *r.load;
  if (load.step() != kInterval) return InvalidInput("the backtest needs 15-minute load data");
  if (r.pv != nullptr && (r.pv->start() != load.start() || r.pv->size() != load.size() ||
                          r.pv->step() != load.step())) {
    return InvalidInput("PV and load series must cover the same 15-minute intervals");
  }
  if (!IsIntervalAligned(load.start()) || ToKst(load.start()).minute_of_day != 0) {
    return InvalidInput("the load must start at a KST midnight");
  }
  const Site& site = *r.site;
  const bool has_battery = r.use_battery && site.ess.has_value();
  std::optional<Battery> battery;
  if (has_battery) battery.emplace(*site.ess);

  BacktestResult out;
  out.controller = std::string(controller.name());
  out.start = load.start();
  out.steps.resize(load.size());
  std::vector<std::optional<Kilowatts>> grid(load.size());

  // Achieved month peaks (grid demand in counted intervals) for the 요금적용전력 ratchet.
  std::vector<std::pair<Month, double>> month_peaks;
  double month_peak = 0;
  Month month{};
  double ratchet = 0;
  std::optional<DayProfile> day;
  std::vector<DrCommitment> commitments;  // of the DR calls issued so far
  size_t dr_issued = 0;                   // calls (in issue order) turned into commitments
  std::vector<const DrCall*> dr_calls;
  if (r.dr != nullptr) {
    for (const DrCall& c : r.dr->calls) dr_calls.push_back(&c);
    std::stable_sort(dr_calls.begin(), dr_calls.end(), [](const DrCall* a, const DrCall* b) { return a->issued < b->issued; });
  }
  const size_t n = load.size();
  const size_t report_every = std::max<size_t>(1, n / 50);
  for (size_t i = 0; i < n; ++i) {
    const Timestamp t = load.TimeAt(i);
    const KstDateTime k = ToKst(t);
    if (!day || day->date != k.date) {
      auto p = ProfileDay(*r.book, *r.calendar, r.tariff, k.date);
      if (!p) return p.error();
      day = *p;
      const Month m = k.date.year() / k.date.month();
      if (m != month) {
        if (month.ok()) month_peaks.emplace_back(month, month_peak);
        month = m;
        month_peak = 0;
        ratchet = RatchetPeakKw(m, month_peaks);
      }
    }
    const auto slot = static_cast<size_t>(k.minute_of_day / 15);
    if (!load.at(i)) return InvalidInput(fmt::format("the load has a gap at {}", FormatKst(t)));
    SiteImage image;
    image.start = t;
    image.dt = kIntervalHours;
    image.load = *load.at(i);
    image.pv_available = (r.pv != nullptr && r.pv->at(i)) ? *r.pv->at(i) : Kilowatts(0);
    image.has_battery = has_battery;
    if (has_battery) {
      image.soc_pct = battery->soc_pct();
      image.battery_max_discharge = battery->MaxDischarge(kIntervalHours);
      image.battery_max_charge = battery->MaxCharge(kIntervalHours);
      image.battery_discharge_rating = site.ess->discharge_kw;
      image.battery_deliverable_full =
          site.ess->usable_kwh * ((site.ess->soc_max_pct - site.ess->soc_min_pct) / 100.0 *
                                  site.ess->discharge_efficiency_pct / 100.0);
    }
    image.band = day->energy_band[slot];
    image.demand_counts = day->demand_counts[slot];
    image.contract_power = site.contract_power;
    image.month_peak = Kilowatts(month_peak);
    image.ratchet = Kilowatts(ratchet);
    image.export_allowed = site.grid.export_allowed;
    image.export_limit = site.grid.export_limit_kw;
    // DR calls issued by now: their CBL on what the meter has recorded so far.
    for (; dr_issued < dr_calls.size() && dr_calls[dr_issued]->issued <= t; ++dr_issued) {
      const DrCall& call = *dr_calls[dr_issued];
      auto c = CommitmentsOf(call, *r.dr, PowerSeries(load.start(), kInterval, grid), t, *r.calendar);
      if (!c) {
        out.dr_notes.push_back(fmt::format("DR call at {}: no CBL at issue, not planned for: {}",
                                           FormatKst(call.start), c.error().message));
        continue;
      }
      commitments.insert(commitments.end(), c->begin(), c->end());
    }
    std::erase_if(commitments, [&](const DrCommitment& c) { return c.end <= t; });
    image.dr = commitments;

    const Setpoints wish = controller.Decide(image);
    const LimitedSetpoints done = ApplySafetyLimits(image, wish);
    double battery_kw = 0;
    if (has_battery) {
      const Battery::Step step = battery->Apply(done.battery, kIntervalHours);
      battery = step.next;
      battery_kw = step.power.value();
    }
    const double grid_kw = image.load.value() - done.pv_used.value() - battery_kw;
    out.clamped_steps += done.clamped ? 1 : 0;
    StepRecord& s = out.steps[i];
    s.load_kw = static_cast<float>(image.load.value());
    s.pv_available_kw = static_cast<float>(image.pv_available.value());
    s.pv_used_kw = static_cast<float>(done.pv_used.value());
    s.battery_kw = static_cast<float>(battery_kw);
    s.soc_pct = has_battery ? static_cast<float>(battery->soc_pct()) : 0.0f;
    s.grid_kw = static_cast<float>(grid_kw);
    s.band = image.band;
    s.demand_counts = image.demand_counts;
    grid[i] = Kilowatts(grid_kw);
    if (image.demand_counts) month_peak = std::max(month_peak, grid_kw);
    out.load_energy += image.load * kIntervalHours;
    out.pv_available_energy += image.pv_available * kIntervalHours;
    out.pv_used_energy += done.pv_used * kIntervalHours;
    if (grid_kw < 0) out.export_energy += Kilowatts(-grid_kw) * kIntervalHours;
    if (r.progress && i % report_every == 0) r.progress(static_cast<double>(i) / static_cast<double>(n));
  }
  if (has_battery) {
    out.charged = battery->charged();
    out.discharged = battery->discharged();
    out.battery_cycles = battery->Cycles();
    const double throughput = (out.charged.value() + out.discharged.value()) / 2.0;
    out.degradation_cost = Won(std::llround(throughput * site.ess->degradation_cost.won()));
  }
  out.grid = PowerSeries(load.start(), kInterval, std::move(grid));

  // Price every whole month with the one bill engine.
  std::vector<Month> months;
  for (const Month m : MonthsCovered(out.grid)) {
    if (out.grid.start() <= StartOfKstMonth(m) &&
        out.grid.end() >= StartOfKstMonth(m + std::chrono::months{1})) {
      months.push_back(m);
    }
  }
  BillRequest bill;
  bill.tariff = r.tariff;
  bill.contract_power = site.contract_power;
  bill.usage = &out.grid;
  DemandHistory history;
  auto bills = BillMonths(*r.book, *r.calendar, bill, months, history);
  if (!bills) return bills.error();
  out.bills = std::move(*bills);
  if (r.dr != nullptr) {
    auto settled = SettleDrProgram(*r.dr, out.grid, *r.calendar);
    if (!settled) return settled.error();
    out.dr = std::move(*settled);
  }
  if (r.progress) r.progress(1.0);
  return out;
}

}  // namespace meg
