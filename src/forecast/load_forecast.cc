#include "forecast/load_forecast.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "core/check.h"

namespace meg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr auto kDay = std::chrono::seconds{std::chrono::hours{24}};
constexpr auto kWeek = std::chrono::seconds{std::chrono::hours{24 * 7}};

// The value at t - k x season for the smallest k >= 1 whose interval ended by `issue`, and k.
std::pair<double, int> SeasonalLag(const IntervalSeries<double>& s, Timestamp issue, Timestamp t,
                                   std::chrono::seconds season) {
  MEG_CHECK(season.count() > 0);
  int k = 1;
  while (t - season * k + s.step() > issue) ++k;
  return {ValueOrNaN(s, t - season * k), k};
}

// Mean and minimum of the temperature over [from, to), NaN if none is known.
double MeanTemp(const IntervalSeries<double>& temp, Timestamp from, Timestamp to) {
  double sum = 0;
  int n = 0;
  for (Timestamp t = from; t < to; t += temp.step()) {
    if (const double v = ValueOrNaN(temp, t); std::isfinite(v)) {
      sum += v;
      ++n;
    }
  }
  return n == 0 ? kNaN : sum / n;
}
double MinTemp(const IntervalSeries<double>& temp, Timestamp from, Timestamp to) {
  double lo = kNaN;
  for (Timestamp t = from; t < to; t += temp.step()) {
    if (const double v = ValueOrNaN(temp, t); std::isfinite(v) && !(v >= lo)) lo = v;
  }
  return lo;
}

// The mean and minimum temperature of each KST day, computed once per day for all the rows of a
// training set or forecast that fall on it.
class DayTemperatures {
 public:
  explicit DayTemperatures(const IntervalSeries<double>& temp)
      : temp_(temp), first_(std::chrono::sys_days{ToKst(temp.start()).date}) {}
  std::pair<double, double> MeanAndMin(Date day) {
    const auto index = (std::chrono::sys_days{day} - first_).count();
    if (index < 0) return Compute(day);  // before the series: nothing is known
    const auto i = static_cast<size_t>(index);
    if (i >= days_.size()) days_.resize(i + 1);
    if (!days_[i]) days_[i] = Compute(day);
    return *days_[i];
  }

 private:
  std::pair<double, double> Compute(Date day) const {
    const Timestamp from = FromKst(day);
    return {MeanTemp(temp_, from, from + kDay), MinTemp(temp_, from, from + kDay)};
  }
  const IntervalSeries<double>& temp_;
  std::chrono::sys_days first_;
  std::vector<std::optional<std::pair<double, double>>> days_;
};

constexpr DegreeTerms kUnknownTerms{kNaN, kNaN, kNaN, kNaN};

// The degree terms at instant t: of the temperature at t and of its KST day's mean.
DegreeTerms TermsAt(const IntervalSeries<double>& temp, DayTemperatures& day_temps, Timestamp t) {
  return DegreeTerms::Of(ValueOrNaN(temp, t), day_temps.MeanAndMin(ToKst(t).date).first);
}

// Means of the degree terms over some instants, each over the instants where it is known.
class TermsMean {
 public:
  void Add(const DegreeTerms& d) {
    const auto v = d.values();
    for (size_t j = 0; j < v.size(); ++j) {
      if (std::isfinite(v[j])) {
        sum_[j] += v[j];
        ++n_[j];
      }
    }
  }
  DegreeTerms Mean() const {
    std::array<double, 4> m{};
    for (size_t j = 0; j < m.size(); ++j) m[j] = n_[j] == 0 ? kNaN : sum_[j] / n_[j];
    return DegreeTerms{m[0], m[1], m[2], m[3]};
  }

 private:
  std::array<double, 4> sum_{};
  std::array<int, 4> n_{};
};

// How SameTimeValue combines the days it finds.
enum class Center { kMean, kMedian };

