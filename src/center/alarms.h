// The live site's alarm rules: which alarms a control cycle shows (fail-safe, local mode, stale
// devices, demand near its target, the operator's thresholds), the store alarm (a write the
// store refused), and the board of active alarms that turns each new set into what was raised
// and cleared. Pure values and functions; not thread-safe (LiveSite guards its board).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "center/site_backend.h"
#include "control/control_loop.h"
#include "core/result.h"
#include "store/store.h"

namespace meg {

// An operator's threshold on a live value, e.g. "soc_pct<15" or "grid_kw>1600": an alarm while
// the value is beyond it (strictly).
struct ThresholdAlarm {
  std::string point;  // grid_kw, pv_kw, battery_kw, load_kw, soc_pct, demand_window_kw
  bool above = true;  // '>' (true) or '<'
  double value = 0;
  std::string text;  // as written
};
// Parses "POINT<VALUE" or "POINT>VALUE"; the error says the form and the points.
Result<ThresholdAlarm> ParseThresholdAlarm(const std::string& text);

// The alarms one cycle shows, by kind:
//   fail-safe (critical)           the loop is in safe mode
//   local-mode (warning)           the loop runs on local rules
//   stale-data (warning)           a device is stale or lost
//   implausible-telemetry (critical) a reading beyond the site's plausibility bounds
//                                  (control/plausibility.h): device, value and bound
//   demand-near-target (warning)   the 15-minute demand so far is above 95 % of the guard's target
//   threshold <text> (warning)     an operator's threshold is crossed (unknown values never are)
// Each alarm's `since` is the cycle's time.
std::map<std::string, AlarmView> CycleAlarms(const CycleRecord& r, const std::vector<ThresholdAlarm>& thresholds);

// The store alarm (kind "store", critical): raised while a kind of write the live site makes
// (samples, events, schedule, bill, retention, flush) fails, cleared once every kind that failed
// has succeeded again. It counts the refusals; the first refusal of a kind is worth an event,
// the later ones only the count.
class StoreWriteAlarm {
 public:
  enum class Change { kNone, kFailed, kRecovered };
  // Records one write of `what` at `now`: kFailed at the first failure of `what` (after a
  // success or none), kRecovered at its first success after failures, else kNone.
  Change Record(std::string_view what, const Status& status, Instant now);
  // While any kind fails: the alarm, naming each failing kind, its count, first time and last
  // error; `since` is the earliest failure.
  std::optional<AlarmView> Alarm() const;

 private:
  struct Failing {
    Instant since;
    int count = 0;
    std::string last_error;
  };
  std::map<std::string, Failing, std::less<>> failing_;
};

// One raised or cleared alarm. A cleared alarm's `since` is when it cleared.
struct AlarmChange {
  AlarmView alarm;
  bool raised = true;
};

// The active alarms, by kind. An alarm keeps the time it was raised while its kind is active;
// its message and severity follow the latest update.
class AlarmBoard {
 public:
  // Makes `active` the active set at `now`: kinds not active before are raised, kinds no longer
  // in it are cleared (stamped `now`), kinds still active take the new message. Returns the
  // raises (by kind), then the clears (by kind).
  std::vector<AlarmChange> Update(const std::map<std::string, AlarmView>& active, Instant now);
  std::vector<AlarmView> Active() const;  // by kind

 private:
  std::map<std::string, AlarmView> active_;
};

// The event an alarm change is recorded as: "raised: ..." with severity alarm (critical) or
// warning, "cleared: ..." as info.
Event AlarmEvent(const AlarmChange& change, const std::string& site);

}  // namespace meg
