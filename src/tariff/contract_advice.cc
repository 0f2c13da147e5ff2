#include "tariff/contract_advice.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/site.h"

namespace meg {
namespace {

struct PricedYear {
  std::vector<MonthlyBill> bills;
  Won total, basic, energy, over_contract;
  std::int64_t billing_demand_kw = 0, max_demand_kw = 0, counted_peak_kw = 0;
  int floor_months = 0, over_contract_months = 0;
};

// The year's bills in their steady state: priced once from an empty history, then again with
// that year's month demands moved a year back as the history (the year before taken alike).
Result<PricedYear> PriceYear(const TariffBook& book, const HolidayCalendar& calendar, const BillRequest& request,
                             const std::vector<Month>& months) {
  DemandHistory first;
  auto cold = BillMonths(book, calendar, request, months, first);
  if (!cold) return cold.error();
  DemandHistory before;
  for (const MonthlyBill& b : *cold) {
    const MonthDemand* d = first.Find(b.month);
    if (d == nullptr) continue;
    MonthDemand shifted = *d;
    shifted.month = b.month - std::chrono::years{1};
    before.Record(shifted);
  }
  auto bills = BillMonths(book, calendar, request, months, before);
  if (!bills) return bills.error();
  PricedYear y;
  for (const MonthlyBill& b : *bills) {
    y.total += b.total;
    y.basic += b.basic;
    y.energy += b.energy + b.climate + b.fuel;
    y.over_contract += b.over_contract;
    y.billing_demand_kw = std::max(y.billing_demand_kw, b.billing_demand_kw);
    y.max_demand_kw = std::max(y.max_demand_kw, b.max_demand_kw);
    y.counted_peak_kw = std::max(y.counted_peak_kw, b.peak_kw);
    if (b.floor_applied) ++y.floor_months;
    if (b.max_demand_kw > b.contract_kw) ++y.over_contract_months;
  }
  y.bills = std::move(*bills);
  return y;
}

bool Cheaper(const PricedContract& a, const PricedContract& b) {
  return a.total != b.total ? a.total < b.total : a.tariff < b.tariff;
}

}  // namespace

Result<ContractAdvice> AdviseContract(const TariffBook& book, const HolidayCalendar& calendar,
                                      const ContractAdviceRequest& request) {
  if (request.usage == nullptr || request.usage->size() == 0) return InvalidInput("advise: no usage");
  if (RulesOf(request.current.tariff_class).blocks) {
    return Error{ErrorCode::kUnsupported,
                 fmt::format("advise: {} has no charge on contract power (its basic charge is per household, by the "
                             "month's kWh) and no other option: nothing to advise",
                             OfficialName(request.current))};
  }
  if (request.months.size() < 12) {
    return InvalidInput(
        fmt::format("advise: {} whole month(s) of usage; a contract is judged on a year: "
                    "12 whole months or more are needed",
                    request.months.size()));
  }
  if (!(request.hotter_pct >= 0 && request.hotter_pct <= 50)) {
    return InvalidInput(fmt::format("advise: a hotter summer of {} %: give 0 to 50 %", request.hotter_pct));
  }
  if (request.step_kw < 1) return InvalidInput("advise: the contract power step must be 1 kW or more");
  const PowerSeries& usage = *request.usage;
  for (const Month m : request.months) {
    if (!CoversWholeMonth(usage, m)) {
      return InvalidInput(fmt::format("advise: the usage does not cover {} whole", FormatMonth(m)));
    }
  }
  // The hotter summer's usage: June-September x (1 + hotter_pct / 100), imports only.
  std::vector<std::optional<Kilowatts>> hot_values;
  hot_values.reserve(usage.size());
  const double factor = 1.0 + request.hotter_pct / 100.0;
  for (size_t i = 0; i < usage.size(); ++i) {
    const auto& v = usage.at(i);
    if (!v) {
      hot_values.emplace_back(std::nullopt);
      continue;
    }
    const unsigned month = static_cast<unsigned>(KstMonthOf(usage.TimeAt(i)).month());
    const bool summer = month >= 6 && month <= 9;
    hot_values.emplace_back(Kilowatts(summer && v->value() > 0 ? v->value() * factor : v->value()));
  }
  const PowerSeries hotter(usage.start(), usage.step(), std::move(hot_values));

  const auto bill_request = [&](TariffId id, std::int64_t contract_kw) {
    BillRequest r;
    r.tariff = id;
    r.contract_power = Kilowatts(static_cast<double>(contract_kw));
    r.usage = &usage;
    r.fuel_override = request.fuel_override;
    return r;
  };
  // The year's demand as billed (rounded): the same under every alternative.
  std::int64_t max_demand_kw = 0, counted_peak_kw = 0, hotter_max_demand_kw = 0;
  const auto price = [&](TariffId id, std::int64_t contract_kw) -> Result<PricedContract> {
    BillRequest r = bill_request(id, contract_kw);
    auto year = PriceYear(book, calendar, r, request.months);
    if (!year) return year.error();
    r.usage = &hotter;
    auto hot = PriceYear(book, calendar, r, request.months);
    if (!hot) return hot.error();
    max_demand_kw = year->max_demand_kw;
    counted_peak_kw = year->counted_peak_kw;
    hotter_max_demand_kw = hot->max_demand_kw;
    PricedContract p;
    p.tariff = id;
    p.contract_kw = contract_kw;
    p.total = year->total;
    p.basic = year->basic;
    p.energy = year->energy;
    p.over_contract = year->over_contract;
    p.billing_demand_kw = year->billing_demand_kw;
    p.floor_months = year->floor_months;
    p.over_contract_months = year->over_contract_months;
    p.hotter_total = hot->total;
    p.hotter_over_contract = hot->over_contract;
    p.hotter_over_contract_months = hot->over_contract_months;
    return p;
  };

  const double in_force_kw = request.contract_power.value();
  const KwRange in_force_range = ContractKwRange(request.current);
  if (!in_force_range.Holds(in_force_kw) || in_force_kw != std::floor(in_force_kw)) {
    return InvalidInput(fmt::format("advise: contract power {} kW: {} {} takes whole kW {}", in_force_kw,
                                    ClassName(request.current.tariff_class), VoltageName(request.current.voltage),
                                    in_force_range.Text()));
  }
  const auto contract_in_force = static_cast<std::int64_t>(in_force_kw);
  ContractAdvice advice;
  advice.months = request.months;
  auto in_force = price(request.current, contract_in_force);
  if (!in_force) return in_force.error();
  advice.in_force = *in_force;
  advice.max_demand_kw = max_demand_kw;
  advice.counted_peak_kw = counted_peak_kw;
  advice.hotter_max_demand_kw = hotter_max_demand_kw;

  // Tariffs: the class in force, the voltages allowed, every option with rates.
  std::vector<Voltage> voltages = request.voltages;
  if (voltages.empty()) voltages.push_back(request.current.voltage);
  for (TariffId id : book.Tariffs()) {
    id.region = request.current.region;  // Jeju's hours for a site on Jeju (별표3 다만 4)
    if (id.tariff_class != request.current.tariff_class) continue;
    if (std::find(voltages.begin(), voltages.end(), id.voltage) == voltages.end()) continue;
    auto p = price(id, contract_in_force);
    if (!p) {
      advice.notes.push_back(fmt::format("{} not priced: {}", OfficialName(id), p.error().message));
      continue;
    }
    advice.tariffs.push_back(*p);
  }
  if (advice.tariffs.empty()) return InvalidInput("advise: no eligible tariff could be priced on this usage");
  std::sort(advice.tariffs.begin(), advice.tariffs.end(), Cheaper);
  const TariffId best_tariff = advice.tariffs.front().tariff;

  // Contract powers, with the cheapest tariff.
  std::set<std::int64_t> candidates(request.contract_kw.begin(), request.contract_kw.end());
  if (candidates.empty()) {
    const auto peak = static_cast<double>(std::max(advice.max_demand_kw, advice.hotter_max_demand_kw));
    const auto low = static_cast<std::int64_t>(std::floor(0.8 * static_cast<double>(advice.max_demand_kw) /
                                                          static_cast<double>(request.step_kw))) *
                     request.step_kw;
    const auto high =
        static_cast<std::int64_t>(std::ceil(1.3 * peak / static_cast<double>(request.step_kw))) * request.step_kw;
    for (std::int64_t kw = low; kw <= high; kw += request.step_kw) candidates.insert(kw);
    candidates.insert(contract_in_force);
  }
  // The contract powers the class takes (art. 57 ②③, 58 ①②, 59 ②③): a class's bounds are a
  // limit of this advice, which prices one class; meg bill --compare ranks the classes.
  const KwRange range = ContractKwRange(best_tariff);
  for (const std::int64_t kw : candidates) {
    if (!range.Holds(static_cast<double>(kw))) continue;
    auto p = price(best_tariff, kw);
    if (!p) return p.error();
    advice.contracts.push_back(*p);
  }
  if (advice.contracts.empty()) {
    return InvalidInput(
        fmt::format("advise: no contract power to price {} ({})", range.Text(), ClassName(best_tariff.tariff_class)));
  }
  if (RulesOf(best_tariff.tariff_class).min_kw >= kMinContractKw &&
      advice.max_demand_kw < static_cast<std::int64_t>(kMinContractKw)) {
    advice.notes.push_back(
        fmt::format("the year's highest demand, {} kW, is below the {} kW a (을) contract needs: "
                    "a (갑) class may suit the site (meg bill --compare prices them)",
                    advice.max_demand_kw, kMinContractKw));
  }
  // The smallest contract power with the lowest bill in the hotter summer.
  const PricedContract* best = &advice.contracts.front();
  for (const PricedContract& p : advice.contracts) {
    if (p.hotter_total < best->hotter_total) best = &p;
  }
  advice.recommended = *best;
  auto bills = PriceYear(book, calendar, bill_request(best->tariff, best->contract_kw), request.months);
  if (!bills) return bills.error();
  advice.recommended_bills = std::move(bills->bills);
  return advice;
}

}  // namespace meg