// The mean or median of the value at the target's time of day over up to `count` earlier days
// measured before `issue` (and of the target's day kind when `same_kind`), searching back
// `max_days`: a smoother profile than a single lag. `temp_mean`, if given, gets the mean
// temperature at the same instants of the same days (NaN if none known); `terms` the mean degree
// terms there.
double SameTimeValue(const LoadData& d, const HolidayCalendar& cal, DayTemperatures& day_temps, Timestamp issue,
                     Timestamp target, Date day, int count, bool same_kind, int max_days, Center center,
                     DegreeTerms& terms, double* temp_mean = nullptr) {
  const auto step = d.load_kw.step();
  const LoadDayKind kind = KindOfDay(day, cal);
  std::array<double, 8> values{};
  MEG_CHECK(count >= 1 && static_cast<size_t>(count) <= values.size());
  double temp_sum = 0;
  int n = 0, temp_n = 0;
  TermsMean terms_mean;
  for (int k = 1; k <= max_days && n < count; ++k) {
    const Timestamp t = target - kDay * k;
    if (t + step > issue) continue;
    if (same_kind && KindOfDay(AddDays(day, -k), cal) != kind) continue;
    const double v = ValueOrNaN(d.load_kw, t);
    if (!std::isfinite(v)) continue;
    values[static_cast<size_t>(n++)] = v;
    if (const double c = ValueOrNaN(d.temp_c, t); std::isfinite(c)) {
      temp_sum += c;
      ++temp_n;
    }
    terms_mean.Add(TermsAt(d.temp_c, day_temps, t));
  }
  if (temp_mean != nullptr) *temp_mean = temp_n == 0 ? kNaN : temp_sum / temp_n;
  terms = terms_mean.Mean();
  if (n == 0) return kNaN;
  const auto found = std::span(values).first(static_cast<size_t>(n));
  if (center == Center::kMean) {
    double sum = 0;
    for (const double v : found) sum += v;
    return sum / n;
  }
  for (size_t i = 1; i < found.size(); ++i) {  // insertion sort of at most 8 values
    for (size_t j = i; j > 0 && found[j - 1] > found[j]; --j) std::swap(found[j - 1], found[j]);
  }
  const auto mid = static_cast<size_t>(n / 2);
  return n % 2 == 1 ? found[mid] : (found[mid - 1] + found[mid]) / 2;
}

// What the load was at the target's time of day before the issue: the lags and means the
// features and the baseline are made of, each computed once per target, with the degree terms
// of the instants each is made of.
struct SameTimeHistory {
  // The median of the last 3 measured days of the target's kind (28 days back): one unusual day
  // (a Sunday event, a heating day in spring) does not move it.
  double same_kind_median = kNaN;
  double same_kind_temp = kNaN;  // the temperature at those same instants
  double mean7 = kNaN;           // the last 7 measured days (10 days back)
  double lag_week = kNaN;        // the same time last week (or the week before, ...)
  double lag_day = kNaN;         // the same time on the latest measured day
  int lag_day_k = 1;             // how many days back that is
  DegreeTerms same_kind_terms = kUnknownTerms, mean7_terms = kUnknownTerms, lag_week_terms = kUnknownTerms,
              lag_day_terms = kUnknownTerms;

  // The baseline the model corrects: the same-kind median, else the 7-day mean, else the latest
  // same time last week or day. The model learns target - baseline, so the trees need not
  // rebuild a building's level and daily profile from scratch, and a short horizon can carry the
  // present anomaly forward. With it, the degree terms of the baseline's instants.
  std::pair<double, DegreeTerms> BaselineAndTerms() const {
    const std::array<std::pair<double, const DegreeTerms*>, 4> sources{{{same_kind_median, &same_kind_terms},
                                                                        {mean7, &mean7_terms},
                                                                        {lag_week, &lag_week_terms},
                                                                        {lag_day, &lag_day_terms}}};
    for (const auto& [v, terms] : sources) {
      if (std::isfinite(v)) return {v, *terms};
    }
    return {kNaN, kUnknownTerms};
  }
  double Baseline() const { return BaselineAndTerms().first; }
};

