// SiteBackend: what the HTTP server needs from a running site (the live loop, its store, its
// bills), as plain values. LiveSite (center/live_site.h) implements it over the control loop
// thread, the store and the tariff engine; the server (src/server) only authenticates,
// validates, renders JSON and streams. It lives in center, below server, so that LiveSite can
// implement it without including the server. All methods are called from server threads
// concurrently: implementations must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/audit.h"
#include "core/clock.h"
#include "core/histogram.h"
#include "core/result.h"
#include "core/units.h"
#include "store/store.h"

namespace meg {

struct SiteSummary {
  std::string id;
  std::string name;
  std::string tariff;
  double contract_kw = 0;
  double pv_kw = 0;    // AC rating of all arrays
  double ess_kwh = 0;  // usable
  double ess_kw = 0;   // discharge rating
};

// The loop's latest cycle. NaN where unknown (rendered as null).
struct LiveValues {
  std::uint64_t version = 0;  // rises with every published cycle
  Instant time;
  std::string mode;  // normal, local, safe
  std::string reason;
  double grid_kw = 0, pv_kw = 0, battery_kw = 0, load_kw = 0, soc_pct = 0;
  double demand_window_kw = 0, demand_target_kw = 0, month_peak_kw = 0, contract_kw = 0;
  double battery_command_kw = 0;
  double generator_kw = 0, generator_command_kw = 0;  // measured output, the command after the limits
  std::optional<double> pv_limit_kw;
  std::optional<double> override_battery_kw;
  std::optional<Instant> override_until;
  int devices_fresh = 0, devices_stale = 0;
  double speed = 1;
  // The car park (control/ev_share.h): each session under way, the limit the loop gave it and why;
  // what the cars draw now; whether a new session may start.
  struct EvRow {
    std::string charger;
    int connector = 1;
    int transaction = 0;
    double power_kw = 0, need_kwh = 0, delivered_kwh = 0;
    std::optional<double> limit_kw;  // none: not steerable (offline or not following its limit)
    Instant departure;
    bool connected = true, follows_limit = true;
    bool late = false;                // it will not be full by its departure (ev_share.h)
    std::string reason_code, reason;  // "share", "keep-pace", ...; the sentence
  };
  std::vector<EvRow> ev;
  struct ChargerRow {
    std::string id;
    bool connected = false;
    std::vector<std::string> connector_status;  // [0] = connector 1
  };
  std::vector<ChargerRow> chargers;
  double ev_kw = 0;
  bool ev_accepting = true;
  // The operator's battery mode ("auto" when none; DescribeBatteryMode) and backup reserve (%; 0: none).
  std::string battery_mode = "auto";
  double backup_reserve_pct = 0;
};

struct ScheduleView {
  bool present = false;
  Instant made;
  std::string source;
  double battery_kw = 0;
  std::optional<double> pv_limit_kw;
  double planned_grid_kw = 0;
  // Why (control/decision_reason.h): the planner's reason code ("discharge_peak"; "" when the
  // schedule's source gives none), the limit that clipped the last cycle's command ("ramp"; ""
  // when none) and the sentence, e.g. "discharging 185 kW: holding the month peak 1,379 kW".
  std::string reason_code{};
  std::string limit{};
  std::string reason{};
};

struct ForecastView {
  Instant issued;
  std::string method;
  struct Interval {
    Instant start;
    double load_kw = 0, pv_kw = 0;
  };
  std::vector<Interval> intervals;
};

struct BillView {
  std::string month;      // "2024-08"
  Instant from, through;  // the metered part of the month
  std::int64_t with_openmeg_krw = 0;
  std::int64_t without_openmeg_krw = 0;
  // What the generator's fuel cost this month so far, net of its heat (its output x
  // GeneratorKrwPerKwh; 0 without one): the saving is without - with - this.
  std::int64_t generator_krw = 0;
  // Today's energy-related cost with OpenMEG (energy, climate, fuel, VAT, fund shares).
  std::int64_t today_cost_krw = 0;
  double energy_kwh = 0;
  double peak_kw = 0;            // this month's 15-minute peak in the counted hours (중간/최대부하)
  double billing_demand_kw = 0;  // 요금적용전력 the month-to-date bill uses
  double ratchet_kw = 0;         // the largest peak of the 11 months' demand months (art. 68 ①)
  std::vector<std::pair<std::string, std::int64_t>> lines;  // with OpenMEG
  std::vector<std::string> notes;
  // The cheapest tariff the site may take for the same use, voltage and contract power on this
  // month's metered use with OpenMEG (tariff/tariff_compare.h), when it is not the one in force,
  // and what it would have saved on this month so far; empty / 0 otherwise.
  std::string cheaper_tariff;
  std::int64_t cheaper_by_krw = 0;
};

// The month's saving so far: the bill without OpenMEG less the bill with it and the generator's fuel.
inline std::int64_t SavingOf(const BillView& b) { return b.without_openmeg_krw - b.with_openmeg_krw - b.generator_krw; }

// What a site whose control loop runs in this process measures of itself, for the operations
// metrics (GET /metrics): the wall time of each control cycle's work and of each planner run,
// how the planner fared, and the writes the store refused.
struct SiteMetrics {
  Histogram cycle_seconds;
  Histogram plan_seconds;
  std::uint64_t plans = 0;
  std::uint64_t plan_failures = 0;   // runs that failed: the loop went to its local rules
  std::uint64_t plan_fallbacks = 0;  // runs whose interval the fallback rule decided
  std::uint64_t store_write_failures = 0;
  // The live weather forecast ([weather_forecast]; 0 without one): good fetches and failed ones.
  std::uint64_t weather_fetches = 0;
  std::uint64_t weather_fetch_failures = 0;
};

struct AlarmView {
  std::string kind;
  std::string severity;
  std::string message;
  Instant since;
};

struct AuditView {
  std::uint64_t seq = 0;
  AuditRecord record;
};

// A demand-response call (KPX reliability / economic / test) and what became of it: its CBL and
// metered energy per trading hour once known, and the settlement estimate after the event.
struct DrEventView {
  std::string kind;  // reliability, economic, test
  Instant issued, start, end;
  double requested_kw = 0;
  // waiting (not yet issued), planned (CBL known, the loop holds the cap), no_cbl (too little
  // metered history: not planned, settled as 0), settled
  std::string status;
  std::string message;
  struct Hour {
    Instant start;
    int minutes = 60;                     // of the trading hour the call covers
    std::optional<double> cbl_kwh;        // the CBL over those minutes
    std::optional<double> import_cap_kw;  // CBL as a mean power less the request
    std::optional<double> metered_kwh;    // after the event
    std::optional<double> reduction_kwh;
    double requested_kwh = 0;
    std::optional<double> payment_krw;
  };
  std::vector<Hour> hours;
  std::optional<double> performance_pct;
  std::optional<double> energy_payment_krw;
};

// A DR call submitted through the API (the KPX or aggregator system, or an operator), carried
// out on the control thread like a command: checked by the dispatch rules, audited, planned.
struct DrCallRequest {
  std::string kind = "reliability";  // reliability, economic, test
  std::optional<Instant> issued;     // default: the site's time now
  Instant start, end;
  double requested_kw = 0;
  std::string user;
  // A revision, not a new call: the site's share of a call it holds that ends at `end` becomes
  // `requested_kw` from `start` on (the fleet center's re-split, center/fleet_dr.h; DrDesk::Revise).
  bool revision = false;
};

// An operator's command, carried out on the control thread and audited there under `user`
// before it takes effect.
struct OperatorCommand {
  // kEvSession: the driver's or operator's word on a charging session under way (its energy need
  // in all and when the car leaves), docs/ev-charging.md.
  // kEvCharger: an operator's call to a charger (`action`: remote-start, remote-stop, available,
  // unavailable, clear-limits; `id_tag` for a remote start).
  // kBatteryMode: an operator's battery mode (core/battery_mode.h: `mode`, `from` (unset: now),
  // `until`, `soc_pct` for charge-to, `battery_kw` the discharge of a discharge-window).
  // kBackupReserve: the backup reserve, `soc_pct` (0: none).
  enum class Kind { kSetpoint, kAuto, kSchedule, kEvSession, kEvCharger, kBatteryMode, kBackupReserve };
  Kind kind = Kind::kAuto;
  double battery_kw = 0;
  double minutes = 0;
  std::string user;
  std::string charger;  // kEvSession
  int connector = 1;
  double energy_kwh = 0;
  Instant departure{};
  std::string action;  // kEvCharger
  std::string id_tag;
  std::string mode;  // kBatteryMode
  Instant from{};
  Instant until{};
  double soc_pct = 0;  // kBatteryMode (charge-to), kBackupReserve
};

class SiteBackend {
 public:
  virtual ~SiteBackend() = default;
  virtual SiteSummary Summary() const = 0;
  virtual LiveValues Live() const = 0;
  // Blocks until a cycle newer than `version` is published or `timeout` passes; returns it.
  virtual LiveValues WaitForNewer(std::uint64_t version, std::chrono::milliseconds timeout) const = 0;
  virtual std::vector<std::string> Points() const = 0;  // "grid_kw", ...
  virtual Result<std::vector<Bucket>> Telemetry(const std::string& point, Instant from, Instant to,
                                                Resolution resolution) const = 0;
  virtual ScheduleView Schedule() const = 0;
  virtual Result<ForecastView> Forecast() const = 0;
  virtual Result<BillView> Bill() const = 0;
  virtual Result<std::vector<Event>> Events(int limit) const = 0;  // newest first
  virtual std::vector<AlarmView> Alarms() const = 0;
  // The site's operations metrics; nullopt where the loop does not run here (a site the center
  // reaches over the fleet link reports its own).
  virtual std::optional<SiteMetrics> Metrics() const { return std::nullopt; }
  virtual Result<std::vector<AuditView>> Audit(int limit) const = 0;  // newest first
  virtual std::vector<DrEventView> DrEvents() const = 0;              // in submission order
  // Hands a DR call to the control thread and waits (bounded) until it is accepted or refused.
  virtual Status SubmitDrCall(const DrCallRequest& call) = 0;
  // Hands the command to the control thread and waits (bounded) until it is audited and in
  // force, or refused.
  virtual Status Command(const OperatorCommand& command) = 0;
  // Records a refused request (a failed login, a 400/401/403...) as a warning event of kind
  // "access"; the server has already rate-limited and shortened `message`. Does not block.
  virtual void NoteRefusal(const std::string& message) = 0;
};

}  // namespace meg
