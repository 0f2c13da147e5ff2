#include "app/study/usc_replay.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "io/text_file.h"

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
    for (const auto& [date, kwh] : days)
      v[static_cast<size_t>((FromKst(date, kEventMinute) - start) / kInterval)] = KilowattHours(kwh);
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

Result<UscReplay> ReplayUscDrRecords(const std::string& dir, CblMethod method) {
  const std::string consumption_path = dir + "/meteredConsumption.csv";
  MEG_TRY_ASSIGN(consumption_text, ReadTextFile(consumption_path));
  MEG_TRY_ASSIGN(consumption, ParseUscConsumption(consumption_text, consumption_path));
  std::vector<UscCurtailment> recorded[2];
  const char* files[] = {"curtailment-SCE.csv", "curtailment-FB.csv"};
  for (int k = 0; k < 2; ++k) {
    const std::string path = dir + "/" + files[k];
    MEG_TRY_ASSIGN(text, ReadTextFile(path));
    MEG_TRY_ASSIGN(parsed, ParseUscCurtailment(text, path));
    recorded[k] = std::move(parsed);
  }
  return ReplayUscDr(consumption, recorded[0], recorded[1], method);
}

}  // namespace meg