SameTimeHistory HistoryAt(const LoadData& d, const HolidayCalendar& cal, DayTemperatures& day_temps, Timestamp issue,
                          Timestamp target) {
  const Date day = ToKst(target).date;
  SameTimeHistory h;
  h.same_kind_median = SameTimeValue(d, cal, day_temps, issue, target, day, 3, /*same_kind=*/true, 28, Center::kMedian,
                                     h.same_kind_terms, &h.same_kind_temp);
  h.mean7 =
      SameTimeValue(d, cal, day_temps, issue, target, day, 7, /*same_kind=*/false, 10, Center::kMean, h.mean7_terms);
  int week_k = 1;
  std::tie(h.lag_week, week_k) = SeasonalLag(d.load_kw, issue, target, kWeek);
  h.lag_week_terms = TermsAt(d.temp_c, day_temps, target - kWeek * week_k);
  std::tie(h.lag_day, h.lag_day_k) = SeasonalLag(d.load_kw, issue, target, kDay);
  h.lag_day_terms = TermsAt(d.temp_c, day_temps, target - kDay * h.lag_day_k);
  return h;
}

// Features that depend only on the issue time.
struct IssueFeatures {
  double last_obs = kNaN, last_obs_week_ago = kNaN, mean_24h = kNaN;
  double anomaly = kNaN;  // last_obs - the baseline of its interval: how unusual the load is now
};

IssueFeatures FeaturesOfIssue(const LoadData& d, const HolidayCalendar& cal, DayTemperatures& day_temps,
                              Timestamp issue) {
  const auto step = d.load_kw.step();
  IssueFeatures f;
  f.last_obs = ValueOrNaN(d.load_kw, issue - step);
  f.last_obs_week_ago = ValueOrNaN(d.load_kw, issue - step - kWeek);
  double sum = 0;
  int n = 0;
  for (Timestamp t = issue - kDay; t + step <= issue; t += step) {
    const double v = ValueOrNaN(d.load_kw, t);
    if (std::isfinite(v)) {
      sum += v;
      ++n;
    }
  }
  if (n * 2 >= static_cast<int>(kDay / step)) f.mean_24h = sum / n;  // at least half the day measured
  f.anomaly = f.last_obs - HistoryAt(d, cal, day_temps, issue - step, issue - step).Baseline();
  return f;
}

constexpr size_t kColumns = 22;

// The temperature response is fitted per day kind (3) x quarter of the KST day (00-06, 06-12,
// 12-18, 18-24): heating and cooling follow occupancy schedules.
constexpr size_t kResponseGroups = 3 * 4;

// A target's feature row goes to the trees; its baseline and the degree-term differences
// between the target and the baseline's instants go to the temperature response.
struct RowBaseline {
  double base = kNaN;  // NaN: no history to build one
  TemperatureResponse::Row weather;
};

