#include "app/dr_options.h"

#include <fmt/format.h>

#include "io/text_file.h"

namespace meg {

void AddDrOptions(CLI::App* cmd, DrOptions& o) {
  cmd->add_option("--dr-calls", o.calls,
                  "DR call file (CSV: issued,start,end,requested_kw[,kind]; docs/dr.md): the site answers these calls");
  cmd->add_option("--dr-cbl", o.cbl, "DR: CBL method registered (max4/5, mid6/10, mid4/6, mid8/10)")->capture_default_str();
  cmd->add_flag("--dr-saa", o.saa, "DR: the CBL has the same-day adjustment (별표28 2.2)");
  cmd->add_option("--dr-smp", o.smp, "DR: SMP, KRW/kWh (default: the 2024 mainland mean, derived)")->capture_default_str();
  cmd->add_option("--dr-mgp", o.mgp, "DR: MGP, KRW/kWh, at which reliability calls are paid (default: SMP, a lower estimate)");
  cmd->add_option("--dr-shortfall-krw-per-kwh", o.shortfall_krw_per_kwh,
                  "DR: what the planner counts for a kWh short of the request (payment lost and penalty risked)")
      ->capture_default_str();
}

Result<DrProgram> LoadDrProgram(const DrOptions& o, const HolidayCalendar& calendar) {
  std::vector<DrCall> calls;
  if (!o.calls.empty()) {
    auto text = ReadTextFile(o.calls);
    if (!text) return text.error();
    auto parsed = ParseDrCalls(*text, o.calls, "site", DrDispatchRules::For(DrResourceType::kStandard), calendar);
    if (!parsed) return parsed.error();
    calls = std::move(*parsed);
  }
  auto method = ParseCblMethod(o.cbl);
  if (!method) return InvalidInput("--dr-cbl: " + method.error().message);
  auto smp = WonPerKwh::FromDecimal(o.smp);
  if (!smp || smp->milli_won() < 0) return InvalidInput(fmt::format("--dr-smp '{}': a price in KRW/kWh >= 0", o.smp));
  DrProgram p;
  p.calls = std::move(calls);
  p.cbl.method = *method;
  p.cbl.saa = o.saa;
  p.smp = *smp;
  if (!o.mgp.empty()) {
    auto mgp = WonPerKwh::FromDecimal(o.mgp);
    if (!mgp || mgp->milli_won() < 0) return InvalidInput(fmt::format("--dr-mgp '{}': a price in KRW/kWh >= 0", o.mgp));
    p.mgp = *mgp;
  }
  if (!(o.shortfall_krw_per_kwh >= 0)) return InvalidInput("--dr-shortfall-krw-per-kwh: a price >= 0");
  p.shortfall_krw_per_kwh = o.shortfall_krw_per_kwh;
  return p;
}

}  // namespace meg
