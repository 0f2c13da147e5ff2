#include "app/advise_command.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/exit.h"
#include "app/paths.h"
#include "app/planners.h"
#include "app/report/advise_report.h"
#include "app/report/xlsx_workbook.h"
#include "app/site_loader.h"
#include "app/study/battery_sizing.h"
#include "app/usage_options.h"
#include "core/site.h"
#include "core/text.h"
#include "io/text_file.h"
#include "io/usage_csv.h"
#include "sim/site_inputs.h"
#include "tariff/contract_advice.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg advise";

struct AdviseOptions {
  std::string usage;
  UsageFormatOptions format;
  std::string site;
  std::string tariff;
  double contract_kw = 0;
  std::vector<std::string> voltages;
  std::vector<std::int64_t> contracts;
  std::int64_t step_kw = 10;
  double hotter_pct = 5;
  std::optional<std::string> fuel;
  bool json = false;
  std::string xlsx;
  std::string html;
  // Battery sizes (with --site).
  std::vector<double> battery_kwh;
  BatteryFinance finance;
  std::string sizing_controller = "oracle";
  bool size_lp = false;  // also size the battery as a variable of one LP (the cross-check)
  // PV sizes (with --site).
  std::vector<double> pv_kwp;
  PvFinance pv_finance;
  // Cold-store sizes (with --site), run by sizing_controller.
  std::vector<double> tes_kwh;
  ThermalFinance tes_finance;
  int threads = 2;
  std::string tariff_dir = DefaultTariffDir();
  std::string calendar = DefaultCalendarPath();
};

std::string Krw(Won w) { return WithThousands(w.value()); }

nlohmann::json PricedJson(const PricedContract& p) {
  return {{"tariff", OfficialName(p.tariff)},
          {"tariff_alias", AsciiAlias(p.tariff)},
          {"contract_kw", p.contract_kw},
          {"total_krw", p.total.value()},
          {"basic_krw", p.basic.value()},
          {"energy_climate_fuel_krw", p.energy.value()},
          {"over_contract_krw", p.over_contract.value()},
          {"billing_demand_kw", p.billing_demand_kw},
          {"floor_months", p.floor_months},
          {"over_contract_months", p.over_contract_months},
          {"hotter_total_krw", p.hotter_total.value()},
          {"hotter_over_contract_krw", p.hotter_over_contract.value()},
          {"hotter_over_contract_months", p.hotter_over_contract_months}};
}

std::string Signed(Won w) { return w.value() > 0 ? "+" + Krw(w) : Krw(w); }

std::string Opt(const std::optional<double>& v, const char* fmt_str, double scale = 1) {
  return v ? fmt::format(fmt::runtime(fmt_str), *v * scale) : std::string("never");
}

// The grid's best by the LP's measure and whether the LP's size is within the grid's step of it.
struct LpCheck {
  LpSizedBattery lp;
  const SizedBattery* best = nullptr;  // the grid's size with the highest NetOverPeriod
  double best_net_krw = 0;
  double step_kwh = 0;  // the largest gap between neighbouring grid sizes around the best
  bool within_step = false;
};

LpCheck CheckAgainstGrid(const LpSizedBattery& lp, const std::vector<SizedBattery>& sizes, const BatteryFinance& f,
                         double period_years) {
  LpCheck c;
  c.lp = lp;
  for (const SizedBattery& b : sizes) {
    const double net = NetOverPeriod(b, f, period_years);
    if (c.best == nullptr || net > c.best_net_krw) {
      c.best = &b;
      c.best_net_krw = net;
    }
  }
  if (c.best == nullptr) return c;
  // The step around the best: to its neighbours in the grid (the grid sorted by size).
  std::vector<double> kwh;
  for (const SizedBattery& b : sizes) kwh.push_back(b.usable_kwh);
  std::sort(kwh.begin(), kwh.end());
  const auto at = std::find(kwh.begin(), kwh.end(), c.best->usable_kwh);
  if (at != kwh.begin()) c.step_kwh = std::max(c.step_kwh, *at - *(at - 1));
  if (at + 1 != kwh.end()) c.step_kwh = std::max(c.step_kwh, *(at + 1) - *at);
  c.within_step = std::abs(lp.usable_kwh - c.best->usable_kwh) <= c.step_kwh + 1e-6;
  return c;
}