// Appends the target's feature row and returns its baseline and temperature-response row.
RowBaseline AppendRow(const LoadData& d, const HolidayCalendar& cal, Timestamp issue, const IssueFeatures& at_issue,
                      Timestamp target, DayTemperatures& day_temps, std::vector<float>& out) {
  const KstDateTime k = ToKst(target);
  const auto step = d.load_kw.step();
  const unsigned weekday = k.weekday().iso_encoding() - 1;  // 0 = Monday
  const double horizon_h = std::chrono::duration<double, std::ratio<3600>>(target + step - issue).count();
  const SameTimeHistory h = HistoryAt(d, cal, day_temps, issue, target);
  const auto [base, base_terms] = h.BaselineAndTerms();
  const double temp = ValueOrNaN(d.temp_c, target);
  const auto [day_mean_temp, day_min_temp] = day_temps.MeanAndMin(k.date);
  const float row[kColumns] = {
      static_cast<float>(k.minute_of_day / 60.0),
      static_cast<float>(weekday),
      static_cast<float>(KindOfDay(k.date, cal)),
      IsBridgeDay(k.date, cal) ? 1.0f : 0.0f,
      static_cast<float>(temp),
      static_cast<float>(day_mean_temp),
      static_cast<float>(horizon_h),
      static_cast<float>(h.lag_day),
      static_cast<float>(h.lag_day_k),
      static_cast<float>(KindOfDay(AddDays(k.date, -h.lag_day_k), cal)),
      static_cast<float>(h.lag_week),
      static_cast<float>(at_issue.last_obs),
      static_cast<float>(at_issue.last_obs_week_ago),
      static_cast<float>(at_issue.mean_24h),
      static_cast<float>(KindOfDay(AddDays(k.date, -1), cal)),
      static_cast<float>(h.same_kind_median),
      static_cast<float>(h.mean7),
      static_cast<float>(base),
      static_cast<float>(at_issue.anomaly),
      // Warmer or colder than the baseline's days at the same time: what moves a heating or
      // cooling load away from its baseline.
      static_cast<float>(temp - h.same_kind_temp),
      // Heat stored in or drawn from the building: the mean temperature of the 24 hours before the
      // target and the day's minimum (a cold night drives a morning heating peak).
      static_cast<float>(MeanTemp(d.temp_c, target - kDay, target)),
      static_cast<float>(day_min_temp),
  };
  out.insert(out.end(), row, row + kColumns);
  RowBaseline r;
  r.base = base;
  r.weather.group = static_cast<size_t>(KindOfDay(k.date, cal)) * 4 + static_cast<size_t>(k.minute_of_day / 360);
  const auto target_terms = DegreeTerms::Of(temp, day_mean_temp).values();
  const auto baseline_terms = base_terms.values();
  for (size_t j = 0; j < TemperatureResponse::kTerms; ++j) r.weather.x[j] = target_terms[j] - baseline_terms[j];
  return r;
}

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Pairs {
  std::vector<float> x;
  std::vector<float> y;  // load - baseline
  std::vector<TemperatureResponse::Row> weather;
  std::vector<Timestamp> issue, target;
};

// The training pairs of `d` with targets ending by `end`.
Pairs MakePairs(const LoadData& d, const HolidayCalendar& cal, Timestamp end, const LoadForecastOptions& o) {
  const auto step = d.load_kw.step();
  std::vector<Timestamp> issues;
  const Timestamp first = d.load_kw.start() + kWeek + kDay;  // a week of lags behind every issue
  for (Timestamp t = FromKst(ToKst(first).date); t < end; t += kDay) {
    for (auto h = std::chrono::hours{0}; h < std::chrono::hours{24}; h += o.issue_every) {
      if (t + h >= first && t + h < end) issues.push_back(t + h);
    }
    const Timestamp day_ahead = t + std::chrono::hours{11};
    if (day_ahead >= first && day_ahead < end && std::chrono::hours{11} % o.issue_every != std::chrono::hours{0}) {
      issues.push_back(day_ahead);
    }
  }
  std::sort(issues.begin(), issues.end());
  const auto per_issue = static_cast<size_t>(std::chrono::seconds{o.max_horizon} / step);
  const size_t candidates = issues.size() * per_issue;
  const double keep = candidates > o.max_rows ? static_cast<double>(o.max_rows) / static_cast<double>(candidates) : 1.0;
  Pairs p;
  DayTemperatures day_temps(d.temp_c);
  uint64_t counter = o.gbm.seed;
  for (const Timestamp issue : issues) {
    const IssueFeatures at_issue = FeaturesOfIssue(d, cal, day_temps, issue);
    for (size_t j = 0; j < per_issue; ++j) {
      const Timestamp target = issue + step * static_cast<long>(j);
      if (target + step > end) break;
      const double y = ValueOrNaN(d.load_kw, target);
      if (!std::isfinite(y)) continue;
      if (keep < 1.0 && static_cast<double>(SplitMix(counter++) >> 11) * 0x1.0p-53 >= keep) continue;
      const RowBaseline row = AppendRow(d, cal, issue, at_issue, target, day_temps, p.x);
      if (!std::isfinite(row.base)) {
        p.x.resize(p.x.size() - kColumns);
        continue;
      }
      p.y.push_back(static_cast<float>(y - row.base));
      p.weather.push_back(row.weather);
      p.issue.push_back(issue);
      p.target.push_back(target);
    }
  }
  return p;
}

// The two parts of a trained model: the temperature response fitted first on load - baseline,
// then the trees on what it leaves.
struct FittedParts {
  TemperatureResponse response;
  GradientBoostedTrees trees;
};

