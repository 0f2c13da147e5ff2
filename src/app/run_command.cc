#include "app/run_command.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/exit.h"
#include "app/site_runner.h"
#include "app/wall_clock.h"
#include "center/fleet_dr_service.h"
#include "center/local_fleet.h"
#include "center/nats/edge_link.h"
#include "io/site_config.h"
#include "io/text_file.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "server/webhook.h"
#include "store/sqlite/sqlite_store.h"

namespace meg {

Status LoadUsersOrDemo(const std::string& users_file, UserDirectory& users, std::string& demo_login) {
  if (!users_file.empty()) {
    MEG_TRY_ASSIGN(text, ReadTextFile(users_file));
    MEG_TRY_ASSIGN(loaded, UserDirectory::Load(text, users_file));
    users = std::move(loaded);
    return Ok{};
  }
  auto op = NewPassword();
  auto viewer = NewPassword();
  if (!op || !viewer) return IoError("no randomness for the demo passwords");
  if (auto st = users.Add("demo", Role::kOperator, *op); !st) return st;
  if (auto st = users.Add("viewer", Role::kViewer, *viewer); !st) return st;
  demo_login = fmt::format("operator: demo / {}   viewer: viewer / {}", *op, *viewer);
  return Ok{};
}

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void OnSignal(int) { g_interrupted = true; }

// Runs `sites` (one for `meg run`, the fleet's for `meg demo`), each on its own thread, behind
// one control center when o.http_port >= 0. `o` holds the options common to all (server, users,
// state folder, --for); a fleet keeps each site's store in <state_dir>/<site id>/.
int RunSites(const RunOptions& o, std::vector<RunOptions> sites, const std::string& fleet_name) {
  Millis run_for{0};
  if (!o.duration.empty()) {
    auto d = ParseDuration(o.duration);
    if (!d) return ExitWith(o.command, d.error());
    run_for = *d;
  }
  const bool center = o.http_port >= 0;
  const bool linked = !o.center_urls.empty();  // an edge of a fleet center
  const bool fleet = !fleet_name.empty();
  std::string state_dir = o.state_dir;
  if (!center && !linked && !state_dir.empty()) {
    return ExitWith(o.command,
                    InvalidInput("--state-dir: the store serves the control center; add --http PORT or --center URL"));
  }
  if ((center || linked) && state_dir.empty()) {
    char tmpl[] = "/tmp/openmeg-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return ExitWith(o.command, IoError("cannot make a temporary folder for the store"));
    state_dir = tmpl;
  }
  std::unique_ptr<Webhook> webhook;
  if (!o.webhook.empty()) {
    auto w = Webhook::Open(o.webhook);
    if (!w) return ExitWith(o.command, w.error());
    webhook = std::move(*w);
  }
  std::mutex console;  // status lines and alarms of several sites' threads
  // Alarms on the console (and the webhook when one is given).
  const auto on_alarm_of = [&webhook, &console, fleet](const std::string& id) {
    return [&webhook, &console, id, fleet](const AlarmView& a, bool raised) {
      {
        std::lock_guard lock(console);
        std::cout << fmt::format("{}{} alarm {}: [{}] {}\n", fleet ? "[" + id + "] " : std::string(),
                                 FormatKst(ToTimestamp(a.since)), raised ? "raised" : "cleared", a.severity, a.message)
                  << std::flush;
      }
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
  };
  // Prepared two at a time (this machine kind has 2 cores): loading, seeding the history and
  // training each site's load model take seconds each. Each site's messages are printed together.
  std::vector<std::unique_ptr<SiteRunner>> runners(sites.size());
  std::vector<std::optional<Error>> failed(sites.size());
  {
    std::atomic<size_t> next{0};
    const auto worker = [&] {
      for (size_t i = next++; i < sites.size(); i = next++) {
        const RunOptions& so = sites[i];
        const std::string dir = state_dir.empty() ? std::string() : fleet ? state_dir + "/" + so.site_id : state_dir;
        std::ostringstream log;
        auto runner = SiteRunner::Prepare(so, dir, on_alarm_of(so.site_id), log);
        {
          std::lock_guard lock(console);
          std::cerr << log.str() << std::flush;
        }
        if (runner) {
          runners[i] = std::move(*runner);
        } else {
          failed[i] = runner.error();
        }
      }
    };
    std::vector<std::thread> workers;
    for (size_t k = 0; k < std::min<size_t>(2, sites.size()); ++k) workers.emplace_back(worker);
    for (auto& w : workers) w.join();
  }
  for (size_t i = 0; i < sites.size(); ++i) {
    if (!failed[i]) continue;
    const Error& e = *failed[i];
    return ExitWith(o.command, fleet ? Error{e.code, fmt::format("site '{}': {}", sites[i].site_id, e.message)} : e);
  }

  // Users: from a file, or two demo users with fresh passwords.
  AcceleratedClock wall(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()), 1.0);
  UserDirectory users;
  std::string demo_login;
  if (center) {
    if (auto st = LoadUsersOrDemo(o.users_file, users, demo_login); !st) return ExitWith(o.command, st.error());
  }

  // The control center: the live sites behind the HTTP API and the dashboard.
  Sessions sessions(wall);
  std::unique_ptr<LocalFleet> local_fleet;  // the sites, for the server (declared first: outlives it)
  ClpCbcSolver dr_solver;                   // the aggregator's split LP
  std::unique_ptr<FleetDrService> aggregator;
  std::unique_ptr<ControlCenterServer> server;
  if (center) {
    ServerOptions so;
    so.host = o.host;
    so.port = o.http_port;
    so.web_dir = o.web_dir;
    so.tls_cert_file = o.tls_cert;
    so.tls_key_file = o.tls_key;
    std::vector<LocalFleetSite> members;
    for (const auto& r : runners) members.push_back({r->id(), r->kind().empty() ? "site" : r->kind(), r->live()});
    auto made = LocalFleet::Make(std::move(members), wall);
    if (!made) return ExitWith(o.command, made.error());
    local_fleet = std::move(*made);
    server = std::make_unique<ControlCenterServer>(*local_fleet, users, sessions, wall, so);
    // A fleet is one DR resource of its aggregator (the center): every site a member, registered
    // with the fleet's CBL method and prices (--dr-cbl, --dr-smp, --dr-mgp).
    if (fleet) {
      auto program = LoadDrProgram(o.dr, runners.front()->calendar());
      if (!program) return ExitWith(o.command, program.error());
      FleetDrConfig dc;
      dc.resource_id = "fleet";
      dc.calendar = &runners.front()->calendar();
      dc.smp = program->smp;
      dc.mgp = program->mgp;
      for (const auto& r : runners) {
        FleetDrMember m;
        m.site_id = r->id();
        m.cbl = program->cbl;
        dc.members.push_back(m);
      }
      SiteBackend* clock_site = runners.front()->live();
      aggregator = std::make_unique<FleetDrService>(*local_fleet, dr_solver, std::move(dc),
                                                    [clock_site] { return clock_site->Live().time; });
      aggregator->Start();
      server->SetAggregator(aggregator.get());
    }
    if (auto st = server->Start(); !st) return ExitWith(o.command, st.error());
    const std::string url = fmt::format("{}://{}:{}/", server->tls() ? "https" : "http",
                                        o.host == "0.0.0.0" ? "127.0.0.1" : o.host, server->port());
    if (fleet) {
      std::cout << fmt::format("OpenMEG control center: {}  (fleet '{}': {} sites, {}x, stores in {})\n", url,
                               fleet_name, runners.size(), runners.front()->speed(), state_dir);
    } else {
      std::cout << fmt::format("OpenMEG control center: {}  (site '{}', {}x, store {})\n", url, runners.front()->id(),
                               runners.front()->speed(), runners.front()->store_path());
    }
    if (!demo_login.empty()) std::cout << "login  " << demo_login << "\n";
    std::cout << std::flush;
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  for (size_t i = 0; i < runners.size(); ++i) {
    std::cerr << fmt::format("{}: {}{} devices, {} ms cycle, planner {}, audit log {}; Ctrl-C stops\n", o.command,
                             fleet ? "[" + runners[i]->id() + "] " : std::string(), runners[i]->device_count(),
                             sites[i].cycle_ms, sites[i].controller,
                             center || linked ? runners[i]->store_path() + " (audit_log table)" : sites[i].audit);
  }
  // An edge of a fleet center (--center): the link publishes what the site's store takes and
  // carries the center's commands to the live site (which audits them first).
  std::vector<std::unique_ptr<EdgeLink>> links;
  if (linked) {
    std::string password;
    if (!o.nats_password_file.empty()) {
      auto line = ReadFirstLine(o.nats_password_file);
      if (!line) return ExitWith(o.command, line.error());
      password = *line;
    }
    for (const auto& runner : runners) {
      EdgeLinkOptions eo;
      eo.site = runner->id();
      eo.urls = o.center_urls;
      eo.user = o.nats_user.empty() ? runner->id() : o.nats_user;
      eo.password = password;
      eo.cursor_path = runner->store_path() + ".link-cursor";
      auto history = SqliteStore::OpenReader(runner->store_path());
      if (!history) return ExitWith(o.command, history.error());
      auto link = EdgeLink::Start(eo, std::move(*history), runner->clock(), runner->live());
      if (!link) return ExitWith(o.command, link.error());
      runner->live()->SetUplink(link->get());
      links.push_back(std::move(*link));
      std::cerr << fmt::format("{}: {}: linked to the fleet center at {} as NATS user '{}'\n", o.command, runner->id(),
                               fmt::join(o.center_urls, ","), eo.user);
    }
  }
  std::vector<SiteRunner::Stats> stats(runners.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < runners.size(); ++i) {
    threads.emplace_back([&, i] {
      SiteRunner& runner = *runners[i];
      const int every = sites[i].status_every_s;
      Instant last_status = runner.start() - std::chrono::hours(1);
      stats[i] = runner.Run([&](const CycleRecord& r) {
        if (r.time - last_status >= std::chrono::seconds(every) || r.audit_failed) {
          std::lock_guard lock(console);
          std::cout << (fleet ? "[" + runner.id() + "] " : std::string()) << StatusLine(r) << "\n" << std::flush;
          last_status = r.time;
        }
        return !g_interrupted && (run_for.count() == 0 || r.time - runner.start() < run_for);
      });
    });
  }
  for (auto& t : threads) t.join();
  if (webhook && webhook->failed() > 0) {
    std::cerr << fmt::format("{}: {} alarm webhook posts failed (last: {})\n", o.command, webhook->failed(),
                             webhook->last_error());
  }
  if (server) server->Stop();
  if (aggregator) aggregator->Stop();
  for (size_t i = 0; i < runners.size(); ++i) {
    const auto& s = stats[i];
    std::cerr << fmt::format(
        "{}: {}{} cycles (normal {}, local {}, safe {}); {} audit records; cycle work p50 {:.3f} ms, "
        "p99 {:.3f} ms, max {:.3f} ms{}\n",
        o.command, fleet ? "[" + runners[i]->id() + "] " : std::string(), s.cycles, s.by_mode[0], s.by_mode[1],
        s.by_mode[2], s.audit_records, s.work_p50_ms, s.work_p99_ms, s.work_max_ms, s.pace);
  }
  return 0;
}

int RunLoop(const RunOptions& o) { return RunSites(o, {o}, ""); }

// `meg demo`: the fleet file's sites (or the one --site), each with the command's options and
// its own id, kind and planner; the DR options go to the first site.
int RunDemo(const RunOptions& o, const std::string& fleet_file, bool site_given) {
  if (site_given) return RunSites(o, {o}, "");
  RunOptions common = o;
  common.wall_now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  auto fleet = LoadFleetFile(fleet_file, DefaultDataDir(), DefaultSharedDir());
  if (!fleet) return ExitWith(o.command, fleet.error());
  if (fleet->sites.size() > static_cast<size_t>(kMaxEmbeddedFleetSites)) {
    return ExitWith(o.command, InvalidInput(fmt::format("{}: {} sites: the embedded fleet runs at most {} in one "
                                                        "process; run more with the distributed center (meg center, "
                                                        "scripts/fleet)",
                                                        fleet_file, fleet->sites.size(), kMaxEmbeddedFleetSites)));
  }
  std::vector<RunOptions> sites;
  for (const auto& spec : fleet->sites) {
    RunOptions so = common;
    so.site = spec.file;
    so.site_id = spec.id;
    so.kind = spec.kind;
    if (!spec.controller.empty()) so.controller = spec.controller;
    if (!sites.empty()) so.dr = DrOptions{};
    sites.push_back(std::move(so));
  }
  return RunSites(o, std::move(sites), fleet->name.empty() ? fleet_file : fleet->name);
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
  cmd->add_option("--center", o->center_urls,
                  "The fleet center's NATS server(s), e.g. nats://10.0.0.5:4222 (repeatable): publish this site's "
                  "samples, events and bills there and take its commands (docs/fleet.md)");
  cmd->add_option("--nats-user", o->nats_user, "This site's NATS user (default: the --site-id)");
  cmd->add_option("--nats-password-file", o->nats_password_file, "File whose first line is the NATS user's password");
  cmd->callback([o, exit_code, cmd] {
    o->audit_given = cmd->count("--audit") > 0;
    *exit_code = RunLoop(*o);
  });
}

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<RunOptions>();
  auto fleet_file = std::make_shared<std::string>(DefaultDataDir() + "/fleets/demo.toml");
  o->http_port = 8080;
  o->site_id = "jeonju-hospital";
  o->command = "meg demo";
  // The receding-horizon LP planner on the learned load forecast, trained at the start.
  o->controller = "mpc";
  o->seed_days = 35;  // the twin's meter history: the month-to-date bill and the CBL of DR calls use it
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "The live control center of a fleet of site twins (data/fleets/demo.toml: the Jeonju hospital, three CNU "
      "campus buildings and an office; real load and weather laid on 2024, PV, ESS) at 60x, each planned by mpc "
      "(the learned load forecast), with the dashboard on http://localhost:8080");
  cmd->add_option("--fleet", *fleet_file, "Fleet file: the sites to run ([[site]] id, kind, file)")
      ->capture_default_str();
  cmd->add_option("--site", o->site,
                  "Run this one site file instead of the fleet (its id: --site-id; the twin runs it when it lists no "
                  "devices)");
  cmd->add_option("--port", o->http_port, "HTTP port (0: any free port)")->capture_default_str();
  cmd->add_option("--speed", o->speed, "Times faster than the wall clock (default 60)");
  cmd->add_option("--start", o->start,
                  "Site time to start at, e.g. 2024-08-12T13:00:00+09:00 (default: now's "
                  "date and time in the load's year)");
  cmd->add_option("--for", o->duration, "Stop after this much site time, e.g. 2h (default: until Ctrl-C)");
  cmd->add_option("--controller", o->controller,
                  "15-minute planner of every site the fleet file does not give one: mpc (learned load forecast), "
                  "mpc-persistence (yesterday's load and PV), peak-shave, none")
      ->capture_default_str();
  cmd->add_option("--status-every", o->status_every_s, "Status line every this many seconds of site time")
      ->capture_default_str();
  AddReferenceDataOptions(cmd, *o);
  AddCenterOptions(cmd, *o);
  cmd->callback([o, fleet_file, exit_code, cmd] { *exit_code = RunDemo(*o, *fleet_file, cmd->count("--site") > 0); });
}

}  // namespace meg
