#include "app/report/bill_report.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "core/text.h"

namespace meg {
namespace {

std::string Krw(Won w) { return WithThousands(w.value()) + " KRW"; }

std::string Rate(std::int64_t milli) {
  // One decimal as the tariff tables print them; more only where the value has them.
  if (milli % 100 == 0) return fmt::format("{:.1f}", static_cast<double>(milli) / 1000.0);
  return fmt::format("{:.3f}", static_cast<double>(milli) / 1000.0);
}

std::string BillLine(std::string_view label, std::string_view detail, Won amount) {
  return fmt::format("  {}{}{:>18}\n", PadToWidth(label, 34), PadToWidth(detail, 44), Krw(amount));
}

std::string KstMinute(Timestamp t) {
  const auto k = ToKst(t);
  return fmt::format("{} {:02d}:{:02d}", FormatDate(k.date), k.minute_of_day / 60, k.minute_of_day % 60);
}

// The last day of the bill's period (its end is the next reading day).
std::string PeriodLast(const MonthlyBill& b) {
  return FormatDate(Date{std::chrono::sys_days{b.period_end} - std::chrono::days{1}});
}

bool IsResidential(const MonthlyBill& b) { return RulesOf(b.tariff.tariff_class).blocks; }

// A 주택용 block's label: "처음 200 kWh", "201-400 kWh", "400 kWh 초과", "슈퍼유저 1,000 kWh 초과", per
// household where there are several.
std::string BlockLabel(const EnergyLine& e, int households) {
  const std::string per = households > 1 ? "/호" : "";
  if (e.block == 4) return fmt::format("    슈퍼유저 over {} kWh{}", WithThousands(e.block_from_kwh), per);
  if (e.block_upto_kwh == 0 || e.block == 3)
    return fmt::format("    over {} kWh{}", WithThousands(e.block_from_kwh), per);
  if (e.block_from_kwh == 0) return fmt::format("    처음 first {} kWh{}", WithThousands(e.block_upto_kwh), per);
  return fmt::format("    {}-{} kWh{}", WithThousands(e.block_from_kwh + 1), WithThousands(e.block_upto_kwh), per);
}

std::string DemandSource(const MonthlyBill& b) {
  if (b.contract_power_billed) return "the contract power: 저압, no demand meter (art. 68 ②)";
  if (b.floor_applied) return fmt::format("30 % of contract power {} kW (art. 68 ①)", WithThousands(b.contract_kw));
  if (b.billing_demand_month == b.month && b.peak_at) {
    return fmt::format("set by this month's peak, {} KST", KstMinute(*b.peak_at));
  }
  return fmt::format("set by the {} peak (12-month ratchet, art. 68 ①)", FormatMonth(*b.billing_demand_month));
}

std::string DiscountText(std::int32_t milli_pct) { return milli_pct == 0 ? "" : fmt::format(" -{}%", Rate(milli_pct)); }

}  // namespace

std::string RenderBillText(const MonthlyBill& b) {
  std::string out;
  const bool calendar_month = b.period_first.day() == std::chrono::day{1};
  out += fmt::format("{}{} · {} · contract power {} kW · {} of {} days\n", FormatMonth(b.month),
                     calendar_month ? std::string()
                                    : fmt::format(" ({}..{}, read on the {})", FormatDate(b.period_first),
                                                  PeriodLast(b), static_cast<unsigned>(b.period_end.day())),
                     OfficialName(b.tariff), WithThousands(b.contract_kw), b.days_billed, b.days_in_month);
  const bool residential = IsResidential(b);
  if (residential) {
    out += fmt::format("  {}{}\n", PadToWidth("주택용 residential", 34),
                       fmt::format("{} household(s); basic charge per household by the month's kWh, no 요금적용전력",
                                   WithThousands(b.households)));
  } else {
    out += fmt::format("  {}{} kW  {}\n", PadToWidth("요금적용전력 billing demand", 34),
                       WithThousands(b.billing_demand_kw), DemandSource(b));
  }
  if (b.energy_lines.empty() || !b.energy_lines.front().all_hours) {
    out += fmt::format("  {}{} kW in 중간/최대부하, {} kW in any band\n", PadToWidth("최대수요전력 peak demand", 34),
                       WithThousands(b.peak_kw), WithThousands(b.max_demand_kw));
  } else {
    out += fmt::format("  {}{} kW\n", PadToWidth("최대수요전력 peak demand", 34), WithThousands(b.max_demand_kw));
  }
  out += BillLine("기본요금 basic charge",
                  residential ? fmt::format("{} × {} KRW per household", WithThousands(b.households),
                                            WithThousands(b.basic_per_household.value()))
                              : fmt::format("{} kW × {} KRW/kW", WithThousands(b.billing_demand_kw),
                                            WithThousands(b.basic_rate.milli_won() / 1000)),
                  b.basic);
  if (b.pf_lag_pct) {
    out += BillLine("역률요금 power factor",
                    fmt::format("lag {} % / lead {} % → {:+.1f} % of basic", *b.pf_lag_pct, *b.pf_lead_pct,
                                b.pf_adjustment_pct.value()),
                    b.pf_adjustment);
  }
  out += BillLine("전력량요금 energy charge", fmt::format("{} kWh", WithThousands(b.energy_kwh)), b.energy);
  for (const auto& e : b.energy_lines) {
    std::string label = e.block != 0  ? BlockLabel(e, b.households)
                        : e.all_hours ? std::string("    전 시간대 all hours")
                                      : fmt::format("    {} {}", BandNameKo(e.band), BandName(e.band));
    std::string detail = fmt::format("{} kWh × {} KRW/kWh{}", WithThousands(e.kwh), Rate(e.rate.milli_won()),
                                     DiscountText(e.discount_milli_pct));
    if (b.energy_lines.size() > 3 && e.block == 0) detail += fmt::format(" (rates of {})", FormatDate(e.rates_from));
    out += fmt::format("  {}{}{:>18}\n", PadToWidth(label, 34), PadToWidth(detail, 44),
                       fmt::format("({})", WithThousands(e.amount.TruncateToWon().value())));
  }
  out += BillLine("기후환경요금 climate charge",
                  fmt::format("{} kWh × {} KRW/kWh", WithThousands(b.energy_kwh), Rate(b.climate_rate.milli_won())),
                  b.climate);
  out +=
      BillLine("연료비조정요금 fuel adjustment",
               fmt::format("{} kWh × {} KRW/kWh", WithThousands(b.energy_kwh), Rate(b.fuel_rate.milli_won())), b.fuel);
  if (b.over_contract.value() != 0 && b.contract_power_billed) {
    out += BillLine("초과사용부가금 over-contract",
                    fmt::format("{} kWh beyond 450 kWh/kW, {} %", WithThousands(b.over_energy_kwh),
                                b.over_contract_multiplier_pct),
                    b.over_contract);
  } else if (b.over_contract.value() != 0) {
    out += BillLine("초과사용부가금 over-contract",
                    fmt::format("{} kW × {} KRW/kW × {} %", WithThousands(b.max_demand_kw - b.contract_kw),
                                WithThousands(b.basic_rate.milli_won() / 1000), b.over_contract_multiplier_pct),
                    b.over_contract);
  }
  out += BillLine("전기요금계 electricity charge", "", b.subtotal);
  out += BillLine("부가가치세 VAT", fmt::format("{} %", Rate(b.vat_pct.milli_percent())), b.vat);
  out += BillLine("전력산업기반기금 power fund", fmt::format("{} %", Rate(b.fund_pct.milli_percent())), b.fund);
  out += BillLine("청구금액 total billed", "", b.total);
  for (const auto& n : b.notes) out += "  note: " + n + "\n";
  return out;
}

std::string RenderSummaryText(const std::vector<MonthlyBill>& bills) {
  std::string out;
  out += fmt::format("{:<8} {:>12} {:>12} {:>14} {:>14} {:>12} {:>12} {:>15}\n", "month", "billing kW", "energy kWh",
                     "basic KRW", "energy KRW", "VAT KRW", "fund KRW", "total KRW");
  std::int64_t kwh = 0, basic = 0, energy = 0, vat = 0, fund = 0, total = 0;
  for (const auto& b : bills) {
    out += fmt::format("{:<8} {:>12} {:>12} {:>14} {:>14} {:>12} {:>12} {:>15}\n", FormatMonth(b.month),
                       WithThousands(b.billing_demand_kw), WithThousands(b.energy_kwh), WithThousands(b.basic.value()),
                       WithThousands(b.energy.value()), WithThousands(b.vat.value()), WithThousands(b.fund.value()),
                       WithThousands(b.total.value()));
    kwh += b.energy_kwh;
    basic += b.basic.value();
    energy += b.energy.value();
    vat += b.vat.value();
    fund += b.fund.value();
    total += b.total.value();
  }
  out += fmt::format("{:<8} {:>12} {:>12} {:>14} {:>14} {:>12} {:>12} {:>15}\n", "total", "", WithThousands(kwh),
                     WithThousands(basic), WithThousands(energy), WithThousands(vat), WithThousands(fund),
                     WithThousands(total));
  return out;
}

nlohmann::json BillJson(const MonthlyBill& b) {
  using nlohmann::json;
  json lines = json::array();
  auto add = [&](const char* key, const char* ko, const char* en, Won amount) {
    lines.push_back({{"key", key}, {"label_ko", ko}, {"label_en", en}, {"amount_krw", amount.value()}});
  };
  add("basic", "기본요금", "basic charge", b.basic);
  if (b.pf_lag_pct) add("power_factor", "역률요금", "power-factor adjustment", b.pf_adjustment);
  add("energy", "전력량요금", "energy charge", b.energy);
  add("climate", "기후환경요금", "climate and environment charge", b.climate);
  add("fuel", "연료비조정요금", "fuel-cost adjustment", b.fuel);
  if (b.over_contract.value() != 0) add("over_contract", "초과사용부가금", "over-contract surcharge", b.over_contract);
  add("subtotal", "전기요금계", "electricity charge", b.subtotal);
  add("vat", "부가가치세", "VAT", b.vat);
  add("fund", "전력산업기반기금", "electric power industry fund", b.fund);
  add("total", "청구금액", "total billed", b.total);
  json registers = json::array();
  for (const auto& e : b.energy_lines) {
    json reg = {{"band", e.block != 0  ? std::string("block")
                         : e.all_hours ? std::string("all-hours")
                                       : std::string(BandName(e.band))},
                {"band_ko", e.block != 0  ? std::string("누진 단계")
                            : e.all_hours ? std::string("전 시간대")
                                          : std::string(BandNameKo(e.band))},
                {"rates_effective_from", FormatDate(e.rates_from)},
                {"energy_kwh", e.kwh},
                {"rate_krw_per_kwh", e.rate.won()},
                {"discount_pct", static_cast<double>(e.discount_milli_pct) / 1000.0},
                {"amount_krw", e.amount.TruncateToWon().value()}};
    if (e.block != 0) {
      // 주택용: the block (4: 슈퍼유저요금) and its kWh per household, (from, upto]; null: no limit.
      reg["block"] = e.block;
      reg["block_from_kwh_per_household"] = e.block_from_kwh;
      reg["block_upto_kwh_per_household"] = e.block_upto_kwh == 0 ? json(nullptr) : json(e.block_upto_kwh);
    }
    registers.push_back(reg);
  }
  json j = {{"month", FormatMonth(b.month)},
            {"period_first", FormatDate(b.period_first)},
            {"period_last", PeriodLast(b)},
            {"tariff", OfficialName(b.tariff)},
            {"tariff_alias", AsciiAlias(b.tariff)},
            {"contract_kw", b.contract_kw},
            {"days_billed", b.days_billed},
            {"days_in_month", b.days_in_month},
            {"billing_demand_kw", b.billing_demand_kw},
            {"billing_demand_month",
             b.billing_demand_month ? json(FormatMonth(*b.billing_demand_month)) : json(nullptr)},
            {"billing_demand_floor_applied", b.floor_applied},
            {"billing_demand_is_contract_power", b.contract_power_billed},
            {"peak_kw", b.peak_kw},
            {"peak_at", b.peak_at ? json(FormatKst(*b.peak_at)) : json(nullptr)},
            {"max_demand_kw", b.max_demand_kw},
            {"energy_kwh", b.energy_kwh},
            {"basic_rate_krw_per_kw", b.basic_rate.won()},
            {"climate_rate_krw_per_kwh", b.climate_rate.won()},
            {"fuel_rate_krw_per_kwh", b.fuel_rate.won()},
            {"vat_pct", b.vat_pct.value()},
            {"fund_pct", b.fund_pct.value()},
            {"lines", lines},
            {"energy_registers", registers},
            {"notes", b.notes}};
  if (IsResidential(b)) {
    j["households"] = b.households;
    j["basic_krw_per_household"] = b.basic_per_household.value();
  }
  if (b.pf_lag_pct) {
    j["power_factor_lag_pct"] = *b.pf_lag_pct;
    j["power_factor_lead_pct"] = *b.pf_lead_pct;
    j["power_factor_adjustment_pct"] = b.pf_adjustment_pct.value();
  }
  return j;
}

nlohmann::json BillsJson(const std::vector<MonthlyBill>& bills) {
  nlohmann::json months = nlohmann::json::array();
  std::int64_t total = 0, kwh = 0;
  for (const auto& b : bills) {
    months.push_back(BillJson(b));
    total += b.total.value();
    kwh += b.energy_kwh;
  }
  return {{"months", months}, {"total_krw", total}, {"energy_kwh", kwh}};
}

std::vector<XlsxTable> BillTables(const std::vector<MonthlyBill>& bills, const PowerSeries* usage) {
  const nlohmann::json j = BillsJson(bills);
  // The bill lines in the order they first appear (역률요금 and 초과사용부가금 only in some months).
  std::vector<std::pair<std::string, std::string>> keys;  // key, header
  for (const auto& m : j["months"]) {
    for (const auto& l : m["lines"]) {
      const auto key = l["key"].get<std::string>();
      if (std::none_of(keys.begin(), keys.end(), [&](const auto& k) { return k.first == key; })) {
        keys.emplace_back(key, fmt::format("{} {} (KRW)", l["label_ko"].get<std::string>(),
                                           l["label_en"].get<std::string>()));
      }
    }
  }
  XlsxTable months;
  months.sheet = "월별 요금 bills";
  months.total_row = true;
  months.columns = {{"월 month"},
                    {"기간 period", false, 24},
                    {"요금제 tariff", false, 28},
                    {"계약전력 contract power (kW)"},
                    {"요금적용전력 billing demand (kW)"},
                    {"최대수요전력 peak demand (kW)"},
                    {"사용량 energy (kWh)", true}};
  for (const auto& [key, header] : keys) months.columns.push_back({header, true, 18, "#,##0"});
  for (const auto& m : j["months"]) {
    std::vector<XlsxValue> row;
    row.emplace_back(m["month"].get<std::string>());
    row.emplace_back(
        fmt::format("{} .. {}", m["period_first"].get<std::string>(), m["period_last"].get<std::string>()));
    row.emplace_back(m["tariff"].get<std::string>());
    for (const char* k : {"contract_kw", "billing_demand_kw", "peak_kw", "energy_kwh"})
      row.emplace_back(m[k].get<double>());
    for (const auto& [key, header] : keys) {
      std::optional<double> amount;
      for (const auto& l : m["lines"]) {
        if (l["key"] == key) amount = l["amount_krw"].get<double>();
      }
      if (amount) {
        row.emplace_back(*amount);
      } else {
        row.emplace_back(std::monostate{});
      }
    }
    months.rows.push_back(std::move(row));
  }
  XlsxTable registers;
  registers.sheet = "전력량 energy registers";
  registers.total_row = true;
  registers.columns = {{"월 month"},
                       {"구분 band", false, 20},
                       {"요금표 rates from", false, 16},
                       {"사용량 energy (kWh)", true},
                       {"단가 rate (KRW/kWh)", false, 14, "#,##0.0#"},
                       {"금액 amount (KRW)", true, 16, "#,##0"}};
  for (const auto& m : j["months"]) {
    for (const auto& r : m["energy_registers"]) {
      std::vector<XlsxValue> row;
      row.emplace_back(m["month"].get<std::string>());
      row.emplace_back(fmt::format("{} {}", r["band_ko"].get<std::string>(), r["band"].get<std::string>()));
      row.emplace_back(r["rates_effective_from"].get<std::string>());
      for (const char* k : {"energy_kwh", "rate_krw_per_kwh", "amount_krw"}) row.emplace_back(r[k].get<double>());
      registers.rows.push_back(std::move(row));
    }
  }
  std::vector<XlsxTable> out = {std::move(months), std::move(registers)};
  if (usage != nullptr) {
    XlsxTable series;
    series.sheet = "15분 사용량 usage";
    series.columns = {{"시작 interval start (KST)", false, 18}, {"평균전력 mean demand (kW)"}};
    series.rows.reserve(usage->size());
    for (size_t i = 0; i < usage->size(); ++i) {
      std::vector<XlsxValue> row;
      row.emplace_back(usage->TimeAt(i));
      if (usage->at(i)) row.emplace_back(usage->at(i)->value());
      series.rows.push_back(std::move(row));
    }
    out.push_back(std::move(series));
  }
  return out;
}

}  // namespace meg
