#include "app/gist_pv_forecasts.h"

#include <chrono>

#include "io/gist_pv.h"
#include "io/text_file.h"

namespace meg {

Result<GistPvForecastInputs> LoadGistPvForecastInputs(const std::string& shared_dir) {
  // The loading sequence of `meg pv-validate` (app/pv_validate_command.cc).
  GistPvForecastInputs in;
  in.file = shared_dir + "/data/pv/gist_gwangju_pv_hourly_2022-07_08.csv";
  auto text = ReadTextFile(in.file);
  if (!text) return text.error();
  auto data = ParseGistPvCsv(*text, in.file);
  if (!data) return data.error();
  in.site = PvSiteSamples{data->ghi_w_m2, data->poa_w_m2, data->temp_air_c, data->temp_module_c};
  for (const auto& s : data->systems) in.systems.push_back({s.name, s.ac});
  in.location = Location{35.17, 126.89, 0, 540};
  using std::chrono::year;
  PvForecastOptions& o = in.options;
  o.validation.calibration_start = StartOfKstMonth(year{2022} / 7);
  o.validation.calibration_end = o.validation.holdout_start = StartOfKstMonth(year{2022} / 8);
  o.validation.holdout_end = StartOfKstMonth(year{2022} / 9);
  o.eval_first_day = year{2022} / 8 / 1;
  o.eval_end_day = year{2022} / 9 / 1;
  return in;
}

Result<GistPvPortfolio> ForecastGistPvPortfolio(const GistPvForecastInputs& in, Date first_day) {
  // The screen and the sensor plane as EvaluatePvForecasts computes them.
  MEG_TRY_ASSIGN(screened, ScreenPvSystems(in.site, in.systems, in.location, in.options));
  const Timestamp first_issue = PvIssueTime(first_day, in.options.issue_hour_kst);
  GistPvPortfolio out;
  out.excluded = screened.excluded;
  for (const size_t k : screened.healthy) {
    const PvSystemSamples& s = in.systems[k];
    auto forecast = ForecastPvDayAhead(screened.site, s.ac);
    if (!forecast) return forecast.error();
    out.members.push_back(GistPvMember{s.name, FitPvKwpByEnergy(screened.site, s.ac, first_issue), s.ac,
                                       screened.site.lost, std::move(*forecast)});
  }
  return out;
}

}  // namespace meg
