#include "app/center_command.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/exit.h"
#include "app/paths.h"
#include "app/run_command.h"
#include "app/site_loader.h"
#include "app/site_runner.h"
#include "app/wall_clock.h"
#include "center/fleet_dr_service.h"
#include "center/live_site.h"
#include "center/nats/center_link.h"
#include "center/nats/nats_config.h"
#include "center/nats/remote_fleet.h"
#include "io/site_config.h"
#include "io/text_file.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "store/postgres/postgres_store.h"

namespace meg {
namespace {

struct CenterOptions : SiteOptions {
  std::string fleet = DefaultDataDir() + "/fleets/demo.toml";
  std::vector<std::string> nats_urls = {"nats://127.0.0.1:4222"};
  std::string nats_user = "center";
  std::string nats_password_file;
  std::string pg;  // libpq conninfo of the fleet store
  int http_port = 8080;
  std::string host = "127.0.0.1";
  std::string web_dir = MEG_WEB_DIR;
  std::string tls_cert, tls_key;
  std::string users_file;
  int max_clock_skew_s = 300;
  int offline_after_s = 10;
  int status_every_s = 60;
  std::string duration;  // wall time; "" = until interrupted
  DrOptions dr;
};

std::atomic<bool> g_stop{false};
extern "C" void OnCenterSignal(int) { g_stop = true; }

int RunCenter(const CenterOptions& o) {
  const char* command = "meg center";
  if (o.pg.empty())
    return ExitWith(command, InvalidInput("--pg: the fleet store's conninfo is required, e.g. "
                                          "'host=/run/meg-pg port=5432 dbname=meg user=meg'"));
  Millis run_for{0};
  if (!o.duration.empty()) {
    auto d = ParseDuration(o.duration);
    if (!d) return ExitWith(command, d.error());
    run_for = *d;
  }
  auto fleet_spec = LoadFleetFile(o.fleet, DefaultDataDir(), DefaultSharedDir());
  if (!fleet_spec) return ExitWith(command, fleet_spec.error());
  std::vector<RemoteSiteSpec> specs;
  std::vector<std::string> ids;
  for (const auto& s : fleet_spec->sites) {
    auto site = LoadSiteFile(s.file, DefaultDataDir(), DefaultSharedDir());
    if (!site)
      return ExitWith(command, Error{site.error().code, fmt::format("site '{}': {}", s.id, site.error().message)});
    specs.push_back({s.id, s.kind, SummaryOf(s.id, *site)});
    ids.push_back(s.id);
  }
  SiteOptions reference = o;
  reference.site = fleet_spec->sites.front().file;
  auto context = LoadSiteContext(reference);  // the tariff book and calendar the aggregator settles with
  if (!context) return ExitWith(command, context.error());

  std::string password;
  if (!o.nats_password_file.empty()) {
    auto line = ReadFirstLine(o.nats_password_file);
    if (!line) return ExitWith(command, line.error());
    password = *line;
  }
  AcceleratedClock wall(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()), 1.0);
  auto sink = PostgresStore::Open(o.pg, wall);
  if (!sink) return ExitWith(command, sink.error());
  CenterLinkOptions lo;
  lo.urls = o.nats_urls;
  lo.user = o.nats_user;
  lo.password = password;
  lo.sites = ids;
  lo.max_clock_skew = Millis(static_cast<long>(o.max_clock_skew_s) * 1000);
  lo.offline_after = Millis(static_cast<long>(o.offline_after_s) * 1000);
  auto link = CenterLink::Start(lo, std::move(*sink), wall);
  if (!link) return ExitWith(command, link.error());
  const std::string conninfo = o.pg;
  auto fleet = RemoteFleet::Make(
      specs, **link,
      [conninfo]() -> Result<std::unique_ptr<TelemetryStore>> {
        MEG_TRY_ASSIGN(reader, PostgresStore::OpenReader(conninfo));
        return std::unique_ptr<TelemetryStore>(std::move(reader));
      },
      wall,
      RemoteFleetOptions{.sum = [conninfo](const std::vector<std::string>& sites, const std::string& point,
                                           Instant from, Instant to,
                                           Resolution resolution) -> Result<std::vector<FleetBucket>> {
        MEG_TRY_ASSIGN(reader, PostgresStore::OpenReader(conninfo));
        return reader->FleetSum(point, sites, from, to, resolution);
      }});
  if (!fleet) return ExitWith(command, fleet.error());

  UserDirectory users;
  std::string demo_login;
  if (auto st = LoadUsersOrDemo(o.users_file, users, demo_login); !st) return ExitWith(command, st.error());
  Sessions sessions(wall);