void PrintLpCheck(const LpCheck& c, double period_years) {
  fmt::print(
      "\nCross-check, the size as a variable of one LP over the period (bills + wear + capex x (CRF + O&M) x {:.3f} "
      "years): {} kWh / {} kW in {:.1f} s\n",
      period_years, WithThousands(std::llround(c.lp.usable_kwh)), WithThousands(std::llround(c.lp.power_kw)),
      c.lp.seconds);
  if (c.best == nullptr) return;
  fmt::print("  the grid by the same measure (bill saving - wear - annualised capex): best {} kWh, {} KRW; {}\n",
             WithThousands(std::llround(c.best->usable_kwh)), WithThousands(std::llround(c.best_net_krw)),
             c.within_step ? fmt::format("the LP's size is within the grid's step ({} kWh)",
                                         WithThousands(std::llround(c.step_kwh)))
                           : fmt::format("the LP's size is NOT within the grid's step ({} kWh) of it",
                                         WithThousands(std::llround(c.step_kwh))));
}

void PrintSizes(const std::vector<SizedBattery>& sizes, const AdviseOptions& o) {
  const BatteryFinance& f = o.finance;
  fmt::print(
      "\nBattery sizes at the site's tariff and contract in force ({}: {}), {:g} h of energy per kW; "
      "installed {} KRW + {} KRW/kWh + {} KRW/kW, O&M {:g} % a year, life {:g} years or {} cycles, discount {:g} "
      "%\n",
      o.sizing_controller,
      o.sizing_controller == "oracle" ? "perfect foresight, the upper bound" : "learned forecasts, the expected case",
      f.energy_to_power_h, WithThousands(static_cast<long long>(f.capex_krw_fixed)),
      WithThousands(static_cast<long long>(f.capex_krw_per_kwh)),
      WithThousands(static_cast<long long>(f.capex_krw_per_kw)), f.om_pct_per_year, f.life_years,
      WithThousands(static_cast<long long>(f.cycle_life)), f.discount_pct);
  fmt::print("  {:>10}  {:>8}  {:>16}  {:>8}  {:>7}  {:>15}  {:>15}  {:>9}  {:>7}\n", "usable kWh", "kW",
             "bill saving KRW/y", "cycles/y", "life y", "capex KRW", "NPV KRW", "payback y", "IRR");
  const SizedBattery* best = nullptr;
  for (const SizedBattery& b : sizes) {
    if (best == nullptr || b.npv_krw > best->npv_krw) best = &b;
  }
  for (const SizedBattery& b : sizes) {
    fmt::print("{} {:>10}  {:>8}  {:>16}  {:>8.1f}  {:>7.1f}  {:>15}  {:>15}  {:>9}  {:>7}\n", &b == best ? ">" : " ",
               WithThousands(std::llround(b.usable_kwh)), WithThousands(std::llround(b.power_kw)),
               WithThousands(b.bill_saving.value()), b.cycles, b.life_years, WithThousands(std::llround(b.capex_krw)),
               WithThousands(std::llround(b.npv_krw)), Opt(b.payback_years, "{:.1f}"), Opt(b.irr, "{:.1f} %", 100));
  }
  if (best != nullptr) {
    fmt::print("Highest NPV: {} kWh / {} kW, {} KRW{}\n", WithThousands(std::llround(best->usable_kwh)),
               WithThousands(std::llround(best->power_kw)), WithThousands(std::llround(best->npv_krw)),
               best->npv_krw > 0 ? "" : ": no size priced pays for itself at these costs");
  }
}

void PrintPvSizes(const std::vector<SizedPv>& sizes, const PvFinance& f) {
  fmt::print(
      "\nPV sizes (the site's arrays scaled, no battery, no export beyond the site's rules) against the site without "
      "PV; installed {} KRW/kWp, O&M {:g} % a year, life {:g} years, discount {:g} %\n",
      WithThousands(static_cast<long long>(f.capex_krw_per_kwp)), f.om_pct_per_year, f.life_years, f.discount_pct);
  fmt::print("  {:>8}  {:>7}  {:>14}  {:>14}  {:>16}  {:>15}  {:>15}  {:>9}  {:>7}\n", "kWp DC", "kW AC",
             "available MWh", "used MWh", "bill saving KRW/y", "capex KRW", "NPV KRW", "payback y", "IRR");
  const SizedPv* best = nullptr;
  for (const SizedPv& s : sizes) {
    if (best == nullptr || s.npv_krw > best->npv_krw) best = &s;
  }
  for (const SizedPv& s : sizes) {
    fmt::print("{} {:>8}  {:>7}  {:>14.1f}  {:>14.1f}  {:>16}  {:>15}  {:>15}  {:>9}  {:>7}\n", &s == best ? ">" : " ",
               WithThousands(std::llround(s.dc_kwp)), WithThousands(std::llround(s.ac_kw)), s.available.value() / 1000,
               s.used.value() / 1000, WithThousands(s.bill_saving.value()), WithThousands(std::llround(s.capex_krw)),
               WithThousands(std::llround(s.npv_krw)), Opt(s.payback_years, "{:.1f}"), Opt(s.irr, "{:.1f} %", 100));
  }
}

