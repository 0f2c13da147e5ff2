#include "app/simulate_command.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/dr_options.h"
#include "app/ev_sessions_command.h"
#include "app/exit.h"
#include "app/planners.h"
#include "app/report/bill_report.h"
#include "app/report/simulate_report.h"
#include "app/site_loader.h"
#include "control/optimal_controllers.h"
#include "control/rule_controllers.h"
#include "core/text.h"
#include "io/ev_sessions.h"
#include "io/text_file.h"
#include "market/dr_program.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "sim/backtest.h"
#include "sim/site_inputs.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg simulate";

struct SimulateOptions : SiteOptions {
  int year = 0;
  std::string history_from;  // YYYY-MM-01: the meter history before the scored year
  std::string day;           // YYYY-MM-DD: the HTML report's day view
  std::string xlsx;          // an Excel workbook to write
  std::vector<std::string> controllers{"peak-shave"};
  double threshold_kw = 0;
  int horizon_h = 24;
  bool cold_start = false;
  int retrain_days = 14;
  double reserve_share = 1.0;
  double day_peak_quantile = 0;
  int error_feedback_min = 0;
  int guard_bias_min = static_cast<int>(PlannerOptions{}.guard_bias_tau.count());
  std::string out;
  bool detail = false;
  std::string cycle = "15m";  // the control loop's cycle in the backtest
  DrOptions dr;
  std::string ev_sessions;        // EV charging sessions on the site's chargers (io/ev_sessions.h)
  double backup_reserve_pct = 0;  // % of SoC kept for outages in every run with the battery
};

// The EV section: each run's charging and what it cost, the unmanaged baseline first.
std::string RenderEvText(const std::string& file, const std::vector<EvSessionPlan>& sessions,
                         const std::vector<const BacktestResult*>& runs) {
  double wanted = 0;
  for (const EvSessionPlan& p : sessions) wanted += p.energy.value();
  std::string out = fmt::format(
      "\n== EV charging: {} sessions from {} ({:.1f} kWh wanted; those that arrive in the scored year count)\n\n",
      sessions.size(), file, wanted);
  out += fmt::format("{:<28} {:>9} {:>12} {:>12} {:>8} {:>8} {:>16} {:>18}\n", "run", "sessions", "EV kWh", "short kWh",
                     "short", "refused", "max 요금적용전력", "bill, KRW");
  for (const BacktestResult* r : runs) {
    std::int64_t demand = 0;
    for (const MonthlyBill& b : r->bills) demand = std::max(demand, b.billing_demand_kw);
    out += fmt::format("{:<28} {:>9} {:>12.1f} {:>12.1f} {:>8} {:>8} {:>13} kW {:>18}\n", r->controller, r->ev_sessions,
                       r->ev_energy.value(), r->ev_unmet.value(), r->ev_short, r->ev_refused, WithThousands(demand),
                       WithThousands(BilledTotal(*r).value()));
  }
  out += "(short: sessions not full when they left; refused: no contract power left for one more car when it came)\n";
  return out;
}