  // The fleet as one DR resource: every site a member. Its time is the sites' (the newest sample
  // the center has; a site twin lives in its load's year).
  auto program = LoadDrProgram(o.dr, context->calendar);
  if (!program) return ExitWith(command, program.error());
  FleetDrConfig dc;
  dc.resource_id = "fleet";
  dc.calendar = &context->calendar;
  dc.smp = program->smp;
  dc.mgp = program->mgp;
  for (const auto& id : ids) {
    FleetDrMember m;
    m.site_id = id;
    m.cbl = program->cbl;
    dc.members.push_back(m);
  }
  ClpCbcSolver solver;
  CenterLink* l = link->get();
  FleetDrService aggregator(**fleet, solver, std::move(dc), [l, &wall] {
    Instant newest{};
    for (const auto& s : l->Sites()) newest = std::max(newest, s.latest_time);
    return newest == Instant{} ? wall.Now() : newest;
  });
  aggregator.Start();

  ServerOptions so;
  so.host = o.host;
  so.port = o.http_port;
  so.web_dir = o.web_dir;
  so.tls_cert_file = o.tls_cert;
  so.tls_key_file = o.tls_key;
  ControlCenterServer server(**fleet, users, sessions, wall, so);
  server.SetAggregator(&aggregator);
  if (auto st = server.Start(); !st) return ExitWith(command, st.error());
  std::cout << fmt::format("OpenMEG fleet center: {}://{}:{}/  ({} sites over {}, fleet store {})\n",
                           server.tls() ? "https" : "http", o.host == "0.0.0.0" ? "127.0.0.1" : o.host, server.port(),
                           ids.size(), fmt::join(o.nats_urls, ","), o.pg);
  if (!demo_login.empty()) std::cout << "login  " << demo_login << "\n";
  std::cout << std::flush;

  std::signal(SIGINT, OnCenterSignal);
  std::signal(SIGTERM, OnCenterSignal);
  const auto began = std::chrono::steady_clock::now();
  auto last_status = began;
  while (!g_stop && (run_for.count() == 0 || std::chrono::steady_clock::now() - began < run_for)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (std::chrono::steady_clock::now() - last_status >= std::chrono::seconds(o.status_every_s)) {
      last_status = std::chrono::steady_clock::now();
      const CenterLinkCounts c = (*link)->Counts();
      const LinkLatency lat = (*link)->Latency();
      int online = 0;
      for (const auto& s : (*link)->Sites()) online += s.online ? 1 : 0;
      std::cout << fmt::format(
                       "center: {} of {} sites online; {} messages, {} samples, {} events, {} bills taken; {} "
                       "malformed, {} oversized dropped; {} flush failures; {} clock flags; edge to store p50 {:.0f} "
                       "ms, p99 {:.0f} ms (last {} messages)\n",
                       online, ids.size(), c.messages, c.samples, c.events, c.bills, c.malformed, c.oversized,
                       c.flush_failures, c.clock_flags, lat.p50_ms, lat.p99_ms, lat.messages)
                << std::flush;
    }
  }
  server.Stop();
  aggregator.Stop();
  const CenterLinkCounts c = (*link)->Counts();
  const LinkLatency lat = (*link)->Latency();
  std::cerr << fmt::format(
      "{}: stopped; {} messages, {} samples, {} events, {} bills taken; {} malformed, {} oversized dropped; {} flush "
      "failures; edge to store p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms over the last {} live messages\n",
      command, c.messages, c.samples, c.events, c.bills, c.malformed, c.oversized, c.flush_failures, lat.p50_ms,
      lat.p99_ms, lat.max_ms, lat.messages);
  return 0;
}

struct FleetConfigOptions {
  std::string fleet = DefaultDataDir() + "/fleets/demo.toml";
  std::string dir;
  std::string host = "127.0.0.1";
  int nats_port = 4222;
  bool list = false;
};

// A password file: kept when it exists (so that a rerun does not lock the edges out), else a new
// random password, readable by its owner only.
Result<std::string> PasswordIn(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) return ReadFirstLine(file.string());
  MEG_TRY_ASSIGN(password, NewPassword());
  std::ofstream out(file);
  out << password << "\n";
  if (!out) return IoError(fmt::format("{}: cannot write", file.string()));
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return password;
}

