// SiteRunner: one site's edge, everything `meg run` builds for a site: the site file and its
// reference data, the devices (Modbus/MQTT from the site file, or the site twin), the planner,
// the store and audit log in the site's own state folder, the control loop and, with the
// control center, the LiveSite the server reads. `meg run` runs one; `meg demo` runs a fleet of
// them in one process (each on its own thread, behind one server). Prepare does the slow part
// (loading, seeding the history, training the load model) before any loop starts.
//
//   auto runner = SiteRunner::Prepare(options, "/var/lib/meg/hospital", std::cerr);
//   (*runner)->Run([&](const CycleRecord& r) { return !stop; });
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/dr_options.h"
#include "app/site_loader.h"
#include "center/live_site.h"
#include "control/control_loop.h"
#include "core/result.h"

namespace meg {

// What `meg run` and `meg demo` are told about a site (and, for the HTTP options, about the
// server). The fleet file of `meg demo` sets the per-site ones for each site.
struct RunOptions : SiteOptions {
  double speed = 0;      // 0: 1 on devices, 60 on the twin
  std::string start;     // twin only
  std::string duration;  // "" = until interrupted
  std::string controller = "peak-shave";
  std::string audit = "meg-audit.jsonl";
  int cycle_ms = 1000;
  int status_every_s = 60;
  int twin_batteries = 1;
  int twin_pv = 1;
  double demand_target_kw = 0;
  // The control center: HTTP API and dashboard, the store.
  int http_port = -1;  // -1: no HTTP server; 0: any free port
  std::string host = "127.0.0.1";
  std::string web_dir = MEG_WEB_DIR;
  std::string tls_cert, tls_key;
  std::string users_file;           // "name role $argon2id$..." lines; empty: demo users (printed)
  std::string state_dir;            // where the store lives; empty with HTTP: a new temporary folder
  std::string webhook;              // alarms are posted here as JSON
  std::vector<std::string> alarms;  // thresholds, "soc_pct<15"
  std::string site_id = "site";
  std::string kind;  // what the site is, for the fleet overview: "hospital", "campus building"
  DrOptions dr;
  // The fleet center's link (NATS JetStream): the edge publishes its samples, events and bills and
  // takes the center's commands. Empty: no center. Needs the store, so it keeps one as --http does.
  std::vector<std::string> center_urls;
  std::string nats_user;           // default: the site id
  std::string nats_password_file;  // the site user's password (first line)
  int seed_days = 0;               // twin with the control center: days of meter history to store first
  bool audit_given = false;
  const char* command = "meg run";
  // The wall clock's now, from which the twin's default start is placed (the same month, day and
  // time of day in the load's year); unset: read when the site is prepared. A fleet sets one for
  // all its sites, so that they start at the same instant.
  std::optional<Instant> wall_now;
};

class SiteRunner {
 public:
  // Loads and prepares the site of `o` (nothing runs yet). With the control center
  // (o.http_port >= 0) the store and the audit log are `state_dir`/openmeg.db and the LiveSite
  // exists; without, the audit log is o.audit. `on_alarm` (may be empty) hears each raised or
  // cleared alarm. Progress goes to `log`.
  static Result<std::unique_ptr<SiteRunner>> Prepare(const RunOptions& o, const std::string& state_dir,
                                                     std::function<void(const AlarmView&, bool)> on_alarm,
                                                     std::ostream& log);
  ~SiteRunner();
  SiteRunner(const SiteRunner&) = delete;
  SiteRunner& operator=(const SiteRunner&) = delete;

  // What a run did.
  struct Stats {
    long cycles = 0;
    long by_mode[3] = {0, 0, 0};  // normal, local, safe
    double work_p50_ms = 0, work_p99_ms = 0, work_max_ms = 0;
    std::string pace;  // "; the twin ran at 58x (60x asked)" or empty
    std::uint64_t audit_records = 0;
  };
  // Runs the loop on the calling thread until `keep_going` (called after each cycle, after the
  // LiveSite has it) returns false.
  Stats Run(const std::function<bool(const CycleRecord&)>& keep_going);

  LiveSite* live() const;  // null without the control center
  const std::string& id() const;
  const std::string& kind() const;
  Instant start() const;
  double speed() const;
  const std::string& store_path() const;
  const Site& site() const;
  size_t device_count() const;
  const HolidayCalendar& calendar() const;
  // The loop's clock: the site twin's (its load year, paced) or the wall clock on devices.
  const Clock& clock() const;

 private:
  struct Parts;
  explicit SiteRunner(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> p_;
};

// "90s", "15m", "2h", "1d" -> milliseconds of site time.
Result<Millis> ParseDuration(const std::string& text);
// One status line of a cycle, as `meg run` prints it.
std::string StatusLine(const CycleRecord& r);

}  // namespace meg
