// The real-time controllers of the control cycle, as components the loop (control/control_loop.h)
// runs in priority order over one frozen view of the cycle, in the style of OpenEMS Edge's
// controllers: each refines the wish of those before it; the one limit stage (control/limits.h)
// comes after all of them. In order:
//   ScheduleFollower  normal mode: the schedule's battery power and PV limit.
//   ManualOverride    not in safe mode: the operator's battery power until its end.
//   PeakGuard         not in safe mode, counted windows: holds the running 15-minute demand under
//                     the month peak, ratchet or operator target (margin), or the plan's import.
//   DrGuard           not in safe mode, during a DR commitment: holds the running 15-minute
//                     import at the commitment's cap.
//   ExportLimiter     not in safe mode: curtails PV before the meter shows more export than allowed.
// Not thread-safe; components belong to the loop that runs them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/controller.h"
#include "control/demand_meter.h"
#include "control/ev_share.h"
#include "core/battery_mode.h"
#include "core/clock.h"
#include "device/ev_chargers.h"
#include "optimize/dr_commitment.h"

namespace meg {

enum class LoopMode { kNormal, kLocal, kSafe };
std::string_view LoopModeName(LoopMode mode);  // "normal", "local", "safe"
// The reason of the safe mode a loop starts in, until its first good cycles: a normal start, not
// a fault (no alarm is raised for it; a bad reading at start replaces it with its own reason).
inline constexpr std::string_view kLoopStartingReason = "starting";

// A schedule entry the follower holds: from the planner, or given from outside (operator,
// fleet center). pv_limit < 0: no PV limit.
struct ScheduleEntry {
  Instant made;
  Kilowatts battery;  // + discharge / - charge, whole site
  Kilowatts pv_limit{-1.0};
  Kilowatts planned_grid;  // what the plan expects to import: the peak guard holds at least this
  std::string source;      // "planner:mpc", "operator:kim"
  Kilowatts generator{0};  // generator output, whole site (0: stopped)
  Kilowatts thermal{0};    // cold storage, kW of cooling, + discharge / - charge
  // Why the planner decided it (Controller::reason), when it gives a reason; the limit stage's
  // part is in each cycle's CycleRecord::limit.
  std::optional<DecisionReason> reason{};
  // What the planned EV sessions may draw, in all (Setpoints::ev; nullopt: not planned).
  std::optional<Kilowatts> ev{};
};

// The 15-minute planner's run in one cycle (ControlLoop), for the operations metrics: whether it
// ran, failed (the loop goes to local rules) or left the interval to its fallback rule, and how
// long it took (ControlLoop::Run with a stopwatch only).
struct PlanRun {
  bool ran = false;
  bool failed = false;
  bool fallback = false;
  std::chrono::nanoseconds work{0};
};

// What one cycle saw and did (the loop's record; the store keeps these).
struct CycleRecord {
  Instant time;
  LoopMode mode = LoopMode::kNormal;
  std::string reason;                 // why the mode is not normal ("" when normal)
  Kilowatts grid, pv, battery, load;  // measured (NaN where unknown); load = grid + pv + battery + generator
  Kilowatts generator;                // measured generator output (NaN where unknown, 0 without one)
  double soc_pct = 0;                 // mean over fresh batteries (NaN if none)
  Kilowatts window_average;           // running 15-minute demand
  Kilowatts demand_target;            // what the peak guard held (0 when the window does not count)
  Kilowatts dr_cap;                   // the DR guard's import cap (NaN when no DR call is in force)
  Kilowatts month_peak;
  Kilowatts battery_wish;                // what the controllers asked for, before the limit stage
  Kilowatts battery_command;             // after the limit stage, whole site
  Kilowatts pv_limit_command;            // < 0: none
  Kilowatts generator_command;           // after the limit stage, whole site (0: stopped)
  Kilowatts thermal_command;             // cold storage after the limit stage, kW of cooling
  Kilowatts thermal_electric;            // measured: the electricity the cold store saved (+) or cost (-)
  bool clamped = false;                  // the limit stage changed the wish
  LimitStage limit = LimitStage::kNone;  // which limit changed it (LimitedSetpoints::limit)
  int commands_sent = 0;                 // setpoints the devices (or broker) accepted this cycle
  int writes_pending = 0;                // earlier setpoints still being sent (device/async_device.h)
  int devices_fresh = 0;
  int devices_stale = 0;
  // Readings beyond the site's plausibility bounds this cycle (control/plausibility.h), each
  // naming the device, the value and the bound: "m1: power 1e+12 kW is outside ...".
  std::vector<std::string> implausible;
  // EV charging, when the loop has chargers (ControlLoop::SetEvChargers): each session under way,
  // the limit it was given and why (control/ev_share.h); what the cars drew (measured) and the
  // sum of the limits set and of what those not steerable draw; whether new sessions may start.
  struct Ev {
    EvSession session;
    EvShareDecision decision;
    std::string text;  // EvShareText
  };
  std::vector<Ev> ev;
  std::vector<EvChargerState> chargers;  // every charger, online or not, each connector's status
  Kilowatts ev_power{0};
  Kilowatts ev_limit{0};
  Kilowatts ev_target_room{0};  // the room under the demand target the sessions shared, kW
  bool ev_accepting = true;
  bool audit_failed = false;         // the audit log refused: nothing was sent this cycle
  PlanRun plan;                      // the planner's run this cycle, if it ran
  std::chrono::nanoseconds work{0};  // Run with a stopwatch only: the cycle's work (read, decide, audit, send)
};

// The frozen view of one cycle that every component reads.
struct CycleView {
  Instant now;
  Millis cycle{1000};
  LoopMode mode = LoopMode::kSafe;
  const SiteImage* image = nullptr;  // the limit stage's image (load NaN when not trusted)
  Kilowatts pv_now;                  // PV measured now
  bool window_counts = false;        // the open window's demand counts for 요금적용전력
  const DemandMeter* demand = nullptr;
  const ScheduleEntry* schedule = nullptr;        // the schedule held, if any
  const std::vector<DrCommitment>* dr = nullptr;  // DR commitments held
  // The operator's hold-soc is in force: the guards do not move the battery either.
  bool battery_held = false;
};

class CycleController {
 public:
  virtual ~CycleController() = default;
  virtual std::string_view name() const = 0;
  // Refines `wish` for this cycle; notes what it held in `record`.
  virtual void Run(const CycleView& view, Setpoints& wish, CycleRecord& record) = 0;
};

class ScheduleFollower final : public CycleController {
 public:
  std::string_view name() const override { return "schedule-follower"; }
  void Run(const CycleView& view, Setpoints& wish, CycleRecord& record) override;
};

class ManualOverride final : public CycleController {
 public:
  std::string_view name() const override { return "manual-override"; }
  void Run(const CycleView& view, Setpoints& wish, CycleRecord& record) override;
  // `battery` (whole site) until `until`; nullopt clears it.
  void Set(std::optional<Kilowatts> battery, Instant until);
  const std::optional<Kilowatts>& battery() const { return battery_; }
  Instant until() const { return until_; }

