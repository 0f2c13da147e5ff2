#include "app/site_runner.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "app/device_factory.h"
#include "app/ev_sessions_command.h"
#include "app/planners.h"
#include "app/wall_clock.h"
#include "center/resume.h"
#include "center/weather_feed.h"
#include "control/optimal_controllers.h"
#include "device/ocpp/central_system.h"
#include "device/sim/ev_twin.h"
#include "device/sim/twin.h"
#include "forecast/plan_forecast.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "server/http_get.h"
#include "sim/site_inputs.h"
#include "store/audit_file.h"
#include "store/sqlite/sqlite_store.h"

namespace meg {

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

namespace {
std::string Kw(Kilowatts k) {
  return std::isfinite(k.value()) ? fmt::format("{:.1f} kW", k.value()) : std::string("? kW");
}
}  // namespace

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

namespace {

// The site's live weather forecast ([weather_forecast]) over the server layer's HTTP client. Its
// fallback after the forecast is the weather file laid on the current and next year on real
// devices; the site twin lives in its data's year, which no live forecast covers, and keeps the
// PV of its weather file (the forecasts are still fetched and stored).
std::unique_ptr<WeatherFeed> MakeWeatherFeed(const RunOptions& o, const Site& site, bool twin_mode, Instant start,
                                             const Clock& wall, std::ostream& log) {
  const WeatherForecastSpec& spec = *site.weather_forecast;
  HourlyWeather file;
  std::string fallback = "the site twin's weather file (the twin runs on its data's year)";
  if (!twin_mode) {
    const int year = static_cast<int>(ToKst(ToTimestamp(start)).date.year());
    auto w = SiteWeatherForYears(site, year, year + 1);
    if (!w) w = SiteWeatherForYears(site, year, year);
    if (w) {
      file = std::move(*w);
      fallback = fmt::format("the weather file laid on {}", year);
    } else {
      fallback = fmt::format("yesterday's metered PV (no weather file for {}: {})", year, w.error().message);
    }
  }
  auto feed = std::make_unique<WeatherFeed>(
      o.site_id, site, spec, std::move(file),
      [](const std::string& url, std::chrono::seconds timeout) { return HttpGet(url, timeout); }, wall);
  log << fmt::format(
      "{}: {}: live weather forecast from {} (model {}) every {} min, stored with each fetch; "
      "without one: the last good forecast, then {}\n",
      o.command, o.site_id, spec.url, spec.model, spec.every_min, fallback);
  return feed;
}

}  // namespace

// Declared in the order they must be built; destroyed in reverse (the loop before its devices,
// the planner before its solver, the live site before its store).
struct SiteRunner::Parts {
  std::string id, kind;
  const char* command = "meg run";
  std::optional<LoadedSite> context;
  std::vector<ThresholdAlarm> thresholds;
  bool twin_mode = false;
  double speed = 1;
  Instant start;
  std::optional<SiteInputs> inputs;
  std::unique_ptr<SiteTwin> twin;
  std::vector<std::unique_ptr<Device>> owned;
  std::vector<std::shared_ptr<void>> connections;
  ClpCbcSolver solver;
  std::unique_ptr<Planner> planner;
  std::unique_ptr<Clock> clock;
  // The EV chargers: the chargers' twin (site twin) or the OCPP central system (real devices).
  std::unique_ptr<EvChargers> ev;
  std::string store_path;
  std::unique_ptr<AcceleratedClock> wall;
  std::unique_ptr<SqliteStore> store;
  // The live weather forecast ([weather_forecast]); used by the live site, so built before it.
  std::unique_ptr<WeatherFeed> weather;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<ControlLoop> loop;
  std::unique_ptr<LiveSite> live;
};

SiteRunner::SiteRunner(std::unique_ptr<Parts> parts) : p_(std::move(parts)) {}
SiteRunner::~SiteRunner() = default;
LiveSite* SiteRunner::live() const { return p_->live.get(); }
const std::string& SiteRunner::id() const { return p_->id; }
const std::string& SiteRunner::kind() const { return p_->kind; }
Instant SiteRunner::start() const { return p_->start; }
double SiteRunner::speed() const { return p_->speed; }
const std::string& SiteRunner::store_path() const { return p_->store_path; }
const Site& SiteRunner::site() const { return p_->context->site; }
size_t SiteRunner::device_count() const { return p_->owned.size(); }
const HolidayCalendar& SiteRunner::calendar() const { return p_->context->calendar; }
const Clock& SiteRunner::clock() const { return *p_->clock; }

Result<std::unique_ptr<SiteRunner>> SiteRunner::Prepare(const RunOptions& o, const std::string& state_dir,
                                                        std::function<void(const AlarmView&, bool)> on_alarm,
                                                        std::ostream& log) {
  auto p = std::make_unique<Parts>();
  p->id = o.site_id;
  p->kind = o.kind;
  p->command = o.command;
  auto context = LoadSiteContext(o);
  if (!context) return context.error();
  p->context = std::move(*context);
  const Site* site = &p->context->site;
  for (const auto& text : o.alarms) {
    auto t = ParseThresholdAlarm(text);
    if (!t) return t.error();
    p->thresholds.push_back(*t);
  }
  if (o.cycle_ms < 50 || o.cycle_ms > 60'000)
    return InvalidInput(fmt::format("--cycle-ms {}: allowed 50..60000", o.cycle_ms));
  p->twin_mode = site->devices.empty();
  const bool twin_mode = p->twin_mode;
  p->speed = o.speed > 0 ? o.speed : (twin_mode ? 60.0 : 1.0);
  const double speed = p->speed;
  if (!twin_mode && speed != 1.0) return InvalidInput("--speed: real devices run in real time (speed 1)");
  if (!twin_mode && !o.start.empty())
    return InvalidInput("--start: only for the site twin (the site file lists devices)");
  // The store and the live site serve the control center (--http) and the fleet center's link.
  const bool center = o.http_port >= 0 || !o.center_urls.empty();

  // Where the loop's time starts: now on real devices; on the twin, --start or the same
  // month, day and time of day as now, in the year the site's load is laid on.
  const Instant wall_now =
      o.wall_now ? *o.wall_now : std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  Instant start = wall_now;
  bool resumed = false;                         // the twin continues a run the store holds
  std::optional<EssSpec> twin_ess = site->ess;  // with the stored state of charge when resumed
  if (twin_mode) {
    if (!o.start.empty()) {
      auto t = ParseIso8601(o.start);
      if (!t) return InvalidInput(fmt::format("--start {}: {}", o.start, t.error().message));
      start = ToInstant(*t);
    } else {
      const KstDateTime k = ToKst(ToTimestamp(wall_now));
      Date d = std::chrono::year{site->load.year} / k.date.month() / k.date.day();
      if (!d.ok()) d = std::chrono::year{site->load.year} / k.date.month() / 28;  // 29 Feb in a common year
      start = ToInstant(FromKst(d, k.minute_of_day));
    }
    // A restart on a store that holds an earlier run of the site continues after it, the battery
    // at its last stored state of charge: a second run over the first would mix the two.
    if (center && !state_dir.empty()) {
      const std::string stored = state_dir + "/openmeg.db";
      auto end = FindStoredRunEnd(stored, o.site_id);
      if (!end) return end.error();
      if (*end) {
        const std::optional<Instant> asked = o.start.empty() ? std::nullopt : std::optional<Instant>(start);
        auto after = ResumeAfter(**end, asked, Millis(o.cycle_ms), stored);
        if (!after) return after.error();
        start = *after;
        resumed = true;
        if (site->ess && (*end)->soc_pct) {
          twin_ess = site->ess;
          twin_ess->soc_initial_pct = std::clamp(*(*end)->soc_pct, twin_ess->soc_min_pct, twin_ess->soc_max_pct);
        }
        log << fmt::format("{}: {}: {} holds this site's run up to {}: the twin {} at {}{}\n", o.command, o.site_id,
                           stored, FormatKstMillis((*end)->last), asked ? "starts" : "resumes", FormatKstMillis(start),
                           site->ess && (*end)->soc_pct
                               ? fmt::format(", the battery at its stored {:.1f} % state of charge",
                                             twin_ess->soc_initial_pct)
                               : std::string());
      }
    }
    log << o.command << ": " << site->name << ": no [[device]] in " << o.site << ", so the site twin runs it ("
        << site->load.year << " load and weather, " << speed << "x)\n";
    auto prepared = PrepareSiteInputs(*site, p->context->calendar);
    if (!prepared) return prepared.error();
    p->inputs = std::move(*prepared);
    if (ToTimestamp(start) < p->inputs->load.start() || ToTimestamp(start) >= p->inputs->load.end()) {
      return InvalidInput(fmt::format("{} {}: the site twin's load runs from {} to {}{}",
                                      resumed ? "resuming at" : "--start", FormatKst(ToTimestamp(start)),
                                      FormatKst(p->inputs->load.start()), FormatKst(p->inputs->load.end()),
                                      resumed ? " (the store's run reached its end: use a new --state-dir)" : ""));
    }
    p->twin = std::make_unique<SiteTwin>(p->inputs->load, p->inputs->pv, twin_ess, std::max(1, o.twin_batteries),
                                         std::max(1, o.twin_pv), start);
    if (site->generator) p->twin->AddGenerator(*site->generator);
    if (site->thermal_storage && site->cooling && !p->inputs->cooling_kw_th.empty()) {
      p->twin->AddThermalStorage(*site->thermal_storage, *site->cooling, p->inputs->cooling_kw_th, p->inputs->cop);
    }
    p->owned = p->twin->MakeDevices();
    // The car park's twin: the site's [ev] cars over the twin's span, managed by the loop.
    if (!site->chargers.empty()) {
      auto sessions =
          SiteEvSessions(*p->context, ToKst(p->inputs->load.start()).date, ToKst(p->inputs->load.end()).date);
      if (!sessions) return sessions.error();
      if (*sessions) {
        auto ev = std::make_unique<EvTwin>(site->chargers, std::move(**sessions), true, start);
        p->twin->AddEvChargers(ev.get());
        log << fmt::format("{}: {}: the car park's twin replays {} charging sessions on {} chargers\n", o.command,
                           o.site_id, ev->plans().size(), site->chargers.size());
        p->ev = std::move(ev);
      }
    }
  }
  p->start = start;
  // `mpc` on the twin (the simulator's mpc): the learned load model on the twin's load measured
  // before each plan, PV from the PV model on the weather file. Trained once, on everything
  // before the start and before the clock starts, and not retrained while running: a training
  // holds its thread for seconds, and the control thread plans every 15 minutes on a 1 s cycle.
  // The dashboard shows what the planner planned on (`recorded`).
  // The planner is checked first: a refused one fails at once, before seconds of training.
  const bool planning_controller = o.controller == "mpc" || o.controller == "mpc-persistence";
  if (!planning_controller && o.controller != "peak-shave" && o.controller != "none") {
    return InvalidInput(
        fmt::format("--controller {}: known planners are peak-shave, none, mpc, mpc-persistence", o.controller));
  }
  if (planning_controller && !twin_mode) {
    return InvalidInput(
        fmt::format("--controller {}: on real devices the planner needs the store's history (issue 7); use peak-shave",
                    o.controller));
  }
  PlannerOptions planner_options;
  planner_options.threshold = Kilowatts(o.demand_target_kw);
  planner_options.learned.train_when_forecasting = false;
  auto made_planner =
      MakePlanner(o.controller, *p->context, p->inputs ? &*p->inputs : nullptr, p->solver, planner_options);
  if (!made_planner) return made_planner.error();
  p->planner = std::move(*made_planner);
  PlanningController* planning = p->planner->planning();
  LearnedPlanForecast* learned = p->planner->learned();
  const RecordedPlanForecast* recorded = p->planner->recorded();
  if (learned != nullptr) {
    learned->TrainIfDue(ToTimestamp(start));
    if (learned->trainings() == 1) {
      log << fmt::format("{}: {}: trained the load model on the twin's load before {} ({:.1f} s)\n", o.command,
                         o.site_id, FormatKst(ToTimestamp(start)), learned->train_seconds());
    } else {
      log << fmt::format("{}: {}: no load model ({}): mpc plans on yesterday's load for the whole run\n", o.command,
                         o.site_id,
                         learned->failed_trainings() > 0 ? learned->last_training_error()
                                                         : "fewer than 15 days of load before the start");
    }
  }
  // The twin's time moves with the loop's cycles, paced to `speed`: every cycle runs, however busy
  // the machine. Real devices live on the wall clock, and a cycle that overruns skips the starts
  // it missed.
  if (twin_mode) {
    p->clock = std::make_unique<PacedClock>(start, speed);
  } else {
    p->clock = std::make_unique<AcceleratedClock>(start, speed);
    auto made = MakeSiteDevices(*site, Millis(o.cycle_ms));
    if (!made) return made.error();
    p->owned = std::move(made->devices);
    p->connections = std::move(made->connections);
    if (!site->chargers.empty()) {
      auto cs = CentralSystem::Start(site->ocpp, site->chargers, *p->clock);
      if (!cs) return cs.error();
      log << fmt::format("{}: {}: OCPP 1.6J central system on ws://{}:{}/ocpp/<charger id> for {} chargers\n",
                         o.command, o.site_id, site->ocpp.host, (*cs)->port(), site->chargers.size());
      p->ev = std::move(*cs);
    }
  }

  // The audit log: a JSON-lines file, or, with the control center (HTTP), the store's own
  // append-only table, which the dashboard reads.
  auto dr = LoadDrProgram(o.dr, p->context->calendar);
  if (!dr) return dr.error();
  if (!o.dr.calls.empty() && !center)
    return InvalidInput("--dr-calls: needs the control center (--http PORT or --center): the CBL comes from its store");
  if (o.seed_days < 0 || o.seed_days > 400)
    return InvalidInput(fmt::format("--seed-days {}: allowed 0..400", o.seed_days));
  if (o.seed_days > 0 && (!twin_mode || !center))
    return InvalidInput("--seed-days: only for the site twin with the control center (--http PORT or --center)");
  if (center && o.audit_given)
    return InvalidInput("--audit: with --http the audit log is kept in the store (the dashboard reads it there)");
  if (!center && !state_dir.empty())
    return InvalidInput("--state-dir: the store serves the control center; add --http PORT or --center URL");
  if (!state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) return IoError(fmt::format("{}: cannot create the state folder: {}", state_dir, ec.message()));
  }
  p->store_path = state_dir.empty() ? std::string() : state_dir + "/openmeg.db";
  // Now, not wall_now: preparing the inputs and training the load model took seconds since.
  p->wall =
      std::make_unique<AcceleratedClock>(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()), 1.0);
  if (!p->store_path.empty()) {
    auto opened = SqliteStore::Open(p->store_path, *p->wall);
    if (!opened) return opened.error();
    p->store = std::move(*opened);
  }
  if (center) {
    auto a = SqliteAuditLog::Open(p->store_path);
    if (!a) return a.error();
    p->audit = std::move(*a);
  } else {
    auto a = FileAuditLog::Open(o.audit);
    if (!a) return a.error();
    if (!(*a)->recovery().empty()) log << o.command << ": warning: " << (*a)->recovery() << "\n";
    p->audit = std::move(*a);
  }

