#include "app/report/simulate_report.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "app/report/svg_chart.h"
#include "control/decision_reason.h"
#include "core/text.h"

namespace meg {
namespace {

std::int64_t YearTotal(const BacktestResult& r) { return BilledTotal(r).value(); }

std::string Krw(std::int64_t v) { return WithThousands(v); }

// A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Pct(double num, double den) { return den == 0 ? "-" : fmt::format("{:.1f} %", 100.0 * num / den); }

// Bill lines summed over the year, in the order a bill prints them.
struct YearLines {
  std::int64_t basic = 0, pf = 0, energy = 0, climate = 0, fuel = 0, over = 0, subtotal = 0, vat = 0, fund = 0,
               total = 0;
};

YearLines SumLines(const BacktestResult& r) {
  YearLines y;
  for (const auto& b : r.bills) {
    y.basic += b.basic.value();
    y.pf += b.pf_adjustment.value();
    y.energy += b.energy.value();
    y.climate += b.climate.value();
    y.fuel += b.fuel.value();
    y.over += b.over_contract.value();
    y.subtotal += b.subtotal.value();
    y.vat += b.vat.value();
    y.fund += b.fund.value();
    y.total += b.total.value();
  }
  return y;
}

// The year's lines as a bill prints them, for the text report and the workbook.
constexpr std::pair<const char*, std::int64_t YearLines::*> kYearLineRows[] = {
    {"기본요금 basic charge", &YearLines::basic},
    {"역률요금 power factor", &YearLines::pf},
    {"전력량요금 energy charge", &YearLines::energy},
    {"기후환경요금 climate charge", &YearLines::climate},
    {"연료비조정요금 fuel adjustment", &YearLines::fuel},
    {"초과사용부가금 over-contract", &YearLines::over},
    {"전기요금계 electricity charge", &YearLines::subtotal},
    {"부가가치세 VAT", &YearLines::vat},
    {"전력산업기반기금 power fund", &YearLines::fund},
    {"청구금액 total billed", &YearLines::total},
};

std::string SiteHeader(const SimulationReport& r) {
  const Site& s = *r.site;
  std::string pv;
  double kwp = 0;
  for (const auto& a : s.pv) kwp += a.dc_kwp.value();
  pv = s.pv.empty() ? "no PV" : fmt::format("PV {} kWp", WithThousands(std::llround(kwp)));
  const std::string ess =
      s.ess ? fmt::format("ESS {} kWh usable, {} / {} kW charge/discharge, SoC {:g}-{:g} %",
                          WithThousands(std::llround(s.ess->usable_kwh.value())),
                          WithThousands(std::llround(s.ess->charge_kw.value())),
                          WithThousands(std::llround(s.ess->discharge_kw.value())), s.ess->soc_min_pct,
                          s.ess->soc_max_pct) +
                  (r.backup_reserve_pct > 0 ? fmt::format(", {:g} % kept as the backup reserve", r.backup_reserve_pct)
                                            : std::string())
            : "no ESS";
  double peak = 0;
  for (const auto& v : r.inputs->load.values()) peak = std::max(peak, v->value());
  const std::string history =
      r.history_from ? fmt::format(" (meter history from {}: the load model learns from it, its peaks set the ratchet)",
                                   FormatDate(*r.history_from))
                     : " (cold start: no meter history before the year)";
  return fmt::format("{} · {}{} · {} · contract power {} kW\nload {} MWh, peak {} kW · {} ({} MWh available) · {}\n",
                     s.name, r.year, history, OfficialName(r.tariff),
                     WithThousands(std::llround(s.contract_power.value())),
                     WithThousands(std::llround(r.inputs->load_energy.value() / 1000)),
                     WithThousands(std::llround(peak)), pv,
                     WithThousands(std::llround(r.inputs->pv_energy.value() / 1000)), ess);
}

// The day view's table: each quarter-hour of the day from `day0` as `run` lived it, with the
// planner's reason (control/decision_reason.h) and the limit that clipped it.
std::string DayReasons(const BacktestResult& run, size_t day0) {
  std::string rows;
  bool any = false;
  for (size_t i = day0; i < day0 + kIntervalsPerDay && i < run.steps.size(); ++i) {
    const StepRecord& s = run.steps[i];
    const Timestamp t = run.grid.TimeAt(i);
    any = any || s.reason.code != DecisionCode::kNone || s.reason.limit != LimitStage::kNone;
    rows += fmt::format(
        "<tr><td>{}</td><td class='n'>{:.0f}</td><td class='n'>{:.0f}</td><td class='n'>{:.1f}</td><td>{}</td>"
        "<td><code>{}</code></td><td>{}</td></tr>",
        FormatKst(t).substr(11, 5), s.battery_kw, s.grid_kw, s.soc_pct, HtmlEscape(std::string(BandNameKo(s.band))),
        HtmlEscape(std::string(DecisionCodeName(s.reason.code))), HtmlEscape(RenderDecisionReason(s.reason, t)));
  }
  if (!any) return "";
  return fmt::format(
      "<h2>Why the battery did what it did, {} ({})</h2><p>The planner's reason for each "
      "quarter-hour (codes in docs/simulate.md, \"Decision reasons\"); battery + discharge / - charge, as "
      "metered.</p><div class='reasons'><table><thead><tr><th>time</th><th>battery kW</th><th>grid kW</th>"
      "<th>SoC %</th><th>band</th><th>code</th><th>reason</th></tr></thead><tbody>{}</tbody></table></div>",
      FormatDate(ToKst(run.grid.TimeAt(day0)).date), HtmlEscape(run.controller), rows);
}

}  // namespace

namespace {

// A table of the report: the text report prints it in fixed-width columns (the label column left,
// padded to its display width, Hangul counting two; the others right-aligned), the HTML report as
// a <table>. widths[k] is column k's width in the text.
struct ReportTable {
  std::string title;   // a line above it in the text, an <h2> in the HTML; "" for none
  std::string indent;  // before every text line
  std::vector<size_t> widths;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

std::string TextOf(const ReportTable& t) {
  std::string out = t.title.empty() ? "" : t.title + "\n";
  const auto line = [&](const std::vector<std::string>& cells) {
    out += t.indent;
    for (size_t k = 0; k < cells.size(); ++k) {
      if (k == 0) {
        out += PadToWidth(cells[k], t.widths[0]);
      } else {
        out += fmt::format(" {:>{}}", cells[k], t.widths[k]);
      }
    }
    out += "\n";
  };
  line(t.header);
  for (const auto& r : t.rows) line(r);
  return out;
}

std::string HtmlOf(const ReportTable& t) {
  std::string out = t.title.empty() ? "" : "<h2>" + HtmlEscape(t.title) + "</h2>";
  out += "<div class='table'><table><thead><tr>";
  for (size_t k = 0; k < t.header.size(); ++k)
    out += (k == 0 ? "<th>" : "<th class='n'>") + HtmlEscape(t.header[k]) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& r : t.rows) {
    out += "<tr>";
    for (size_t k = 0; k < t.header.size(); ++k) {
      out += (k == 0 ? "<td>" : "<td class='n'>") + (k < r.size() ? HtmlEscape(r[k]) : std::string()) + "</td>";
    }
    out += "</tr>";
  }
  return out + "</tbody></table></div>";
}

// Monthly totals: without PV and ESS, the baseline, each controller's bill and saving, and the
// billing demand of each.
ReportTable MonthTable(const SimulationReport& r) {
  const BacktestResult& base = *r.baseline;
  ReportTable t;
  t.widths = {8, 16, 16};
  t.header = {"month", "no PV, no ESS", "none (baseline)"};
  for (const auto* run : r.runs) {
    t.header.insert(t.header.end(), {run->controller, "saving KRW", "saving"});
    t.widths.insert(t.widths.end(), {16, 14, 8});
  }
  t.header.push_back("billing demand kW");
  t.widths.push_back(22);
  for (size_t m = 0; m < base.bills.size(); ++m) {
    const auto& b = base.bills[m];
    std::vector<std::string> row = {FormatMonth(b.month), Krw(r.grid_only->bills[m].total.value()),
                                    Krw(b.total.value())};
    std::string demand = WithThousands(b.billing_demand_kw);
    for (const auto* run : r.runs) {
      const auto& c = run->bills[m];
      const std::int64_t saving = b.total.value() - c.total.value();
      row.insert(row.end(), {Krw(c.total.value()), Krw(saving),
                             Pct(static_cast<double>(saving), static_cast<double>(b.total.value()))});
      demand += " → " + WithThousands(c.billing_demand_kw);
    }
    row.push_back(demand);
    t.rows.push_back(std::move(row));
  }
  const std::int64_t base_total = YearTotal(base);
  std::vector<std::string> year = {"year", Krw(YearTotal(*r.grid_only)), Krw(base_total)};
  for (const auto* run : r.runs) {
    const std::int64_t saving = base_total - YearTotal(*run);
    year.insert(year.end(),
                {Krw(YearTotal(*run)), Krw(saving), Pct(static_cast<double>(saving), static_cast<double>(base_total))});
  }
  t.rows.push_back(std::move(year));
  return t;
}

// The year's bill line by line.
ReportTable LinesTable(const SimulationReport& r) {
  ReportTable t;
  t.title = "Year by bill line, KRW";
  t.indent = "  ";
  t.widths = {34, 16, 16};
  t.header = {"line", "no PV, no ESS", "none (baseline)"};
  for (const auto* run : r.runs) {
    t.header.insert(t.header.end(), {run->controller, "difference"});
    t.widths.insert(t.widths.end(), {16, 14});
  }
  const YearLines g = SumLines(*r.grid_only), b = SumLines(*r.baseline);
  std::vector<YearLines> cs;
  for (const auto* run : r.runs) cs.push_back(SumLines(*run));
  auto row = [&](const char* label, std::int64_t YearLines::*field) {
    std::vector<std::string> cells = {label, Krw(g.*field), Krw(b.*field)};
    for (const auto& c : cs) cells.insert(cells.end(), {Krw(c.*field), Krw(c.*field - b.*field)});
    t.rows.push_back(std::move(cells));
  };
  for (const auto& [label, field] : kYearLineRows) {
    if (field == &YearLines::pf && b.pf == 0 && g.pf == 0) continue;  // no power-factor line without kvar
    row(label, field);
  }
  return t;
}

const BacktestResult* OracleOf(const SimulationReport& r) {
  for (const auto* run : r.runs) {
    if (run->controller == "oracle") return run;
  }
  return nullptr;
}

// Saving after the battery's wear and the generator's net fuel: what the dispatch LP optimises.
std::int64_t NetSaving(const SimulationReport& r, const BacktestResult& x) {
  return YearTotal(*r.baseline) - YearTotal(x) - x.degradation_cost.value() - GeneratorNetCost(x).value();
}

std::int64_t MaxBilling(const BacktestResult& x) {
  std::int64_t m = 0;
  for (const auto& bill : x.bills) m = std::max(m, bill.billing_demand_kw);
  return m;
}

std::int64_t MaxPeak(const BacktestResult& x) {
  std::int64_t m = 0;
  for (const auto& bill : x.bills) m = std::max(m, bill.peak_kw);
  return m;
}

std::string Share(double part, double whole) {
  return whole > 0 ? fmt::format("{:.1f} %", 100 * part / whole) : std::string("-");
}

// Peaks, PV, battery (and generator, cold store), savings after wear and the oracle's share.
ReportTable MetricsTable(const SimulationReport& r) {
  const BacktestResult& base = *r.baseline;
  const std::int64_t base_total = YearTotal(base);
  ReportTable t;
  t.indent = "  ";
  t.widths = {46, 12};
  t.header = {"", "none"};
  for (const auto* run : r.runs) {
    t.header.push_back(run->controller);
    t.widths.push_back(12);
  }
  auto metric = [&](const std::string& label, const std::function<std::string(const BacktestResult&)>& f) {
    std::vector<std::string> cells = {label, f(base)};
    for (const auto* run : r.runs) cells.push_back(f(*run));
    t.rows.push_back(std::move(cells));
  };
  metric("highest billing demand (요금적용전력), kW",
         [&](const BacktestResult& x) { return WithThousands(MaxBilling(x)); });
  metric("highest monthly peak (중간/최대부하), kW",
         [&](const BacktestResult& x) { return WithThousands(MaxPeak(x)); });
  metric("peak demand reduction vs none, kW",
         [&](const BacktestResult& x) { return WithThousands(MaxPeak(base) - MaxPeak(x)); });
  metric("PV self-consumption (used on site / available)", [&](const BacktestResult& x) {
    return Pct(x.pv_used_energy.value() - x.export_energy.value(), x.pv_available_energy.value());
  });
  metric("PV curtailed, MWh", [&](const BacktestResult& x) {
    return fmt::format("{:.1f}", (x.pv_available_energy.value() - x.pv_used_energy.value()) / 1000);
  });
  metric("battery equivalent full cycles",
         [&](const BacktestResult& x) { return fmt::format("{:.1f}", x.battery_cycles); });
  metric("battery discharged, MWh",
         [&](const BacktestResult& x) { return fmt::format("{:.1f}", x.discharged.value() / 1000); });
  metric("battery degradation cost, KRW",
         [&](const BacktestResult& x) { return WithThousands(x.degradation_cost.value()); });
  // A site with a generator: what it made and what its fuel cost net of its heat (docs/simulate.md).
  const bool generator = r.site != nullptr && r.site->generator.has_value();
  if (generator) {
    metric("generator output, MWh",
           [&](const BacktestResult& x) { return fmt::format("{:.1f}", x.generated.value() / 1000); });
    metric("generator starts", [&](const BacktestResult& x) { return WithThousands(x.generator_starts); });
    metric("generator fuel, KRW",
           [&](const BacktestResult& x) { return WithThousands(x.generator_fuel_cost.value()); });
    metric("generator heat recovered (value), KRW",
           [&](const BacktestResult& x) { return WithThousands(x.generator_heat_value.value()); });
    metric("generator starts' cost, KRW",
           [&](const BacktestResult& x) { return WithThousands(x.generator_start_cost.value()); });
  }
  if (r.site != nullptr && r.site->thermal_storage) {
    metric("cold store charged, MWh of cooling",
           [&](const BacktestResult& x) { return fmt::format("{:.1f}", x.thermal_charged.value() / 1000); });
    metric("cold store discharged, MWh of cooling",
           [&](const BacktestResult& x) { return fmt::format("{:.1f}", x.thermal_discharged.value() / 1000); });
    metric("chiller electricity it saved (net), MWh",
           [&](const BacktestResult& x) { return fmt::format("{:.1f}", x.thermal_electric.value() / 1000); });
  }
  metric(generator ? "saving after degradation and fuel, KRW" : "saving after degradation, KRW",
         [&](const BacktestResult& x) { return WithThousands(NetSaving(r, x)); });
  metric("steps changed by the safety limits", [&](const BacktestResult& x) { return WithThousands(x.clamped_steps); });
  metric("battery energy changed by the safety limits, kWh",
         [&](const BacktestResult& x) { return fmt::format("{:.1f}", x.clamped_energy.value()); });
  // Each controller's saving as a share of the oracle's, gross and after degradation (what the
  // dispatch LP optimises: the bill plus the battery's wear), when the oracle ran.
  const BacktestResult* oracle = OracleOf(r);
  if (oracle != nullptr) {
    const auto gross = [&](const BacktestResult& x) { return static_cast<double>(base_total - YearTotal(x)); };
    const auto net = [&](const BacktestResult& x) { return static_cast<double>(NetSaving(r, x)); };
    metric("share of the oracle's saving",
           [&](const BacktestResult& x) { return &x == &base ? std::string("-") : Share(gross(x), gross(*oracle)); });
    metric(generator ? "share of the oracle's saving after wear and fuel"
                     : "share of the oracle's saving after degradation",
           [&](const BacktestResult& x) { return &x == &base ? std::string("-") : Share(net(x), net(*oracle)); });
    // By part, before taxes: the demand part (기본요금) and the energy part (전력량요금 with the
    // climate and fuel charges, all per kWh), each against the oracle's saving on it.
    const YearLines base_lines = SumLines(base);
    const auto basic = [&](const BacktestResult& x) {
      return static_cast<double>(base_lines.basic - SumLines(x).basic);
    };
    const auto energy = [&](const BacktestResult& x) {
      const YearLines l = SumLines(x);
      return static_cast<double>((base_lines.energy + base_lines.climate + base_lines.fuel) -
                                 (l.energy + l.climate + l.fuel));
    };
    metric("  of its basic-charge saving (기본요금)",
           [&](const BacktestResult& x) { return &x == &base ? std::string("-") : Share(basic(x), basic(*oracle)); });
    metric("  of its energy-charge saving (전력량·기후·연료)",
           [&](const BacktestResult& x) { return &x == &base ? std::string("-") : Share(energy(x), energy(*oracle)); });
  }
  return t;
}

// The HTML report's summary: per controller the year's saving, after wear, the peak it took off,
// the battery's cycles and, when the oracle ran, the share of its saving after wear.
ReportTable SummaryTable(const SimulationReport& r) {
  const BacktestResult& base = *r.baseline;
  const std::int64_t base_total = YearTotal(base);
  const BacktestResult* oracle = OracleOf(r);
  ReportTable t;
  t.title = "Summary";
  t.header = {"controller",      "bill, KRW",          "saving, KRW",   "saving",
              "after wear, KRW", "peak reduction, kW", "battery cycles"};
  if (oracle != nullptr) t.header.push_back("of the oracle's saving after wear");
  for (const auto* run : r.runs) {
    const std::int64_t saving = base_total - YearTotal(*run);
    std::vector<std::string> row = {run->controller,
                                    Krw(YearTotal(*run)),
                                    Krw(saving),
                                    Pct(static_cast<double>(saving), static_cast<double>(base_total)),
                                    Krw(NetSaving(r, *run)),
                                    WithThousands(MaxPeak(base) - MaxPeak(*run)),
                                    fmt::format("{:.1f}", run->battery_cycles)};
    if (oracle != nullptr) {
      row.push_back(Share(static_cast<double>(NetSaving(r, *run)), static_cast<double>(NetSaving(r, *oracle))));
    }
    t.rows.push_back(std::move(row));
  }
  t.widths.assign(t.header.size(), 0);
  return t;
}

}  // namespace

Result<std::vector<XlsxTable>> SimulationTables(const SimulationReport& r) {
  const BacktestResult& base = *r.baseline;
  const std::int64_t base_total = YearTotal(base);
  const BacktestResult* oracle = OracleOf(r);
  const auto value = [](std::int64_t v) { return XlsxValue(static_cast<double>(v)); };
  std::vector<XlsxTable> out;

  XlsxTable savings;
  savings.sheet = "절감 savings";
  savings.columns = {{"제어 controller", false, 18},
                     {"청구금액 bill (KRW)", false, 16, "#,##0"},
                     {"절감 saving (KRW)", false, 16, "#,##0"},
                     {"절감률 saving (%)", false, 12, "0.0"},
                     {"배터리 열화 battery wear (KRW)", false, 16, "#,##0"},
                     {"열화 후 절감 saving after wear (KRW)", false, 18, "#,##0"},
                     {"최대수요 감소 peak reduction (kW)", false, 16, "#,##0"},
                     {"충방전 battery cycles", false, 12, "0.0"}};
  if (oracle != nullptr)
    savings.columns.push_back({"오라클 대비 of the oracle's saving after wear (%)", false, 20, "0.0"});
  for (const BacktestResult* run : r.runs) {
    const std::int64_t saving = base_total - YearTotal(*run);
    std::vector<XlsxValue> row;
    row.emplace_back(run->controller);
    row.push_back(value(YearTotal(*run)));
    row.push_back(value(saving));
    row.emplace_back(base_total != 0 ? 100.0 * static_cast<double>(saving) / static_cast<double>(base_total) : 0.0);
    row.push_back(value(run->degradation_cost.value()));
    row.push_back(value(NetSaving(r, *run)));
    row.push_back(value(MaxPeak(base) - MaxPeak(*run)));
    row.emplace_back(run->battery_cycles);
    if (oracle != nullptr) {
      const auto whole = static_cast<double>(NetSaving(r, *oracle));
      if (whole > 0) {
        row.emplace_back(100.0 * static_cast<double>(NetSaving(r, *run)) / whole);
      } else {
        row.emplace_back(std::monostate{});
      }
    }
    savings.rows.push_back(std::move(row));
  }
  out.push_back(std::move(savings));

  XlsxTable months;
  months.sheet = "월별 청구 monthly bills";
  months.total_row = true;
  months.columns = {{"월 month"},
                    {"태양광·ESS 없음 no PV, no ESS (KRW)", true, 18, "#,##0"},
                    {"none 기준 baseline (KRW)", true, 18, "#,##0"}};
  for (const BacktestResult* run : r.runs) {
    months.columns.push_back({run->controller + " (KRW)", true, 16, "#,##0"});
    months.columns.push_back({run->controller + " 절감 saving (KRW)", true, 16, "#,##0"});
    months.columns.push_back({run->controller + " 요금적용전력 billing demand (kW)", false, 16, "#,##0"});
  }
  for (size_t m = 0; m < base.bills.size(); ++m) {
    std::vector<XlsxValue> row;
    row.emplace_back(FormatMonth(base.bills[m].month));
    row.push_back(value(r.grid_only->bills[m].total.value()));
    row.push_back(value(base.bills[m].total.value()));
    for (const BacktestResult* run : r.runs) {
      row.push_back(value(run->bills[m].total.value()));
      row.push_back(value(base.bills[m].total.value() - run->bills[m].total.value()));
      row.push_back(value(run->bills[m].billing_demand_kw));
    }
    months.rows.push_back(std::move(row));
  }
  out.push_back(std::move(months));

  XlsxTable lines;
  lines.sheet = "연간 요금항목 year by line";
  lines.columns = {{"항목 line", false, 34},
                   {"태양광·ESS 없음 no PV, no ESS (KRW)", false, 18, "#,##0"},
                   {"none 기준 baseline (KRW)", false, 18, "#,##0"}};
  for (const BacktestResult* run : r.runs) {
    lines.columns.push_back({run->controller + " (KRW)", false, 16, "#,##0"});
    lines.columns.push_back({run->controller + " 차이 difference (KRW)", false, 16, "#,##0"});
  }
  const YearLines g = SumLines(*r.grid_only), b = SumLines(base);
  std::vector<YearLines> cs;
  for (const BacktestResult* run : r.runs) cs.push_back(SumLines(*run));
  const auto line = [&](const char* label, std::int64_t YearLines::*field) {
    std::vector<XlsxValue> row;
    row.emplace_back(std::string(label));
    row.push_back(value(g.*field));
    row.push_back(value(b.*field));
    for (const auto& c : cs) {
      row.push_back(value(c.*field));
      row.push_back(value(c.*field - b.*field));
    }
    lines.rows.push_back(std::move(row));
  };
  for (const auto& [label, field] : kYearLineRows) line(label, field);
  out.push_back(std::move(lines));

  for (const BacktestResult* run : r.runs) {
    auto series = TableFromCsv("15분 " + run->controller, RenderSeriesCsv(*run));
    if (!series) return series.error();
    out.push_back(std::move(*series));
  }
  return out;
}

std::string RenderSimulationText(const SimulationReport& r) {
  return SiteHeader(r) + "\n" + TextOf(MonthTable(r)) + "\n" + TextOf(LinesTable(r)) + "\n" + TextOf(MetricsTable(r));
}

std::string RenderSeriesCsv(const BacktestResult& run) {
  std::string out =
      "timestamp,load_kw,pv_available_kw,pv_used_kw,battery_kw,soc_pct,grid_kw,band,demand_counts,limit_kwh,"
      "generator_kw,ev_kw,reason_code,limit,reason\n";
  out.reserve(run.steps.size() * 200);
  for (size_t i = 0; i < run.steps.size(); ++i) {
    const StepRecord& s = run.steps[i];
    const Timestamp t = run.grid.TimeAt(i);
    out +=
        fmt::format("{},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{},{},{:.3f},{:.2f},{:.2f},{},{},{}\n", FormatKst(t),
                    s.load_kw, s.pv_available_kw, s.pv_used_kw, s.battery_kw, s.soc_pct, s.grid_kw, BandName(s.band),
                    s.demand_counts ? 1 : 0, s.limit_kwh, s.generator_kw, s.ev_kw, DecisionCodeName(s.reason.code),
                    LimitStageName(s.reason.limit), CsvField(RenderDecisionReason(s.reason, t)));
  }
  return out;
}

std::string RenderSimulationHtml(const SimulationReport& r) {
  const BacktestResult& base = *r.baseline;
  std::vector<const BacktestResult*> all{&base};
  for (const auto* run : r.runs) all.push_back(run);

  // 1. Monthly bill stacked by line, one bar per controller.
  StackedBarChart bills;
  bills.title = "Monthly bill by line (incl. VAT and fund)";
  bills.unit = "million KRW";
  for (const auto& b : base.bills) bills.categories.push_back(FormatMonth(b.month).substr(5));
  for (const auto* run : all) {
    bills.groups.push_back(run->controller);
    std::vector<ChartSeries> stack = {{"basic", "#4e79a7", {}},
                                      {"energy", "#f28e2b", {}},
                                      {"climate + fuel", "#59a14f", {}},
                                      {"VAT + fund", "#bab0ac", {}},
                                      {"other (PF, over-contract)", "#e15759", {}}};
    for (const auto& b : run->bills) {
      stack[0].values.push_back(b.basic.value() / 1e6);
      stack[1].values.push_back(b.energy.value() / 1e6);
      stack[2].values.push_back((b.climate + b.fuel).value() / 1e6);
      stack[3].values.push_back((b.vat + b.fund).value() / 1e6);
      stack[4].values.push_back(std::max<double>(0, (b.pf_adjustment + b.over_contract).value()) / 1e6);
    }
    bills.stacks.push_back(stack);
  }

  // 2. Power flows on the chosen day (--day), else the day of the year's highest baseline demand.
  size_t day0 = 0;
  const bool chosen =
      r.day && !base.grid.empty() && FromKst(*r.day) >= base.grid.start() && FromKst(*r.day) < base.grid.end();
  if (chosen) {
    day0 = static_cast<size_t>((FromKst(*r.day) - base.grid.start()) / kInterval);
  } else {
    size_t peak_i = 0;
    for (size_t i = 0; i < base.steps.size(); ++i) {
      if (base.steps[i].grid_kw > base.steps[peak_i].grid_kw) peak_i = i;
    }
    day0 = peak_i / kIntervalsPerDay * kIntervalsPerDay;
  }
  const BacktestResult& shown = r.runs.empty() ? base : *r.runs.front();
  LineChart day;
  day.title = fmt::format("Power flows on {} ({}), {}", FormatDate(ToKst(base.grid.TimeAt(day0)).date),
                          chosen ? "the day chosen" : "the day of the highest baseline demand", shown.controller);
  day.unit = "kW (battery + discharge)";
  day.label_every = 8;
  ChartSeries load{"load", "#333333", {}}, pv{"PV used", "#edc948", {}}, bat{"battery", "#59a14f", {}},
      grid{"grid import", "#4e79a7", {}}, grid0{"grid import without ESS", "#9ecae9", {}};
  for (size_t i = day0; i < day0 + kIntervalsPerDay && i < shown.steps.size(); ++i) {
    const int minute = static_cast<int>((i - day0) * 15);
    day.x_labels.push_back(fmt::format("{:02d}:{:02d}", minute / 60, minute % 60));
    load.values.push_back(shown.steps[i].load_kw);
    pv.values.push_back(shown.steps[i].pv_used_kw);
    bat.values.push_back(shown.steps[i].battery_kw);
    grid.values.push_back(shown.steps[i].grid_kw);
    grid0.values.push_back(base.steps[i].grid_kw);
  }
  day.series = {load, grid0, grid, pv, bat};
  day.lines = {{"contract power", r.site->contract_power.value()}};

  // 3. Monthly peaks and billing demand against contract power.
  LineChart peaks;
  peaks.title = "Monthly peak (중간/최대부하) and billing demand (요금적용전력)";
  peaks.unit = "kW";
  for (const auto& b : base.bills) peaks.x_labels.push_back(FormatMonth(b.month).substr(5));
  const char* colors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2"};
  for (size_t k = 0; k < all.size(); ++k) {
    ChartSeries p{all[k]->controller + " peak", colors[k % 5], {}};
    ChartSeries bd{all[k]->controller + " billing demand", colors[(k + 2) % 5], {}};
    for (const auto& b : all[k]->bills) {
      p.values.push_back(static_cast<double>(b.peak_kw));
      bd.values.push_back(static_cast<double>(b.billing_demand_kw));
    }
    peaks.series.push_back(p);
    peaks.series.push_back(bd);
  }
  peaks.lines = {{"contract power", r.site->contract_power.value()},
                 {"30 % floor", r.site->contract_power.value() * 0.3}};

  std::string html =
      "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>" + HtmlEscape(r.site->name) + " " +
      std::to_string(r.year) +
      " backtest</title><style>body{font-family:sans-serif;margin:24px;max-width:960px}"
      "pre{font-size:12px;background:#f6f6f6;padding:12px;overflow-x:auto}"
      ".reasons{max-height:480px;overflow-y:auto}.reasons table{border-collapse:collapse;font-size:12px}"
      ".reasons td,.reasons th{padding:2px 6px;border-bottom:1px solid #eee;text-align:left}"
      ".reasons td.n{text-align:right}"
      ".table{overflow-x:auto;margin:8px 0 16px}.table table{border-collapse:collapse;font-size:13px}"
      ".table th,.table td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}"
      ".table .n{text-align:right;font-variant-numeric:tabular-nums}</style></head><body>";
  html += "<h1>" + HtmlEscape(r.site->name) + ": " + std::to_string(r.year) + " backtest</h1>";
  html +=
      "<p>Generated by <code>meg simulate</code>. Bills priced by the OpenMEG KEPCO bill engine; "
      "savings are against the <b>none</b> controller (PV only, battery idle).</p>";
  html += "<p>" + HtmlEscape(SiteHeader(r)) + "</p>";
  if (!r.runs.empty()) html += HtmlOf(SummaryTable(r));
  html += RenderSvg(bills) + RenderSvg(day);
  html += "<p>Another day: <code>meg simulate ... --day YYYY-MM-DD</code>.</p>";
  for (const auto* run : r.runs) html += DayReasons(*run, day0);  // the runs of a planner
  html += RenderSvg(peaks);
  ReportTable months = MonthTable(r), lines = LinesTable(r), metrics = MetricsTable(r);
  months.title = "Bills by month, KRW";
  metrics.title = OracleOf(r) != nullptr ? "Peaks, PV, battery and the oracle's share" : "Peaks, PV and battery";
  metrics.header[0] = "";
  html += HtmlOf(months) + HtmlOf(lines) + HtmlOf(metrics) + "</body></html>\n";
  return html;
}

std::string RenderDrText(const DrProgram& program, const std::vector<DrRunPair>& runs) {
  std::string out =
      fmt::format("\n== demand response: {} call(s); CBL {}{}; energy paid at {} KRW/kWh{}\n", program.calls.size(),
                  CblMethodName(program.cbl.method), program.cbl.saa ? " with SAA" : "", program.smp.won(),
                  program.mgp ? fmt::format(" (SMP), reliability calls at MGP {} KRW/kWh", program.mgp->won())
                              : " (SMP; MGP not given, so reliability calls are paid at SMP: a lower estimate)");
  for (const DrRunPair& pair : runs) {
    const BacktestResult& run = *pair.with_dr;
    out += fmt::format("\n-- {}\n", run.controller);
    for (const std::string& note : run.dr_notes) out += "   note: " + note + "\n";
    std::set<Month> months;
    Won settlement{0};
    for (const DrCallOutcome& o : run.dr) {
      const DrCall& c = o.call;
      months.insert(KstMonthOf(c.start));
      out += fmt::format("   call {} to {} ({}, {} kW asked, issued {})\n", FormatKst(c.start),
                         FormatKst(c.end).substr(11, 5), DrCallKindName(c.kind), c.requested.value(),
                         FormatKst(c.issued).substr(11, 5));
      out += fmt::format("   {:<6} {:>9} {:>12} {:>14} {:>10} {:>15} {:>12} {:>13}\n", "hour", "CBL kWh", "metered kWh",
                         "reduction kWh", "asked kWh", "recognised kWh", "performance", "payment KRW");
      for (size_t k = 0; k < o.settlement.hours.size(); ++k) {
        const DrHourSettlement& h = o.settlement.hours[k];
        const CblHour* ch = k < o.cbl.hours.size() ? &o.cbl.hours[k] : nullptr;
        out += fmt::format("   {:<6} {:>9.1f} {:>12} {:>14.1f} {:>10.1f} {:>15.1f} {:>11.0f}% {:>13}\n",
                           FormatKst(h.hour_start).substr(11, 5), ch ? ch->baseline.value() : 0.0,
                           ch && ch->actual ? fmt::format("{:.1f}", ch->actual->value()) : std::string("gap"),
                           h.measured.value(), h.requested.value(), h.recognised.value(), h.performance * 100,
                           Krw(h.energy_payment.value()));
      }
      out += fmt::format(
          "   event: {:.1f} kWh reduced of {:.1f} kWh asked ({:.0f} %{}), {:.1f} kWh recognised, "
          "energy payment {} KRW, shortfall below 97 % (DRD) {:.1f} kWh\n",
          o.settlement.measured.value(), o.settlement.requested.value(), o.settlement.performance * 100,
          o.settlement.below_restriction_threshold ? ", below 80 %: counts toward the trading restriction" : "",
          o.settlement.recognised.value(), Krw(o.settlement.energy_payment.value()), o.settlement.shortfall.value());
      for (const std::string& note : o.settlement.notes) out += "   note: " + note + "\n";
      settlement += o.settlement.energy_payment - o.settlement.performance_penalty;
    }
    if (pair.plain == nullptr) continue;
    Won without{0}, with{0};
    for (const MonthlyBill& b : pair.plain->bills) {
      if (months.contains(b.month)) without += b.total;
    }
    for (const MonthlyBill& b : run.bills) {
      if (months.contains(b.month)) with += b.total;
    }
    const auto signed_krw = [](Won w) { return (w.value() > 0 ? "+" : "") + Krw(w.value()); };
    out += fmt::format(
        "   bill of the call month(s): {} KRW without the calls, {} KRW answering them ({} KRW); "
        "DR energy payment {} KRW; net effect {} KRW (the bill change less the payment; capacity "
        "payment and penalties: docs/dr.md)\n",
        Krw(without.value()), Krw(with.value()), signed_krw(with - without), Krw(settlement.value()),
        signed_krw(with - without - settlement));
  }
  return out;
}

}  // namespace meg
