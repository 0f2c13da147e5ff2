#include "forecast/load_evaluation.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

namespace meg {
namespace {



// Forecast and actual pairs of one schedule.
struct Collected {
  std::vector<double> actual, model, p10, p90, week, day;
  void Add(double a, double m, double lo, double hi, double w, double d) {
    actual.push_back(a);
    model.push_back(m);
    p10.push_back(lo);
    p90.push_back(hi);
    week.push_back(w);
    day.push_back(d);
  }
  LoadEvalRow Score(std::string name) const {
    // Score every method on the same pairs: those where all three have a value.
    std::vector<double> a, m, lo, hi, w, d;
    for (size_t i = 0; i < actual.size(); ++i) {
      if (!std::isfinite(actual[i]) || !std::isfinite(model[i]) || !std::isfinite(week[i]) || !std::isfinite(day[i])) {
        continue;
      }
      a.push_back(actual[i]);
      m.push_back(model[i]);
      lo.push_back(p10[i]);
      hi.push_back(p90[i]);
      w.push_back(week[i]);
      d.push_back(day[i]);
    }
    LoadEvalRow r;
    r.schedule = std::move(name);
    r.model = ScoreForecast(m, a);
    r.naive_week = ScoreForecast(w, a);
    r.naive_day = ScoreForecast(d, a);
    r.coverage_pct = BandCoveragePct(lo, hi, a);
    return r;
  }
};

}  // namespace

double LoadEvalRow::improvement_vs_week_pct() const { return 100.0 * (1.0 - model.nmae_pct / naive_week.nmae_pct); }

Result<LoadEvalReport> EvaluateLoadForecasts(const LoadData& data, const HolidayCalendar& calendar,
                                             const LoadEvalOptions& o) {
  const auto step = data.load_kw.step();
  // The first issue (the day-ahead one, D-1 11:00) needs 14 days of history: 15 days before start.
  if (o.start < data.load_kw.start() + std::chrono::hours{24 * 15} || o.end > data.load_kw.end() || o.end <= o.start) {
    return InvalidInput(fmt::format("load evaluation: [{}, {}) must lie within the data ({} to {}) with 15 days of "
                                    "history before it",
                                    FormatKst(o.start), FormatKst(o.end), FormatKst(data.load_kw.start()),
                                    FormatKst(data.load_kw.end())));
  }
  // Issues in time order: intraday every `intraday_every` from start, day-ahead at 11:00 the day
  // before each scored day.
  struct Issue {
    Timestamp at;
    bool day_ahead;
  };
  std::vector<Issue> issues;
  for (Timestamp t = o.start; t < o.end; t += o.intraday_every) issues.push_back({t, false});
  for (Date d = ToKst(o.start).date; FromKst(d) < o.end; d = AddDays(d, 1)) {
    const Timestamp at = FromKst(AddDays(d, -1), 11 * 60);
    if (FromKst(d) >= o.start) issues.push_back({at, true});
  }
  std::sort(issues.begin(), issues.end(), [](const Issue& a, const Issue& b) { return a.at < b.at; });

  LoadEvalReport report;
  std::optional<LoadForecaster> model;
  Timestamp trained_at{};
  double train_seconds = 0;
  Collected day_ahead, next_hour, intraday;
  const auto week = std::chrono::seconds{std::chrono::hours{24 * 7}};
  const auto day = std::chrono::seconds{std::chrono::hours{24}};
  for (const Issue& issue : issues) {
    if (!model || issue.at >= trained_at + o.retrain_every) {
      const auto t0 = std::chrono::steady_clock::now();
      auto trained = LoadForecaster::Train(data, calendar, issue.at, o.model);
      if (!trained) return trained.error();
      train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      model.emplace(std::move(*trained));
      trained_at = issue.at;
      ++report.trainings;
      report.training_rows_last = model->training_rows();
      if (o.progress) {
        const auto& b = model->bands();
        o.progress(fmt::format("trained on data before {} ({} rows, temperature response {}, weight of the learned "
                               "correction {:.1f} next hour, {:.1f} 1-6 h, {:.1f} 6-37 h, {:.1f} later)",
                               FormatKst(issue.at), model->training_rows(),
                               model->uses_temperature_response() ? "kept" : "dropped", b[0].weight, b[1].weight,
                               b[2].weight, b[3].weight));
      }
    }
    const Timestamp first = issue.day_ahead ? FromKst(ToKst(issue.at + day).date) : issue.at;
    const size_t steps = static_cast<size_t>((issue.day_ahead ? day : std::chrono::seconds{o.intraday_horizon}) / step);
    auto f = model->Forecast(data, issue.at, first, steps);
    if (!f) return f.error();
    const QuantileForecast w = SeasonalNaiveForecast(data.load_kw, issue.at, first, steps, week);
    const QuantileForecast d = SeasonalNaiveForecast(data.load_kw, issue.at, first, steps, day);
    for (size_t i = 0; i < steps; ++i) {
      const Timestamp t = f->TimeAt(i);
      if (t < o.start || t >= o.end) continue;
      Collected& c = issue.day_ahead ? day_ahead : (t + step - issue.at <= std::chrono::hours{1} ? next_hour : intraday);
      c.Add(ValueOrNaN(data.load_kw, t), f->p50[i], f->p10[i], f->p90[i], w.p50[i], d.p50[i]);
    }
  }
  report.train_seconds_mean = report.trainings == 0 ? 0 : train_seconds / static_cast<double>(report.trainings);
  report.rows.push_back(day_ahead.Score("day-ahead (D-1 11:00 for day D)"));
  report.rows.push_back(next_hour.Score("intraday, next hour"));
  report.rows.push_back(intraday.Score(fmt::format("intraday, 1-{} h", o.intraday_horizon.count())));
  return report;
}

}  // namespace meg