// "15m", "60s", "1m": a divisor of 15 minutes, at least 1 s.
Result<Millis> ParseCycle(const std::string& text) {
  const auto bad = [&] {
    return InvalidInput(fmt::format("--cycle '{}': a divisor of 15 minutes such as 15m, 5m, 60s", text));
  };
  if (text.size() < 2) return bad();
  const char unit = text.back();
  const std::string digits = text.substr(0, text.size() - 1);
  if (digits.empty() || digits.size() > 4 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return bad();
  }
  const long n = std::stol(digits);
  const Millis cycle = unit == 'm' ? Millis(n * 60'000) : unit == 's' ? Millis(n * 1000) : Millis(0);
  if (cycle < Millis(1000) || Millis(15 * 60'000) % cycle != Millis(0)) return bad();
  return cycle;
}

// A progress line on stderr: rewritten in place on a terminal, a few lines otherwise.
std::function<void(double)> ProgressLine(const std::string& what) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  auto last = std::make_shared<int>(-1);
  return [what, tty, last](double share) {
    const int pct = static_cast<int>(share * 100);
    if (tty) {
      if (pct != *last) std::cerr << fmt::format("\r{}: {:3d} %", what, pct) << (pct == 100 ? "\n" : "") << std::flush;
    } else if (pct / 25 != *last / 25 || (pct == 100 && *last != 100)) {
      std::cerr << fmt::format("{}: {} %\n", what, pct);
    }
    *last = pct;
  };
}

int RunSimulate(const SimulateOptions& o) {
  auto loaded = LoadSiteContext(o);
  if (!loaded) return ExitWith(kCommand, loaded.error());
  const Site& site = loaded->site;
  const int year = o.year != 0 ? o.year : site.load.year;
  if (year < 2000 || year > 2100) return ExitWith(kCommand, InvalidInput(fmt::format("--year {}: not a year", year)));
  const Date year_start = std::chrono::year{year} / 1 / 1;
  std::optional<Date> history_from;
  if (!o.history_from.empty()) {
    auto d = ParseDate(o.history_from);
    if (!d || d->day() != std::chrono::day{1} || *d >= year_start) {
      return ExitWith(kCommand,
                      InvalidInput(fmt::format("--history-from '{}': the first day of a month before {}-01-01 "
                                               "(YYYY-MM-01), the start of the meter history",
                                               o.history_from, year)));
    }
    history_from = *d;
  }
  std::optional<Date> day;
  if (!o.day.empty()) {
    auto d = ParseDate(o.day);
    if (!d || d->year() != std::chrono::year{year}) {
      return ExitWith(kCommand,
                      InvalidInput(
                          fmt::format("--day '{}': a day of {} (YYYY-MM-DD) for the report's day view", o.day, year)));
    }
    day = *d;
  }
  for (const auto& name : o.controllers) {
    if (auto st = CheckPlanner(name, *loaded, nullptr); !st) return ExitWith(kCommand, st.error());
  }
  auto loaded_dr = LoadDrProgram(o.dr, loaded->calendar);
  if (!loaded_dr) return ExitWith(kCommand, loaded_dr.error());
  const DrProgram* dr = o.dr.calls.empty() ? nullptr : &*loaded_dr;  // DR runs only with a call file
  if (history_from) {
    std::cerr << fmt::format("meg simulate: preparing load and PV for {} with the history from {}\n", year,
                             FormatDate(*history_from));
  } else {
    std::cerr << "meg simulate: preparing load and PV for " << year << "\n";
  }
  // The whole span (the history and the scored year): what the load forecaster learns from.
  auto span = PrepareSiteInputs(site, loaded->calendar, history_from.value_or(year_start), year);
  if (!span) return ExitWith(kCommand, span.error());
  const Timestamp scored_from = FromKst(year_start);
  const SiteInputs scored = SliceInputs(*span, scored_from, FromKst(std::chrono::year{year + 1} / 1 / 1));
  const SiteInputs* inputs = &scored;
  // The meter history: the site as it ran before OpenMEG (its PV, no battery control), whose
  // peaks carry into the scored year's ratchet for every controller alike.
  std::optional<BacktestResult> history;
  if (history_from) {
    const SiteInputs before = SliceInputs(*span, FromKst(*history_from), scored_from);
    BacktestRequest h;
    h.book = &loaded->book;
    h.calendar = &loaded->calendar;
    h.tariff = loaded->tariff;
    h.site = &site;
    h.load = &before.load;
    h.pv = &before.pv;
    h.use_battery = false;
    h.use_generator = false;
    h.progress = ProgressLine("replaying the history");
    NoBattery idle;
    auto run = RunBacktest(h, idle);
    if (!run) return ExitWith(kCommand, run.error());
    history = std::move(*run);
  }

  auto cycle = ParseCycle(o.cycle);
  if (!cycle) return ExitWith(kCommand, cycle.error());
  BacktestRequest request;
  request.cycle = *cycle;
  request.book = &loaded->book;
  request.calendar = &loaded->calendar;
  request.tariff = loaded->tariff;
  request.site = &site;
  request.load = &inputs->load;
  request.pv = &inputs->pv;
  if (!inputs->cooling_kw_th.empty()) {
    request.cooling_kw_th = &inputs->cooling_kw_th;
    request.cop = &inputs->cop;
  }
  if (history) request.demand_history = &history->demand;
  if (o.backup_reserve_pct != 0) {
    if (!site.ess) {
      return ExitWith(kCommand, InvalidInput(fmt::format("--backup-reserve-pct: {} has no [ess]", site.file)));
    }
    if (auto st = CheckBackupReserve(o.backup_reserve_pct, *site.ess); !st) {
      return ExitWith(kCommand, Error{st.error().code, "--backup-reserve-pct: " + st.error().message});
    }
    request.backup_reserve_pct = o.backup_reserve_pct;
  }

  std::optional<std::vector<EvSessionPlan>> ev;
  std::string ev_source;
  if (!o.ev_sessions.empty()) {
    if (site.chargers.empty()) {
      return ExitWith(kCommand, InvalidInput(fmt::format("--ev-sessions needs the site's chargers ([[charger]] in {})",
                                                         site.file)));
    }
    auto sessions = LoadEvSessions(o.ev_sessions, site.chargers);
    if (!sessions) return ExitWith(kCommand, sessions.error());
    ev = std::move(*sessions);
    ev_source = o.ev_sessions;
  } else {
    // The site's own cars ([ev]): its session file, or its car park profile over the scored year.
    auto sessions = SiteEvSessions(*loaded, year_start, std::chrono::year{year + 1} / 1 / 1);
    if (!sessions) return ExitWith(kCommand, sessions.error());
    ev = std::move(*sessions);
    ev_source = !site.ev.sessions_file.empty() ? site.ev.sessions_file : "the site's car park profile ([ev])";
  }
  if (ev) {
    // The oracles plan far ahead, but see only the cars under way, not those to come: their plan
    // drifts from what the twin measures, and the period oracle would re-plan the rest of the year
    // each time. They are not run with cars (docs/ev-charging.md, "What is not done").
    for (const auto& name : o.controllers) {
      if (name == "oracle" || name == "oracle-month") {
        return ExitWith(kCommand,
                        InvalidInput(
                            fmt::format("--controller {}: its plan sees only the cars under way, not those to "
                                        "come, so it is not run with EV sessions; use none, peak-shave or mpc (or a "
                                        "site without [ev])",
                                        name)));
      }
    }
    request.ev_sessions = &*ev;
    request.manage_ev = true;  // the controllers' runs; the runs without OpenMEG charge as plugged
  }

  NoBattery none;
  BacktestRequest grid_only_request = request;
  grid_only_request.manage_ev = false;
  grid_only_request.pv = nullptr;
  grid_only_request.use_battery = false;
  grid_only_request.use_generator = false;
  grid_only_request.use_thermal_storage = false;
  auto grid_only = RunBacktest(grid_only_request, none);
  if (!grid_only) return ExitWith(kCommand, grid_only.error());
  grid_only->controller = "no PV, no ESS";
  // The baseline: the battery idle, i.e. absent to the loop (its guards would otherwise use it).
  BacktestRequest baseline_request = request;
  baseline_request.use_battery = false;
  baseline_request.use_generator = false;        // the bill without OpenMEG: no generator dispatched either
  baseline_request.use_thermal_storage = false;  // nor cold stored: the chillers serve the demand as it comes
  baseline_request.manage_ev = false;            // nor the cars managed: each charges as plugged
  baseline_request.progress = ProgressLine("simulating none");
  auto baseline = RunBacktest(baseline_request, none);
  if (!baseline) return ExitWith(kCommand, baseline.error());
  // Managed charging alone: the baseline with the cars managed, nothing else.
  std::optional<BacktestResult> ev_managed;
  if (ev) {
    BacktestRequest managed = baseline_request;
    managed.manage_ev = true;
    managed.progress = ProgressLine("simulating managed charging alone");
    auto run = RunBacktest(managed, none);
    if (!run) return ExitWith(kCommand, run.error());
    ev_managed = std::move(*run);
    ev_managed->controller = "managed-ev";
  }

  ClpCbcSolver solver;
  PlannerOptions planner_options;
  planner_options.threshold = Kilowatts(o.threshold_kw);
  planner_options.horizon = std::chrono::hours{o.horizon_h};
  planner_options.warm_start = !o.cold_start;
  planner_options.learned.retrain_every = std::chrono::hours{24 * o.retrain_days};
  planner_options.learned.reserve_share = o.reserve_share;
  planner_options.learned.day_peak_quantile = o.day_peak_quantile;
  planner_options.learned.error_feedback_tau = std::chrono::minutes{o.error_feedback_min};
  planner_options.guard_bias_tau = std::chrono::minutes{o.guard_bias_min};
  std::vector<BacktestResult> runs;
  std::vector<BacktestResult> dr_runs;  // the same controllers answering the DR calls
  for (const auto& name : o.controllers) {
    for (const bool with_dr : {false, true}) {
      if (name == "none" && !with_dr) continue;
      if (with_dr && !dr) continue;
      // Planners see the whole span: the learned model trains on the history too.
      auto planner = MakePlanner(name, *loaded, &*span, solver, planner_options);
      if (!planner) return ExitWith(kCommand, planner.error());
      BacktestRequest this_request = request;
      this_request.dr = with_dr ? dr : nullptr;
      this_request.use_battery = name != "none";  // `none` leaves the battery idle: absent to the loop
      this_request.use_generator = name != "none";
      this_request.use_thermal_storage = name != "none";
      this_request.progress = ProgressLine("simulating " + name + (with_dr ? " with the DR calls" : ""));
      auto run = RunBacktest(this_request, (*planner)->controller());
      if (!run) return ExitWith(kCommand, run.error());
      if (const PlanningController* planning = (*planner)->planning()) {
        std::cerr << fmt::format(
            "meg simulate: {}: {} LP solves with {} ({} warm-started, {} simplex iterations), {} failed{}\n", name,
            planning->solves(), solver.name(), planning->warm_starts(), planning->iterations(), planning->failures(),
            planning->failures() > 0 ? " (last: " + planning->last_failure() + ")" : "");
        if (const LearnedPlanForecast* learned = (*planner)->learned()) {
          std::cerr << fmt::format(
              "meg simulate: {}: load model trained {} times ({} calibrated, {:.1f} s in all), {} failed{}; {} "
              "horizons forecast as yesterday before 15 days of load were measured\n",
              name, learned->trainings(), learned->calibrations(), learned->train_seconds(),
              learned->failed_trainings(),
              learned->failed_trainings() > 0 ? " (last: " + learned->last_training_error() + ")" : "",
              learned->naive_forecasts());
        }
      }
      (with_dr ? dr_runs : runs).push_back(std::move(*run));
    }
  }
  SimulationReport report;
  report.site = &site;
  report.year = year;
  report.history_from = history_from;
  report.backup_reserve_pct = request.backup_reserve_pct;
  report.day = day;
  report.tariff = loaded->tariff;
  report.inputs = inputs;
  report.grid_only = &*grid_only;
  report.baseline = &*baseline;
  if (ev_managed) report.runs.push_back(&*ev_managed);
  for (const auto& run : runs) report.runs.push_back(&run);
  std::cout << RenderSimulationText(report);
  if (ev) {
    std::vector<const BacktestResult*> ev_runs{&*baseline};
    for (const BacktestResult* r : report.runs) ev_runs.push_back(r);
    std::cout << RenderEvText(ev_source, *ev, ev_runs);
  }
  if (dr) {
    std::vector<DrRunPair> pairs;
    for (const auto& d : dr_runs) {
      const BacktestResult* plain = d.controller == "none" ? &*baseline : nullptr;
      for (const auto& r : runs) {
        if (r.controller == d.controller) plain = &r;
      }
      pairs.push_back(DrRunPair{plain, &d});
    }
    std::cout << RenderDrText(*dr, pairs);
  }
  if (o.detail) {
    std::vector<const BacktestResult*> all{&*baseline};
    for (const auto& run : runs) all.push_back(&run);
    for (const auto* run : all) {
      std::cout << fmt::format("\n== monthly bills with {}{}\n\n", run->controller,
                               run == &*baseline ? " (the bill without OpenMEG)" : "");
      for (const auto& bill : run->bills) std::cout << RenderBillText(bill) << "\n";
    }
  }

  if (!o.xlsx.empty()) {
    auto tables = SimulationTables(report);
    if (!tables) return ExitWith(kCommand, tables.error());
    auto st = WriteXlsx(o.xlsx, *tables);
    if (!st) return ExitWith(kCommand, st.error());
    std::cerr << "meg simulate: wrote " << o.xlsx << "\n";
  }
  if (!o.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out, ec);
    if (ec) return ExitWith(kCommand, IoError(fmt::format("{}: cannot create directory: {}", o.out, ec.message())));
    std::vector<const BacktestResult*> all{&*baseline};
    if (ev_managed) all.push_back(&*ev_managed);
    for (const auto& run : runs) all.push_back(&run);
    for (const auto* run : all) {
      const std::string path = fmt::format("{}/series-{}.csv", o.out, run->controller);
      auto st = WriteTextFile(path, RenderSeriesCsv(*run));
      if (!st) return ExitWith(kCommand, st.error());
    }
    const std::string html = o.out + "/report.html";
    auto st = WriteTextFile(html, RenderSimulationHtml(report));
    if (!st) return ExitWith(kCommand, st.error());
    std::cerr << "meg simulate: wrote " << html << " and the 15-minute series (series-*.csv) to " << o.out << "\n";
  }
  return 0;
}

}  // namespace

void AddSimulateCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app.add_subcommand("simulate", "Backtest a site's year without and with OpenMEG's controllers");
  cmd->add_option("--site", o->site, "site TOML file (see docs/site-config.md)")->required();
  cmd->add_option("--year", o->year,
                  "the year to score (default: the site's load.year; another year lays the load on it and reads "
                  "its weather from the weather file's ${year})");
  cmd->add_option("--history-from", o->history_from,
                  "YYYY-MM-01: the site's meter history starts here, before the scored year: the load model "
                  "trains on it, and its peaks (without OpenMEG) carry into the scored year's ratchet");
  cmd->add_option("--controller", o->controllers,
                  "controllers to run: none, peak-shave, mpc (learned load forecast), mpc-perfect (perfect "
                  "forecast), mpc-persistence (yesterday's load and PV), oracle (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--threshold-kw", o->threshold_kw,
                  "peak-shave: grid demand to hold, kW (default 0: plan each day from the day before)");
  cmd->add_option("--retrain-days", o->retrain_days, "mpc: retrain the load model every N days")
      ->check(CLI::Range(1, 366))
      ->capture_default_str();
  cmd->add_option("--day-peak-quantile", o->day_peak_quantile,
                  "mpc: the reserve is at least this quantile of the recent days' peak forecast error (0: off)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--error-feedback-min", o->error_feedback_min,
                  "mpc: add the load forecast's error over the last hour to its next hours, decaying with this "
                  "time constant, minutes (0: off)")
      ->check(CLI::Range(0, 24 * 60))
      ->capture_default_str();
  cmd->add_option("--guard-bias-min", o->guard_bias_min,
                  "LP planners: when the peak guard discharges, assume the demand's excess over the forecast goes on, "
                  "decaying with this time constant, minutes, and hold the level the battery can hold to the day's end "
                  "(0: off)")
      ->check(CLI::Range(0, 7 * 24 * 60))
      ->capture_default_str();
  cmd->add_option("--reserve-share", o->reserve_share,
                  "mpc: battery energy kept for a load above the forecast, as a share of its P90 - P50 (0: none)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  cmd->add_flag("--cold-start", o->cold_start,
                "mpc: solve each horizon from scratch instead of warm-starting from the last basis");
  cmd->add_option("--horizon-h", o->horizon_h, "mpc: planning horizon, hours")
      ->check(CLI::Range(1, 168))
      ->capture_default_str();
  AddDrOptions(cmd, o->dr);
  cmd->add_option("--ev-sessions", o->ev_sessions,
                  "EV charging sessions on the site's chargers (CSV, docs/ev-charging.md): the runs without OpenMEG "
                  "charge each car as plugged, managed-ev and the controllers share the headroom among them");
  cmd->add_option("--cycle", o->cycle,
                  "the control loop's cycle over the twin: 15m (one decision per interval, the load held "
                  "within it) or a divisor of 15 minutes such as 60s or 1m")
      ->capture_default_str();
  cmd->add_flag("--detail", o->detail, "also print every month's bill line by line for each run");
  cmd->add_option("--backup-reserve-pct", o->backup_reserve_pct,
                  "keep this % of state of charge for outages in every run with the battery (never used for "
                  "savings; the saving it costs is the difference from a run without)");
  cmd->add_option("--out", o->out, "write the 15-minute series (CSV) and report.html to this directory");
  cmd->add_option("--xlsx", o->xlsx,
                  "also write an Excel workbook: savings by controller, monthly bills, the year by line, the "
                  "15-minute series");
  cmd->add_option("--day", o->day,
                  "YYYY-MM-DD: the day report.html shows quarter-hour by quarter-hour (default: the day of the "
                  "highest demand without OpenMEG)");
  AddReferenceDataOptions(cmd, *o);
  cmd->callback([o, exit_code] { *exit_code = RunSimulate(*o); });
}

}  // namespace meg