 private:
  std::optional<Kilowatts> battery_;
  Instant until_{};
};

// The operator's battery mode (core/battery_mode.h) over the plan's wish: hold-soc and a
// discharge window set the battery; charge-to charges at least at the even rate that reaches its
// SoC in time (a larger charge planned at a cheaper hour is kept). The manual override, after it,
// still wins; the limit stage, after all, still holds every limit.
class BatteryModeController final : public CycleController {
 public:
  explicit BatteryModeController(const EssSpec* ess) : ess_(ess) {}
  std::string_view name() const override { return "battery-mode"; }
  void Run(const CycleView& view, Setpoints& wish, CycleRecord& record) override;
  void Set(const BatteryMode& mode) { mode_ = mode; }
  const BatteryMode& mode() const { return mode_; }

 private:
  const EssSpec* ess_;  // nullptr: no battery, the mode does nothing
  BatteryMode mode_;
};

class PeakGuard final : public CycleController {
 public:
  // `demand_target`: the operator's (0 = none); `margin_pct`: held this far under a locked-in peak.
  PeakGuard(Kilowatts demand_target, double margin_pct) : demand_target_(demand_target), margin_pct_(margin_pct) {}
  std::string_view name() const override { return "peak-guard"; }
  void Run(const CycleView& view, Setpoints& wish, CycleRecord& record) override;

 private:
  Kilowatts demand_target_;
  double margin_pct_;
};

class DrGuard final : public CycleController {
 public:
  std::string_view name() const override { return "dr-guard"; }
  void Run(const CycleView& view, Setpoints& wish, CycleRecord& record) override;
};

class ExportLimiter final : public CycleController {
 public:
  std::string_view name() const override { return "export-limiter"; }
  void Run(const CycleView& view, Setpoints& wish, CycleRecord& record) override;
};

// Raises the battery's discharge so that the open 15-minute window's mean import stays at most
// `cap` kW, the way the meter measures it: the rest of the window may import at most what keeps
// The demand already locked in for the month, held with a margin: the largest of the operator's
// target, the month's peak so far and the ratchet, less margin_pct. The peak guard's target
// (before the plan's own import) and the ceiling the EV stage shares (ControlLoop).
Kilowatts LockedInDemand(const DemandMeter& demand, Kilowatts operator_target, double margin_pct);

// the window's energy within cap x 15 min. Shared by PeakGuard and DrGuard.
void HoldWindowAt(const CycleView& view, Kilowatts cap, Setpoints& wish);

}  // namespace meg
