#include "app/pv_validate_command.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <string>

#include "app/exit.h"
#include "app/paths.h"
#include "app/report/pv_validation_report.h"
#include "core/text.h"
#include "core/time.h"
#include "forecast/pv_validation.h"
#include "io/gist_pv.h"
#include "io/text_file.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg pv-validate";

struct PvValidateOptions {
  std::string file = DefaultSharedDir() + "/data/pv/gist_gwangju_pv_hourly_2022-07_08.csv";
  double latitude_deg = 35.17;  // Gwangju
  double longitude_deg = 126.89;
  std::string calibration = "2022-07";
  std::string holdout = "2022-08";
  bool markdown = false;
};

int RunPvValidate(const PvValidateOptions& o) {
  auto cal = ParseMonth(o.calibration);
  if (!cal) return ExitWith(kCommand, InvalidInput(fmt::format("--calibration: {}", cal.error().message)));
  auto hold = ParseMonth(o.holdout);
  if (!hold) return ExitWith(kCommand, InvalidInput(fmt::format("--holdout: {}", hold.error().message)));
  if (!(o.latitude_deg >= -90 && o.latitude_deg <= 90) || !(o.longitude_deg >= -180 && o.longitude_deg <= 180)) {
    return ExitWith(kCommand, InvalidInput("--lat must be in -90..90 and --lon in -180..180"));
  }
  auto text = ReadTextFile(o.file);
  if (!text) return ExitWith(kCommand, text.error());
  auto data = ParseGistPvCsv(*text, o.file);
  if (!data) return ExitWith(kCommand, data.error());

  const PvSiteSamples site_samples{data->ghi_w_m2, data->poa_w_m2, data->temp_air_c, data->temp_module_c};
  std::vector<PvSystemSamples> systems;
  for (const auto& s : data->systems) systems.push_back({s.name, s.ac});
  const Location site{o.latitude_deg, o.longitude_deg, 0, 540};
  PvValidationOptions options;
  options.calibration_start = StartOfKstMonth(*cal);
  options.calibration_end = StartOfKstMonth(*cal + std::chrono::months{1});
  options.holdout_start = StartOfKstMonth(*hold);
  options.holdout_end = StartOfKstMonth(*hold + std::chrono::months{1});
  auto report = ValidatePv(site_samples, systems, site, options);
  if (!report) return ExitWith(kCommand, report.error());
  const PvValidationHeading heading{o.file, o.latitude_deg, o.longitude_deg, o.calibration, o.holdout};
  std::cout << RenderPvValidationText(*report, heading, o.markdown);
  return 0;
}

}  // namespace

void AddPvValidateCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<PvValidateOptions>();
  CLI::App* cmd =
      app.add_subcommand("pv-validate",
                         "Score the PV model on the measured GIST campus systems: fit each system's kWp on one "
                         "month, report NMBE/NRMSE on the next");
  cmd->add_option("--file", o->file, "GIST PV CSV")->capture_default_str();
  cmd->add_option("--lat", o->latitude_deg, "site latitude, degrees north")->capture_default_str();
  cmd->add_option("--lon", o->longitude_deg, "site longitude, degrees east")->capture_default_str();
  cmd->add_option("--calibration", o->calibration, "month to fit kWp and the sensor plane on")->capture_default_str();
  cmd->add_option("--holdout", o->holdout, "month to score on")->capture_default_str();
  cmd->add_flag("--markdown", o->markdown, "print the system table as Markdown");
  cmd->callback([o, exit_code] { *exit_code = RunPvValidate(*o); });
}

}  // namespace meg
