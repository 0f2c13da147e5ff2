#include "app/run_command.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/device_factory.h"
#include "app/paths.h"
#include "app/wall_clock.h"
#include "control/control_loop.h"
#include "control/optimal_controllers.h"
#include "control/rule_controllers.h"
#include "device/sim/twin.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "sim/site_inputs.h"
#include "store/audit_file.h"

namespace meg {
namespace {

struct RunOptions {
  std::string site;
  double speed = 0;            // 0: 1 on devices, 60 on the twin
  std::string start;           // twin only
  std::string duration;        // "" = until interrupted
  std::string controller = "peak-shave";
  std::string audit = "meg-audit.jsonl";
  int cycle_ms = 1000;
  int status_every_s = 60;
  int twin_batteries = 1;
  int twin_pv = 1;
  double demand_target_kw = 0;
  std::string tariff_dir = DefaultTariffDir();
  std::string calendar = DefaultCalendarPath();
};

std::atomic<bool> g_interrupted{false};
extern "C" void OnSignal(int) { g_interrupted = true; }

int Fail(const Error& e) {
  std::cerr << "meg run: " << e.message << "\n";
  return e.code == ErrorCode::kInvalidInput ? 2 : 1;
}

// "90s", "15m", "2h", "1d" -> milliseconds of site time.
Result<Millis> ParseDuration(const std::string& text) {
  if (text.size() < 2) return InvalidInput(fmt::format("--for {}: expected a number and a unit s, m, h or d, e.g. 15m", text));
  const char unit = text.back();
  long n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9' || n > 1'000'000'000) {
      return InvalidInput(fmt::format("--for {}: expected a whole number and a unit s, m, h or d, e.g. 15m", text));
    }
    n = n * 10 + (text[i] - '0');
  }
  const long s = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  if (s == 0 || n == 0) return InvalidInput(fmt::format("--for {}: expected a positive number and a unit s, m, h or d", text));
  return Millis(n * s * 1000);
}

std::string Kw(Kilowatts k) {
  return std::isfinite(k.value()) ? fmt::format("{:.1f} kW", k.value()) : std::string("? kW");
}

std::string StatusLine(const CycleRecord& r) {
  std::string line = fmt::format("{} {:<6} grid {:>12} pv {:>10} ess {:>11} soc {} demand {} / {} (15-min, target) month peak {}",
                                 FormatKst(ToTimestamp(r.time)), LoopModeName(r.mode), Kw(r.grid), Kw(r.pv), Kw(r.battery),
                                 std::isfinite(r.soc_pct) ? fmt::format("{:.1f} %", r.soc_pct) : std::string("? %"),
                                 Kw(r.window_average), r.demand_target.value() > 0 ? Kw(r.demand_target) : std::string("none"),
                                 Kw(r.month_peak));
  if (!r.reason.empty() && r.mode != LoopMode::kNormal) line += " [" + r.reason + "]";
  if (r.audit_failed) line += " [AUDIT LOG REFUSED: no setpoint sent]";
  return line;
}

