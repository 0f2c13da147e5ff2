#include "app/pv_validate_command.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <string>

#include "app/exit.h"
#include "app/paths.h"
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

std::string Pct(double v) { return std::isnan(v) ? "n/a" : fmt::format("{:+.1f}", v); }
std::string Abs(double v) { return std::isnan(v) ? "n/a" : fmt::format("{:.1f}", v); }

std::string Render(const PvValidationReport& r, const PvValidateOptions& o) {
  std::string out;
  out += fmt::format("PV validation: {}\n", o.file);
  out += fmt::format(
      "site {:.2f} N {:.2f} E; kWp fitted on {} (KST), scored on {}; daylight samples only\n\n",
      o.latitude_deg, o.longitude_deg, o.calibration, o.holdout);
  out += "What a row's time label means (GHI-weighted mean solar hour angle ~0 when right):\n";
  for (const auto& h : r.timing) {
    out += fmt::format(
        "  {} {:+7.1f} min   lit with the sun down: {:3d}   dark with the sun "
        "> 3 deg: {:3d}\n",
        PadToWidth(h.meaning, 36), h.mean_hour_angle_min, h.lit_while_sun_down,
        h.dark_while_sun_up);
  }
  const auto& p = r.sensor_plane;
  out += fmt::format(
      "\nTilted sensor plane fitted from GHI (Erbs + Hay-Davies): tilt {:.0f} deg, azimuth {:.0f} "
      "deg\n  POA {}: NMBE {} %, NRMSE {} % (mean {:.0f} W/m2); {}: NMBE {} %, NRMSE {} %\n\n",
      p.plane.tilt_deg, p.plane.azimuth_deg, o.calibration, Pct(p.calibration.nmbe_pct),
      Abs(p.calibration.nrmse_pct), p.calibration.mean_measured, o.holdout, Pct(p.holdout.nmbe_pct),
      Abs(p.holdout.nrmse_pct));

  if (o.markdown) {
    out +=
        "| system | mean kW | R² same / after / before | (a) kWp | (a) NMBE % | (a) NRMSE % | "
        "(b) kWp | (b) NMBE % | (b) NRMSE % | (c) tilt/az | (c) NMBE % | (c) NRMSE % | data |\n"
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|\n";
  } else {
    out += fmt::format("{} {:>7} {:>14} | {:>21} | {:>21} | {:>22} |\n", PadToWidth("", 16), "",
                       "R2 same/", "(a) POA + module T", "(b) GHI + air T", "(c) (b), own plane");
    out += fmt::format(
        "{} {:>7} {:>14} | {:>5} {:>7} {:>7} | {:>5} {:>7} {:>7} | {:>6} {:>7} {:>7} | "
        "data\n",
        PadToWidth("system", 16), "mean kW", "after/before", "kWp", "NMBE%", "NRMSE%", "kWp",
        "NMBE%", "NRMSE%", "t/az", "NMBE%", "NRMSE%");
  }
  for (const auto& s : r.systems) {
    const std::string align = fmt::format("{:.2f}/{:.2f}/{:.2f}", s.alignment.r2_same_instant,
                                          s.alignment.r2_hour_after, s.alignment.r2_hour_before);
    const std::string plane =
        fmt::format("{:.0f}/{:.0f}", s.own_plane.tilt_deg, s.own_plane.azimuth_deg);
    const std::string screen = fmt::format("shift {:+.0f} %, IQR/med {:.2f}",
                                           s.screen.level_shift_pct, s.screen.dispersion);
    const std::string data = s.excluded.empty() ? "ok (" + screen + ")" : "EXCLUDED: " + s.excluded;
    const auto& a = s.from_plane;
    const auto& b = s.from_ghi;
    const auto& c = s.from_ghi_own_plane;
    if (o.markdown) {
      out += fmt::format(
          "| {} | {:.1f} | {} | {:.1f} | {} | {} | {:.1f} | {} | {} | {} | {} | {} | {} |\n",
          s.name, a.holdout.mean_measured, align, a.kwp.value(), Pct(a.holdout.nmbe_pct),
          Abs(a.holdout.nrmse_pct), b.kwp.value(), Pct(b.holdout.nmbe_pct),
          Abs(b.holdout.nrmse_pct), plane, Pct(c.holdout.nmbe_pct), Abs(c.holdout.nrmse_pct), data);
    } else {
      out += fmt::format(
          "{} {:7.1f} {:>14} | {:5.1f} {:>7} {:>7} | {:5.1f} {:>7} {:>7} | {:>5} {:>7} {:>7} | "
          "{}\n",
          PadToWidth(s.name, 16), a.holdout.mean_measured, align, a.kwp.value(),
          Pct(a.holdout.nmbe_pct), Abs(a.holdout.nrmse_pct), b.kwp.value(), Pct(b.holdout.nmbe_pct),
          Abs(b.holdout.nrmse_pct), plane, Pct(c.holdout.nmbe_pct), Abs(c.holdout.nrmse_pct), data);
    }
  }
  out += fmt::format(
      "\nNMBE = sum(model - measured) / sum(measured); NRMSE = RMSE / mean measured; both on the "
      "{} {} daylight samples (mean kW is that mean). kWp is fitted by energy on {}, so its NMBE "
      "there is 0. (a), (b) assume each system lies in the sensor plane; (c) fits the system's "
      "own tilt/azimuth on {}. R2: power vs plane irradiance sampled at the same instant / mean "
      "of the hour after / before.\n",
      r.sensor_plane.holdout.count, o.holdout, o.calibration, o.calibration);
  return out;
}

int RunPvValidate(const PvValidateOptions& o) {
  auto cal = ParseMonth(o.calibration);
  if (!cal) return ExitWith(kCommand, InvalidInput(fmt::format("--calibration: {}", cal.error().message)));
  auto hold = ParseMonth(o.holdout);
  if (!hold) return ExitWith(kCommand, InvalidInput(fmt::format("--holdout: {}", hold.error().message)));
  if (!(o.latitude_deg >= -90 && o.latitude_deg <= 90) ||
      !(o.longitude_deg >= -180 && o.longitude_deg <= 180)) {
    return ExitWith(kCommand, InvalidInput("--lat must be in -90..90 and --lon in -180..180"));
  }
  auto text = ReadTextFile(o.file);
  if (!text) return ExitWith(kCommand, text.error());
  auto data = ParseGistPvCsv(*text, o.file);
  if (!data) return ExitWith(kCommand, data.error());

  const PvSiteSamples site_samples{data->ghi_w_m2, data->poa_w_m2, data->temp_air_c,
                                   data->temp_module_c};
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
  std::cout << Render(*report, o);
  return 0;
}

}  // namespace

void AddPvValidateCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<PvValidateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pv-validate",
      "Score the PV model on the measured GIST campus systems: fit each system's kWp on one "
      "month, report NMBE/NRMSE on the next");
  cmd->add_option("--file", o->file, "GIST PV CSV")->capture_default_str();
  cmd->add_option("--lat", o->latitude_deg, "site latitude, degrees north")->capture_default_str();
  cmd->add_option("--lon", o->longitude_deg, "site longitude, degrees east")->capture_default_str();
  cmd->add_option("--calibration", o->calibration, "month to fit kWp and the sensor plane on")
      ->capture_default_str();
  cmd->add_option("--holdout", o->holdout, "month to score on")->capture_default_str();
  cmd->add_flag("--markdown", o->markdown, "print the system table as Markdown");
  cmd->callback([o, exit_code] { *exit_code = RunPvValidate(*o); });
}

}  // namespace meg