int RunFleetConfig(const FleetConfigOptions& o) {
  const char* command = "meg fleet-config";
  auto fleet = LoadFleetFile(o.fleet, DefaultDataDir(), DefaultSharedDir());
  if (!fleet) return ExitWith(command, fleet.error());
  if (o.list) {
    for (const auto& s : fleet->sites) std::cout << s.id << '\t' << s.file << '\n';
    return 0;
  }
  const std::filesystem::path dir(o.dir);
  std::error_code ec;
  std::filesystem::create_directories(dir / "passwords", ec);
  if (!ec) std::filesystem::create_directories(dir / "jetstream", ec);
  if (ec) return ExitWith(command, IoError(fmt::format("{}: cannot create: {}", o.dir, ec.message())));
  NatsServerSettings settings;
  settings.host = o.host;
  settings.port = o.nats_port;
  settings.store_dir = std::filesystem::absolute(dir / "jetstream").string();
  auto center = PasswordIn(dir / "passwords" / "center.pw");
  if (!center) return ExitWith(command, center.error());
  settings.center_password = *center;
  for (const auto& s : fleet->sites) {
    auto pw = PasswordIn(dir / "passwords" / (s.id + ".pw"));
    if (!pw) return ExitWith(command, pw.error());
    settings.sites.push_back({s.id, *pw});
  }
  auto text = NatsServerConfig(settings);
  if (!text) return ExitWith(command, text.error());
  const auto conf = dir / "nats.conf";
  {
    std::ofstream out(conf);
    out << *text;
    if (!out) return ExitWith(command, IoError(fmt::format("{}: cannot write", conf.string())));
  }
  std::filesystem::permissions(conf, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::cout << fmt::format(
      "wrote {} (JetStream in {}, listening on {}:{}; the center user and {} site users, each allowed only its "
      "own subjects) and their passwords in {}/\n",
      conf.string(), settings.store_dir, o.host, o.nats_port, fleet->sites.size(), (dir / "passwords").string());
  return 0;
}

}  // namespace

void AddFleetConfigCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<FleetConfigOptions>();
  CLI::App* cmd = app.add_subcommand(
      "fleet-config",
      "Writes the nats-server configuration of a fleet (JetStream, a center user, one user per site allowed only "
      "its own subjects) and the users' passwords (docs/fleet.md)");
  cmd->add_option("--fleet", o->fleet, "Fleet file: the sites")->capture_default_str();
  cmd->add_option("--dir", o->dir, "Folder for nats.conf, jetstream/ and passwords/")->required();
  cmd->add_option("--host", o->host, "Address nats-server listens on")->capture_default_str();
  cmd->add_option("--nats-port", o->nats_port, "Port nats-server listens on")->capture_default_str();
  cmd->add_flag("--list", o->list, "Only print the fleet's sites, one 'id<TAB>site file' a line (for scripts)");
  cmd->callback([o, exit_code] { *exit_code = RunFleetConfig(*o); });
}

void AddCenterCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<CenterOptions>();
  CLI::App* cmd = app.add_subcommand(
      "center",
      "The distributed fleet center: takes every site edge's samples, events and bills over NATS JetStream into "
      "PostgreSQL, serves the fleet dashboard and API, sends commands and DR calls to the edges (docs/fleet.md)");
  cmd->add_option("--fleet", o->fleet, "Fleet file: the sites ([[site]] id, kind, file)")->capture_default_str();
  cmd->add_option("--nats", o->nats_urls, "NATS server URL(s) (repeatable: a cluster)")->capture_default_str();
  cmd->add_option("--nats-user", o->nats_user, "The center's NATS user")->capture_default_str();
  cmd->add_option("--nats-password-file", o->nats_password_file, "File whose first line is its password");
  cmd->add_option("--pg", o->pg, "The fleet store: a libpq conninfo, e.g. 'host=/tmp port=5432 dbname=meg'")
      ->required();
  cmd->add_option("--port", o->http_port, "HTTP port (0: any free port)")->capture_default_str();
  cmd->add_option("--host", o->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--web-dir", o->web_dir, "The built dashboard; empty: API only")->capture_default_str();
  cmd->add_option("--tls-cert", o->tls_cert, "PEM certificate: serve HTTPS (with --tls-key)");
  cmd->add_option("--tls-key", o->tls_key, "PEM private key of --tls-cert");
  cmd->add_option("--users", o->users_file, "Users file (default: demo users, printed)");
  cmd->add_option("--max-clock-skew-s", o->max_clock_skew_s,
                  "Flag an edge whose clock is further off the center's, s (site twins live in their load's year: "
                  "give a large value for them)")
      ->capture_default_str();
  cmd->add_option("--offline-after-s", o->offline_after_s, "A site not heard from this long is offline, s")
      ->capture_default_str();
  cmd->add_option("--for", o->duration, "Stop after this much wall time, e.g. 10m (default: until Ctrl-C)");
  cmd->add_option("--status-every", o->status_every_s, "A status line every this many seconds")->capture_default_str();
  AddReferenceDataOptions(cmd, *o);
  cmd->callback([o, exit_code] { *exit_code = RunCenter(*o); });
}

}  // namespace meg
