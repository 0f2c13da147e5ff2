#include "app/report/pv_forecast_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "core/time.h"

namespace meg {
namespace {

std::string Num(double v, int decimals = 1) { return std::isnan(v) ? "n/a" : fmt::format("{:.{}f}", v, decimals); }
std::string Signed(double v) { return std::isnan(v) ? "n/a" : fmt::format("{:+.1f}", v); }

double Median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The forecaster with the lowest aggregate NMAE.
size_t BestForecaster(const PvForecastReport& r) {
  size_t best = 0;
  for (size_t f = 1; f < kPvForecasterCount; ++f) {
    if (r.aggregate.by_forecaster[f].errors.nmae_pct < r.aggregate.by_forecaster[best].errors.nmae_pct) {
      best = f;
    }
  }
  return best;
}

}  // namespace

std::string RenderPvForecastMarkdown(const PvForecastReport& r) {
  std::string out;
  const auto& agg = r.aggregate;
  out += fmt::format(
      "Day-ahead PV forecasts issued at D-1 {:02d}:00 KST for every hour of D, D in [{}, {}), "
      "scored on daylight samples. {}, KPX capacity {:.1f} kWp (fitted).\n\n",
      r.issue_hour_kst, FormatDate(r.eval_first_day), FormatDate(r.eval_end_day), agg.name, agg.capacity.value());
  out +=
      "| forecaster | NMAE % | NRMSE % | bias % | P10-P90 coverage % | KPX qualifying h | "
      "<= 6 % share | <= 8 % share | incentive KRW | median system NMAE % |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (size_t f = 0; f < kPvForecasterCount; ++f) {
    const PvForecastScore& s = agg.by_forecaster[f];
    std::vector<double> system_nmae;
    for (const auto& sys : r.systems) system_nmae.push_back(sys.by_forecaster[f].errors.nmae_pct);
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {:.0f} | {} |\n", PvForecasterName(kPvForecasters[f]),
                       Num(s.errors.nmae_pct), Num(s.errors.nrmse_pct), Signed(s.errors.bias_pct),
                       Num(s.band_coverage_pct, 0), s.kpx.qualifying_hours, Num(s.kpx.share_within_6_pct(), 0),
                       Num(s.kpx.share_within_8_pct(), 0), s.kpx.incentive_krw, Num(Median(system_nmae)));
  }
  const size_t best = BestForecaster(r);
  out += fmt::format("\nPer system, {} (the lowest aggregate NMAE):\n\n", PvForecasterName(kPvForecasters[best]));
  out +=
      "| system | kWp | NMAE % | NRMSE % | bias % | P10-P90 % | KPX h | <= 8 % share | "
      "incentive KRW |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& sys : r.systems) {
    const PvForecastScore& s = sys.by_forecaster[best];
    out += fmt::format("| {} | {:.1f} | {} | {} | {} | {} | {} | {} | {:.0f} |\n", sys.name, sys.capacity.value(),
                       Num(s.errors.nmae_pct), Num(s.errors.nrmse_pct), Signed(s.errors.bias_pct),
                       Num(s.band_coverage_pct, 0), s.kpx.qualifying_hours, Num(s.kpx.share_within_8_pct(), 0),
                       s.kpx.incentive_krw);
  }
  if (!r.excluded.empty()) {
    out += "\nExcluded by the data screen (as `meg pv-validate`):\n";
    for (const auto& e : r.excluded) out += "- " + e + "\n";
  }
  out += fmt::format(
      "\nNMAE, NRMSE and bias are normalised by the mean measured kW of the scored samples "
      "(daylight, logger-loss rows excluded). Physics forecasters are driven by the measured "
      "weather of D (a perfect weather forecast); kWp, clear-sky index, ridge correction and "
      "P10/P90 residuals use only power sampled before the issue time. KPX (전력시장운영규칙 "
      "ch. 14): each sample is instantaneous at the clock hour and stands for the hour's mean kW "
      "(= kWh); the capacity is the kWp fitted by energy before the first issue (registered "
      "capacities are not in the data); the sensor plane ({:.0f} deg tilt, {:.0f} deg azimuth) "
      "is fitted on July's weather.\n",
      r.sensor_plane.tilt_deg, r.sensor_plane.azimuth_deg);
  return out;
}

}  // namespace meg
