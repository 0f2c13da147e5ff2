#include "app/run_command.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/device_factory.h"
#include "app/dr_options.h"
#include "app/exit.h"
#include "app/planners.h"
#include "app/site_loader.h"
#include "app/wall_clock.h"
#include "center/live_site.h"
#include "center/local_fleet.h"
#include "center/resume.h"
#include "control/control_loop.h"
#include "control/optimal_controllers.h"
#include "device/sim/twin.h"
#include "forecast/plan_forecast.h"
#include "io/text_file.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "server/webhook.h"
#include "sim/site_inputs.h"
#include "store/audit_file.h"
#include "store/sqlite/sqlite_store.h"

namespace meg {
namespace {

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
  DrOptions dr;
  int seed_days = 0;  // twin with the control center: days of meter history to store first
  bool audit_given = false;
  const char* command = "meg run";
};

std::atomic<bool> g_interrupted{false};
extern "C" void OnSignal(int) { g_interrupted = true; }

// "90s", "15m", "2h", "1d" -> milliseconds of site time.
Result<Millis> ParseDuration(const std::string& text) {
  if (text.size() < 2)
    return InvalidInput(fmt::format("--for {}: expected a number and a unit s, m, h or d, e.g. 15m", text));
  const char unit = text.back();
  long n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9' || n > 1'000'000'000) {
      return InvalidInput(fmt::format("--for {}: expected a whole number and a unit s, m, h or d, e.g. 15m", text));
    }
    n = n * 10 + (text[i] - '0');
  }
  const long s = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  if (s == 0 || n == 0)
    return InvalidInput(fmt::format("--for {}: expected a positive number and a unit s, m, h or d", text));
  return Millis(n * s * 1000);
}

std::string Kw(Kilowatts k) {
  return std::isfinite(k.value()) ? fmt::format("{:.1f} kW", k.value()) : std::string("? kW");
}

std::string StatusLine(const CycleRecord& r) {
  std::string line =
      fmt::format("{} {:<6} grid {:>12} pv {:>10} ess {:>11} soc {} demand {} / {} (15-min, target) month peak {}",
                  FormatKst(ToTimestamp(r.time)), LoopModeName(r.mode), Kw(r.grid), Kw(r.pv), Kw(r.battery),
                  std::isfinite(r.soc_pct) ? fmt::format("{:.1f} %", r.soc_pct) : std::string("? %"),
                  Kw(r.window_average), r.demand_target.value() > 0 ? Kw(r.demand_target) : std::string("none"),
                  Kw(r.month_peak));
  if (!r.reason.empty() && r.mode != LoopMode::kNormal) line += " [" + r.reason + "]";
  if (r.audit_failed) line += " [AUDIT LOG REFUSED: no setpoint sent]";
  return line;
}