int RunLoop(const RunOptions& o) {
  auto book = LoadTariffBook(o.tariff_dir);
  if (!book) return Fail(book.error());
  auto calendar = LoadCalendar(o.calendar);
  if (!calendar) return Fail(calendar.error());
  auto site = LoadSite(o.site);
  if (!site) return Fail(site.error());
  auto tariff = book->FindTariff(site->tariff);
  if (!tariff) return Fail(InvalidInput(fmt::format("{}: tariff.name: {}", o.site, tariff.error().message)));
  Millis run_for{0};
  if (!o.duration.empty()) {
    auto d = ParseDuration(o.duration);
    if (!d) return Fail(d.error());
    run_for = *d;
  }
  if (o.cycle_ms < 50 || o.cycle_ms > 60'000) return Fail(InvalidInput(fmt::format("--cycle-ms {}: allowed 50..60000", o.cycle_ms)));
  const bool twin_mode = site->devices.empty();
  const double speed = o.speed > 0 ? o.speed : (twin_mode ? 60.0 : 1.0);
  if (!twin_mode && speed != 1.0) return Fail(InvalidInput("--speed: real devices run in real time (speed 1)"));
  if (!twin_mode && !o.start.empty()) return Fail(InvalidInput("--start: only for the site twin (the site file lists devices)"));

  // Where the loop's time starts: now on real devices; on the twin, --start or the same
  // month, day and time of day as now, in the year the site's load is laid on.
  const auto wall_now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  Instant start = wall_now;
  std::optional<SiteInputs> inputs;
  std::unique_ptr<SiteTwin> twin;
  std::vector<std::unique_ptr<Device>> owned;
  std::vector<std::shared_ptr<void>> connections;
  if (twin_mode) {
    if (!o.start.empty()) {
      auto t = ParseIso8601(o.start);
      if (!t) return Fail(InvalidInput(fmt::format("--start {}: {}", o.start, t.error().message)));
      start = ToInstant(*t);
    } else {
      const KstDateTime k = ToKst(ToTimestamp(wall_now));
      Date d = std::chrono::year{site->load.year} / k.date.month() / k.date.day();
      if (!d.ok()) d = std::chrono::year{site->load.year} / k.date.month() / 28;  // 29 Feb in a common year
      start = ToInstant(FromKst(d, k.minute_of_day));
    }
    std::cerr << "meg run: " << site->name << ": no [[device]] in " << o.site << ", so the site twin runs it ("
              << site->load.year << " load and weather, " << speed << "x)\n";
    auto prepared = PrepareSiteInputs(*site, *calendar);
    if (!prepared) return Fail(prepared.error());
    inputs = std::move(*prepared);
    if (ToTimestamp(start) < inputs->load.start() || ToTimestamp(start) >= inputs->load.end()) {
      return Fail(InvalidInput(fmt::format("--start {}: the site twin's load runs from {} to {}", FormatKst(ToTimestamp(start)),
                                           FormatKst(inputs->load.start()), FormatKst(inputs->load.end()))));
    }
    twin = std::make_unique<SiteTwin>(inputs->load, inputs->pv, site->ess, std::max(1, o.twin_batteries),
                                      std::max(1, o.twin_pv), start);
    owned = twin->MakeDevices();
  }
  AcceleratedClock clock(start, speed);
  if (!twin_mode) {
    auto made = MakeSiteDevices(*site, clock);
    if (!made) return Fail(made.error());
    owned = std::move(made->devices);
    connections = std::move(made->connections);
  }

  ClpCbcSolver solver;
  std::unique_ptr<Controller> planner;
  PlanningController* planning = nullptr;
  PowerSeries persistence, persistence_pv;
  if (o.controller == "peak-shave" || o.controller == "none") {
    planner = MakeRuleController(o.controller, PeakShaveConfig{Kilowatts(o.demand_target_kw), 100});
  } else if (o.controller == "mpc-persistence") {
    if (!twin_mode) {
      return Fail(InvalidInput("--controller mpc-persistence: on real devices the planner needs the store's history "
                               "(issue 7); use peak-shave"));
    }
    if (!site->ess) return Fail(InvalidInput(fmt::format("--controller mpc-persistence: {} has no [ess]", o.site)));
    // Yesterday's load and PV, as the simulator's mpc-persistence plans on.
    std::vector<std::optional<Kilowatts>> v(inputs->load.size()), p(inputs->pv.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = inputs->load.at(i < kIntervalsPerDay ? i : i - kIntervalsPerDay);
    for (size_t i = 0; i < p.size(); ++i) p[i] = inputs->pv.at(i < kIntervalsPerDay ? i : i - kIntervalsPerDay);
    persistence = PowerSeries(inputs->load.start(), kInterval, std::move(v));
    persistence_pv = PowerSeries(inputs->pv.start(), kInterval, std::move(p));
    auto pc = std::make_unique<PlanningController>(PlanningController::Mode::kRecedingHorizon, *site, *book, *calendar,
                                                   *tariff, persistence, persistence_pv, solver,
                                                   std::chrono::hours{24}, "mpc-persistence");
    planning = pc.get();
    planner = std::move(pc);
  } else {
    return Fail(InvalidInput(fmt::format("--controller {}: known planners are peak-shave, none, mpc-persistence", o.controller)));
  }

  auto audit = FileAuditLog::Open(o.audit);
  if (!audit) return Fail(audit.error());

  LoopConfig config;
  config.cycle = Millis(o.cycle_ms);
  config.demand_target = Kilowatts(o.demand_target_kw);
  std::vector<Device*> devices;
  for (auto& d : owned) devices.push_back(d.get());
  ControlLoop loop(LoopSite{&*site, &*book, &*calendar, *tariff}, devices, **audit, config);
  if (planning != nullptr) {
    loop.SetPlanner(planner.get(), [planning] { return planning->failures(); });
  } else {
    loop.SetPlanner(planner.get());
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::cerr << fmt::format("meg run: {} devices, {} ms cycle, planner {}, audit log {}; Ctrl-C stops\n", devices.size(),
                           o.cycle_ms, o.controller, o.audit);
  std::vector<double> work_ms;
  long cycles = 0;
  long by_mode[3] = {0, 0, 0};
  Instant last_status = start - std::chrono::hours(1);
  const auto stopwatch = [] { return std::chrono::steady_clock::now().time_since_epoch(); };
  loop.Run(clock, [&](const CycleRecord& r) {
    work_ms.push_back(std::chrono::duration<double, std::milli>(r.work).count());
    ++cycles;
    ++by_mode[static_cast<int>(r.mode)];
    if (r.time - last_status >= std::chrono::seconds(o.status_every_s) || r.audit_failed) {
      std::cout << StatusLine(r) << "\n" << std::flush;
      last_status = r.time;
    }
    return !g_interrupted && (run_for.count() == 0 || r.time - start < run_for);
  }, stopwatch);
  std::sort(work_ms.begin(), work_ms.end());
  const auto pct = [&](double p) { return work_ms.empty() ? 0.0 : work_ms[static_cast<size_t>(p * (work_ms.size() - 1))]; };
  std::cerr << fmt::format("meg run: {} cycles (normal {}, local {}, safe {}); {} audit records; cycle work p50 {:.3f} ms, "
                           "p99 {:.3f} ms, max {:.3f} ms\n",
                           cycles, by_mode[0], by_mode[1], by_mode[2], (*audit)->appended(), pct(0.5), pct(0.99),
                           work_ms.empty() ? 0.0 : work_ms.back());
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run the live control loop on the site's devices (or its twin)");
  cmd->add_option("--site", o->site, "Site TOML file; its [[device]] entries are the equipment")->required();
  cmd->add_option("--controller", o->controller, "15-minute planner: peak-shave, none, mpc-persistence (twin)")
      ->capture_default_str();
  cmd->add_option("--for", o->duration, "Stop after this much site time, e.g. 90s, 15m, 2h, 1d (default: until Ctrl-C)");
  cmd->add_option("--speed", o->speed, "Site twin only: times faster than the wall clock (default 60)");
  cmd->add_option("--start", o->start, "Site twin only: start instant, e.g. 2024-08-12T13:00:00+09:00");
  cmd->add_option("--audit", o->audit, "Append-only audit log (JSON lines)")->capture_default_str();
  cmd->add_option("--cycle-ms", o->cycle_ms, "Control cycle, ms of site time")->capture_default_str();
  cmd->add_option("--status-every", o->status_every_s, "Print a status line every this many seconds of site time")
      ->capture_default_str();
  cmd->add_option("--demand-target-kw", o->demand_target_kw, "Demand (15-minute) target the peak guard holds, kW");
  cmd->add_option("--twin-batteries", o->twin_batteries, "Site twin: split the ESS into this many battery devices");
  cmd->add_option("--twin-pv", o->twin_pv, "Site twin: split the PV into this many inverter devices");
  cmd->add_option("--tariff-dir", o->tariff_dir, "KEPCO tariff tables")->capture_default_str();
  cmd->add_option("--calendar", o->calendar, "Holiday calendar CSV")->capture_default_str();
  cmd->callback([o, exit_code] { *exit_code = RunLoop(*o); });
}

}  // namespace meg
