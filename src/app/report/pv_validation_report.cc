#include "app/report/pv_validation_report.h"

#include <fmt/format.h>

#include <cmath>

#include "core/text.h"

namespace meg {
namespace {

std::string Pct(double v) { return std::isnan(v) ? "n/a" : fmt::format("{:+.1f}", v); }
std::string Abs(double v) { return std::isnan(v) ? "n/a" : fmt::format("{:.1f}", v); }

}  // namespace

std::string RenderPvValidationText(const PvValidationReport& r, const PvValidationHeading& o, bool markdown) {
  std::string out;
  out += fmt::format("PV validation: {}\n", o.file);
  out += fmt::format("site {:.2f} N {:.2f} E; kWp fitted on {} (KST), scored on {}; daylight samples only\n\n",
                     o.latitude_deg, o.longitude_deg, o.calibration, o.holdout);
  out += "What a row's time label means (GHI-weighted mean solar hour angle ~0 when right):\n";
  for (const auto& h : r.timing) {
    out += fmt::format(
        "  {} {:+7.1f} min   lit with the sun down: {:3d}   dark with the sun "
        "> 3 deg: {:3d}\n",
        PadToWidth(h.meaning, 36), h.mean_hour_angle_min, h.lit_while_sun_down, h.dark_while_sun_up);
  }
  const auto& p = r.sensor_plane;
  out += fmt::format(
      "\nTilted sensor plane fitted from GHI (Erbs + Hay-Davies): tilt {:.0f} deg, azimuth {:.0f} "
      "deg\n  POA {}: NMBE {} %, NRMSE {} % (mean {:.0f} W/m2); {}: NMBE {} %, NRMSE {} %\n\n",
      p.plane.tilt_deg, p.plane.azimuth_deg, o.calibration, Pct(p.calibration.nmbe_pct), Abs(p.calibration.nrmse_pct),
      p.calibration.mean_measured, o.holdout, Pct(p.holdout.nmbe_pct), Abs(p.holdout.nrmse_pct));

  if (markdown) {
    out +=
        "| system | mean kW | R² same / after / before | (a) kWp | (a) NMBE % | (a) NRMSE % | "
        "(b) kWp | (b) NMBE % | (b) NRMSE % | (c) tilt/az | (c) NMBE % | (c) NRMSE % | data |\n"
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|\n";
  } else {
    out += fmt::format("{} {:>7} {:>14} | {:>21} | {:>21} | {:>22} |\n", PadToWidth("", 16), "", "R2 same/",
                       "(a) POA + module T", "(b) GHI + air T", "(c) (b), own plane");
    out += fmt::format(
        "{} {:>7} {:>14} | {:>5} {:>7} {:>7} | {:>5} {:>7} {:>7} | {:>6} {:>7} {:>7} | "
        "data\n",
        PadToWidth("system", 16), "mean kW", "after/before", "kWp", "NMBE%", "NRMSE%", "kWp", "NMBE%", "NRMSE%", "t/az",
        "NMBE%", "NRMSE%");
  }
  for (const auto& s : r.systems) {
    const std::string align = fmt::format("{:.2f}/{:.2f}/{:.2f}", s.alignment.r2_same_instant,
                                          s.alignment.r2_hour_after, s.alignment.r2_hour_before);
    const std::string plane = fmt::format("{:.0f}/{:.0f}", s.own_plane.tilt_deg, s.own_plane.azimuth_deg);
    const std::string screen =
        fmt::format("shift {:+.0f} %, IQR/med {:.2f}", s.screen.level_shift_pct, s.screen.dispersion);
    const std::string data = s.excluded.empty() ? "ok (" + screen + ")" : "EXCLUDED: " + s.excluded;
    const auto& a = s.from_plane;
    const auto& b = s.from_ghi;
    const auto& c = s.from_ghi_own_plane;
    if (markdown) {
      out += fmt::format("| {} | {:.1f} | {} | {:.1f} | {} | {} | {:.1f} | {} | {} | {} | {} | {} | {} |\n", s.name,
                         a.holdout.mean_measured, align, a.kwp.value(), Pct(a.holdout.nmbe_pct),
                         Abs(a.holdout.nrmse_pct), b.kwp.value(), Pct(b.holdout.nmbe_pct), Abs(b.holdout.nrmse_pct),
                         plane, Pct(c.holdout.nmbe_pct), Abs(c.holdout.nrmse_pct), data);
    } else {
      out += fmt::format(
          "{} {:7.1f} {:>14} | {:5.1f} {:>7} {:>7} | {:5.1f} {:>7} {:>7} | {:>5} {:>7} {:>7} | "
          "{}\n",
          PadToWidth(s.name, 16), a.holdout.mean_measured, align, a.kwp.value(), Pct(a.holdout.nmbe_pct),
          Abs(a.holdout.nrmse_pct), b.kwp.value(), Pct(b.holdout.nmbe_pct), Abs(b.holdout.nrmse_pct), plane,
          Pct(c.holdout.nmbe_pct), Abs(c.holdout.nrmse_pct), data);
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

}  // namespace meg
