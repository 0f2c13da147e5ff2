#include "app/report/usc_replay_report.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

namespace meg {

std::string RenderUscReplayText(const UscReplay& r) {
  std::string out = fmt::format(
      "USC campus DR records, {} building-days with metered consumption, {} event dates; CBL {}\n"
      "CBLs the KPX rule allows (earlier event days are not reference days, 별표28 3.2): {}\n"
      "CBLs with 3.2 waived (a building's earlier event days within the lookback are its reference "
      "days): {}\n\n",
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
      "curtailment over them: ours {:.0f} kWh, SCE {:.0f} kWh, FB {:.0f} kWh; mean |ours - SCE| "
      "{:.1f} kWh, "
      "mean |ours - FB| {:.1f} kWh per date\n"
      "Why they differ: the program's SCE baseline is a 10-in-10 average of non-event days with a "
      "morning "
      "adjustment and FB is a forecast-based baseline, both from interval data of every day; the "
      "records hold "
      "event days only, so our CBL averages earlier event days, themselves curtailed, which lowers "
      "it.\n",
      compared, ours, sce, fb, compared ? abs_sce / compared : 0.0, compared ? abs_fb / compared : 0.0);
  return out;
}

}  // namespace meg