  LoopConfig config;
  config.cycle = Millis(o.cycle_ms);
  config.demand_target = Kilowatts(o.demand_target_kw);
  std::vector<Device*> devices;
  for (auto& d : p->owned) devices.push_back(d.get());
  p->loop = std::make_unique<ControlLoop>(LoopSite{site, &p->context->book, &p->context->calendar, p->context->tariff},
                                          devices, *p->audit, config);
  if (p->ev) p->loop->SetEvChargers(p->ev.get());

  if (!center && site->weather_forecast) {
    log << fmt::format(
        "{}: {}: [weather_forecast] is fetched by the control center (--http PORT or --center URL), whose store "
        "keeps each forecast; not fetched in this run\n",
        o.command, o.site_id);
  }
  if (center) {
    LiveSiteConfig lc;
    lc.id = o.site_id;
    lc.site = site;
    lc.book = &p->context->book;
    lc.calendar = &p->context->calendar;
    lc.tariff = p->context->tariff;
    lc.store_path = p->store_path;
    lc.speed = speed;
    // Cycles no longer wait on devices: a command not taken within 3 cycles (3 s at least, of
    // wall time) is withdrawn.
    lc.command_wait =
        std::max(std::chrono::milliseconds(3000), std::chrono::milliseconds(static_cast<long>(3 * o.cycle_ms / speed)));
    if (p->inputs) {
      lc.history_load = &p->inputs->load;
      lc.history_pv = &p->inputs->pv;
    }
    if (recorded) {
      lc.planned = recorded;
      lc.planned_method = learned->trainings() > 0
                              ? "mpc's plan: the learned load model (P50), trained on the load before the start; PV "
                                "from the PV model on the weather file"
                              : "mpc's plan: the same quarter-hour yesterday (too little load for a model); PV from "
                                "the PV model on the weather file";
    }
    lc.thresholds = p->thresholds;
    lc.dr = *dr;
    lc.on_alarm = std::move(on_alarm);
    if (site->weather_forecast) {
      p->weather = MakeWeatherFeed(o, *site, twin_mode, start, *p->wall, log);
      if (auto st = p->weather->Restore(*p->store); !st) return st.error();
      // The first fetch before the loop starts, so that the first plans and views have it (bounded
      // by the timeout); the worker fetches the next ones.
      const Status first = p->weather->FetchOnce();
      log << fmt::format("{}: {}: {}\n", o.command, o.site_id,
                         first ? "weather forecast fetched (stored at the first cycle)"
                               : "weather forecast not fetched: " + first.error().message);
      lc.weather = p->weather.get();
    }
    auto opened = LiveSite::Open(lc, *p->store);
    if (!opened) return opened.error();
    p->live = std::move(*opened);
    if (o.seed_days > 0 && p->inputs) {
      const Timestamp to = IntervalStart(ToTimestamp(start));
      const Timestamp from = std::max(p->inputs->load.start(), to - std::chrono::days(o.seed_days));
      if (auto st = p->live->SeedHistory(p->inputs->load, p->inputs->pv, from, to); !st) return st.error();
      log << fmt::format("{}: {}: stored the twin's meter history from {} (battery idle)\n", o.command, o.site_id,
                         FormatKst(from));
    }
    // The month's peak and the ratchet the store has metered carry over a (re)start.
    auto peaks = p->live->RecordedPeaks(ToTimestamp(start));
    if (!peaks) return peaks.error();
    p->loop->RestoreDemand(*peaks);
    if (p->weather) p->weather->Start();
    LiveSite* live = p->live.get();
    ControlLoop* loop = p->loop.get();
    p->loop->SetBeforeCycle([live, loop](Instant now) { live->BeforeCycle(now, *loop); });
  }
  if (planning != nullptr) {
    p->loop->SetPlanner(&p->planner->controller(), [planning] { return planning->failures(); });
  } else {
    p->loop->SetPlanner(&p->planner->controller());
  }
  return std::unique_ptr<SiteRunner>(new SiteRunner(std::move(p)));
}

