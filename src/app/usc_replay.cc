#include "app/usc_replay.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

namespace meg {
namespace {

// The window that stands for each day's event: one quarter-hour at 14:00 KST, holding the day's
// event-window energy (the CBL ranks and averages energies, so the clock time is a label).
constexpr int kEventMinute = 14 * 60;

}  // namespace

Result<UscReplay> ReplayUscDr(const std::vector<UscConsumption>& consumption, const std::vector<UscCurtailment>& sce,
                              const std::vector<UscCurtailment>& fb, CblMethod method) {
  if (consumption.empty()) return InvalidInput("no consumption rows to replay");
  UscReplay out;
  out.method = method;
  std::map<std::string, std::map<Date, double>> by_building;
  Date first = consumption.front().date, last = first;
  for (const UscConsumption& c : consumption) {
    first = std::min(first, c.date);
    last = std::max(last, c.date);
    if (!c.kwh) continue;
    ++out.building_days;
    by_building[c.building][c.date] += *c.kwh;  // a building with two strategies on a day: both
  }
  const Date from = AddDays(first, -60), to = AddDays(last, 1);
  const HolidayCalendar no_holidays({}, from, to);  // Monday-Friday are the weekdays
  const Timestamp start = FromKst(from);
  const auto size = static_cast<size_t>((FromKst(to) - start) / kInterval);
  std::map<Date, UscReplayDate> dates;
  for (const auto& [building, days] : by_building) {
    std::vector<std::optional<KilowattHours>> v(size);
    for (const auto& [date, kwh] : days) v[static_cast<size_t>((FromKst(date, kEventMinute) - start) / kInterval)] = KilowattHours(kwh);
    const IntervalSeries<KilowattHours> usage(start, kInterval, std::move(v));
    for (const auto& [date, kwh] : days) {
      UscReplayDate& d = dates[date];
      d.date = date;
      ++d.buildings;
      d.metered_kwh += kwh;
      const DrWindow window{FromKst(date, kEventMinute), FromKst(date, kEventMinute + 15)};
      CblOptions options;
      options.method = method;
      for (const auto& [other, unused] : days) {
        if (other < date) options.excluded_days.push_back(other);
      }
      if (ComputeCbl(usage, no_holidays, window, options)) ++out.strict_baselines;
      options.excluded_days.clear();
      auto cbl = ComputeCbl(usage, no_holidays, window, options);
      if (!cbl || cbl->hours.empty()) continue;
      ++out.relaxed_baselines;
      ++d.with_baseline;
      d.baseline_kwh += cbl->hours.front().baseline.value();
      d.metered_with_baseline_kwh += kwh;
    }
  }
  for (const UscCurtailment& c : sce) {
    if (auto it = dates.find(c.date); it != dates.end()) it->second.sce_kwh = c.kwh;
  }
  for (const UscCurtailment& c : fb) {
    if (auto it = dates.find(c.date); it != dates.end()) it->second.fb_kwh = c.kwh;
  }
  for (auto& [date, d] : dates) {
    if (d.with_baseline == d.buildings) d.curtailment_kwh = d.baseline_kwh - d.metered_with_baseline_kwh;
    out.dates.push_back(d);
  }
  return out;
}

std::string RenderUscReplayText(const UscReplay& r) {
  std::string out = fmt::format(
      "USC campus DR records, {} building-days with metered consumption, {} event dates; CBL {}\n"
      "CBLs the KPX rule allows (earlier event days are not reference days, 별표28 3.2): {}\n"
      "CBLs with 3.2 waived (a building's earlier event days within the lookback are its reference days): {}\n\n",
      r.building_days, r.dates.size(), CblMethodName(r.method), r.strict_baselines, r.relaxed_baselines);
  out += fmt::format("{:<10} {:>9} {:>13} {:>15} {:>17} {:>15} {:>15}\n", "date", "buildings", "metered kWh",
                     "our CBL kWh", "our curtailed kWh", "SCE curtailed", "FB curtailed");
  double ours = 0, sce = 0, fb = 0, abs_sce = 0, abs_fb = 0;
  int compared = 0;
  for (const UscReplayDate& d : r.dates) {
    const auto num = [](const std::optional<double>& v) { return v ? fmt::format("{:.1f}", *v) : std::string("-"); };
    out += fmt::format("{:<10} {:>9} {:>13.1f} {:>15} {:>17} {:>15} {:>15}\n", FormatDate(d.date),
                       fmt::format("{}/{}", d.with_baseline, d.buildings), d.metered_kwh,
                       d.with_baseline > 0 ? fmt::format("{:.1f}", d.baseline_kwh) : std::string("-"),
                       num(d.curtailment_kwh), num(d.sce_kwh), num(d.fb_kwh));
    if (d.curtailment_kwh && d.sce_kwh && d.fb_kwh) {
      ++compared;
      ours += *d.curtailment_kwh;
      sce += *d.sce_kwh;
      fb += *d.fb_kwh;
      abs_sce += std::fabs(*d.curtailment_kwh - *d.sce_kwh);
      abs_fb += std::fabs(*d.curtailment_kwh - *d.fb_kwh);
    }
  }
  out += fmt::format(
      "\nDates where every building has a CBL and both recorded figures exist: {}\n"
      "curtailment over them: ours {:.0f} kWh, SCE {:.0f} kWh, FB {:.0f} kWh; mean |ours - SCE| {:.1f} kWh, "
      "mean |ours - FB| {:.1f} kWh per date\n"
      "Why they differ: the program's SCE baseline is a 10-in-10 average of non-event days with a morning "
      "adjustment and FB is a forecast-based baseline, both from interval data of every day; the records hold "
      "event days only, so our CBL averages earlier event days, themselves curtailed, which lowers it.\n",
      compared, ours, sce, fb, compared ? abs_sce / compared : 0.0, compared ? abs_fb / compared : 0.0);
  return out;
}

}  // namespace meg
