// The GIST campus PV data set as the day-ahead PV forecasters see it (forecast/pv_forecast.h):
// loading it with the options of `meg forecast eval --dataset gist-pv`, and the per-system
// forecast series that `meg broker` settles as members of a brokerage. Reads files; otherwise pure.
//
//   auto report = RunGistPvForecastEval(DefaultSharedDir());               // meg forecast eval
//   auto inputs = LoadGistPvForecastInputs(DefaultSharedDir());
//   auto portfolio = ForecastGistPvPortfolio(*inputs, first_scored_day);  // meg broker
//   members.push_back(ToBrokerageMember(portfolio->members[0], PvForecaster::kPhysicsRidge, from, to));
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "core/units.h"
#include "forecast/pv_forecast.h"
#include "forecast/pv_validation.h"
#include "forecast/solar_position.h"
#include "market/brokerage.h"

namespace meg {

// `<shared_dir>/data/pv/gist_gwangju_pv_hourly_2022-07_08.csv` loaded as `meg pv-validate` does
// (Gwangju 35.17 N 126.89 E, KST; screen and sensor plane from ValidatePv with July as the
// calibration and August as the hold-out month), with the forecast options of the evaluation:
// every day of August 2022 scored, forecasts issued at D-1 11:00 KST.
struct GistPvForecastInputs {
  std::string file;
  PvSiteSamples site;
  std::vector<PvSystemSamples> systems;
  Location location;
  PvForecastOptions options;
};
// Errors: the file cannot be read or parsed.
Result<GistPvForecastInputs> LoadGistPvForecastInputs(const std::string& shared_dir);

// The evaluation of `meg forecast eval --dataset gist-pv`: the four forecasters on every day of
// August 2022, issued at D-1 11:00 KST (EvaluatePvForecasts on LoadGistPvForecastInputs). Errors:
// the file cannot be read or parsed, or those of EvaluatePvForecasts.
Result<PvForecastReport> RunGistPvForecastEval(const std::string& shared_dir);

// One healthy system: its measured power, its kWp and the four forecasters' day-ahead series,
// all on the site's hourly grid.
struct GistPvMember {
  std::string name;
  Kilowatts capacity;            // kWp fitted by energy before the first issue (FitPvKwpByEnergy)
  IntervalSeries<Kilowatts> ac;  // measured, + production
  std::vector<bool> lost;        // the site's logger-loss rows (PvForecastSite::lost)
  PvSeriesForecast forecast;     // ForecastPvDayAhead
};
struct GistPvPortfolio {
  std::vector<std::string> excluded;  // "name: reason" of the systems the screen rejects
  std::vector<GistPvMember> members;  // the healthy systems, in input order
};
// The healthy systems of the screen (ValidatePv on inputs.options.validation, as
// EvaluatePvForecasts screens them) and their day-ahead forecasts; capacities are fitted on the
// data before the first forecast issued for `first_day`. Errors: those of ValidatePv,
// PreparePvForecastSite, ForecastPvDayAhead; no healthy system.
Result<GistPvPortfolio> ForecastGistPvPortfolio(const GistPvForecastInputs& inputs, Date first_day);

// A member's hours [from, to) of the site grid as kWh: each GIST sample (kW at the clock hour)
// stands for the hour's mean kW, i.e. its kWh, as `meg forecast eval` scores it. Metered: a gap
// on logger-loss rows and where the sample is missing; a negative sample (inverter standby at
// night) is 0 kWh sold. Forecast: the P50, clamped at 0. REQUIRES: `from` is on m.ac's grid.
BrokerageMember ToBrokerageMember(const GistPvMember& m, PvForecaster f, Timestamp from, Timestamp to);

}  // namespace meg
