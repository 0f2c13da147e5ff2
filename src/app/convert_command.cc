#include "app/convert_command.h"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/exit.h"
#include "app/paths.h"
#include "io/doe_hospital.h"
#include "io/text_file.h"
#include "io/usage_csv.h"

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
  double kwh = 0, peak = 0;
  for (const auto& v : series->values()) {
    scaled.emplace_back(*v * o.scale);
    kwh += v->value() * o.scale * 0.25;
    peak = std::max(peak, v->value() * o.scale);
  }
  const PowerSeries out(series->start(), series->step(), std::move(scaled));
  auto st = WriteTextFile(o.out, FormatUsageCsv(out));
  if (!st) return ExitWith(kCommand, st.error());
  std::cerr << fmt::format("meg convert: wrote {} ({} intervals of {}, {:.0f} MWh, peak {:.0f} kW)\n", o.out,
                           out.size(), o.year, kwh / 1000.0, peak);
  return 0;
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
}

}  // namespace meg
