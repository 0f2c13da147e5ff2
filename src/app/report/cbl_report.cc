#include "app/report/cbl_report.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

namespace meg {
namespace {

double Round3(double x) { return std::round(x * 1000) / 1000; }

std::string ShortDates(const std::vector<Date>& days) {
  std::string out;
  for (const Date d : days) out += (out.empty() ? "" : " ") + FormatDate(d).substr(5);
  return out;
}

}  // namespace

std::string TradingHourLabel(const CblHour& h) {
  const KstDateTime s = ToKst(h.hour_start);
  return fmt::format("{:02}:00-{:02}:00", s.minute_of_day / 60, s.minute_of_day / 60 + 1);
}

nlohmann::json CblJson(const CblHeading& heading, const CblResult& r, const std::vector<std::string>& notes) {
  using nlohmann::json;
  const DrWindow& event = heading.event;
  json j;
  j["usage"] = heading.usage;
  j["method"] = std::string(CblMethodName(heading.method));
  j["event"] = {{"start", FormatKst(event.start)},
                {"end", FormatKst(event.end)},
                {"minutes", (event.end - event.start) / std::chrono::minutes{1}}};
  j["industrial"] = heading.industrial;
  j["saa_requested"] = heading.saa;
  json refs = json::array();
  for (const Date d : r.reference_days) refs.push_back(FormatDate(d));
  j["reference_days"] = refs;
  auto notes_json = [](const std::vector<ReferenceDayNote>& v) {
    json a = json::array();
    for (const auto& n : v) {
      json x = {{"date", FormatDate(n.date)}, {"reason", Describe(n)}};
      if (n.reason == DayExclusion::kAbnormal || n.reason == DayExclusion::kProductionAdjustment) {
        x["share_of_mean_pct"] = Round3(n.share_of_mean * 100);
      }
      a.push_back(x);
    }
    return a;
  };
  j["excluded_days"] = notes_json(r.excluded);
  j["readmitted_days"] = notes_json(r.readmitted);
  if (r.window_mean) j["window_mean_kwh"] = Round3(r.window_mean->value());
  if (r.recomputed_mean) j["recomputed_mean_kwh"] = Round3(r.recomputed_mean->value());
  if (r.saa) {
    json sim = json::array();
    for (const Date d : r.saa->similar_days) sim.push_back(FormatDate(d));
    j["saa"] = {{"from", FormatKst(r.saa->from)},
                {"to", FormatKst(r.saa->to)},
                {"event_day_kwh_per_h", Round3(r.saa->event_day_per_hour.value())},
                {"similar_days_kwh_per_h", Round3(r.saa->similar_days_per_hour.value())},
                {"adjustment_kwh_per_h", Round3(r.saa->per_hour.value())},
                {"similar_days", sim}};
  } else {
    j["saa"] = nullptr;
  }
  json hours = json::array();
  double cbl = 0, actual = 0, reduction = 0;
  for (const CblHour& h : r.hours) {
    json sim = json::array();
    for (const Date d : h.similar_days) sim.push_back(FormatDate(d));
    hours.push_back({{"hour_start", FormatKst(h.hour_start)},
                     {"event_minutes", h.event_minutes},
                     {"cbl_kwh", Round3(h.baseline.value())},
                     {"saa_kwh", Round3(h.saa_adjustment.value())},
                     {"actual_kwh", h.actual ? json(Round3(h.actual->value())) : json(nullptr)},
                     {"reduction_kwh", Round3(Reduction(h).value())},
                     {"similar_days", sim}});
    cbl += h.baseline.value();
    actual += h.actual ? h.actual->value() : 0;
    reduction += Reduction(h).value();
  }
  j["hours"] = hours;
  j["total"] = {{"cbl_kwh", Round3(cbl)}, {"actual_kwh", Round3(actual)}, {"reduction_kwh", Round3(reduction)}};
  j["notes"] = notes;
  return j;
}

std::string RenderCblText(const CblHeading& heading, const CblResult& r, const std::vector<std::string>& notes) {
  std::string s;
  const CblMethod method = heading.method;
  const DrWindow& event = heading.event;
  const KstDateTime start = ToKst(event.start);
  const auto minutes = (event.end - event.start) / std::chrono::minutes{1};
  s += fmt::format("CBL {} of {} for the DR event {} {:02}:{:02} KST, {} min{}{}\n", CblMethodName(method),
                   heading.usage, FormatDate(start.date), start.minute_of_day / 60, start.minute_of_day % 60, minutes,
                   heading.saa ? ", SAA" : "", heading.industrial ? ", industrial" : "");
  s += fmt::format("reference days (참고일, most recent first): {}\n", ShortDates(r.reference_days));
  if (r.window_mean) {
    s += fmt::format("mean event-window usage of the lookback (별표28 2.1.2.1): {:.2f} kWh\n", r.window_mean->value());
  }
  if (r.recomputed_mean) {
    s += fmt::format("recomputed mean without abnormal days (2.1.2.3): {:.2f} kWh\n", r.recomputed_mean->value());
  }
  for (const auto& n : r.readmitted) {
    s += fmt::format("taken back (별표28 3.2.2): {}  {}\n", FormatDate(n.date), Describe(n));
  }
  if (!r.excluded.empty()) s += "weekdays not used:\n";
  for (const auto& n : r.excluded) s += fmt::format("  {}  {}\n", FormatDate(n.date), Describe(n));
  if (r.saa) {
    s += fmt::format(
        "SAA (별표28 2.2) over {:02}:{:02}-{:02}:{:02}: event day {:.2f} kWh/h - similar "
        "days {:.2f} kWh/h = {:+.2f} kWh/h\n",
        ToKst(r.saa->from).minute_of_day / 60, ToKst(r.saa->from).minute_of_day % 60,
        ToKst(r.saa->to).minute_of_day / 60, ToKst(r.saa->to).minute_of_day % 60, r.saa->event_day_per_hour.value(),
        r.saa->similar_days_per_hour.value(), r.saa->per_hour.value());
  }
  s += fmt::format("\n{:<12} {:>9} {:>12} {:>10} {:>12} {:>15}  {}\n", "trading hour", "event min", "CBL kWh",
                   "SAA kWh", "actual kWh", "reduction kWh", "similar days (유사일)");
  double cbl = 0, actual = 0, reduction = 0;
  for (const CblHour& h : r.hours) {
    s += fmt::format("{:<12} {:>9} {:>12.2f} {:>+10.2f} {:>12} {:>15.2f}  {}\n", TradingHourLabel(h), h.event_minutes,
                     h.baseline.value(), h.saa_adjustment.value(),
                     h.actual ? fmt::format("{:.2f}", h.actual->value()) : "missing", Reduction(h).value(),
                     ShortDates(h.similar_days));
    cbl += h.baseline.value();
    actual += h.actual ? h.actual->value() : 0;
    reduction += Reduction(h).value();
  }
  s += fmt::format("{:<12} {:>9} {:>12.2f} {:>10} {:>12.2f} {:>15.2f}\n", "total", minutes, cbl, "", actual, reduction);
  for (const auto& n : notes) s += "note: " + n + "\n";
  return s;
}

}  // namespace meg