Result<FittedParts> FitParts(const Pairs& p, const LoadForecastOptions& o) {
  TemperatureResponse response;
  std::vector<float> rest = p.y;
  if (o.temperature_response) {
    response = TemperatureResponse::Fit(p.weather, p.y, kResponseGroups, o.response_ridge_c2);
    for (size_t i = 0; i < rest.size(); ++i) rest[i] = static_cast<float>(p.y[i] - response.Predict(p.weather[i]));
  }
  auto trees = GradientBoostedTrees::Train(p.x, kColumns, rest, o.gbm);
  if (!trees) return trees.error();
  return FittedParts{std::move(response), std::move(*trees)};
}

// load - baseline predicted for each row: the temperature response plus the trees.
Result<std::vector<double>> PredictParts(const TemperatureResponse& response, const GradientBoostedTrees& trees,
                                         std::span<const float> x, std::span<const TemperatureResponse::Row> weather) {
  auto pred = trees.Predict(x);
  if (!pred) return pred.error();
  std::vector<double> out(pred->size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>((*pred)[i]) + response.Predict(weather[i]);
  return out;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

double MeanAbs(const std::vector<double>& v) {
  double sum = 0;
  for (const double r : v) sum += std::abs(r);
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

// The training pairs issued at or after the calibration cut: what a model of the history before
// the cut is scored on.
struct HeldOut {
  std::vector<float> x;
  std::vector<TemperatureResponse::Row> weather;
  std::vector<double> y;
  std::vector<HorizonBand> band_of;

  // actual - predicted (load - baseline), kW, per pair.
  Result<std::vector<double>> Residuals(const FittedParts& m) const {
    auto pred = PredictParts(m.response, m.trees, x, weather);
    if (!pred) return pred.error();
    std::vector<double> r(y.size());
    for (size_t i = 0; i < y.size(); ++i) r[i] = y[i] - (*pred)[i];
    return r;
  }
  // Per horizon band (all bands pooled for a band with fewer than 30 pairs): the weight of the
  // correction with the least mean absolute residual, then the 10 % and 90 % quantiles of the
  // residuals with that weight.
  std::array<LoadForecaster::Band, 4> Bands(const std::vector<double>& residuals) const {
    // With weight w the residual is y - w x pred = r + (1 - w) x pred, pred = y - r.
    std::array<std::vector<std::pair<double, double>>, 4> by_band;  // (residual, prediction)
    std::vector<std::pair<double, double>> pooled;
    for (size_t i = 0; i < residuals.size(); ++i) {
      const std::pair<double, double> rp{residuals[i], y[i] - residuals[i]};
      by_band[static_cast<size_t>(band_of[i])].push_back(rp);
      pooled.push_back(rp);
    }
    std::array<LoadForecaster::Band, 4> bands{};
    for (size_t b = 0; b < 4; ++b) {
      const auto& rp = by_band[b].size() >= 30 ? by_band[b] : pooled;
      const auto weighted = [&rp](double w) {
        std::vector<double> r;
        r.reserve(rp.size());
        for (const auto& [res, pred] : rp) r.push_back(res + (1 - w) * pred);
        return r;
      };
      double best_w = 1, best_mae = MeanAbs(weighted(1));
      for (int k = 0; k < 10; ++k) {
        const double w = k / 10.0;
        if (const double mae = MeanAbs(weighted(w)); mae < best_mae) {
          best_mae = mae;
          best_w = w;
        }
      }
      const std::vector<double> r = weighted(best_w);
      bands[b] = LoadForecaster::Band{Quantile(r, 0.10), Quantile(r, 0.90), best_w};
    }
    return bands;
  }
};

HeldOut HeldOutPart(const Pairs& all, Timestamp cut, std::chrono::seconds step) {
  HeldOut h;
  for (size_t i = 0; i < all.y.size(); ++i) {
    if (all.issue[i] < cut) continue;
    h.x.insert(h.x.end(), all.x.begin() + static_cast<long>(i * kColumns),
               all.x.begin() + static_cast<long>((i + 1) * kColumns));
    h.weather.push_back(all.weather[i]);
    h.y.push_back(all.y[i]);
    h.band_of.push_back(BandOf(all.target[i] + step - all.issue[i]));
  }
  return h;
}

}  // namespace

QuantileForecast SeasonalNaiveForecast(const IntervalSeries<double>& series, Timestamp issue, Timestamp start,
                                       size_t steps, std::chrono::seconds season) {
  QuantileForecast f;
  f.issued = issue;
  f.start = start;
  f.step = series.step();
  for (size_t i = 0; i < steps; ++i) {
    const double v = SeasonalLag(series, issue, f.TimeAt(i), season).first;
    f.p10.push_back(v);
    f.p50.push_back(v);
    f.p90.push_back(v);
  }
  return f;
}

LoadDayKind KindOfDay(Date d, const HolidayCalendar& calendar) {
  const std::chrono::weekday w{std::chrono::sys_days{d}};
  if (w == std::chrono::Sunday || calendar.Find(d) != nullptr) return LoadDayKind::kHoliday;
  if (w == std::chrono::Saturday) return LoadDayKind::kSaturday;
  return LoadDayKind::kWorkday;
}

bool IsBridgeDay(Date d, const HolidayCalendar& calendar) {
  return KindOfDay(d, calendar) == LoadDayKind::kWorkday &&
         KindOfDay(AddDays(d, -1), calendar) != LoadDayKind::kWorkday &&
         KindOfDay(AddDays(d, 1), calendar) != LoadDayKind::kWorkday;
}

HorizonBand BandOf(std::chrono::seconds horizon) {
  if (horizon <= std::chrono::hours{1}) return HorizonBand::kNextHour;
  if (horizon <= std::chrono::hours{6}) return HorizonBand::kIntraday;
  if (horizon <= std::chrono::hours{37}) return HorizonBand::kDayAhead;
  return HorizonBand::kLater;
}

std::string_view BandName(HorizonBand b) {
  switch (b) {
    case HorizonBand::kNextHour: return "next hour";
    case HorizonBand::kIntraday: return "1-6 h";
    case HorizonBand::kDayAhead: return "6-37 h";
    case HorizonBand::kLater: return "> 37 h";
  }
  return "?";
}

const std::vector<std::string>& LoadForecaster::FeatureNames() {
  static const std::vector<std::string> names{"hour_of_day",
                                              "weekday",
                                              "day_kind",
                                              "bridge_day",
                                              "temp_c",
                                              "day_mean_temp_c",
                                              "horizon_h",
                                              "same_time_latest_day_kw",
                                              "latest_day_days_back",
                                              "latest_day_kind",
                                              "same_time_last_week_kw",
                                              "last_measured_kw",
                                              "last_measured_week_ago_kw",
                                              "mean_last_24h_kw",
                                              "previous_day_kind",
                                              "same_time_same_kind_median3_kw",
                                              "same_time_mean7_kw",
                                              "baseline_kw",
                                              "anomaly_at_issue_kw",
                                              "temp_minus_baseline_days_temp_c",
                                              "mean_temp_last_24h_c",
                                              "day_min_temp_c"};
  return names;
}

namespace {

Status CheckHistory(const LoadData& d, Timestamp train_end) {
  const auto step = d.load_kw.step();
  if (d.load_kw.empty()) return InvalidInput("load forecast: no load history");
  if (d.temp_c.step() != step || (d.temp_c.start() - d.load_kw.start()) % step != std::chrono::seconds{0}) {
    return InvalidInput("load forecast: the temperature is not on the load's grid");
  }
  size_t measured = 0;
  for (size_t i = 0; i < d.load_kw.size() && d.load_kw.TimeAt(i) + step <= train_end; ++i) {
    if (d.load_kw.at(i)) ++measured;
  }
  if (std::chrono::seconds{step * static_cast<long>(measured)} < std::chrono::hours{24 * 14}) {
    return InvalidInput(
        fmt::format("load forecast: {} measured intervals before {} are less than 14 days; a model "
                    "needs at least two weeks of history",
                    measured, FormatKst(train_end)));
  }
  return Ok{};
}

}  // namespace

Result<LoadForecaster> LoadForecaster::Train(const LoadData& d, const HolidayCalendar& calendar, Timestamp train_end,
                                             const LoadForecastOptions& o) {
  MEG_TRY(CheckHistory(d, train_end));
  const auto step = d.load_kw.step();
  // Calibration: a model of the first part of the history, scored on the rest.
  const Timestamp begin = d.load_kw.start() + kWeek + kDay;
  const auto span = std::chrono::duration_cast<std::chrono::seconds>(train_end - begin);
  // The last calibration_share of the history, but at least two weeks (a few days of residuals
  // give a band far too narrow) and at most half of it.
  auto calibration = std::chrono::seconds{static_cast<long>(static_cast<double>(span.count()) * o.calibration_share)};
  calibration = std::min(std::max(calibration, std::chrono::seconds{kWeek * 2}), span / 2);
  const Timestamp cut = train_end - calibration;
  const Pairs early = MakePairs(d, calendar, cut, o);
  const Pairs all_pairs = MakePairs(d, calendar, train_end, o);
  LoadForecastOptions chosen = o;
  // Too short a history to test the temperature response out of sample: trees only.
  if (early.y.size() < 100) chosen.temperature_response = false;
  std::array<Band, 4> bands{};
  if (early.y.size() >= 100) {
    const HeldOut late = HeldOutPart(all_pairs, cut, step);
    auto early_model = FitParts(early, o);
    if (!early_model) return early_model.error();
    auto residuals = late.Residuals(*early_model);
    if (!residuals) return residuals.error();
    // The temperature response stays only if it earns its place out of sample: the early model
    // with it must beat the early trees alone on the held-out part (mean absolute error, the
    // NMAE the forecasts are scored by). A load the local temperature does not drive (a twin
    // simulated on other weather) gets trees only.
    if (o.temperature_response) {
      chosen.temperature_response = false;
      auto trees_only = FitParts(early, chosen);
      if (!trees_only) return trees_only.error();
      auto trees_residuals = late.Residuals(*trees_only);
      if (!trees_residuals) return trees_residuals.error();
      if (MeanAbs(*residuals) < MeanAbs(*trees_residuals)) {
        chosen.temperature_response = true;
      } else {
        residuals = std::move(trees_residuals);
      }
    }
    bands = late.Bands(*residuals);
  }
  auto model = FitParts(all_pairs, chosen);
  if (!model) return model.error();
  LoadForecaster f(std::move(model->trees), calendar, step);
  f.response_ = std::move(model->response);
  f.bands_ = bands;
  f.training_rows_ = all_pairs.y.size();
  return f;
}

Result<LoadForecaster> LoadForecaster::Retrain(const LoadData& d, const HolidayCalendar& calendar, Timestamp train_end,
                                               const LoadForecastOptions& o, const Calibration& calibration) {
  MEG_TRY(CheckHistory(d, train_end));
  LoadForecastOptions chosen = o;
  chosen.temperature_response = o.temperature_response && calibration.temperature_response;
  const Pairs all_pairs = MakePairs(d, calendar, train_end, chosen);
  auto model = FitParts(all_pairs, chosen);
  if (!model) return model.error();
  LoadForecaster f(std::move(model->trees), calendar, d.load_kw.step());
  f.response_ = std::move(model->response);
  f.bands_ = calibration.bands;
  f.training_rows_ = all_pairs.y.size();
  return f;
}

LoadForecaster::Calibration LoadForecaster::calibration() const {
  return Calibration{bands_, uses_temperature_response()};
}

Result<QuantileForecast> LoadForecaster::Forecast(const LoadData& d, Timestamp issue, Timestamp start,
                                                  size_t steps) const {
  if ((start - d.load_kw.start()) % step_ != std::chrono::seconds{0}) {
    return InvalidInput(
        fmt::format("load forecast: {} is not on the load's {}-minute grid", FormatKst(start), step_.count() / 60));
  }
  DayTemperatures day_temps(d.temp_c);
  const IssueFeatures at_issue = FeaturesOfIssue(d, *calendar_, day_temps, issue);
  std::vector<float> x;
  x.reserve(steps * kColumns);
  std::vector<double> bases;
  std::vector<TemperatureResponse::Row> weather;
  for (size_t i = 0; i < steps; ++i) {
    const Timestamp target = start + step_ * static_cast<long>(i);
    const RowBaseline row = AppendRow(d, *calendar_, issue, at_issue, target, day_temps, x);
    bases.push_back(row.base);
    weather.push_back(row.weather);
  }
  auto pred = PredictParts(response_, model_, x, weather);
  if (!pred) return pred.error();
  QuantileForecast f;
  f.issued = issue;
  f.start = start;
  f.step = step_;
  for (size_t i = 0; i < steps; ++i) {
    // No history at all for a baseline: the last measured value, else nothing is known (0).
    const double base = std::isfinite(bases[i]) ? bases[i] : std::isfinite(at_issue.last_obs) ? at_issue.last_obs : 0.0;
    const Band& b = bands_[static_cast<size_t>(BandOf(f.TimeAt(i) + step_ - issue))];
    const double p50 = std::max(0.0, base + b.weight * (*pred)[i]);
    f.p50.push_back(p50);
    f.p10.push_back(std::clamp(p50 + b.low, 0.0, p50));
    f.p90.push_back(std::max(p50, p50 + b.high));
  }
  return f;
}

Status LoadForecaster::Save(const std::string& path) const {
  if (auto st = model_.Save(path); !st) return st;
  std::ofstream out(path + ".bands");
  out << fmt::format(
      "# OpenMEG load forecaster: step_s, then by horizon band the P10/P90 residual offsets (kW) and "
      "the weight of the correction, then the temperature response: its coefficient count and "
      "coefficients\n{}\n",
      step_.count());
  for (const Band& b : bands_) out << fmt::format("{:.17g} {:.17g} {:.17g}\n", b.low, b.high, b.weight);
  const std::vector<double>& c = response_.coefficients();
  out << c.size() << "\n";
  for (const double v : c) out << fmt::format("{:.17g}\n", v);
  if (!out) return IoError(path + ".bands: cannot write");
  return Ok{};
}

Result<LoadForecaster> LoadForecaster::Load(const std::string& path, const HolidayCalendar& calendar,
                                            std::chrono::seconds step) {
  auto model = GradientBoostedTrees::Load(path, kColumns);
  if (!model) {
    if (model.error().code != ErrorCode::kInvalidInput) return model.error();
    // A model of another version of the features: it cannot be used, only replaced.
    return InvalidInput(model.error().message + "; train it again (meg forecast train)");
  }
  std::ifstream in(path + ".bands");
  if (!in) return IoError(path + ".bands: cannot read the calibration written beside the model");
  std::string line;
  std::getline(in, line);
  long step_s = 0;
  in >> step_s;
  if (!in || step_s != step.count()) {
    return InvalidInput(fmt::format("{}.bands: the model was trained on {} s intervals, the data has {} s", path,
                                    step_s, step.count()));
  }
  LoadForecaster f(std::move(*model), calendar, step);
  for (Band& b : f.bands_) {
    if (!(in >> b.low >> b.high >> b.weight)) return InvalidInput(path + ".bands: truncated calibration");
    if (!(b.weight >= 0 && b.weight <= 1)) {
      return InvalidInput(fmt::format("{}.bands: a correction weight of {} is not in [0, 1]", path, b.weight));
    }
  }
  // A model saved before the temperature response had none: its trees learned everything.
  long long count = 0;
  if (!(in >> count)) return f;
  // A count no saved model has (groups of 5, at most a few hundred) is a corrupt file, refused
  // before anything is allocated for it.
  if (count < 0 || count > 10'000) {
    return InvalidInput(
        fmt::format("{}.bands: {} temperature-response coefficients is not a saved model's", path, count));
  }
  std::vector<double> c(static_cast<size_t>(count));
  for (double& v : c) {
    if (!(in >> v)) return InvalidInput(path + ".bands: truncated temperature response");
  }
  auto response = TemperatureResponse::FromCoefficients(std::move(c));
  if (!response) return InvalidInput(path + ".bands: " + response.error().message);
  f.response_ = std::move(*response);
  return f;
}

}  // namespace meg
