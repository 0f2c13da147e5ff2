// The year backtest: drives one controller over a site's 15-minute load and PV with the site
// twin (device/sim) and the one SafetyLimits, then prices the resulting grid import with the
// bill engine. The same Controller and SafetyLimits run live; nothing here forks "simulation" logic.
// Pure function over values; thread-compatible.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/controller.h"
#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/site.h"
#include "market/dr_program.h"
#include "tariff/bill.h"

namespace meg {

// One 15-minute step as it happened. Signs: load +, PV +, battery + discharge / - charge,
// grid + import / - export; load = grid + pv_used + battery.
struct StepRecord {
  float load_kw = 0;
  float pv_available_kw = 0;
  float pv_used_kw = 0;        // pv_available - curtailment
  float battery_kw = 0;
  float soc_pct = 0;           // at the end of the step
  float grid_kw = 0;
  Band band = Band::kOffPeak;
  bool demand_counts = false;
};

struct BacktestRequest {
  const TariffBook* book = nullptr;
  const HolidayCalendar* calendar = nullptr;
  TariffId tariff;
  const Site* site = nullptr;
  const PowerSeries* load = nullptr;  // + consumption, 15-minute, no gaps
  const PowerSeries* pv = nullptr;    // + available AC production on the same grid, or nullptr
  bool use_battery = true;            // false: the battery is absent whatever the site says
  // DR calls the site answers (nullptr: none). At each call's issue time its CBL, from the grid
  // import metered so far, becomes the controller's commitments (SiteImage::dr).
  const DrProgram* dr = nullptr;
  // Called with the share done (0..1) now and then; may be empty.
  std::function<void(double)> progress;
};

struct BacktestResult {
  std::string controller;
  Timestamp start;
  std::vector<StepRecord> steps;
  std::vector<MonthlyBill> bills;      // each whole month of the load, in order
  KilowattHours load_energy, pv_available_energy, pv_used_energy, export_energy;
  KilowattHours charged, discharged;   // battery AC energy
  double battery_cycles = 0;           // equivalent full cycles
  Won degradation_cost;                // throughput x the site's degradation cost
  int clamped_steps = 0;               // steps where SafetyLimits changed the controller's wish
  PowerSeries grid;                    // the grid power the bills priced
  std::vector<DrCallOutcome> dr;       // each DR call, settled on `grid`
  std::vector<std::string> dr_notes;   // e.g. a call whose CBL could not be computed at issue
};

// Runs `controller` over every interval of `*request.load`. Fails if the series do not match,
// the tariff cannot price a month, or the load has gaps.
Result<BacktestResult> RunBacktest(const BacktestRequest& request, Controller& controller);

}  // namespace meg
