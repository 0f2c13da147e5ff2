#include "app/forecast_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/exit.h"
#include "app/report/load_eval_report.h"
#include "app/report/pv_forecast_report.h"
#include "app/site_loader.h"
#include "app/study/cnu_buildings.h"
#include "app/study/gist_pv_forecasts.h"
#include "core/text.h"
#include "forecast/load_evaluation.h"
#include "io/text_file.h"
#include "sim/site_inputs.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg forecast";

struct ForecastOptions {
  std::string dataset = "cnu";
  std::vector<std::string> buildings{"agri3_HV_02", "eng7_HV_02", "truth_bldg_CS_02"};
  std::string site = DefaultDataDir() + "/sites/jeonju-hospital.toml";
  std::string from;  // first scored day
  std::string to;    // first day not scored
  int retrain_days = 7;
  std::string until;
  std::string out;
  bool markdown = false;
};

Result<Timestamp> DayOption(const std::string& text, const std::string& flag) {
  auto d = ParseDate(text);
  if (!d) return InvalidInput(fmt::format("{} {}: {}", flag, text, d.error().message));
  return FromKst(*d);
}

int RunEval(const ForecastOptions& o) {
  auto calendar = LoadCalendar(DefaultCalendarPath());
  if (!calendar) return ExitWith(kCommand, calendar.error());
  LoadEvalOptions eval;
  eval.retrain_every = std::chrono::hours{24 * o.retrain_days};
  eval.progress = [](std::string_view line) { std::cerr << "meg forecast: " << line << "\n"; };
  if (o.dataset == "gist-pv") {
    auto report = RunGistPvForecastEval(DefaultSharedDir());
    if (!report) return ExitWith(kCommand, report.error());
    std::cout << RenderPvForecastMarkdown(*report);
    return 0;
  }
  if (o.dataset != "cnu" && o.dataset != "hospital") {
    return ExitWith(kCommand, InvalidInput(fmt::format("--dataset {}: known data sets are cnu, hospital and gist-pv",
                                                       o.dataset)));
  }
  std::cout << "Rolling-origin evaluation: every forecast uses only load measured before its issue time; the model "
               "is retrained every "
            << o.retrain_days << " days on everything known by then.\n"
            << "NMAE = sum|f - a| / sum a; 'vs naive week' = change of NMAE against the same interval last week "
               "(negative is better).\n";
  if (o.dataset == "cnu") {
    auto from = DayOption(o.from.empty() ? "2021-07-01" : o.from, "--from");
    auto to = DayOption(o.to.empty() ? "2022-04-13" : o.to, "--to");
    if (!from) return ExitWith(kCommand, from.error());
    if (!to) return ExitWith(kCommand, to.error());
    eval.start = *from;
    eval.end = *to;
    std::cout << "Data: measured hourly kWh and outdoor temperature of CNU buildings, Gwangju "
                 "(../shared/data/load/cnu_gwangju); the measured temperature stands in for a perfect weather "
                 "forecast. Meter faults (zero runs, spikes) are flagged and become gaps, never training data.\n";
    for (const std::string& b : o.buildings) {
      auto building = LoadCnuBuildingLoad(DefaultSharedDir(), b);
      if (!building) return ExitWith(kCommand, building.error());
      auto report = EvaluateLoadForecasts(building->data, *calendar, eval);
      if (!report) return ExitWith(kCommand, report.error());
      std::cout << RenderLoadEvalRows(fmt::format("{}: {} to {} ({} anomalies flagged)", b,
                                                  FormatDate(ToKst(eval.start).date), FormatDate(ToKst(eval.end).date),
                                                  building->anomalies),
                                      *report, o.markdown);
    }
    return 0;
  }
  if (o.dataset == "hospital") {
    auto loaded = LoadSiteContext(SiteOptions{o.site, DefaultTariffDir(), DefaultCalendarPath(), std::nullopt});
    if (!loaded) return ExitWith(kCommand, loaded.error());
    const Site& site = loaded->site;
    auto inputs = PrepareSiteInputs(site, *calendar);
    if (!inputs) return ExitWith(kCommand, inputs.error());
    LoadData data{ToDoubleSeries(inputs->load), inputs->temp_c};
    const int year = site.load.year;
    auto from = DayOption(o.from.empty() ? fmt::format("{}-02-01", year) : o.from, "--from");
    auto to = DayOption(o.to.empty() ? fmt::format("{}-01-01", year + 1) : o.to, "--to");
    if (!from) return ExitWith(kCommand, from.error());
    if (!to) return ExitWith(kCommand, to.error());
    eval.start = *from;
    eval.end = std::min(*to, data.load_kw.end());
    auto report = EvaluateLoadForecasts(data, *calendar, eval);
    if (!report) return ExitWith(kCommand, report.error());
    std::cout << RenderLoadEvalRows(fmt::format("{} ({}): 15-minute load, {} to {}", site.name, o.site,
                                                FormatDate(ToKst(eval.start).date), FormatDate(ToKst(eval.end).date)),
                                    *report, o.markdown);
    return 0;
  }
  return ExitWith(kCommand,
                  InvalidInput(fmt::format("--dataset {}: known data sets are cnu, hospital and gist-pv", o.dataset)));
}

