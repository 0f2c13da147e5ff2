#include "center/fleet_report.h"

#include <fmt/format.h>

#include <cmath>

#include "core/time.h"

namespace meg {

FleetReport BuildFleetReport(const FleetBackend& fleet, const std::vector<std::string>& ids, std::string title) {
  FleetReport report;
  report.title = std::move(title);
  for (const std::string& id : ids) {
    SiteBackend* site = fleet.Site(id);
    if (site == nullptr) continue;
    const SiteSummary s = site->Summary();
    FleetReportRow row;
    row.id = id;
    row.name = s.name;
    row.tariff = s.tariff;
    row.contract_kw = s.contract_kw;
    for (const FleetSiteView& v : fleet.Overview()) {
      if (v.summary.id == id) row.kind = v.kind;
    }
    if (auto bill = site->Bill()) {
      row.month = bill->month;
      row.through = bill->through;
      row.with_krw = bill->with_openmeg_krw;
      row.without_krw = bill->without_openmeg_krw;
      row.peak_kw = bill->peak_kw;
      row.billing_demand_kw = bill->billing_demand_kw;
      row.ratchet_kw = bill->ratchet_kw;
      row.cheaper_tariff = bill->cheaper_tariff;
      row.cheaper_by_krw = bill->cheaper_by_krw;
      if (!row.cheaper_tariff.empty()) ++report.sites_on_a_costlier_tariff;
      report.with_krw += bill->with_openmeg_krw;
      report.without_krw += bill->without_openmeg_krw;
      ++report.sites_billed;
      for (const DrEventView& e : site->DrEvents()) {
        if (FormatMonth(KstMonthOf(ToTimestamp(e.start))) != row.month) continue;
        ++row.dr_calls;
        if (e.energy_payment_krw) row.dr_payment_krw += *e.energy_payment_krw;
      }
      report.dr_payment_krw += row.dr_payment_krw;
    } else {
      row.note = bill.error().message;
    }
    report.rows.push_back(std::move(row));
  }
  return report;
}

namespace {

// A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180).
std::string Field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// 1234567 -> "1,234,567"
std::string Grouped(std::int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string Opt(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string(); }

}  // namespace

std::string FleetReportCsv(const FleetReport& r) {
  std::string out =
      "site,name,kind,tariff,contract_kw,month,through,bill_with_openmeg_krw,bill_without_openmeg_krw,saving_krw,"
      "peak_kw,billing_demand_kw,ratchet_kw,dr_calls,dr_payment_krw,cheaper_tariff,cheaper_by_krw,note\n";
  for (const FleetReportRow& row : r.rows) {
    const std::optional<std::int64_t> saving =
        row.with_krw && row.without_krw ? std::optional<std::int64_t>(*row.without_krw - *row.with_krw) : std::nullopt;
    out +=
        fmt::format("{},{},{},{},{:.0f},{},{},{},{},{},{:.1f},{:.0f},{:.0f},{},{:.0f},{},{},{}\n", Field(row.id),
                    Field(row.name), Field(row.kind), Field(row.tariff), row.contract_kw, row.month,
                    row.through ? FormatKst(ToTimestamp(*row.through)) : std::string(), Opt(row.with_krw),
                    Opt(row.without_krw), Opt(saving), row.peak_kw, row.billing_demand_kw, row.ratchet_kw, row.dr_calls,
                    std::round(row.dr_payment_krw), Field(row.cheaper_tariff),
                    row.cheaper_tariff.empty() ? std::string() : std::to_string(row.cheaper_by_krw), Field(row.note));
  }
  out += fmt::format("total,{} sites billed,,,,,,{},{},{},,,,,{:.0f},{} on a costlier tariff,,\n", r.sites_billed,
                     r.with_krw, r.without_krw, r.without_krw - r.with_krw, std::round(r.dr_payment_krw),
                     r.sites_on_a_costlier_tariff);
  return out;
}

std::vector<XlsxTable> FleetReportTables(const FleetReport& r) {
  XlsxTable t;
  t.sheet = "현장별 sites";
  t.total_row = true;
  t.columns = {{"현장 site", false, 14},
               {"이름 name", false, 24},
               {"종류 kind", false, 12},
               {"요금제 tariff", false, 26},
               {"계약전력 contract power (kW)", false, 14, "#,##0"},
               {"월 month", false, 10},
               {"기준 through (KST)", false, 18},
               {"OpenMEG 적용 요금 bill with OpenMEG (KRW)", true, 18, "#,##0"},
               {"미적용 요금 bill without OpenMEG (KRW)", true, 18, "#,##0"},
               {"절감 saving (KRW)", true, 16, "#,##0"},
               {"최대수요전력 peak (kW)", false, 14, "#,##0.0"},
               {"요금적용전력 billing demand (kW)", false, 14, "#,##0"},
               {"래칫 ratchet (kW)", false, 12, "#,##0"},
               {"DR 발령 DR calls", true, 10, "0"},
               {"DR 정산 DR payment (KRW)", true, 16, "#,##0"},
               {"더 싼 요금제 cheaper tariff", false, 26},
               {"차액 cheaper by (KRW)", false, 14, "#,##0"},
               {"비고 note", false, 40}};
  const auto number = [](std::optional<std::int64_t> v) {
    return v ? XlsxValue(static_cast<double>(*v)) : XlsxValue(std::monostate{});
  };
  for (const FleetReportRow& row : r.rows) {
    std::vector<XlsxValue> cells;
    cells.emplace_back(row.id);
    cells.emplace_back(row.name);
    cells.emplace_back(row.kind);
    cells.emplace_back(row.tariff);
    cells.emplace_back(row.contract_kw);
    cells.emplace_back(row.month);
    if (row.through) {
      cells.emplace_back(ToTimestamp(*row.through));
    } else {
      cells.emplace_back(std::monostate{});
    }
    cells.push_back(number(row.with_krw));
    cells.push_back(number(row.without_krw));
    cells.push_back(
        number(row.with_krw && row.without_krw ? std::optional(*row.without_krw - *row.with_krw) : std::nullopt));
    cells.emplace_back(row.peak_kw);
    cells.emplace_back(row.billing_demand_kw);
    cells.emplace_back(row.ratchet_kw);
    cells.emplace_back(static_cast<double>(row.dr_calls));
    cells.emplace_back(std::round(row.dr_payment_krw));
    cells.emplace_back(row.cheaper_tariff);
    cells.push_back(row.cheaper_tariff.empty() ? XlsxValue(std::monostate{})
                                               : XlsxValue(static_cast<double>(row.cheaper_by_krw)));
    cells.emplace_back(row.note);
    t.rows.push_back(std::move(cells));
  }
  return {std::move(t)};
}

std::string FleetReportHtml(const FleetReport& r) {
  std::string rows;
  for (const FleetReportRow& row : r.rows) {
    const bool billed = row.with_krw && row.without_krw;
    const std::int64_t saving = billed ? *row.without_krw - *row.with_krw : 0;
    const double pct = billed && *row.without_krw > 0
                           ? 100.0 * static_cast<double>(saving) / static_cast<double>(*row.without_krw)
                           : 0;
    rows += fmt::format(
        "<tr><td>{}<br><small>{} · {}</small></td><td>{}<br><small>{:.0f} kW</small></td><td>{}</td>"
        "<td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td>"
        "<td class=n>{:.0f}</td><td class=n>{:.0f}</td><td class=n>{:.0f}</td><td class=n>{}</td>"
        "<td class=n>{}</td><td>{}</td></tr>\n",
        Html(row.name), Html(row.id), Html(row.kind), Html(row.tariff), row.contract_kw, Html(row.month),
        billed ? Grouped(*row.with_krw) : "", billed ? Grouped(*row.without_krw) : "", billed ? Grouped(saving) : "",
        billed ? fmt::format("{:.1f} %", pct) : "", row.peak_kw, row.billing_demand_kw, row.ratchet_kw, row.dr_calls,
        Grouped(static_cast<std::int64_t>(std::round(row.dr_payment_krw))),
        Html(row.cheaper_tariff.empty()
                 ? row.note
                 : fmt::format("{} would cost {} KRW less this month so far (meg bill --compare){}", row.cheaper_tariff,
                               Grouped(row.cheaper_by_krw), row.note.empty() ? "" : "; " + row.note)));
  }
  const std::int64_t saving = r.without_krw - r.with_krw;
  return fmt::format(
      R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<style>
body {{ font-family: "NanumGothic", sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9em; }}
th, td {{ border-bottom: 1px solid #ccc; padding: 0.4em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f0f3f6; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
tfoot td {{ font-weight: bold; border-top: 2px solid #222; }}
small {{ color: #666; }}
</style></head><body>
<h1>{0}</h1>
<p>Month to date of each site's own month, priced by the KEPCO bill engine: with OpenMEG (the metered grid
import) and without it (the same load and PV with the battery idle). Amounts in KRW incl. VAT and fund;
powers in kW (15-minute demand). DR payments are the 별표26 energy-payment estimates of the month's settled calls.</p>
<table>
<thead><tr><th>Site</th><th>Tariff, contract</th><th>Month</th><th>Bill with OpenMEG (KRW)</th>
<th>Bill without (KRW)</th><th>Saving (KRW)</th><th>Saving</th><th>Peak (kW)</th><th>Billing demand (kW)</th>
<th>Ratchet (kW)</th><th>DR calls</th><th>DR payments (KRW)</th><th>Note</th></tr></thead>
<tbody>
{1}</tbody>
<tfoot><tr><td>Fleet ({2} sites billed)</td><td></td><td></td><td class=n>{3}</td><td class=n>{4}</td>
<td class=n>{5}</td><td class=n>{6}</td><td></td><td></td><td></td><td></td><td class=n>{7}</td><td></td></tr></tfoot>
</table></body></html>
)",
      Html(r.title), rows, r.sites_billed, Grouped(r.with_krw), Grouped(r.without_krw), Grouped(saving),
      r.without_krw > 0
          ? fmt::format("{:.1f} %", 100.0 * static_cast<double>(saving) / static_cast<double>(r.without_krw))
          : std::string(),
      Grouped(static_cast<std::int64_t>(std::round(r.dr_payment_krw))));
}

}  // namespace meg
