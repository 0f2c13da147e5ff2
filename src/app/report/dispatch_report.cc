#include "app/report/dispatch_report.h"

#include <fmt/format.h>

namespace meg {
namespace {

// One objective line: label left, amount right-aligned.
std::string Line(const std::string& label, double krw) { return fmt::format("  {:<52}{:>14.0f} KRW\n", label, krw); }

}  // namespace

std::string RenderDispatchSummary(const DispatchHeading& o, const Site& site, const DispatchProblem& p,
                                  const SolveReport& r, const Schedule& s) {
  std::string out;
  out += fmt::format("meg optimize: {} on {} (KST), {} intervals of 15 min\n", site.name, o.day, p.intervals.size());
  out += fmt::format("problem: {} variables ({} integer), {} rows, {} nonzeros; {}\n", p.model.num_variables(),
                     o.milp ? p.intervals.size() : 0, p.model.num_rows(), p.model.num_nonzeros(),
                     o.milp ? "MILP (no simultaneous charge and discharge)" : "LP");
  out += fmt::format("solver:  {} {}, {} iterations, {:.1f} ms\n", r.solver, SolveStatusName(r.status), r.iterations,
                     r.seconds * 1000);
  if (r.status != SolveStatus::kOptimal) return out;
  out += fmt::format("\nobjective{}\n", o.with_taxes ? " (incl. VAT and fund)" : " (before VAT and fund)");
  out += Line("energy (energy + climate + fuel charge)", s.energy_krw);
  out += Line(fmt::format("demand (basic x {:g} months x kW above {:.0f} kW)", o.months_binding,
                          p.months.front().standing_peak_kw),
              s.demand_krw);
  out += Line(fmt::format("degradation ({:.0f} KRW/kWh of throughput)", p.degradation_krw_per_kwh), s.degradation_krw);
  out += Line(fmt::format("terminal SoC value ({:.2f} KRW/kWh stored)", p.terminal_krw_per_kwh), s.terminal_krw);
  out += Line("total", s.objective_krw);
  double load_kwh = 0, import_kwh = 0, pv_kwh = 0, pv_used_kwh = 0;
  for (size_t t = 0; t < s.intervals.size(); ++t) {
    load_kwh += p.intervals[t].load_kw * 0.25;
    pv_kwh += p.intervals[t].pv_kw * 0.25;
    pv_used_kwh += s.intervals[t].pv_used.value() * 0.25;
    import_kwh += s.intervals[t].grid_import.value() * 0.25;
  }
  out += fmt::format("\npeak P (counted intervals): {:.1f} kW (standing peak R {:.0f} kW)\n", s.peak.value(),
                     p.months.front().standing_peak_kw);
  out += fmt::format("SoC: start {:.1f} kWh, range {:.1f}..{:.1f} kWh, end {:.1f} kWh\n", p.soc_start_kwh,
                     s.soc_min.value(), s.soc_max.value(), s.intervals.back().soc_end.value());
  out +=
      fmt::format("battery: charged {:.1f} kWh, discharged {:.1f} kWh (AC)\n", s.charged.value(), s.discharged.value());
  out += fmt::format("load {:.1f} kWh, grid import {:.1f} kWh, PV used {:.1f} of {:.1f} kWh\n", load_kwh, import_kwh,
                     pv_used_kwh, pv_kwh);
  return out;
}

}  // namespace meg