nlohmann::json PvSizesJson(const std::vector<SizedPv>& sizes, const PvFinance& f) {
  nlohmann::json rows = nlohmann::json::array();
  for (const SizedPv& s : sizes) {
    rows.push_back({{"dc_kwp", s.dc_kwp},
                    {"ac_kw", s.ac_kw},
                    {"available_kwh", s.available.value()},
                    {"used_kwh", s.used.value()},
                    {"bill_saving_krw_per_year", s.bill_saving.value()},
                    {"capex_krw", s.capex_krw},
                    {"npv_krw", s.npv_krw},
                    {"payback_years", s.payback_years ? nlohmann::json(*s.payback_years) : nlohmann::json()},
                    {"irr_pct", s.irr ? nlohmann::json(*s.irr * 100) : nlohmann::json()}});
  }
  return {{"capex_krw_per_kwp", f.capex_krw_per_kwp},
          {"om_pct_per_year", f.om_pct_per_year},
          {"life_years", f.life_years},
          {"discount_pct", f.discount_pct},
          {"sizes", rows}};
}

double TesCapex(const SizedThermal& s) { return s.capacity_kwh_th > 0 ? s.capex_krw / s.capacity_kwh_th : 0.0; }

void PrintThermalSizes(const std::vector<SizedThermal>& sizes, const AdviseOptions& o) {
  const ThermalFinance& f = o.tes_finance;
  fmt::print(
      "\nCold-store sizes ({}: the store alone, no battery or generator) against the site without it; installed {} "
      "KRW per kWh of cooling, O&M {:g} % a year, life {:g} years, discount {:g} %\n",
      o.sizing_controller, WithThousands(std::llround(sizes.empty() ? 0.0 : TesCapex(sizes.front()))),
      f.om_pct_per_year, f.life_years, o.finance.discount_pct);
  fmt::print("  {:>9}  {:>9}  {:>14}  {:>15}  {:>16}  {:>15}  {:>15}  {:>9}  {:>7}\n", "kWh_th", "kW_th",
             "served MWh_th", "electric MWh", "bill saving KRW/y", "capex KRW", "NPV KRW", "payback y", "IRR");
  const SizedThermal* best = nullptr;
  for (const SizedThermal& s : sizes) {
    if (best == nullptr || s.npv_krw > best->npv_krw) best = &s;
  }
  for (const SizedThermal& s : sizes) {
    fmt::print("{} {:>9}  {:>9}  {:>14.1f}  {:>+15.1f}  {:>16}  {:>15}  {:>15}  {:>9}  {:>7}\n", &s == best ? ">" : " ",
               WithThousands(std::llround(s.capacity_kwh_th)), WithThousands(std::llround(s.discharge_kw_th)),
               s.discharged.value() / 1000, s.electric.value() / 1000, WithThousands(s.bill_saving.value()),
               WithThousands(std::llround(s.capex_krw)), WithThousands(std::llround(s.npv_krw)),
               Opt(s.payback_years, "{:.1f}"), Opt(s.irr, "{:.1f} %", 100));
  }
  fmt::print("  (electric: the chillers' electricity the store saved, + , net of what making its cold cost)\n");
}

nlohmann::json ThermalSizesJson(const std::vector<SizedThermal>& sizes, const AdviseOptions& o) {
  nlohmann::json rows = nlohmann::json::array();
  for (const SizedThermal& s : sizes) {
    rows.push_back({{"capacity_kwh_th", s.capacity_kwh_th},
                    {"charge_kw_th", s.charge_kw_th},
                    {"discharge_kw_th", s.discharge_kw_th},
                    {"discharged_kwh_th", s.discharged.value()},
                    {"electric_saved_kwh", s.electric.value()},
                    {"bill_saving_krw_per_year", s.bill_saving.value()},
                    {"capex_krw", s.capex_krw},
                    {"npv_krw", s.npv_krw},
                    {"payback_years", s.payback_years ? nlohmann::json(*s.payback_years) : nlohmann::json()},
                    {"irr_pct", s.irr ? nlohmann::json(*s.irr * 100) : nlohmann::json()}});
  }
  return {{"controller", o.sizing_controller},
          {"capex_krw_per_kwh_th", sizes.empty() ? 0.0 : TesCapex(sizes.front())},
          {"om_pct_per_year", o.tes_finance.om_pct_per_year},
          {"life_years", o.tes_finance.life_years},
          {"discount_pct", o.finance.discount_pct},
          {"sizes", rows}};
}

