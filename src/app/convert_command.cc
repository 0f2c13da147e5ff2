#include "app/convert_command.h"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/exit.h"
#include "app/paths.h"
#include "io/doe_hospital.h"
#include "io/text_file.h"
#include "io/usage_csv.h"
#include "sim/site_inputs.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg convert";

struct DoeOptions {
  std::string file = DefaultSharedDir() + "/data/load/doe_ref_hospital_4A_baltimore.csv";
  int year = 2024;
  double scale = 1.0;
  std::string out;
  std::string calendar = DefaultCalendarPath();
};

// Writes a whole year of 15-minute kW (no gaps) as usage CSV and says what it wrote.
int WriteUsage(const std::string& path, const PowerSeries& series, int year) {
  double kwh = 0, peak = 0;
  for (const auto& v : series.values()) {
    kwh += v->value() * 0.25;
    peak = std::max(peak, v->value());
  }
  auto st = WriteTextFile(path, FormatUsageCsv(series));
  if (!st) return ExitWith(kCommand, st.error());
  std::cerr << fmt::format("meg convert: wrote {} ({} intervals of {}, {:.0f} MWh, peak {:.0f} kW)\n", path,
                           series.size(), year, kwh / 1000.0, peak);
  return 0;
}

int RunDoe(const DoeOptions& o) {
  if (!(o.scale > 0.0) || o.scale > 1000.0) {
    return ExitWith(kCommand, InvalidInput(fmt::format("--scale {} must be in (0, 1000]", o.scale)));
  }
  auto text = ReadTextFile(o.file);
  if (!text) return ExitWith(kCommand, text.error());
  auto load = ParseDoeHospitalCsv(*text, o.file);
  if (!load) return ExitWith(kCommand, load.error());
  auto calendar = LoadCalendar(o.calendar);
  if (!calendar) return ExitWith(kCommand, calendar.error());
  auto series = DoeHospitalOnYear(*load, o.year, *calendar);
  if (!series) return ExitWith(kCommand, series.error());
  std::vector<std::optional<Kilowatts>> scaled;
  scaled.reserve(series->size());
  for (const auto& v : series->values()) scaled.emplace_back(*v * o.scale);
  return WriteUsage(o.out, PowerSeries(series->start(), series->step(), std::move(scaled)), o.year);
}

struct CnuOptions {
  std::string file;
  int year = 2024;
  std::string out;
  std::string calendar = DefaultCalendarPath();
};

// A CNU campus building (hourly kWh, 2021-01 to 2022-04) laid on a calendar year by the loader of a
// site file's `format = "cnu-building"` (sim/site_inputs.h): the same load a site twin runs.
int RunCnu(const CnuOptions& o) {
  auto calendar = LoadCalendar(o.calendar);
  if (!calendar) return ExitWith(kCommand, calendar.error());
  Site site;
  site.load.file = o.file;
  site.load.format = "cnu-building";
  site.load.year = o.year;
  auto series = LoadSeriesForYear(site, *calendar);
  if (!series) return ExitWith(kCommand, series.error());
  return WriteUsage(o.out, *series, o.year);
}

}  // namespace

void AddConvertCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("convert", "Convert a real data set into 15-minute usage CSV");
  cmd->require_subcommand(1);
  auto doe = std::make_shared<DoeOptions>();
  CLI::App* d =
      cmd->add_subcommand("doe-hospital",
                          "The DOE reference hospital (hourly, typical year) laid on a calendar year by weekday, "
                          "Korean holidays as Sundays, each hour held for its four 15-minute intervals");
  d->add_option("--file", doe->file, "DOE hospital CSV")->capture_default_str();
  d->add_option("--year", doe->year, "calendar year to lay the profile on")->capture_default_str();
  d->add_option("--scale", doe->scale, "multiply every kW by this factor")->capture_default_str();
  d->add_option("--out", doe->out, "usage CSV to write")->required();
  d->add_option("--calendar", doe->calendar, "holiday calendar CSV")->capture_default_str();
  d->callback([doe, exit_code] { *exit_code = RunDoe(*doe); });
  auto cnu = std::make_shared<CnuOptions>();
  CLI::App* c = cmd->add_subcommand(
      "cnu-building",
      "A measured CNU campus building (hourly kWh, 2021-01 to 2022-04; meter faults as gaps) laid on a calendar "
      "year day by day, each day a measured whole day of the same day type nearest in the year");
  c->add_option("--file", cnu->file, "CNU building CSV, e.g. ../shared/data/load/cnu_gwangju/agri3_HV_02.csv")
      ->required();
  c->add_option("--year", cnu->year, "calendar year to lay the load on")->capture_default_str();
  c->add_option("--out", cnu->out, "usage CSV to write")->required();
  c->add_option("--calendar", cnu->calendar, "holiday calendar CSV")->capture_default_str();
  c->callback([cnu, exit_code] { *exit_code = RunCnu(*cnu); });
}

}  // namespace meg
