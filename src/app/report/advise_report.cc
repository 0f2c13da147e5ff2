#include "app/report/advise_report.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "app/report/svg_chart.h"
#include "core/text.h"

namespace meg {
namespace {

std::string Krw(Won w) { return WithThousands(w.value()); }

std::string Row(const std::vector<std::string>& cells, bool header = false) {
  std::string out = "<tr>";
  for (size_t i = 0; i < cells.size(); ++i) {
    const char* tag = header ? "th" : "td";
    out += fmt::format("<{}{}>{}</{}>", tag, i > 0 && !header ? " class='n'" : "", HtmlEscape(cells[i]), tag);
  }
  return out + "</tr>";
}

}  // namespace

std::vector<size_t> ContractRowsShown(const ContractAdvice& a) {
  std::vector<size_t> shown;
  for (size_t i = 0; i < a.contracts.size(); ++i) {
    const PricedContract& p = a.contracts[i];
    const bool same = i > 0 && p.total == a.contracts[i - 1].total &&
                      p.hotter_total == a.contracts[i - 1].hotter_total &&
                      p.billing_demand_kw == a.contracts[i - 1].billing_demand_kw;
    if (!same || i + 1 == a.contracts.size() || p.contract_kw == a.recommended.contract_kw ||
        p.contract_kw == a.in_force.contract_kw) {
      shown.push_back(i);
    }
  }
  return shown;
}

std::string RenderAdviceHtml(const ContractAdvice& a, const PowerSeries& meter, const std::string& source,
                             double hotter_pct, const AdviceSizes& sizes) {
  const PricedContract& r = a.recommended;
  const Won saving = a.in_force.total - r.total;
  std::string html =
      "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>meg advise: " + HtmlEscape(source) +
      "</title><style>body{font-family:sans-serif;margin:24px;max-width:960px}"
      "table{border-collapse:collapse;font-size:13px;margin:8px 0 16px}"
      "td,th{padding:3px 8px;border-bottom:1px solid "
      "#ddd;text-align:left}td.n{text-align:right}td:first-child{white-space:nowrap}"
      ".summary{background:#f4f7fb;padding:12px 16px;border-radius:6px}</style></head><body>";
  html += "<h1>Tariff option and contract power</h1>";
  html += fmt::format(
      "<div class='summary'><p><b>{}</b>, {} to {} ({} months).</p><p>In force: {} at {} kW: {} KRW a year.<br>"
      "Recommended: <b>{} at {} kW</b>: {} KRW a year, <b>{} KRW less</b> than in force; in a summer {} % hotter {} "
      "KRW.</p>"
      "<p>Highest 15-minute demand {} kW; in the hotter summer {} kW.</p></div>",
      HtmlEscape(source), FormatMonth(a.months.front()), FormatMonth(a.months.back()), a.months.size(),
      HtmlEscape(OfficialName(a.in_force.tariff)), WithThousands(a.in_force.contract_kw), Krw(a.in_force.total),
      HtmlEscape(OfficialName(r.tariff)), WithThousands(r.contract_kw), Krw(r.total), Krw(saving), hotter_pct,
      Krw(r.hotter_total), WithThousands(a.max_demand_kw), WithThousands(a.hotter_max_demand_kw));
  html +=
      "<p>Every figure is a year of bills by the OpenMEG KEPCO bill engine with VAT and the fund, the year "
      "before taken to be the same year (docs/advise.md).</p>";

  html += fmt::format("<h2>Tariff options at {} kW</h2><table>", WithThousands(a.in_force.contract_kw));
  html += Row({"tariff", "basic, KRW", "energy + climate + fuel, KRW", "year, KRW", "vs in force, KRW"}, true);
  for (const PricedContract& p : a.tariffs) {
    html += Row({OfficialName(p.tariff), Krw(p.basic), Krw(p.energy), Krw(p.total), Krw(p.total - a.in_force.total)});
  }
  html += "</table>";

  // Above the lowest bill priced: the differences are a few per cent of the bill.
  Won lowest = a.contracts.front().total;
  for (const PricedContract& p : a.contracts) lowest = std::min({lowest, p.total, p.hotter_total});
  LineChart bill;
  bill.title = fmt::format("Year's bill by contract power, {}, above {} KRW", OfficialName(a.contracts.front().tariff),
                           Krw(lowest));
  bill.unit = "million KRW";
  bill.label_every = std::max<int>(1, static_cast<int>(a.contracts.size()) / 10);
  ChartSeries now{"this year", "#1f77b4", {}}, hot{fmt::format("a summer {} % hotter", hotter_pct), "#d62728", {}};
  for (const PricedContract& p : a.contracts) {
    bill.x_labels.push_back(WithThousands(p.contract_kw) + " kW");
    now.values.push_back(static_cast<double>((p.total - lowest).value()) / 1e6);
    hot.values.push_back(static_cast<double>((p.hotter_total - lowest).value()) / 1e6);
  }
  bill.series = {now, hot};
  html += RenderSvg(bill);

  html += "<h2>Contract powers</h2><table>";
  html += Row({"contract kW", "billing demand kW", "floor months", "over-contract months", "surcharge, KRW",
               "year, KRW", "hotter: over months", "hotter year, KRW"},
              true);
  const std::vector<size_t> shown = ContractRowsShown(a);
  const size_t left_out = a.contracts.size() - shown.size();
  for (const size_t i : shown) {
    const PricedContract& p = a.contracts[i];
    html +=
        Row({WithThousands(p.contract_kw) + (p.contract_kw == r.contract_kw            ? " (recommended)"
                                             : p.contract_kw == a.in_force.contract_kw ? " (in force)"
                                                                                       : ""),
             WithThousands(p.billing_demand_kw), std::to_string(p.floor_months), std::to_string(p.over_contract_months),
             Krw(p.over_contract), Krw(p.total), std::to_string(p.hotter_over_contract_months), Krw(p.hotter_total)});
  }
  html += "</table>";
  if (left_out > 0) {
    html += fmt::format("<p>{} contract powers that bill as the row above them are left out (the JSON lists all).</p>",
                        left_out);
  }

  html += fmt::format("<h2>The recommended contract's bills ({}, {} kW)</h2><table>",
                      HtmlEscape(OfficialName(r.tariff)), WithThousands(r.contract_kw));
  html += Row({"month", "billing demand kW", "기본요금 basic", "전력량요금 energy", "기후환경요금 climate",
               "연료비조정요금 fuel", "초과사용부가금 over-contract", "부가가치세 VAT", "전력산업기반기금 fund",
               "청구금액 total, KRW"},
              true);
  for (const MonthlyBill& b : a.recommended_bills) {
    html += Row({FormatMonth(b.month), WithThousands(b.billing_demand_kw), Krw(b.basic), Krw(b.energy), Krw(b.climate),
                 Krw(b.fuel), Krw(b.over_contract), Krw(b.vat), Krw(b.fund), Krw(b.total)});
  }
  html += "</table>";

  // The load duration curve: the year's 15-minute demands, highest first, at 200 points.
  std::vector<double> kw;
  for (const auto& v : meter.values()) {
    if (v) kw.push_back(v->value());
  }
  std::sort(kw.begin(), kw.end(), std::greater<>());
  LineChart ldc;
  ldc.title = "Load duration curve: the 15-minute demand and the share of the year at or above it";
  ldc.unit = "kW";
  ChartSeries curve{"demand", "#1f77b4", {}};
  constexpr int kPoints = 200;
  for (int i = 0; i < kPoints && !kw.empty(); ++i) {
    const size_t at = std::min(kw.size() - 1, static_cast<size_t>(static_cast<double>(i) / (kPoints - 1) *
                                                                  static_cast<double>(kw.size() - 1)));
    curve.values.push_back(kw[at]);
    ldc.x_labels.push_back(fmt::format("{:.0f} %", 100.0 * static_cast<double>(i) / (kPoints - 1)));
  }
  ldc.label_every = kPoints / 10;
  ldc.series = {curve};
  ldc.lines = {{"recommended contract power", static_cast<double>(r.contract_kw)},
               {"in force", static_cast<double>(a.in_force.contract_kw)}};
  html += RenderSvg(ldc);
  // One section a kind of size: NPV and the year's saving against size, then the table.
  const auto section = [&](const std::string& title, const std::vector<std::string>& labels,
                           const std::vector<double>& npv_krw, const std::vector<double>& saving_krw,
                           const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    LineChart npv;
    npv.title = title + ": net present value against size";
    npv.unit = "million KRW";
    ChartSeries series{"NPV", "#2ca02c", {}}, saving{"bill saving a year", "#1f77b4", {}};
    npv.x_labels = labels;
    for (const double v : npv_krw) series.values.push_back(v / 1e6);
    for (const double v : saving_krw) saving.values.push_back(v / 1e6);
    npv.series = {series, saving};
    npv.lines = {{"0", 0.0}};
    html += "<h2>" + HtmlEscape(title) + " sizes</h2>" + RenderSvg(npv) + "<table>" + Row(header, true);
    for (const auto& r : rows) html += Row(r);
    html += "</table>";
  };
  const auto payback = [](const std::optional<double>& y) { return y ? fmt::format("{:.1f}", *y) : "never"; };
  const auto irr = [](const std::optional<double>& v) { return v ? fmt::format("{:.1f}", *v * 100) : "-"; };
  const auto n0 = [](double v) { return WithThousands(std::llround(v)); };
  if (!sizes.battery.empty()) {
    std::vector<std::string> labels;
    std::vector<double> npv, saving;
    std::vector<std::vector<std::string>> rows;
    for (const SizedBattery& b : sizes.battery) {
      labels.push_back(n0(b.usable_kwh) + " kWh");
      npv.push_back(b.npv_krw);
      saving.push_back(static_cast<double>(b.bill_saving.value()));
      rows.push_back({n0(b.usable_kwh), n0(b.power_kw), Krw(b.bill_saving), fmt::format("{:.1f}", b.cycles),
                      fmt::format("{:.1f}", b.life_years), n0(b.capex_krw), n0(b.npv_krw), payback(b.payback_years),
                      irr(b.irr)});
    }
    section("Battery", labels, npv, saving,
            {"usable kWh", "kW", "bill saving KRW/y", "cycles/y", "life y", "capex KRW", "NPV KRW", "payback y",
             "IRR %"},
            rows);
  }
  if (!sizes.pv.empty()) {
    std::vector<std::string> labels;
    std::vector<double> npv, saving;
    std::vector<std::vector<std::string>> rows;
    for (const SizedPv& p : sizes.pv) {
      labels.push_back(n0(p.dc_kwp) + " kWp");
      npv.push_back(p.npv_krw);
      saving.push_back(static_cast<double>(p.bill_saving.value()));
      rows.push_back({n0(p.dc_kwp), n0(p.ac_kw), fmt::format("{:.1f}", p.available.value() / 1000),
                      fmt::format("{:.1f}", p.used.value() / 1000), Krw(p.bill_saving), n0(p.capex_krw), n0(p.npv_krw),
                      payback(p.payback_years), irr(p.irr)});
    }
    section("PV", labels, npv, saving,
            {"kWp DC", "kW AC", "available MWh/y", "used MWh/y", "bill saving KRW/y", "capex KRW", "NPV KRW",
             "payback y", "IRR %"},
            rows);
  }
  if (!sizes.thermal.empty()) {
    std::vector<std::string> labels;
    std::vector<double> npv, saving;
    std::vector<std::vector<std::string>> rows;
    for (const SizedThermal& t : sizes.thermal) {
      labels.push_back(n0(t.capacity_kwh_th) + " kWh_th");
      npv.push_back(t.npv_krw);
      saving.push_back(static_cast<double>(t.bill_saving.value()));
      rows.push_back({n0(t.capacity_kwh_th), n0(t.discharge_kw_th), fmt::format("{:.1f}", t.discharged.value() / 1000),
                      fmt::format("{:+.1f}", t.electric.value() / 1000), Krw(t.bill_saving), n0(t.capex_krw),
                      n0(t.npv_krw), payback(t.payback_years), irr(t.irr)});
    }
    section("Cold store", labels, npv, saving,
            {"kWh of cooling", "kW of cooling", "served MWh_th/y", "electricity saved MWh/y", "bill saving KRW/y",
             "capex KRW", "NPV KRW", "payback y", "IRR %"},
            rows);
  }
  if (!a.notes.empty()) {
    html += "<h2>Notes</h2><ul>";
    for (const auto& n : a.notes) html += "<li>" + HtmlEscape(n) + "</li>";
    html += "</ul>";
  }
  return html + "</body></html>\n";
}

}  // namespace meg