int RunTrain(const ForecastOptions& o) {
  auto loaded = LoadSiteContext(SiteOptions{o.site, DefaultTariffDir(), DefaultCalendarPath(), std::nullopt});
  if (!loaded) return ExitWith(kCommand, loaded.error());
  const HolidayCalendar& calendar = loaded->calendar;
  auto inputs = PrepareSiteInputs(loaded->site, calendar);
  if (!inputs) return ExitWith(kCommand, inputs.error());
  auto until = DayOption(o.until, "--until");
  if (!until) return ExitWith(kCommand, until.error());
  LoadData data{ToDoubleSeries(inputs->load), inputs->temp_c};
  const auto t0 = std::chrono::steady_clock::now();
  auto model = LoadForecaster::Train(data, calendar, *until, LoadForecastOptions{});
  if (!model) return ExitWith(kCommand, model.error());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (auto st = model->Save(o.out); !st) return ExitWith(kCommand, st.error());
  std::cout << fmt::format(
      "meg forecast: trained the load model of {} on data before {} ({} rows, {:.1f} s); wrote "
      "{} and {}.bands\n",
      loaded->site.name, FormatKst(*until), model->training_rows(), seconds, o.out, o.out);
  std::cout << fmt::format("temperature response: {}\n", model->uses_temperature_response() ? "kept" : "dropped");
  std::cout << "By horizon band, from out-of-sample residuals: the weight of the learned correction (P50 = baseline "
               "+ weight x correction) and the P10/P90 offsets (kW):\n";
  for (size_t b = 0; b < model->bands().size(); ++b) {
    std::cout << fmt::format("  {:<10} weight {:.1f}  {:+8.1f} kW {:+8.1f} kW\n", BandName(static_cast<HorizonBand>(b)),
                             model->bands()[b].weight, model->bands()[b].low, model->bands()[b].high);
  }
  return 0;
}

}  // namespace

void AddForecastCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("forecast", "load and PV forecasts: train, and score on real data");
  cmd->require_subcommand(1);
  auto o = std::make_shared<ForecastOptions>();
  auto* eval = cmd->add_subcommand("eval", "rolling-origin scores against the seasonal-naive baselines");
  eval->add_option("--dataset", o->dataset,
                   "cnu (load of measured CNU buildings), hospital (a site file's load) or gist-pv (day-ahead PV "
                   "of the measured GIST systems, with the KPX incentive)")
      ->capture_default_str();
  eval->add_option("--building", o->buildings, "cnu: building file names (without .csv)")->capture_default_str();
  eval->add_option("--site", o->site, "hospital: the site file")->capture_default_str();
  eval->add_option("--from", o->from, "first scored day, YYYY-MM-DD (KST)");
  eval->add_option("--to", o->to, "first day not scored, YYYY-MM-DD (KST)");
  eval->add_option("--retrain-days", o->retrain_days, "retrain the model every N days")
      ->check(CLI::Range(1, 366))
      ->capture_default_str();
  eval->add_flag("--markdown", o->markdown, "print markdown tables");
  eval->callback([o, exit_code] { *exit_code = RunEval(*o); });
  auto* train = cmd->add_subcommand("train", "train a site's load model on its history and save it");
  train->add_option("--site", o->site, "the site file")->capture_default_str();
  train->add_option("--until", o->until, "train on data before this day, YYYY-MM-DD (KST)")->required();
  train->add_option("--out", o->out, "model file to write (a .bands file is written beside it)")->required();
  train->callback([o, exit_code] { *exit_code = RunTrain(*o); });
}

}  // namespace meg
