// The year backtest: runs the live control loop (control/control_loop.h: the planner, the
// real-time controllers in priority order, the one limit stage, the demand meter) over the site
// twin's devices (device/sim/twin.h), cycle by cycle on a simulated clock, then prices the grid
// import the twin metered with the bill engine. Nothing here forks "simulation" logic: a saving it
// reports is a saving of the code that runs live. Pure function over values; thread-compatible.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/control_loop.h"
#include "control/controller.h"
#include "core/battery_mode.h"
#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/site.h"
#include "market/dr_program.h"
#include "tariff/bill.h"

namespace meg {

// One 15-minute step as it happened. Signs: load +, PV +, battery + discharge / - charge,
// generator + production, grid + import / - export; load = grid + pv_used + battery + generator.
struct StepRecord {
  float load_kw = 0;
  float pv_available_kw = 0;
  float pv_used_kw = 0;  // pv_available - curtailment
  float battery_kw = 0;
  float generator_kw = 0;
  float thermal_kw_th = 0;        // cold store, kW of cooling, + discharge / - charge
  float thermal_electric_kw = 0;  // the electricity it saved (+) or cost (-)
  float thermal_soc_pct = 0;      // at the end of the step
  float ev_kw = 0;                // the EV chargers' draw (part of load_kw)
  float soc_pct = 0;              // at the end of the step
  float grid_kw = 0;
  Band band = Band::kOffPeak;
  bool demand_counts = false;
  // Why the planner decided the step's battery power (its reason at the step's start, kNone for a
  // controller that gives none) and the first limit the limit stage applied within the step.
  DecisionReason reason;
  float limit_kwh = 0;  // battery energy the limit stage changed from the controllers' wish (|wish - command|)
};

struct BacktestRequest {
  const TariffBook* book = nullptr;
  const HolidayCalendar* calendar = nullptr;
  TariffId tariff;
  const Site* site = nullptr;
  const PowerSeries* load = nullptr;  // + consumption, 15-minute, no gaps
  const PowerSeries* pv = nullptr;    // + available AC production on the same grid, or nullptr
  bool use_battery = true;            // false: the battery is absent whatever the site says
  bool use_generator = true;          // false: the generator is absent whatever the site says
  // The cooling plant (sim/site_inputs.h), on the load's grid: with the site's [thermal_storage]
  // the twin runs its cold store (nullptr, or use_thermal_storage false: no store, the chillers
  // serve the demand as the load data has it).
  const PowerSeries* cooling_kw_th = nullptr;
  const IntervalSeries<double>* cop = nullptr;
  bool use_thermal_storage = true;
  // DR calls the site answers (nullptr: none). At each call's issue time its CBL, from the grid
  // import metered so far, becomes the controller's commitments (SiteImage::dr).
  const DrProgram* dr = nullptr;
  // The loop's cycle: a quarter-hour by default (the planner and guards once per interval, the
  // load held within it); a divisor of 15 minutes, e.g. 60 s, runs the guards as often live.
  Millis cycle{15 * 60 * 1000};
  // The months metered before the load (nullptr: none): the site's meter history when OpenMEG
  // starts. The loop's demand meter restores their peaks (the 12-month ratchet, as live from the
  // store) and the bills carry them into the ratchet and the over-contract history.
  const DemandHistory* demand_history = nullptr;
  // EV charging sessions on the site's chargers (nullptr: none): the chargers' twin replays them
  // (device/sim/ev_twin.h), their draw part of the load. Managed: the loop shares the headroom
  // among them every cycle (control/ev_share.h); unmanaged: each car draws its connector's power
  // from arrival until it has its energy or leaves ("as plugged").
  const std::vector<EvSessionPlan>* ev_sessions = nullptr;
  bool manage_ev = true;
  // The operator's standing orders from the first cycle, given to the loop as live (audited, in
  // the same calls): a backup reserve, % of SoC kept for outages and never used for savings (0:
  // none), and a battery mode (core/battery_mode.h). Ignored when the battery is absent.
  double backup_reserve_pct = 0;
  std::optional<BatteryMode> battery_mode;
  // Called with the share done (0..1) now and then; may be empty.
  std::function<void(double)> progress;
};

struct BacktestResult {
  std::string controller;
  Timestamp start;
  std::vector<StepRecord> steps;
  std::vector<MonthlyBill> bills;  // each whole month of the load, in order
  DemandHistory demand;            // request.demand_history with each billed month's demand added
  KilowattHours load_energy, pv_available_energy, pv_used_energy, export_energy;
  KilowattHours charged, discharged;  // battery AC energy
  double battery_cycles = 0;          // equivalent full cycles
  Won degradation_cost;               // throughput x the site's degradation cost
  // The generator (core/site.h GeneratorSpec): its AC output, its starts, the fuel it burnt
  // (output / electric efficiency x fuel price), the heat it gave (fuel x heat recovery x heat
  // value) and its starts' cost. GeneratorNetCost: fuel - heat + starts.
  KilowattHours generated;
  int generator_starts = 0;
  Won generator_fuel_cost, generator_heat_value, generator_start_cost;
  // The cold store: cooling taken in and given out (kWh of cooling), and the chillers' electricity
  // it saved less what its charging cost (kWh).
  KilowattHours thermal_charged, thermal_discharged, thermal_electric;
  // EV charging: the energy the cars got, what they wanted and did not get by their departure (a
  // refused session's whole need), the sessions not full when they left, and those refused.
  KilowattHours ev_energy, ev_unmet;
  int ev_sessions = 0, ev_short = 0, ev_refused = 0;
  int clamped_steps = 0;  // cycles where the limit stage changed the controllers' wish
  // The battery energy the limit stage took from or added to the controllers' wish: the sum over
  // cycles of |wish - command| x cycle, kWh (a charge cut by the contract power counts as well as
  // a discharge cut by the SoC floor).
  KilowattHours clamped_energy;
  PowerSeries grid;                   // the grid power the bills priced
  std::vector<DrCallOutcome> dr;      // each DR call, settled on `grid`
  std::vector<std::string> dr_notes;  // e.g. a call whose CBL could not be computed at issue
};

// The sum of a run's bills (청구금액, VAT and the fund in), KRW.
Won BilledTotal(const BacktestResult& r);
// What running the generator cost net of its heat, KRW: fuel - heat value + starts.
inline Won GeneratorNetCost(const BacktestResult& r) {
  return r.generator_fuel_cost - r.generator_heat_value + r.generator_start_cost;
}

// Runs the loop with `controller` as its planner over every interval of `*request.load`. Fails if
// the series do not match, the cycle does not divide 15 minutes, the tariff cannot price a month,
// or the load has gaps. `on_cycle`, when given, sees every cycle's record (the parity test).
Result<BacktestResult> RunBacktest(const BacktestRequest& request, Controller& controller,
                                   const std::function<void(const CycleRecord&)>& on_cycle = {});

}  // namespace meg
