// The controller interface shared by the year simulation and the live control loop: each cycle
// a controller sees a frozen SiteImage and returns Setpoints; SafetyLimits (control/limits.h)
// then clamps them, in one place, before anything reaches a device.
// Controllers are used from the control thread only; they may keep state between cycles.
#pragma once

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/decision_reason.h"
#include "core/battery_mode.h"
#include "core/ev.h"
#include "core/site.h"
#include "core/time.h"
#include "core/units.h"
#include "optimize/dr_commitment.h"
#include "tariff/tariff_book.h"

namespace meg {

// What a controller knows at the start of one interval. Signs: load + consumption, PV +
// production, battery + discharge / - charge, generator + production, grid + import / - export;
// grid = load - PV - battery - generator.
struct SiteImage {
  Timestamp start;  // interval start
  Hours dt{0.25};
  Kilowatts load;          // mean consumption expected over the interval
  Kilowatts pv_available;  // mean PV production available over the interval
  // What the PV gives now, where a limit in force hides what it could give (pv_available is
  // then its rating, the export check's worst case): the part of pv_available above it is
  // assumed, not produced, so the export check curtails it before it cuts a discharge. NaN
  // (unknown or no limit in force): all of pv_available is produced.
  Kilowatts pv_now{std::numeric_limits<double>::quiet_NaN()};
  bool has_battery = false;
  double soc_pct = 0;
  // The operator's backup reserve, % (0: none): battery_max_discharge already stops at it, and a
  // planner keeps it (core/battery_mode.h).
  double battery_reserve_pct = 0;
  // The operator's battery mode, for a planner to plan with (kAuto: none).
  BatteryMode battery_mode;
  Kilowatts battery_max_discharge;         // within the battery's own limits for dt (>= 0)
  Kilowatts battery_max_charge;            // magnitude (>= 0)
  Kilowatts battery_discharge_rating;      // nameplate discharge power
  KilowattHours battery_deliverable_full;  // AC energy a full window (min..max SoC) delivers
  // Ramp: the battery command in force before this decision, and the largest change away from it
  // allowed now (>= 0; infinity = no ramp limit). Moving toward zero is never held back.
  Kilowatts battery_previous;
  Kilowatts battery_ramp_step{std::numeric_limits<double>::infinity()};
  // The dispatchable generator (core/site.h GeneratorSpec), + production. Its output now
  // (measured; part of what covers `load`), its rating and minimum load while running, the
  // command in force before this decision and the largest rise from it allowed now (a start
  // may jump to the minimum load; a stop or a fall is never held back).
  bool has_generator = false;
  Kilowatts generator_now;
  Kilowatts generator_max;
  Kilowatts generator_min;
  Kilowatts generator_previous;
  Kilowatts generator_ramp_step{std::numeric_limits<double>::infinity()};
  // Cold storage (core/site.h ThermalStorageSpec), in kW of cooling: its state of charge, what it
  // can give and take now (its limits, the demand it may serve, the chillers' spare capacity), the
  // chillers' COP now and their COP while charging (% of it). An action's electricity: + a / cop
  // for a discharge, a / (cop x charge_cop_pct / 100) for a charge (core/thermal.h).
  bool has_thermal = false;
  double thermal_soc_pct = 0;
  Kilowatts thermal_max_discharge;
  Kilowatts thermal_max_charge;
  // The plant's COP as it reports it (its average at the load it serves). The limit stage reckons
  // the store's electricity exactly at the chillers' part load when the plant reports the cooling
  // it serves (`thermal_plant`, the site's chillers when their COP changes with load, and
  // `thermal_cooling_load`); otherwise at the COP divided by a margin that holds at any load
  // (core/thermal.h ChillerCopMargin; 1 for a COP that does not change with load).
  double thermal_cop = std::numeric_limits<double>::quiet_NaN();
  double thermal_cop_margin = 1;
  std::optional<CoolingSpec> thermal_plant;
  Kilowatts thermal_cooling_load{std::numeric_limits<double>::quiet_NaN()};
  double thermal_charge_cop_pct = 100;
  Band band = Band::kOffPeak;  // energy band of the interval (after Saturday/holiday rules)
  bool demand_counts = false;  // the interval's demand counts for 요금적용전력
  Kilowatts contract_power;    // 계약전력
  Kilowatts month_peak;        // largest grid demand this month so far, counted intervals
  Kilowatts ratchet;           // largest peak of the demand months in the 11 months before
  // Each month's peak so far (kW; the restored meter history, the closed months and this one):
  // what later months' ratchets are made of (DemandMeter::MonthPeaks). Filled in the planner's
  // image (ControlLoop::MaybePlan), once per interval; empty in the per-cycle images.
  std::vector<std::pair<Month, double>> month_peaks;
  bool export_allowed = false;
  Kilowatts export_limit;
  // Demand-response calls issued so far (known_from <= start), one commitment per trading hour,
  // those under way or ahead; a planner takes those in its horizon into account.
  std::vector<DrCommitment> dr;
  // The EV charging sessions under way that the loop can steer (the planner's image only): a
  // planner that plans them says how much the cars may draw in the interval (Setpoints::ev).
  // `load` holds what the cars drew when it was measured; ev_power is that part of it.
  std::vector<EvFlexLoad> ev;
  Kilowatts ev_power;
};

struct Setpoints {
  Kilowatts battery;       // + discharge / - charge
  Kilowatts pv_limit;      // upper limit on PV production (curtailment); < 0 means no limit
  Kilowatts generator{0};  // generator output wished (0: stopped, or no generator)
  Kilowatts thermal{0};    // cold storage, kW of cooling, + discharge / - charge (0: idle, or none)
  // What the EV sessions the planner planned may draw in the interval, in all (nullopt: the
  // planner does not plan the cars; the loop's EV stage then shares the room under the demand
  // already locked in).
  std::optional<Kilowatts> ev{};
};

// DR guard, shared by every controller that takes part in DR: in an interval of a DR call the
// battery discharges at least what holds the grid import at the call's cap (net - cap), and never
// charges above it. SafetyLimits then bounds it by what the battery can do.
inline Setpoints HoldDrCap(const SiteImage& image, Setpoints s) {
  const DrCommitment* c = DrCommitmentAt(image.dr, image.start, image.start);
  if (c == nullptr || !image.has_battery) return s;
  const double pv = s.pv_limit.value() >= 0 ? std::min(image.pv_available.value(), s.pv_limit.value())
                                            : image.pv_available.value();  // what PV will give
  const double net = image.load.value() - pv - s.generator.value();
  s.battery = Kilowatts(std::max(s.battery.value(), net - c->import_cap.value()));
  return s;
}

class Controller {
 public:
  virtual ~Controller() = default;
  virtual std::string_view name() const = 0;
  // Decides this interval's setpoints. Must not fail: a controller that cannot decide returns
  // a neutral setpoint (battery 0, no PV limit).
  virtual Setpoints Decide(const SiteImage& image) = 0;
  // Why the last Decide decided what it did (control/decision_reason.h); nullptr when the
  // controller gives no reason (the rule controllers) or has not decided yet.
  virtual const DecisionReason* reason() const { return nullptr; }
};

}  // namespace meg
