#include "tariff/tariff_compare.h"

#include <algorithm>

namespace meg {

Result<std::vector<TariffCost>> CompareTariffs(const TariffBook& book, const HolidayCalendar& calendar,
                                               const BillRequest& request, const std::vector<Month>& months,
                                               const DemandHistory& history) {
  const ClassRules own = RulesOf(request.tariff.tariff_class);
  const double kw = request.contract_power.value();
  std::vector<TariffCost> out;
  for (const TariffId id : book.Tariffs()) {
    const ClassRules rules = RulesOf(id.tariff_class);
    const bool in_force = id.SameRates(request.tariff);
    // The tariff in force is always billed, so that a contract power it does not take is its error.
    if (!in_force && (rules.use != own.use || id.voltage != request.tariff.voltage)) continue;
    if (!in_force && !ContractKwRange(id).Holds(kw)) continue;
    // A 고압 (갑) customer takes (갑)II (art. 57 ④, 59 ⑤): (갑)I 고압 only against itself.
    if (!in_force && !TariffCaveat(id).empty() && TariffCaveat(request.tariff).empty()) continue;
    // 교육용(갑) 고압 at 1,000 kW or more is a school's (art. 58 ④): whether the customer is one is not
    // known here, so only against itself.
    if (!in_force && IsSchoolOnlyContract(id, kw) && !IsSchoolOnlyContract(request.tariff, kw)) continue;
    BillRequest r = request;
    r.tariff = TariffId{id.tariff_class, id.voltage, id.option, request.tariff.region};
    DemandHistory h = history;
    auto bills = BillMonths(book, calendar, r, months, h);
    if (!bills) {
      if (in_force) return bills.error();
      continue;
    }
    TariffCost cost;
    cost.tariff = r.tariff;
    cost.in_force = in_force;
    std::int64_t basic = 0, energy = 0, other = 0, total = 0;
    for (const MonthlyBill& b : *bills) {
      basic += b.basic.value() + b.pf_adjustment.value();
      energy += b.energy.value() + b.climate.value() + b.fuel.value();
      other += b.over_contract.value();
      total += b.total.value();
    }
    cost.basic = Won(basic);
    cost.energy = Won(energy);
    cost.other = Won(other);
    cost.total = Won(total);
    cost.bills = std::move(*bills);
    out.push_back(std::move(cost));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TariffCost& a, const TariffCost& b) { return a.total.value() < b.total.value(); });
  return out;
}

}  // namespace meg