nlohmann::json SizesJson(const std::vector<SizedBattery>& sizes, const AdviseOptions& o) {
  nlohmann::json rows = nlohmann::json::array();
  for (const SizedBattery& b : sizes) {
    rows.push_back({{"usable_kwh", b.usable_kwh},
                    {"power_kw", b.power_kw},
                    {"bill_saving_krw_per_year", b.bill_saving.value()},
                    {"degradation_krw_per_year", b.degradation.value()},
                    {"cycles_per_year", b.cycles},
                    {"life_years", b.life_years},
                    {"capex_krw", b.capex_krw},
                    {"npv_krw", b.npv_krw},
                    {"payback_years", b.payback_years ? nlohmann::json(*b.payback_years) : nlohmann::json()},
                    {"irr_pct", b.irr ? nlohmann::json(*b.irr * 100) : nlohmann::json()}});
  }
  const BatteryFinance& f = o.finance;
  return {{"controller", o.sizing_controller},
          {"energy_to_power_h", f.energy_to_power_h},
          {"capex_krw_per_kwh", f.capex_krw_per_kwh},
          {"capex_krw_per_kw", f.capex_krw_per_kw},
          {"capex_krw_fixed", f.capex_krw_fixed},
          {"om_pct_per_year", f.om_pct_per_year},
          {"life_years", f.life_years},
          {"cycle_life", f.cycle_life},
          {"discount_pct", f.discount_pct},
          {"sizes", rows}};
}

void PrintText(const ContractAdvice& a, const AdviseOptions& o) {
  fmt::print("meg advise: {} whole months, {} to {}, of {}\n", a.months.size(), FormatMonth(a.months.front()),
             FormatMonth(a.months.back()),
             o.site.empty() ? o.usage : o.site + " (its load less its PV, without the battery)");
  fmt::print(
      "highest 15-minute demand {} kW (중간/최대부하 of working days {} kW); in a summer {} % hotter "
      "{} kW\n",
      WithThousands(a.max_demand_kw), WithThousands(a.counted_peak_kw), o.hotter_pct,
      WithThousands(a.hotter_max_demand_kw));
  fmt::print("in force: {} at {} kW: {} KRW a year\n", OfficialName(a.in_force.tariff),
             WithThousands(a.in_force.contract_kw), Krw(a.in_force.total));
  fmt::print(
      "(every figure: the bills of these months with VAT and the fund, the year before taken to be the same "
      "year for the 12-month ratchet and the over-contract warning)\n\n");

  fmt::print("Tariff options at {} kW of contract power\n", WithThousands(a.in_force.contract_kw));
  fmt::print("  {}  {:>15}  {:>22}  {:>15}  {:>15}\n", PadToWidth("tariff", 26), "basic, KRW",
             "energy+climate+fuel, KRW", "year, KRW", "vs in force, KRW");
  for (const PricedContract& p : a.tariffs) {
    fmt::print("  {}  {:>15}  {:>24}  {:>15}  {:>15}\n", PadToWidth(OfficialName(p.tariff), 26), Krw(p.basic),
               Krw(p.energy), Krw(p.total), Signed(p.total - a.in_force.total));
  }
  fmt::print("\nContract power under {} (a summer {} % hotter: June-September demand x {:.2f})\n",
             OfficialName(a.contracts.front().tariff), o.hotter_pct, 1 + o.hotter_pct / 100);
  fmt::print("  {:>11}  {:>17}  {:>12}  {:>13}  {:>15}  {:>15}  {:>13}  {:>15}\n", "contract kW", "billing demand kW",
             "floor months", "over months", "surcharge, KRW", "year, KRW", "hotter: over", "hotter year, KRW");
  const std::vector<size_t> shown = ContractRowsShown(a);
  const size_t left_out = a.contracts.size() - shown.size();
  for (const size_t i : shown) {
    const PricedContract& p = a.contracts[i];
    const bool mark = p.contract_kw == a.recommended.contract_kw;
    fmt::print("{} {:>11}  {:>17}  {:>12}  {:>13}  {:>15}  {:>15}  {:>13}  {:>15}\n", mark ? ">" : " ",
               WithThousands(p.contract_kw), WithThousands(p.billing_demand_kw), p.floor_months, p.over_contract_months,
               Krw(p.over_contract), Krw(p.total), p.hotter_over_contract_months, Krw(p.hotter_total));
  }
  if (left_out > 0)
    fmt::print("  ({} contract powers that bill as the row above them are left out; --json lists all)\n", left_out);
  const PricedContract& r = a.recommended;
  const Won saving = a.in_force.total - r.total;
  fmt::print(
      "\nRecommended: {} at {} kW: {} KRW a year, {} KRW ({:.1f} %) less than in force; in a summer {} % "
      "hotter {} KRW ({} month(s) over the contract power)\n",
      OfficialName(r.tariff), WithThousands(r.contract_kw), Krw(r.total), Krw(saving),
      a.in_force.total.value() > 0
          ? 100.0 * static_cast<double>(saving.value()) / static_cast<double>(a.in_force.total.value())
          : 0.0,
      o.hotter_pct, Krw(r.hotter_total), r.hotter_over_contract_months);
  fmt::print(
      "  (the smallest contract power with the lowest bill in the hotter summer; a larger contract power "
      "costs nothing on these bills until its 30 % floor bills more than the peak, but a new or larger "
      "connection is charged once by KEPCO (시설부담금), which is not priced here)\n");
  for (const auto& n : a.notes) fmt::print("note: {}\n", n);
}

