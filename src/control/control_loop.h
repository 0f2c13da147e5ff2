// ControlLoop: the fixed-cycle real-time loop in the style of OpenEMS Edge. Each cycle (1 s by
// default) it reads every device into a frozen process image, runs the real-time controllers of
// control/cycle_controllers.h in priority order (schedule follower, manual override, peak guard,
// DR guard, export limiter), passes their wish through the one limit stage (control/limits.h:
// SoC window, power, ramp, contract power, export limit), writes the audit log, and only then
// sends setpoints. The 15-minute Controller (peak-shave, mpc, ...) is the planner: called at each
// quarter-hour with the measured state (control/site_image.h), its decision becomes the schedule
// the follower holds. The year backtest (sim/backtest.h) runs this same loop over the site twin.
//
// Fail-safe (docs/control-loop.md), decided every cycle, entered at once, left only after
// `recover_after_cycles` good cycles in a row; every mode change is audited:
//   normal  all telemetry fresh, schedule fresh, planner fine.
//   local   the schedule is older than its horizon or the planner failed: no schedule; the peak
//           guard and export limiter still act on live measurements.
//   safe    a device's telemetry is older than `stale_after_cycles` cycles, bad (the driver's
//           check, or beyond the site's plausibility bounds, control/plausibility.h), or the
//           device is lost or late (no answer within the read wait, device/async_device.h):
//           nothing is trusted, so the limit stage sees an unknown load: batteries to 0 kW
//           (ramped only where ramping toward zero), PV held to what export allows at zero load.
// Not thread-safe: the loop, its devices and its planner belong to the control thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/controller.h"
#include "control/cycle_controllers.h"
#include "control/demand_meter.h"
#include "control/limits.h"
#include "control/plausibility.h"
#include "control/site_image.h"
#include "core/audit.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "core/site.h"
#include "device/device.h"
#include "device/ev_chargers.h"
#include "tariff/tariff_book.h"
#include "tariff/tou.h"

namespace meg {

struct LoopConfig {
  Millis cycle{1000};
  int stale_after_cycles = 5;               // telemetry older than this many cycles is stale
  int recover_after_cycles = 5;             // good cycles in a row before a better mode is resumed
  Millis schedule_horizon{30 * 60 * 1000};  // a schedule older than this is stale
  Millis setpoint_refresh{30 * 1000};       // an unchanged setpoint is re-sent this often
  double deadband_kw = 0.5;                 // a setpoint change smaller than this is not sent
  double peak_guard_margin_pct = 1;         // the guard holds the window this far under its target
  Kilowatts demand_target;                  // operator's demand target (0 = month peak, ratchet, plan)
};

struct LoopSite {
  const Site* site = nullptr;
  const TariffBook* book = nullptr;
  const HolidayCalendar* calendar = nullptr;
  TariffId tariff;
};

class ControlLoop {
 public:
  // Everything referenced must outlive the loop. REQUIRES: site, book, calendar set.
  ControlLoop(LoopSite site, std::vector<Device*> devices, AuditLog& audit, LoopConfig config);

  // The 15-minute planner, called at each quarter-hour with the measured state; `failures`,
  // when given, counts the planner's failures so far (a rise means "planner failed").
  void SetPlanner(Controller* planner, std::function<int()> failures = {});
  // A schedule from outside the loop. Audited under `actor` first; refused if the audit fails.
  Status SetSchedule(ScheduleEntry schedule, const std::string& actor);
  // Manual override of the whole site's battery power until `until` (nullopt clears it). The
  // limit stage still applies, and the peak guard may still add discharge. Audited first.
  // `now` is when the operator acted (the audit record's time).
  Status SetManualOverride(std::optional<Kilowatts> battery, Instant now, Instant until, const std::string& actor);
  // The operator's battery mode (core/battery_mode.h; kAuto clears it) and backup reserve (% of
  // usable energy, 0: none), each checked against the battery and audited first ("battery-mode",
  // "backup-reserve"); refused without a battery. The planner plans with them from the next cycle.
  Status SetBatteryMode(const BatteryMode& mode, Instant now, const std::string& actor);
  Status SetBackupReserve(double reserve_pct, Instant now, const std::string& actor);
  const BatteryMode& battery_mode() const { return battery_mode_.mode(); }
  double backup_reserve_pct() const { return backup_reserve_pct_; }
  // Adds the commitments of one DR call (one per trading hour, from market/dr_program.h's
  // CommitmentsOf): the planner plans for them and the DR guard holds the import at each cap
  // while it is in force. Audited under `actor` first ("dr-call"); refused if the audit fails or
  // a commitment overlaps one already held.
  Status AddDrCommitments(std::vector<DrCommitment> commitments, Instant now, const std::string& actor);
  // Withdraws the commitments held over [from, to): one that starts before `from` now ends there,
  // one that ends after `to` now starts there, one inside is dropped (a DR call revised for the
  // rest of its window, market/dr_desk.h DrDesk::Revise). Audited under `actor` first
  // ("dr-withdraw"); refused if the audit fails. Withdrawing nothing is not an error.
  Status WithdrawDrCommitments(Timestamp from, Timestamp to, Instant now, const std::string& actor);
  // Called at the start of every cycle, before the devices are read and the planner runs, on the
  // control thread: work that must be in force for this cycle's decisions, e.g. the DR calls
  // whose issue time has come (their commitments through AddDrCommitments), live (LiveSite) and
  // in the backtest alike.
  void SetBeforeCycle(std::function<void(Instant now)> before_cycle) { before_cycle_ = std::move(before_cycle); }
  // The DR commitments not yet over at the last cycle.
  const std::vector<DrCommitment>& dr_commitments() const { return dr_; }

