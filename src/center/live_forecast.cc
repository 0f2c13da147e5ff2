#include "center/live_forecast.h"

#include <map>

namespace meg {

std::optional<ForecastView> PlannedForecast(const RecordedPlanForecast& planned, std::string_view method) {
  const auto last = planned.Last();
  if (!last) return std::nullopt;
  const auto& [issued, horizon] = *last;
  ForecastView f;
  f.issued = ToInstant(issued);
  f.method = std::string(method);
  for (size_t i = 0; i < horizon.load.size(); ++i) {
    const auto load = horizon.load.at(i);
    if (!load) continue;
    const auto pv = i < horizon.pv.size() ? horizon.pv.at(i) : std::nullopt;
    f.intervals.push_back({ToInstant(horizon.load.TimeAt(i)), load->value(), pv ? pv->value() : 0.0});
  }
  return f;
}

ForecastView YesterdayForecast(const PowerSeries& load, const PowerSeries* pv, Instant now) {
  const Timestamp start = IntervalStart(ToTimestamp(now));
  ForecastView f;
  f.issued = now;
  f.method = "persistence: the same quarter-hour yesterday";
  for (int i = 0; i < kIntervalsPerDay; ++i) {
    const Timestamp t = start + kInterval * i;
    const Timestamp day_before = t - std::chrono::hours(24);
    const auto li = load.IndexOf(day_before);
    if (!li || !load.at(*li)) continue;
    const auto pi = pv != nullptr ? pv->IndexOf(day_before) : std::nullopt;
    const double pv_kw = pi && pv->at(*pi) ? pv->at(*pi)->value() : 0.0;
    f.intervals.push_back({ToInstant(t), load.at(*li)->value(), pv_kw});
  }
  return f;
}

Result<ForecastView> MeteredYesterdayForecast(const QuarterHourReader& read, Instant now) {
  const Instant from = ToInstant(IntervalStart(ToTimestamp(now))) - std::chrono::hours(24);
  const Instant to = from + std::chrono::hours(24);
  MEG_TRY_ASSIGN(load, read("load_kw", from, to));
  MEG_TRY_ASSIGN(pv, read("pv_kw", from, to));
  if (load.empty()) return NotFound("no forecast yet: it needs yesterday's load, metered by this control center");
  ForecastView f;
  f.issued = now;
  f.method = "persistence: the same quarter-hour yesterday, as metered";
  std::map<Instant, double> pv_at;
  for (const Bucket& b : pv) pv_at[b.start] = b.mean;
  for (const Bucket& b : load) {
    const auto p = pv_at.find(b.start);
    f.intervals.push_back({b.start + std::chrono::hours(24), b.mean, p != pv_at.end() ? p->second : 0.0});
  }
  return f;
}

Result<ForecastView> LiveForecast(const LiveForecastSource& source, const QuarterHourReader& read, Instant now) {
  if (source.planned != nullptr) {
    if (auto planned = PlannedForecast(*source.planned, source.planned_method)) return *planned;
  }
  if (source.history_load != nullptr) return YesterdayForecast(*source.history_load, source.history_pv, now);
  return MeteredYesterdayForecast(read, now);
}

}  // namespace meg