// What the meter of `o.site` would read over its load year without OpenMEG: the load less the PV
// (exports are not billed), with the site's tariff and contract unless given.
struct SiteMeter {
  PowerSeries grid;
  LoadedSite loaded;  // the site, its tariff book and calendar
  SiteInputs inputs;  // its load year: what battery sizes run on
};

Result<SiteMeter> ReadSiteMeter(const AdviseOptions& o) {
  SiteOptions so;
  so.site = o.site;
  so.tariff_dir = o.tariff_dir;
  so.calendar = o.calendar;
  auto loaded = LoadSiteContext(so);
  if (!loaded) return loaded.error();
  auto inputs = PrepareSiteInputs(loaded->site, loaded->calendar);
  if (!inputs) return inputs.error();
  std::vector<std::optional<Kilowatts>> grid;
  grid.reserve(inputs->load.size());
  for (size_t i = 0; i < inputs->load.size(); ++i) {
    const auto& load = inputs->load.at(i);
    const auto& pv = inputs->pv.at(i);
    grid.emplace_back(load ? std::optional<Kilowatts>(Kilowatts(load->value() - (pv ? pv->value() : 0.0)))
                           : std::nullopt);
  }
  return SiteMeter{PowerSeries(inputs->load.start(), inputs->load.step(), std::move(grid)), std::move(*loaded),
                   std::move(*inputs)};
}

