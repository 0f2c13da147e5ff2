// DecisionReason: why the battery does what it does in one interval, as a planner decided it and
// the limit stage left it: a stable code, the few figures behind it, and one pure function that
// renders it as a sentence a person can check against the bill's rules. The codes' names are a
// published interface (docs/simulate.md "Decision reasons"): the series CSV, the HTML report and
// the live API carry them, so a reader can filter on them; never renumber or rename one.
// A value type (about 60 bytes, kept per interval by the year backtest); thread-safe to copy.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/time.h"
#include "tariff/tariff_book.h"

namespace meg {

// The reason's kind; the name in brackets is what the CSV and the API carry.
enum class DecisionCode : std::uint8_t {
  kNone = 0,            // "": the controller gives no reason (rule controllers, no battery)
  kIdle = 1,            // "idle": no price spread or peak to shave worth the battery's wear
  kIdleReserve = 2,     // "idle_reserve": idle, keeping the stored energy as reserve for a demand above forecast
  kChargeCheap = 3,     // "charge_cheap": charging where energy is cheap, for a dearer interval or a peak later
  kChargePv = 4,        // "charge_pv": storing PV production the site can neither use nor export
  kDischargePeak = 5,   // "discharge_peak": holding the counted demand at the month peak the plan accepts
  kDischargePrice = 6,  // "discharge_price": discharging where energy is dear (no peak at stake)
  kDischargeDr = 7,     // "discharge_dr": holding the grid import at a DR commitment's cap
  kPeakGuard = 8,       // "peak_guard": the real demand is above the plan's peak; discharging against it
  kChargeHeld = 9,      // "charge_held": the plan's charging cut so as not to lift the counted demand
  kFallback = 10,       // "fallback": the plan failed; the peak-shave rule decided
};
inline constexpr int kDecisionCodeCount = 11;

// Which limit of the one limit stage (control/limits.h ApplySafetyLimits) changed the wish;
// the first in the stage's order when several did.
enum class LimitStage : std::uint8_t {
  kNone = 0,       // "": nothing clipped
  kUntrusted = 1,  // "untrusted_input": an unknown load or a non-finite wish made safe (battery 0)
  kBattery = 2,    // "battery_limits": the battery's power rating or SoC window
  kRamp = 3,       // "ramp": the battery's ramp limit
  kContract = 4,   // "contract_power": charging would lift the import above 계약전력
  kExport = 5,     // "export_limit": export not allowed or above its limit (discharge cut, PV curtailed)
  kGenerator = 6,  // "generator_limits": the generator's rating, minimum load or ramp
  kThermal = 7,    // "thermal_storage_limits": the cold store's ratings, energy, demand or chillers
};
inline constexpr int kLimitStageCount = 8;

std::string_view DecisionCodeName(DecisionCode code);  // "discharge_peak"; "" for kNone
std::string_view LimitStageName(LimitStage stage);     // "ramp"; "" for kNone

// Signs: battery + discharge / - charge. NaN marks a figure that does not apply.
struct DecisionReason {
  static constexpr float kNotApplicable = std::numeric_limits<float>::quiet_NaN();

  DecisionCode code = DecisionCode::kNone;
  LimitStage limit = LimitStage::kNone;  // set by the control loop after the limit stage
  Band band = Band::kOffPeak;            // the interval's energy band (after Saturday/holiday rules)
  bool demand_counts = false;            // its demand counts for 요금적용전력 (billing demand)
  // The interval's energy price against the next `rank_hours` of the plan (24 h, less near its end;
  // 0: no rank): the share of those intervals priced at or below it, and at or above it, in %.
  std::uint8_t cheaper_pct = 0, dearer_pct = 0, rank_hours = 0;
  // The window the reserve is kept for, in intervals from this one: [from, to).
  std::uint8_t reserve_from = 0, reserve_to = 0;
  // Intervals from this one to the plan's next discharge within 24 h (what charging, or idling
  // with energy stored above the SoC minimum, is for); 0: none.
  std::uint8_t next_discharge = 0;
  float battery_kw = 0;  // the planner's decision
  float planned_kw = 0;  // what the plan said, before the planner's own peak and DR guards
  float price_krw_per_kwh = 0;
  // P: the month peak the plan holds (counted demand); for peak_guard and charge_held the demand
  // the planner's guard held the interval to.
  float peak_kw = kNotApplicable;
  float month_peak_kw = kNotApplicable;  // this month's realised peak so far
  float ratchet_kw = kNotApplicable;     // the 12-month ratchet (peak of the demand months before)
  float reserve_kwh = 0;                 // energy kept stored above the SoC minimum for a load above forecast
  float dr_cap_kw = kNotApplicable;      // the DR import cap in force
  float demand_kw = kNotApplicable;      // peak guard: the real demand (load - PV) it answered
  // peak guard: the plan's peak, when the guard held a higher level (`peak_kw`) that the stored
  // energy holds to the day's end
  float plan_peak_kw = kNotApplicable;
  float limited_kw = kNotApplicable;  // the battery power after the limit stage, when it clipped
};

// One sentence with units and thousands separators, e.g. "discharging 185 kW: holding the month
// peak 1,379 kW (최대부하 peak, 175.3 KRW/kWh, among the dearest 17 % of the next 24 h); 120 kWh
// of reserve kept for 17:00-18:00". `start` is the interval's start (the reserve window is shown
// in KST). Empty for kNone (the battery power is then not the planner's to tell).
std::string RenderDecisionReason(const DecisionReason& reason, Timestamp start);

}  // namespace meg
