#include "app/optimize_command.h"

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "app/exit.h"
#include "app/report/dispatch_report.h"
#include "app/site_loader.h"
#include "core/ess.h"
#include "io/text_file.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "optimize/dispatch_problem.h"
#include "sim/site_inputs.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg optimize";

struct OptimizeOptions : SiteOptions {
  std::string day;
  std::string export_lp;
  std::string export_mps;
  bool milp = false;
  bool with_taxes = false;
  double standing_peak_kw = 0;
  std::optional<double> months_binding;
  std::optional<double> soc_start_pct;
};

int RunOptimize(OptimizeOptions o) {
  auto day = ParseDate(o.day);
  if (!day) return ExitWith(kCommand, InvalidInput(fmt::format("--day {}: {}", o.day, day.error().message)));
  auto loaded = LoadSiteContext(o);
  if (!loaded) return ExitWith(kCommand, loaded.error());
  const Site& site = loaded->site;
  auto inputs = PrepareSiteInputs(site, loaded->calendar);
  if (!inputs) return ExitWith(kCommand, inputs.error());
  const Timestamp from = FromKst(*day), to = from + std::chrono::hours(24);
  DispatchInput in;
  in.site = &site;
  in.book = &loaded->book;
  in.calendar = &loaded->calendar;
  in.tariff = loaded->tariff;
  in.load = inputs->load.Slice(from, to);
  in.pv = inputs->pv.Slice(from, to);
  if (in.load.size() != kIntervalsPerDay) {
    return ExitWith(kCommand, InvalidInput(fmt::format("--day {}: {} has load for {} only (load.year)", o.day, o.site,
                                                       site.load.year)));
  }
  const double soc_pct = o.soc_start_pct.value_or(site.ess ? site.ess->soc_initial_pct : 0);
  in.soc_start = site.ess ? StoredAt(*site.ess, soc_pct) : KilowattHours(0);
  in.standing_peak = Kilowatts(o.standing_peak_kw);
  if (!o.months_binding) o.months_binding = MonthsBinding(std::chrono::year_month{day->year(), day->month()});
  in.months_binding = *o.months_binding;
  in.with_taxes = o.with_taxes;
  in.no_simultaneous = o.milp;
  auto problem = BuildDispatchProblem(in);
  if (!problem) return ExitWith(kCommand, problem.error());
  if (!o.export_lp.empty()) {
    auto st = WriteTextFile(o.export_lp, WriteLpFormat(problem->model));
    if (!st) return ExitWith(kCommand, st.error());
    std::cerr << "meg optimize: wrote the problem in LP format to " << o.export_lp << " (check: glpsol --lp "
              << o.export_lp << " -o OUT)\n";
  }
  if (!o.export_mps.empty()) {
    auto st = WriteTextFile(o.export_mps, WriteMpsFormat(problem->model));
    if (!st) return ExitWith(kCommand, st.error());
    std::cerr << "meg optimize: wrote the problem in free MPS format to " << o.export_mps
              << " (check: glpsol --freemps " << o.export_mps << " -o OUT)\n";
  }
  const DispatchHeading heading{o.day, o.milp, o.with_taxes, *o.months_binding};
  ClpCbcSolver solver;
  auto report = solver.Solve(problem->model, {});
  if (!report) return ExitWith(kCommand, report.error());
  if (report->status != SolveStatus::kOptimal) {
    std::cout << RenderDispatchSummary(heading, site, *problem, *report, Schedule{});
    return ExitWith(kCommand,
                    Error{ErrorCode::kInvalidInput, fmt::format("the solver found no optimum: {} {}",
                                                                SolveStatusName(report->status), report->message)});
  }
  std::cout << RenderDispatchSummary(heading, site, *problem, *report, DecodeSchedule(*problem, *report));
  return 0;
}

}  // namespace

void AddOptimizeCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<OptimizeOptions>();
  CLI::App* cmd = app.add_subcommand("optimize", "Solve one day's optimal battery dispatch of a site (LP/MILP)");
  cmd->add_option("--site", o->site, "site TOML file (see docs/site-config.md)")->required();
  cmd->add_option("--day", o->day, "the KST day to optimise, YYYY-MM-DD (in the site's load.year)")->required();
  cmd->add_option("--export-lp", o->export_lp, "write the exact problem in CPLEX LP format to this file");
  cmd->add_option("--export-mps", o->export_mps, "write the problem in free MPS format to this file");
  cmd->add_flag("--milp", o->milp, "forbid simultaneous charge and discharge with binaries (solved by CBC)");
  cmd->add_flag("--with-taxes", o->with_taxes, "price energy and demand with VAT and the electricity fund");
  cmd->add_option("--standing-peak-kw", o->standing_peak_kw,
                  "demand already standing for 요금적용전력 (month peak so far / ratchet), kW")
      ->capture_default_str();
  cmd->add_option("--months-binding", o->months_binding,
                  "bills a kW of new peak raises (default: 12 in Dec-Feb and Jul-Sep, else 1)");
  cmd->add_option("--soc-start-pct", o->soc_start_pct, "start SoC, % (default: the site's ess.soc_initial_pct)");
  AddReferenceDataOptions(cmd, *o);
  cmd->callback([o, exit_code] { *exit_code = RunOptimize(*o); });
}

}  // namespace meg
