#include "app/study/gist_pv_forecasts.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/check.h"
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

Result<PvForecastReport> RunGistPvForecastEval(const std::string& shared_dir) {
  auto in = LoadGistPvForecastInputs(shared_dir);
  if (!in) return in.error();
  return EvaluatePvForecasts(in->site, in->systems, in->location, in->options);
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

BrokerageMember ToBrokerageMember(const GistPvMember& m, PvForecaster f, Timestamp from, Timestamp to) {
  const auto& p50 = m.forecast.by_forecaster[static_cast<size_t>(f)].p50_kw;
  std::vector<std::optional<KilowattHours>> forecast, metered;
  const auto first = m.ac.IndexOf(from);
  MEG_CHECK(first.has_value());
  for (size_t i = *first; i < m.ac.size() && m.ac.TimeAt(i) < to; ++i) {
    metered.push_back(m.ac.at(i) && !m.lost[i] ? std::optional(KilowattHours(std::max(0.0, m.ac.at(i)->value())))
                                               : std::nullopt);
    forecast.push_back(p50.at(i) ? std::optional(KilowattHours(std::max(0.0, *p50.at(i)))) : std::nullopt);
  }
  const Timestamp start = m.ac.TimeAt(*first);
  return BrokerageMember{m.name,
                         m.capacity,
                         IntervalSeries<KilowattHours>(start, std::chrono::hours{1}, std::move(forecast)),
                         IntervalSeries<KilowattHours>(start, std::chrono::hours{1}, std::move(metered)),
                         {}};
}

}  // namespace meg