int RunAdvise(const AdviseOptions& o) {
  if (o.usage.empty() == o.site.empty()) {
    return ExitWith(kCommand, InvalidInput("give the meter data with --usage (and --tariff, --contract-kw: the "
                                           "contract in force) or a site file with --site"));
  }
  if (!o.usage.empty() && (o.tariff.empty() || o.contract_kw == 0)) {
    return ExitWith(kCommand, InvalidInput("--usage needs --tariff and --contract-kw (the contract in force)"));
  }
  if (!o.pv_kwp.empty() && o.site.empty()) {
    return ExitWith(kCommand, InvalidInput("--pv-kwp needs --site: the sizes scale the site's PV arrays"));
  }
  if (!o.tes_kwh.empty() && o.site.empty()) {
    return ExitWith(kCommand, InvalidInput("--tes-kwh needs --site: the sizes scale the site's [thermal_storage]"));
  }
  if (!o.battery_kwh.empty() && o.site.empty()) {
    return ExitWith(kCommand, InvalidInput("--battery-kwh needs --site: the sizes are run on the site's year"));
  }
  if (o.size_lp && o.battery_kwh.empty()) {
    return ExitWith(kCommand,
                    InvalidInput("--size-lp needs --battery-kwh: the LP's size is checked against that grid"));
  }
  auto book = LoadTariffBook(o.tariff_dir);
  if (!book) return ExitWith(kCommand, book.error());
  auto calendar = LoadCalendar(o.calendar);
  if (!calendar) return ExitWith(kCommand, calendar.error());
  std::optional<SiteMeter> site_meter;
  if (!o.site.empty()) {
    auto m = ReadSiteMeter(o);
    if (!m) return ExitWith(kCommand, m.error());
    site_meter = std::move(*m);
  }
  TariffId current{};
  if (!o.tariff.empty()) {
    auto tariff = book->FindTariff(o.tariff);
    if (!tariff) return ExitWith(kCommand, tariff.error());
    current = *tariff;
  } else {
    current = site_meter->loaded.tariff;
  }
  const double contract_kw = o.contract_kw != 0 ? o.contract_kw : site_meter->loaded.site.contract_power.value();
  ContractAdviceRequest request;
  request.current = current;
  request.contract_power = Kilowatts(contract_kw);
  for (const auto& v : o.voltages) {
    // A letter stands for its 고압 class; the tariff book reads the names.
    const bool letter = v.size() == 1 && std::string_view("ABCabc").find(v[0]) != std::string_view::npos;
    auto voltage = ParseVoltage(letter ? "고압" + std::string(1, static_cast<char>(std::toupper(v[0]))) : v);
    if (!voltage) {
      return ExitWith(kCommand, InvalidInput(fmt::format("--voltages {}: give A (3.3-66 kV), B (154 kV) or C "
                                                         "(345 kV and above)",
                                                         v)));
    }
    request.voltages.push_back(*voltage);
  }
  request.contract_kw = o.contracts;
  request.step_kw = o.step_kw;
  request.hotter_pct = o.hotter_pct;
  if (o.fuel) {
    auto fuel = WonPerKwh::FromDecimal(*o.fuel);
    if (!fuel) return ExitWith(kCommand, InvalidInput("--fuel-krw-per-kwh: " + fuel.error().message));
    request.fuel_override = *fuel;
  }
  PowerSeries meter;
  if (site_meter) {
    meter = site_meter->grid;
  } else {
    UsageReadOptions read;
    if (contract_kw >= kMinAnyContractKw && contract_kw <= kMaxContractKw) read.contract_power = Kilowatts(contract_kw);
    auto usage = ReadUsageForCommand(kCommand, o.usage, o.format, read);
    if (!usage) return ExitWith(kCommand, usage.error());
    meter = std::move(usage->usage.kw);
  }
  // The last 12 whole months the data covers.
  std::vector<Month> whole;
  for (const Month m : MonthsCovered(meter)) {
    if (CoversWholeMonth(meter, m)) whole.push_back(m);
  }
  if (whole.size() > 12) {
    std::cerr << fmt::format("meg advise: pricing the last 12 of {} whole months ({} to {})\n", whole.size(),
                             FormatMonth(whole[whole.size() - 12]), FormatMonth(whole.back()));
    whole.erase(whole.begin(), whole.end() - 12);
  }
  request.usage = &meter;
  request.months = whole;
  auto advice = AdviseContract(*book, *calendar, request);
  if (!advice) return ExitWith(kCommand, advice.error());
  std::vector<SizedBattery> sizes;
  if (!o.battery_kwh.empty()) {
    const LoadedSite& loaded = site_meter->loaded;
    if (auto st = CheckPlanner(o.sizing_controller, loaded, &site_meter->inputs); !st) {
      return ExitWith(kCommand, st.error());
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto swept = SweepBatterySizes(loaded, site_meter->inputs, o.battery_kwh, o.finance, o.sizing_controller, o.threads,
                                   [](size_t done, size_t total) {
                                     std::cerr << fmt::format("meg advise: battery sizes {} of {} done\n", done, total);
                                   });
    if (!swept) return ExitWith(kCommand, swept.error());
    std::cerr << fmt::format("meg advise: {} battery sizes in {:.1f} s on {} threads\n", o.battery_kwh.size(),
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), o.threads);
    sizes = std::move(*swept);
  }
  std::vector<SizedPv> pv_sizes;
  if (!o.pv_kwp.empty()) {
    PvFinance pf = o.pv_finance;
    pf.discount_pct = o.finance.discount_pct;
    auto swept = SweepPvSizes(site_meter->loaded, site_meter->inputs, o.pv_kwp, pf);
    if (!swept) return ExitWith(kCommand, swept.error());
    pv_sizes = std::move(*swept);
  }
  std::vector<SizedThermal> tes_sizes;
  if (!o.tes_kwh.empty()) {
    const LoadedSite& loaded = site_meter->loaded;
    if (auto st = CheckPlanner(o.sizing_controller, loaded, &site_meter->inputs); !st) {
      return ExitWith(kCommand, st.error());
    }
    ThermalFinance tf = o.tes_finance;
    tf.discount_pct = o.finance.discount_pct;
    const auto t0 = std::chrono::steady_clock::now();
    auto swept = SweepThermalSizes(loaded, site_meter->inputs, o.tes_kwh, tf, o.sizing_controller, o.threads,
                                   [](size_t done, size_t total) {
                                     std::cerr
                                         << fmt::format("meg advise: cold-store sizes {} of {} done\n", done, total);
                                   });
    if (!swept) return ExitWith(kCommand, swept.error());
    std::cerr << fmt::format("meg advise: {} cold-store sizes in {:.1f} s on {} threads\n", o.tes_kwh.size(),
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), o.threads);
    tes_sizes = std::move(*swept);
  }
  std::optional<LpCheck> lp_check;
  const double period_years = site_meter ? PeriodYears(site_meter->inputs) : 1.0;
  if (o.size_lp) {
    double largest = 0;
    for (const double k : o.battery_kwh) largest = std::max(largest, k);
    std::cerr << "meg advise: sizing the battery in one LP over the period (up to " << largest << " kWh)\n";
    auto lp = SizeBatteryByLp(site_meter->loaded, site_meter->inputs, o.finance, largest);
    if (!lp) return ExitWith(kCommand, lp.error());
    lp_check = CheckAgainstGrid(*lp, sizes, o.finance, period_years);
  }
  if (!o.html.empty()) {
    auto st = WriteTextFile(o.html, RenderAdviceHtml(*advice, meter, o.site.empty() ? o.usage : o.site, o.hotter_pct,
                                                     AdviceSizes{sizes, pv_sizes, tes_sizes}));
    if (!st) return ExitWith(kCommand, st.error());
    std::cerr << "meg advise: wrote " << o.html << "\n";
  }
  nlohmann::json j;
  if (o.json || !o.xlsx.empty()) {
    j["usage"] = o.site.empty() ? o.usage : o.site;
    std::vector<std::string> months;
    for (const Month m : advice->months) months.push_back(FormatMonth(m));
    j["months"] = months;
    j["max_demand_kw"] = advice->max_demand_kw;
    j["counted_peak_kw"] = advice->counted_peak_kw;
    j["hotter_pct"] = o.hotter_pct;
    j["hotter_max_demand_kw"] = advice->hotter_max_demand_kw;
    j["in_force"] = PricedJson(advice->in_force);
    j["tariffs"] = nlohmann::json::array();
    for (const auto& p : advice->tariffs) j["tariffs"].push_back(PricedJson(p));
    j["contracts"] = nlohmann::json::array();
    for (const auto& p : advice->contracts) j["contracts"].push_back(PricedJson(p));
    j["recommended"] = PricedJson(advice->recommended);
    j["saving_krw"] = (advice->in_force.total - advice->recommended.total).value();
    j["notes"] = advice->notes;
    if (!sizes.empty()) j["battery"] = SizesJson(sizes, o);
    if (!pv_sizes.empty()) {
      PvFinance pf = o.pv_finance;
      pf.discount_pct = o.finance.discount_pct;
      j["pv"] = PvSizesJson(pv_sizes, pf);
    }
    if (!tes_sizes.empty()) j["thermal_storage"] = ThermalSizesJson(tes_sizes, o);
    if (lp_check) {
      j["battery_lp"] = {{"usable_kwh", lp_check->lp.usable_kwh},
                         {"power_kw", lp_check->lp.power_kw},
                         {"objective_krw", lp_check->lp.objective_krw},
                         {"seconds", lp_check->lp.seconds},
                         {"period_years", period_years},
                         {"grid_best_kwh", lp_check->best ? lp_check->best->usable_kwh : 0.0},
                         {"grid_best_net_krw", lp_check->best_net_krw},
                         {"grid_step_kwh", lp_check->step_kwh},
                         {"within_step", lp_check->within_step}};
    }
  }
  if (!o.xlsx.empty()) {
    std::vector<XlsxTable> tables = {TableFromJsonRows("요금제 tariffs", j["tariffs"]),
                                     TableFromJsonRows("계약전력 contract powers", j["contracts"])};
    for (const auto& [key, sheet] : {std::pair{"battery", "배터리 battery sizes"}, std::pair{"pv", "태양광 PV sizes"},
                                     std::pair{"thermal_storage", "축냉 cold store sizes"}}) {
      if (!j.contains(key)) continue;
      const auto& priced = j[key];
      tables.push_back(
          TableFromJsonRows(sheet, priced.is_object() && priced.contains("sizes") ? priced["sizes"] : priced));
    }
    auto st = WriteXlsx(o.xlsx, tables);
    if (!st) return ExitWith(kCommand, st.error());
    std::cerr << "meg advise: wrote " << o.xlsx << "\n";
  }
  if (o.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  PrintText(*advice, o);
  if (!sizes.empty()) PrintSizes(sizes, o);
  if (!pv_sizes.empty()) {
    PvFinance pf = o.pv_finance;
    pf.discount_pct = o.finance.discount_pct;
    PrintPvSizes(pv_sizes, pf);
  }
  if (!tes_sizes.empty()) PrintThermalSizes(tes_sizes, o);
  if (lp_check) PrintLpCheck(*lp_check, period_years);
  return 0;
}

}  // namespace