SiteRunner::Stats SiteRunner::Run(const std::function<bool(const CycleRecord&)>& keep_going) {
  Stats stats;
  std::vector<double> work_ms;
  Instant last_cycle = p_->start;
  const auto stopwatch = [] { return std::chrono::steady_clock::now().time_since_epoch(); };
  const auto wall_began = std::chrono::steady_clock::now();
  p_->loop->Run(
      *p_->clock,
      [&](const CycleRecord& r) {
        last_cycle = r.time;
        work_ms.push_back(std::chrono::duration<double, std::milli>(r.work).count());
        if (p_->live) p_->live->OnCycle(r, *p_->loop);
        ++stats.cycles;
        ++stats.by_mode[static_cast<int>(r.mode)];
        return keep_going(r);
      },
      stopwatch);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_began).count();
  // Below `speed` when the machine could not keep up (PacedClock).
  if (p_->twin_mode && wall_s > 0) {
    stats.pace = fmt::format("; the twin ran at {:.0f}x ({}x asked)",
                             std::chrono::duration<double>(last_cycle - p_->start).count() / wall_s, p_->speed);
  }
  std::sort(work_ms.begin(), work_ms.end());
  const auto pct = [&](double q) {
    return work_ms.empty() ? 0.0 : work_ms[static_cast<size_t>(q * static_cast<double>(work_ms.size() - 1))];
  };
  stats.work_p50_ms = pct(0.5);
  stats.work_p99_ms = pct(0.99);
  stats.work_max_ms = work_ms.empty() ? 0.0 : work_ms.back();
  stats.audit_records = p_->audit->appended();
  return stats;
}

}  // namespace meg