  // The site's EV chargers (nullptr: none; must outlive the loop): every cycle their sessions
  // share the headroom the limit stage leaves (control/ev_share.h, RunEvStage), each limit
  // audited before it is set; CycleRecord::ev says what each got and why.
  void SetEvChargers(EvChargers* ev) { ev_ = ev; }
  // The driver's or operator's word on the session under way on (charger, connector): the energy
  // it needs in all and when it leaves. Audited under `actor` first ("ev-session"); refused
  // without chargers, for a session not under way, or a departure not after `now`.
  Status SetEvSessionNeed(const std::string& charger, int connector, KilowattHours need, Instant departure, Instant now,
                          const std::string& actor);
  // An operator's call to a charger (remote start or stop, availability, clearing its profiles),
  // audited under `actor` first ("ev-call"); refused without chargers or for a charger the site
  // does not have.
  Status CallCharger(const std::string& charger, int connector, EvChargerCall call, const std::string& id_tag,
                     Instant now, const std::string& actor);

  // Before the first cycle: the month peaks recorded before this start (DemandMeter::Restore).
  void RestoreDemand(std::vector<std::pair<Month, double>> peaks) { demand_.Restore(std::move(peaks)); }

  // One cycle at `now`.
  CycleRecord RunCycle(Instant now);
  // Cycles on `clock` every config.cycle until `keep_going` returns false; each record is handed
  // to it. A cycle that overruns skips the starts it missed. `stopwatch`, when given, reads a
  // monotonic clock to time each cycle's work into CycleRecord::work (the app passes the real
  // one; the loop itself never reads the wall). Audits "start" and "stop".
  void Run(Clock& clock, const std::function<bool(const CycleRecord&)>& keep_going,
           const std::function<std::chrono::nanoseconds()>& stopwatch = {});

  LoopMode mode() const { return mode_; }
  const DemandMeter& demand() const { return demand_; }
  const std::optional<ScheduleEntry>& schedule() const { return schedule_; }
  // The manual override in force at the last cycle, if any, and until when.
  const std::optional<Kilowatts>& override_battery() const { return override_.battery(); }
  Instant override_until() const { return override_.until(); }

 private:
  struct DeviceState {
    Device* device = nullptr;
    PlausibleBounds bounds;  // from the site file (control/plausibility.h)
    std::optional<Telemetry> last_good;
    std::string problem;  // why it is not fresh, for the mode reason
    bool fresh = false;
    std::optional<Command> last_sent;  // last attempted
    Instant last_sent_time{};
    bool resend = false;  // the last attempt failed
  };
  struct Measured;

  Measured ReadDevices(Instant now);
  void UpdateMode(Instant now, const Measured& m, std::vector<AuditRecord>& audit);
  // Runs the planner at a new quarter-hour (CycleRecord::plan says how it went).
  PlanRun MaybePlan(Instant now, const Measured& m);
  SiteImage LimitImage(Instant now, const Measured& m) const;
  BatteryReading MeasuredBattery(const Measured& m) const;
  std::optional<GeneratorReading> MeasuredGenerator(const Measured& m) const;
  std::optional<ThermalReading> MeasuredThermal(const Measured& m) const;
  const DayProfile* Profile(Instant now);
  // The EV stage: shares the headroom left by `done` among the sessions (`planned_battery`: the
  // battery before the guards, whose extra discharge is not room for the cars); adds the limits
  // due to `audit` and returns them, to be set once the audit is written.
  struct EvLimit {
    std::string charger;
    int connector = 1;
    int tx = 0;
    Kilowatts kw;
  };
  std::vector<EvLimit> RunEvStage(Instant now, bool window_counts, const LimitedSetpoints& done,
                                  Kilowatts planned_battery, CycleRecord& rec, std::vector<AuditRecord>& audit);
  void Audit(std::vector<AuditRecord> records);

  LoopSite site_;
  std::vector<DeviceState> devices_;
  AuditLog& audit_;
  LoopConfig config_;
  DemandMeter demand_;
  std::optional<DayProfile> day_;
  Controller* planner_ = nullptr;
  std::function<void(Instant)> before_cycle_;
  std::function<int()> planner_failures_;
  std::function<std::chrono::nanoseconds()> stopwatch_;  // Run's, to time the planner
  int planner_failures_seen_ = 0;
  bool planner_failed_ = false;
  Timestamp planned_window_{};
  std::optional<ScheduleEntry> schedule_;
  std::vector<DrCommitment> dr_;
  // The real-time controllers, run in this order each cycle.
  ScheduleFollower follower_;
  BatteryModeController battery_mode_;
  ManualOverride override_;
  double backup_reserve_pct_ = 0;
  PeakGuard peak_guard_;
  DrGuard dr_guard_;
  ExportLimiter export_limiter_;
  std::vector<CycleController*> controllers_;
  LoopMode mode_ = LoopMode::kSafe;  // nothing is trusted until the first good cycles
  std::string reason_{kLoopStartingReason};
  int better_cycles_ = 0;
  Kilowatts previous_battery_;
  Kilowatts previous_generator_;
  EvChargers* ev_ = nullptr;
  struct EvSent {
    int tx = 0;
    Kilowatts kw;
    Instant time{};
  };
  std::map<std::string, EvSent> ev_sent_;  // by "charger/connector": the last limit set
  bool ev_accepting_ = true;
  std::optional<KilowattHours> meter_energy_;  // the meter's register at the last cycle it was read
  Instant meter_energy_time_{};                // that cycle's time
};

}  // namespace meg
