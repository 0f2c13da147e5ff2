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
                             double hotter_pct, const std::vector<SizedBattery>& sizes) {
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
  if (!sizes.empty()) {
    LineChart npv;
    npv.title = "Battery: net present value against usable energy";
    npv.unit = "million KRW";
    ChartSeries series{"NPV", "#2ca02c", {}}, saving{"bill saving a year", "#1f77b4", {}};
    for (const SizedBattery& b : sizes) {
      npv.x_labels.push_back(WithThousands(std::llround(b.usable_kwh)) + " kWh");
      series.values.push_back(b.npv_krw / 1e6);
      saving.values.push_back(static_cast<double>(b.bill_saving.value()) / 1e6);
    }
    npv.series = {series, saving};
    npv.lines = {{"0", 0.0}};
    html += "<h2>Battery sizes</h2>" + RenderSvg(npv) + "<table>";
    html += Row({"usable kWh", "kW", "bill saving KRW/y", "cycles/y", "life y", "capex KRW", "NPV KRW", "payback y",
                 "IRR %"},
                true);
    for (const SizedBattery& b : sizes) {
      html += Row({WithThousands(std::llround(b.usable_kwh)), WithThousands(std::llround(b.power_kw)),
                   Krw(b.bill_saving), fmt::format("{:.1f}", b.cycles), fmt::format("{:.1f}", b.life_years),
                   WithThousands(std::llround(b.capex_krw)), WithThousands(std::llround(b.npv_krw)),
                   b.payback_years ? fmt::format("{:.1f}", *b.payback_years) : "never",
                   b.irr ? fmt::format("{:.1f}", *b.irr * 100) : "-"});
    }
    html += "</table>";
  }
  if (!a.notes.empty()) {
    html += "<h2>Notes</h2><ul>";
    for (const auto& n : a.notes) html += "<li>" + HtmlEscape(n) + "</li>";
    html += "</ul>";
  }
  return html + "</body></html>\n";
}

}  // namespace meg