void AddAdviseCommand(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<AdviseOptions>();
  CLI::App* cmd = app.add_subcommand(
      "advise", "Which tariff option and contract power would have minimised a year's bill, priced by the bill engine");
  cmd->add_option("--usage", opts->usage,
                  "12 months or more of 15-minute usage: OpenMEG's CSV or a meter download (as meg bill reads)");
  AddUsageFormatOptions(cmd, opts->format);
  cmd->add_option("--site", opts->site,
                  "or a site file: its load year's load less its PV, with its tariff and contract unless given");
  cmd->add_option("--tariff", opts->tariff, "the tariff in force, e.g. \"일반용(을) 고압A 선택II\"");
  cmd->add_option("--contract-kw", opts->contract_kw, "the contract power in force (계약전력), kW");
  cmd->add_option(
         "--voltages", opts->voltages,
         "supply voltages the site may take: A (3.3-66 kV), B (154 kV), C (345 kV+); default: the one in force")
      ->delimiter(',');
  cmd->add_option("--contracts", opts->contracts,
                  "contract powers to price, kW (default: 80-130 % of the year's highest demand in --step-kw steps)")
      ->delimiter(',');
  cmd->add_option("--step-kw", opts->step_kw, "step of the default contract powers, kW")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--hotter-pct", opts->hotter_pct, "the hotter summer: June-September demand higher by this %")
      ->check(CLI::Range(0.0, 50.0))
      ->capture_default_str();
  cmd->add_option("--fuel-krw-per-kwh", opts->fuel, "fuel-cost adjustment to use for every month, KRW/kWh (within ±5)");
  cmd->add_option("--battery-kwh", opts->battery_kwh,
                  "with --site: battery sizes to price, usable kWh (the site's [ess] scaled), e.g. 250,500,1000")
      ->delimiter(',');
  cmd->add_option("--battery-hours", opts->finance.energy_to_power_h, "usable kWh per kW of the sizes")
      ->capture_default_str();
  cmd->add_option("--capex-krw-per-kwh", opts->finance.capex_krw_per_kwh,
                  "installed cost per usable kWh, KRW (default: NREL's, US 2024; put your quote in)")
      ->capture_default_str();
  cmd->add_option("--capex-krw-per-kw", opts->finance.capex_krw_per_kw, "installed cost per kW of power, KRW")
      ->capture_default_str();
  cmd->add_option("--capex-krw-fixed", opts->finance.capex_krw_fixed,
                  "a battery project's cost that does not scale with its size, KRW")
      ->capture_default_str();
  cmd->add_option("--om-pct", opts->finance.om_pct_per_year, "operation and maintenance, % of the capex a year")
      ->capture_default_str();
  cmd->add_option("--life-years", opts->finance.life_years, "calendar life, years")->capture_default_str();
  cmd->add_option("--cycle-life", opts->finance.cycle_life, "equivalent full cycles the battery lasts")
      ->capture_default_str();
  cmd->add_option("--discount-pct", opts->finance.discount_pct, "discount rate, % a year")->capture_default_str();
  cmd->add_option(
         "--sizing-controller", opts->sizing_controller,
         "planner run on each size: oracle (the upper bound) or mpc (the expected case, about a minute a size)")
      ->check(CLI::IsMember({"oracle", "mpc"}))
      ->capture_default_str();
  cmd->add_option("--pv-kwp", opts->pv_kwp,
                  "with --site: PV sizes to price, kWp DC (the site's [[pv]] arrays and inverters scaled), e.g. "
                  "100,300,600")
      ->delimiter(',');
  cmd->add_option("--pv-capex-krw-per-kwp", opts->pv_finance.capex_krw_per_kwp,
                  "installed PV cost per kWp DC, KRW (default: NREL's, US 2024; put your quote in)")
      ->capture_default_str();
  cmd->add_option("--pv-om-pct", opts->pv_finance.om_pct_per_year, "PV operation and maintenance, % of capex a year")
      ->capture_default_str();
  cmd->add_option("--pv-life-years", opts->pv_finance.life_years,
                  "PV life, years (20: the term of KPX's long-term fixed-price PV contracts)")
      ->capture_default_str();
  cmd->add_option("--tes-kwh", opts->tes_kwh,
                  "with --site: cold-store sizes to price, kWh of cooling (the site's [thermal_storage] scaled, its "
                  "ratings in the same hours), e.g. 2000,4000,8000")
      ->delimiter(',');
  cmd->add_option("--tes-capex-krw-per-kwh", opts->tes_finance.capex_krw_per_kwh_th,
                  "installed cold-store cost per kWh of cooling, KRW (default for chilled water: NREL's tank, "
                  "66,809; ice: required)");
  cmd->add_option("--tes-om-pct", opts->tes_finance.om_pct_per_year, "cold-store O&M, % of capex a year")
      ->capture_default_str();
  cmd->add_option("--tes-life-years", opts->tes_finance.life_years, "cold-store life, years (assumed)")
      ->capture_default_str();
  cmd->add_flag("--size-lp", opts->size_lp,
                "with --battery-kwh: also size the battery as a variable of one LP over the year (up to the largest "
                "size) and check the grid's best against it");
  cmd->add_option("--threads", opts->threads, "sizes run at once")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_flag("--json", opts->json, "print JSON instead of text");
  cmd->add_option("--xlsx", opts->xlsx,
                  "also write an Excel workbook: the tariffs, the contract powers and the sizes priced, as --json");
  cmd->add_option("--html", opts->html,
                  "also write the report (options, bill against contract power, bills by "
                  "line, load duration curve) to this HTML file");
  cmd->add_option("--tariff-dir", opts->tariff_dir, "tariff tables directory")->capture_default_str();
  cmd->add_option("--calendar", opts->calendar, "holiday calendar CSV")->capture_default_str();
  cmd->callback([opts, exit_code] { *exit_code = RunAdvise(*opts); });
}

}  // namespace meg