int RunLoop(const RunOptions& o) {
  auto context = LoadSiteContext(o);
  if (!context) return ExitWith(o.command, context.error());
  const Site* site = &context->site;
  const TariffBook* book = &context->book;
  const HolidayCalendar* calendar = &context->calendar;
  const TariffId* tariff = &context->tariff;
  std::vector<ThresholdAlarm> thresholds;
  for (const auto& text : o.alarms) {
    auto t = ParseThresholdAlarm(text);
    if (!t) return ExitWith(o.command, t.error());
    thresholds.push_back(*t);
  }
  Millis run_for{0};
  if (!o.duration.empty()) {
    auto d = ParseDuration(o.duration);
    if (!d) return ExitWith(o.command, d.error());
    run_for = *d;
  }
  if (o.cycle_ms < 50 || o.cycle_ms > 60'000)
    return ExitWith(o.command, InvalidInput(fmt::format("--cycle-ms {}: allowed 50..60000", o.cycle_ms)));
  const bool twin_mode = site->devices.empty();
  const double speed = o.speed > 0 ? o.speed : (twin_mode ? 60.0 : 1.0);
  if (!twin_mode && speed != 1.0)
    return ExitWith(o.command, InvalidInput("--speed: real devices run in real time (speed 1)"));
  if (!twin_mode && !o.start.empty())
    return ExitWith(o.command, InvalidInput("--start: only for the site twin (the site file lists devices)"));

  // Where the loop's time starts: now on real devices; on the twin, --start or the same
  // month, day and time of day as now, in the year the site's load is laid on.
  const auto wall_now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  Instant start = wall_now;
  std::optional<SiteInputs> inputs;
  std::unique_ptr<SiteTwin> twin;
  std::vector<std::unique_ptr<Device>> owned;
  std::vector<std::shared_ptr<void>> connections;
  bool resumed = false;                         // the twin continues a run the store holds
  std::optional<EssSpec> twin_ess = site->ess;  // with the stored state of charge when resumed
  if (twin_mode) {
    if (!o.start.empty()) {
      auto t = ParseIso8601(o.start);
      if (!t) return ExitWith(o.command, InvalidInput(fmt::format("--start {}: {}", o.start, t.error().message)));
      start = ToInstant(*t);
    } else {
      const KstDateTime k = ToKst(ToTimestamp(wall_now));
      Date d = std::chrono::year{site->load.year} / k.date.month() / k.date.day();
      if (!d.ok()) d = std::chrono::year{site->load.year} / k.date.month() / 28;  // 29 Feb in a common year
      start = ToInstant(FromKst(d, k.minute_of_day));
    }
    // A restart on a store that holds an earlier run of the site continues after it, the battery
    // at its last stored state of charge: a second run over the first would mix the two.
    if (o.http_port >= 0 && !o.state_dir.empty()) {
      const std::string stored = o.state_dir + "/openmeg.db";
      auto end = FindStoredRunEnd(stored, o.site_id);
      if (!end) return ExitWith(o.command, end.error());
      if (*end) {
        const std::optional<Instant> asked = o.start.empty() ? std::nullopt : std::optional<Instant>(start);
        auto after = ResumeAfter(**end, asked, Millis(o.cycle_ms), stored);
        if (!after) return ExitWith(o.command, after.error());
        start = *after;
        resumed = true;
        if (site->ess && (*end)->soc_pct) {
          twin_ess = site->ess;
          twin_ess->soc_initial_pct = std::clamp(*(*end)->soc_pct, twin_ess->soc_min_pct, twin_ess->soc_max_pct);
        }
        std::cerr << fmt::format("{}: {} holds this site's run up to {}: the twin {} at {}{}\n", o.command, stored,
                                 FormatKstMillis((*end)->last), asked ? "starts" : "resumes", FormatKstMillis(start),
                                 site->ess && (*end)->soc_pct
                                     ? fmt::format(", the battery at its stored {:.1f} % state of charge",
                                                   twin_ess->soc_initial_pct)
                                     : std::string());
      }
    }
    std::cerr << o.command << ": " << site->name << ": no [[device]] in " << o.site << ", so the site twin runs it ("
              << site->load.year << " load and weather, " << speed << "x)\n";
    auto prepared = PrepareSiteInputs(*site, *calendar);
    if (!prepared) return ExitWith(o.command, prepared.error());
    inputs = std::move(*prepared);
    if (ToTimestamp(start) < inputs->load.start() || ToTimestamp(start) >= inputs->load.end()) {
      return ExitWith(o.command,
                      InvalidInput(
                          fmt::format("{} {}: the site twin's load runs from {} to {}{}",
                                      resumed ? "resuming at" : "--start", FormatKst(ToTimestamp(start)),
                                      FormatKst(inputs->load.start()), FormatKst(inputs->load.end()),
                                      resumed ? " (the store's run reached its end: use a new --state-dir)" : "")));
    }
    twin = std::make_unique<SiteTwin>(inputs->load, inputs->pv, twin_ess, std::max(1, o.twin_batteries),
                                      std::max(1, o.twin_pv), start);
    owned = twin->MakeDevices();
  }
  // `mpc` on the twin (the simulator's mpc): the learned load model on the twin's load measured
  // before each plan, PV from the PV model on the weather file. Trained once, on everything
  // before the start and before the clock starts, and not retrained while running: a training
  // holds its thread for seconds, and the control thread plans every 15 minutes on a 1 s cycle.
  // The dashboard shows what the planner planned on (`recorded`).
  // The planner is checked first: a refused one fails at once, before seconds of training.
  const bool planning_controller = o.controller == "mpc" || o.controller == "mpc-persistence";
  if (!planning_controller && o.controller != "peak-shave" && o.controller != "none") {
    return ExitWith(o.command,
                    InvalidInput(
                        fmt::format("--controller {}: known planners are peak-shave, none, mpc, mpc-persistence",
                                    o.controller)));
  }
  if (planning_controller && !twin_mode) {
    return ExitWith(o.command,
                    InvalidInput(fmt::format("--controller {}: on real devices the planner needs the store's "
                                             "history (issue 7); use peak-shave",
                                             o.controller)));
  }
  ClpCbcSolver solver;  // declared before the planner, so that it outlives it
  PlannerOptions planner_options;
  planner_options.threshold = Kilowatts(o.demand_target_kw);
  planner_options.learned.train_when_forecasting = false;
  auto made_planner = MakePlanner(o.controller, *context, inputs ? &*inputs : nullptr, solver, planner_options);
  if (!made_planner) return ExitWith(o.command, made_planner.error());
  const std::unique_ptr<Planner> planner = std::move(*made_planner);
  PlanningController* planning = planner->planning();
  LearnedPlanForecast* learned = planner->learned();
  const RecordedPlanForecast* recorded = planner->recorded();
  if (learned != nullptr) {
    learned->TrainIfDue(ToTimestamp(start));
    if (learned->trainings() == 1) {
      std::cerr << fmt::format("{}: trained the load model on the twin's load before {} ({:.1f} s)\n", o.command,
                               FormatKst(ToTimestamp(start)), learned->train_seconds());
    } else {
      std::cerr << fmt::format("{}: no load model ({}): mpc plans on yesterday's load for the whole run\n", o.command,
                               learned->failed_trainings() > 0 ? learned->last_training_error()
                                                               : "fewer than 15 days of load before the start");
    }
  }
  // The twin's time moves with the loop's cycles, paced to `speed`: every cycle runs, however busy
  // the machine. Real devices live on the wall clock, and a cycle that overruns skips the starts
  // it missed.
  std::unique_ptr<Clock> clock;
  if (twin_mode) {
    clock = std::make_unique<PacedClock>(start, speed);
  } else {
    clock = std::make_unique<AcceleratedClock>(start, speed);
    auto made = MakeSiteDevices(*site, Millis(o.cycle_ms));
    if (!made) return ExitWith(o.command, made.error());
    owned = std::move(made->devices);
    connections = std::move(made->connections);
  }

  // The audit log: a JSON-lines file, or, with the control center (HTTP), the store's own
  // append-only table, which the dashboard reads.
  const bool center = o.http_port >= 0;
  auto dr = LoadDrProgram(o.dr, *calendar);
  if (!dr) return ExitWith(o.command, dr.error());
  if (!o.dr.calls.empty() && !center) {
    return ExitWith(o.command,
                    InvalidInput("--dr-calls: needs the control center (--http PORT): the CBL comes from its store"));
  }
  if (o.seed_days < 0 || o.seed_days > 400)
    return ExitWith(o.command, InvalidInput(fmt::format("--seed-days {}: allowed 0..400", o.seed_days)));
  if (o.seed_days > 0 && (!twin_mode || !center)) {
    return ExitWith(o.command,
                    InvalidInput("--seed-days: only for the site twin with the control center (--http PORT)"));
  }
  if (center && o.audit_given) {
    return ExitWith(o.command,
                    InvalidInput(
                        "--audit: with --http the audit log is kept in the store (the dashboard reads it there)"));
  }
  if (!center && !o.state_dir.empty()) {
    return ExitWith(o.command, InvalidInput("--state-dir: the store serves the control center; add --http PORT"));
  }
  std::string state_dir = o.state_dir;
  if (center && state_dir.empty()) {
    char tmpl[] = "/tmp/openmeg-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return ExitWith(o.command, IoError("cannot make a temporary folder for the store"));
    state_dir = tmpl;
  }
  if (!state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec)
      return ExitWith(o.command,
                      IoError(fmt::format("{}: cannot create the state folder: {}", state_dir, ec.message())));
  }
  const std::string store_path = state_dir.empty() ? std::string() : state_dir + "/openmeg.db";
  // Now, not wall_now: preparing the inputs and training the load model took seconds since.
  AcceleratedClock wall(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()), 1.0);
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<AuditLog> audit;
  if (!store_path.empty()) {
    auto opened = SqliteStore::Open(store_path, wall);
    if (!opened) return ExitWith(o.command, opened.error());
    store = std::move(*opened);
  }
  if (center) {
    auto a = SqliteAuditLog::Open(store_path);
    if (!a) return ExitWith(o.command, a.error());
    audit = std::move(*a);
  } else {
    auto a = FileAuditLog::Open(o.audit);
    if (!a) return ExitWith(o.command, a.error());
    if (!(*a)->recovery().empty()) std::cerr << o.command << ": warning: " << (*a)->recovery() << "\n";
    audit = std::move(*a);
  }

  // Users: from a file, or two demo users with fresh passwords.
  UserDirectory users;
  std::string demo_login;
  if (center) {
    if (!o.users_file.empty()) {
      auto text = ReadTextFile(o.users_file);
      if (!text) return ExitWith(o.command, text.error());
      auto loaded = UserDirectory::Load(*text, o.users_file);
      if (!loaded) return ExitWith(o.command, loaded.error());
      users = std::move(*loaded);
    } else {
      auto op = NewPassword();
      auto viewer = NewPassword();
      if (!op || !viewer) return ExitWith(o.command, IoError("no randomness for the demo passwords"));
      if (auto st = users.Add("demo", Role::kOperator, *op); !st) return ExitWith(o.command, st.error());
      if (auto st = users.Add("viewer", Role::kViewer, *viewer); !st) return ExitWith(o.command, st.error());
      demo_login = fmt::format("operator: demo / {}   viewer: viewer / {}", *op, *viewer);
    }
  }

  LoopConfig config;
  config.cycle = Millis(o.cycle_ms);
  config.demand_target = Kilowatts(o.demand_target_kw);
  std::vector<Device*> devices;
  for (auto& d : owned) devices.push_back(d.get());
  ControlLoop loop(LoopSite{&*site, &*book, &*calendar, *tariff}, devices, *audit, config);

  // The control center: the live site behind the HTTP API and the dashboard.
  std::unique_ptr<Webhook> webhook;
  if (!o.webhook.empty()) {
    auto w = Webhook::Open(o.webhook);
    if (!w) return ExitWith(o.command, w.error());
    webhook = std::move(*w);
  }
  std::unique_ptr<LiveSite> live;
  Sessions sessions(wall);
  std::unique_ptr<LocalFleet> fleet;  // the one site, as a fleet of one for the server
  std::unique_ptr<ControlCenterServer> server;
  if (center) {
    LiveSiteConfig lc;
    lc.id = o.site_id;
    lc.site = &*site;
    lc.book = &*book;
    lc.calendar = &*calendar;
    lc.tariff = *tariff;
    lc.store_path = store_path;
    lc.speed = speed;
    // Cycles no longer wait on devices: a command not taken within 3 cycles (3 s at least, of
    // wall time) is withdrawn.
    lc.command_wait =
        std::max(std::chrono::milliseconds(3000), std::chrono::milliseconds(static_cast<long>(3 * o.cycle_ms / speed)));
    if (inputs) {
      lc.history_load = &inputs->load;
      lc.history_pv = &inputs->pv;
    }
    if (recorded) {
      lc.planned = recorded;
      lc.planned_method = learned->trainings() > 0
                              ? "mpc's plan: the learned load model (P50), trained on the load before the start; PV "
                                "from the PV model on the weather file"
                              : "mpc's plan: the same quarter-hour yesterday (too little load for a model); PV from "
                                "the PV model on the weather file";
    }
    lc.thresholds = thresholds;
    lc.dr = *dr;
    // Alarms on the console (and the webhook when one is given).
    lc.on_alarm = [&webhook, id = o.site_id](const AlarmView& a, bool raised) {
      std::cout << fmt::format("{} alarm {}: [{}] {}\n", FormatKst(ToTimestamp(a.since)), raised ? "raised" : "cleared",
                               a.severity, a.message)
                << std::flush;
      if (webhook) {
        const nlohmann::json body{{"site", id},
                                  {"kind", a.kind},
                                  {"severity", a.severity},
                                  {"state", raised ? "raised" : "cleared"},
                                  {"message", a.message},
                                  {"time", FormatKst(ToTimestamp(a.since))}};
        webhook->Post(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
    };
    auto opened = LiveSite::Open(lc, *store);
    if (!opened) return ExitWith(o.command, opened.error());
    live = std::move(*opened);
    if (o.seed_days > 0 && inputs) {
      const Timestamp to = IntervalStart(ToTimestamp(start));
      const Timestamp from = std::max(inputs->load.start(), to - std::chrono::days(o.seed_days));
      if (auto st = live->SeedHistory(inputs->load, inputs->pv, from, to); !st) return ExitWith(o.command, st.error());
      std::cout << fmt::format("{}: stored the twin's meter history from {} (battery idle)\n", o.command,
                               FormatKst(from));
    }
    // The month's peak and the ratchet the store has metered carry over a (re)start.
    auto peaks = live->RecordedPeaks(ToTimestamp(start));
    if (!peaks) return ExitWith(o.command, peaks.error());
    loop.RestoreDemand(*peaks);
    ServerOptions so;
    so.host = o.host;
    so.port = o.http_port;
    so.web_dir = o.web_dir;
    so.tls_cert_file = o.tls_cert;
    so.tls_key_file = o.tls_key;
    auto one = LocalFleet::Make({{o.site_id, "site", live.get()}}, wall);
    if (!one) return ExitWith(o.command, one.error());
    fleet = std::move(*one);
    server = std::make_unique<ControlCenterServer>(*fleet, users, sessions, wall, so);
    if (auto st = server->Start(); !st) return ExitWith(o.command, st.error());
    const std::string url = fmt::format("{}://{}:{}/", server->tls() ? "https" : "http",
                                        o.host == "0.0.0.0" ? "127.0.0.1" : o.host, server->port());
    std::cout << fmt::format("OpenMEG control center: {}  (site '{}', {}x, store {})\n", url, o.site_id, speed,
                             store_path);
    if (!demo_login.empty()) std::cout << "login  " << demo_login << "\n";
    std::cout << std::flush;
  }
  if (planning != nullptr) {
    loop.SetPlanner(&planner->controller(), [planning] { return planning->failures(); });
  } else {
    loop.SetPlanner(&planner->controller());
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::cerr << fmt::format("{}: {} devices, {} ms cycle, planner {}, audit log {}; Ctrl-C stops\n", o.command,
                           devices.size(), o.cycle_ms, o.controller,
                           center ? store_path + " (audit_log table)" : o.audit);
  std::vector<double> work_ms;
  long cycles = 0;
  long by_mode[3] = {0, 0, 0};
  Instant last_status = start - std::chrono::hours(1);
  Instant last_cycle = start;
  const auto stopwatch = [] { return std::chrono::steady_clock::now().time_since_epoch(); };
  const auto wall_began = std::chrono::steady_clock::now();
  if (live) loop.SetBeforeCycle([&](Instant now) { live->BeforeCycle(now, loop); });
  loop.Run(
      *clock,
      [&](const CycleRecord& r) {
        last_cycle = r.time;
        work_ms.push_back(std::chrono::duration<double, std::milli>(r.work).count());
        if (live) live->OnCycle(r, loop);
        ++cycles;
        ++by_mode[static_cast<int>(r.mode)];
        if (r.time - last_status >= std::chrono::seconds(o.status_every_s) || r.audit_failed) {
          std::cout << StatusLine(r) << "\n" << std::flush;
          last_status = r.time;
        }
        return !g_interrupted && (run_for.count() == 0 || r.time - start < run_for);
      },
      stopwatch);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_began).count();
  // Below `speed` when the machine could not keep up (PacedClock).
  const std::string pace = twin_mode && wall_s > 0
                               ? fmt::format("; the twin ran at {:.0f}x ({}x asked)",
                                             std::chrono::duration<double>(last_cycle - start).count() / wall_s, speed)
                               : std::string();
  std::sort(work_ms.begin(), work_ms.end());
  const auto pct = [&](double p) {
    return work_ms.empty() ? 0.0 : work_ms[static_cast<size_t>(p * (work_ms.size() - 1))];
  };
  if (webhook && webhook->failed() > 0) {
    std::cerr << fmt::format("{}: {} alarm webhook posts failed (last: {})\n", o.command, webhook->failed(),
                             webhook->last_error());
  }
  if (server) server->Stop();
  std::cerr << fmt::format(
      "{}: {} cycles (normal {}, local {}, safe {}); {} audit records; cycle work p50 {:.3f} ms, "
      "p99 {:.3f} ms, max {:.3f} ms{}\n",
      o.command, cycles, by_mode[0], by_mode[1], by_mode[2], audit->appended(), pct(0.5), pct(0.99),
      work_ms.empty() ? 0.0 : work_ms.back(), pace);
  return 0;
}

void AddCenterOptions(CLI::App* cmd, RunOptions& o) {
  cmd->add_option("--host", o.host, "Address to listen on (default: this machine only)")->capture_default_str();
  cmd->add_option("--web-dir", o.web_dir, "The built dashboard (npm run build in web/); empty: API only")
      ->capture_default_str();
  cmd->add_option("--tls-cert", o.tls_cert, "PEM certificate: serve HTTPS (with --tls-key)");
  cmd->add_option("--tls-key", o.tls_key, "PEM private key of --tls-cert");
  cmd->add_option("--users", o.users_file,
                  "Users file: 'name role $argon2id$...' lines (default: demo users, printed)");
  cmd->add_option("--state-dir", o.state_dir,
                  "Folder of the store openmeg.db, with --http or in demo (default: a new temporary folder)");
  cmd->add_option("--webhook", o.webhook, "POST alarms as JSON to this http(s) URL");
  cmd->add_option("--alarm", o.alarms,
                  "Alarm while a live value is beyond a threshold, e.g. soc_pct<15, grid_kw>1600 "
                  "(repeatable)");
  cmd->add_option("--site-id", o.site_id, "The site's id in the API's URLs")->capture_default_str();
  cmd->add_option("--seed-days", o.seed_days,
                  "Site twin: store the twin's N days before the start as meter history, battery idle (the CBL of DR "
                  "calls needs about 30)")
      ->capture_default_str();
  AddDrOptions(cmd, o.dr);
}

}  // namespace

void AddRunCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run the live control loop on the site's devices (or its twin)");
  cmd->add_option("--site", o->site, "Site TOML file; its [[device]] entries are the equipment")->required();
  cmd->add_option("--controller", o->controller, "15-minute planner: peak-shave, none, mpc or mpc-persistence (twin)")
      ->capture_default_str();
  cmd->add_option("--for", o->duration,
                  "Stop after this much site time, e.g. 90s, 15m, 2h, 1d (default: until Ctrl-C)");
  cmd->add_option("--speed", o->speed, "Site twin only: times faster than the wall clock (default 60)");
  cmd->add_option("--start", o->start, "Site twin only: start instant, e.g. 2024-08-12T13:00:00+09:00");
  cmd->add_option("--audit", o->audit, "Append-only audit log (JSON lines)")->capture_default_str();
  cmd->add_option("--cycle-ms", o->cycle_ms, "Control cycle, ms of site time")->capture_default_str();
  cmd->add_option("--status-every", o->status_every_s, "Print a status line every this many seconds of site time")
      ->capture_default_str();
  cmd->add_option("--demand-target-kw", o->demand_target_kw, "Demand (15-minute) target the peak guard holds, kW");
  cmd->add_option("--twin-batteries", o->twin_batteries, "Site twin: split the ESS into this many battery devices");
  cmd->add_option("--twin-pv", o->twin_pv, "Site twin: split the PV into this many inverter devices");
  AddReferenceDataOptions(cmd, *o);
  AddCenterOptions(cmd, *o);
  cmd->add_option("--http", o->http_port, "Serve the API and dashboard on this port (0: any free port)");
  cmd->callback([o, exit_code, cmd] {
    o->audit_given = cmd->count("--audit") > 0;
    *exit_code = RunLoop(*o);
  });
}

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<RunOptions>();
  o->site = DefaultDataDir() + "/sites/jeonju-hospital.toml";
  o->http_port = 8080;
  o->site_id = "jeonju-hospital";
  o->command = "meg demo";
  // The receding-horizon LP planner on the learned load forecast, trained at the start.
  o->controller = "mpc";
  o->seed_days = 35;  // the twin's meter history: the month-to-date bill and the CBL of DR calls use it
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "The live control center of the Jeonju hospital twin (real 2024 load and weather, PV, ESS) at 60x, "
      "planned by mpc (the learned load forecast), with the dashboard on http://localhost:8080");
  cmd->add_option("--site", o->site, "Site TOML file (the twin runs it when it lists no devices)")
      ->capture_default_str();
  cmd->add_option("--port", o->http_port, "HTTP port (0: any free port)")->capture_default_str();
  cmd->add_option("--speed", o->speed, "Times faster than the wall clock (default 60)");
  cmd->add_option("--start", o->start,
                  "Site time to start at, e.g. 2024-08-12T13:00:00+09:00 (default: now's "
                  "date and time in the load's year)");
  cmd->add_option("--for", o->duration, "Stop after this much site time, e.g. 2h (default: until Ctrl-C)");
  cmd->add_option("--controller", o->controller,
                  "15-minute planner: mpc (learned load forecast), mpc-persistence (yesterday's load and PV), "
                  "peak-shave, none")
      ->capture_default_str();
  cmd->add_option("--status-every", o->status_every_s, "Status line every this many seconds of site time")
      ->capture_default_str();
  AddReferenceDataOptions(cmd, *o);
  AddCenterOptions(cmd, *o);
  cmd->callback([o, exit_code] { *exit_code = RunLoop(*o); });
}

}  // namespace meg
