#include "center/month_bill.h"

#include <optional>

#include "tariff/bill.h"
#include "tariff/tariff_compare.h"

namespace meg {

namespace {

// The closed quarter-hours of `buckets` in `range`, on a grid from the first metered day's
// start through the end of `today`; quarter-hours not metered as 0 kW.
Result<PowerSeries> MeteredDays(const std::vector<Bucket>& buckets, const MonthToDate& range, Date today) {
  std::vector<const Bucket*> in;
  for (const Bucket& b : buckets) {
    if (b.start >= range.month_start && b.start < range.closed) in.push_back(&b);
  }
  if (in.empty()) return NotFound("no quarter-hour metered this month yet");
  const Timestamp start = FromKst(ToKst(ToTimestamp(in.front()->start)).date);
  const Timestamp end = FromKst(AddDays(today, 1));
  std::vector<std::optional<Kilowatts>> v(static_cast<size_t>((end - start) / kInterval), Kilowatts(0));
  for (const Bucket* b : in) {
    const auto i = static_cast<size_t>((ToTimestamp(b->start) - start) / kInterval);
    if (i < v.size()) v[i] = Kilowatts(b->mean);
  }
  return PowerSeries(start, kInterval, std::move(v));
}

// The month so far as a bill asks it: the days metered, the basic charge prorated (art. 80).
BillRequest RequestFor(const MonthBillTerms& terms, const PowerSeries& usage) {
  BillRequest request;
  request.tariff = terms.tariff;
  request.contract_power = terms.contract_power;
  request.usage = &usage;
  request.allow_partial = true;
  return request;
}

Result<MonthlyBill> PriceUsage(const MonthBillTerms& terms, const PowerSeries& usage, Month month) {
  return ComputeMonthlyBill(*terms.book, *terms.calendar, RequestFor(terms, usage), month, DemandHistory{});
}

}  // namespace

MonthToDate MonthToDateOf(Instant now) {
  const Month month = KstMonthOf(ToTimestamp(now));
  return MonthToDate{month, ToInstant(StartOfKstMonth(month)), ToInstant(IntervalStart(ToTimestamp(now)))};
}

Result<BillView> MonthToDateBill(const MonthBillTerms& terms, const std::vector<Bucket>& with,
                                 const std::vector<Bucket>& without, Instant now) {
  const MonthToDate range = MonthToDateOf(now);
  const Date today = ToKst(ToTimestamp(now)).date;
  MEG_TRY_ASSIGN(with_usage, MeteredDays(with, range, today));
  MEG_TRY_ASSIGN(without_usage, MeteredDays(without, range, today));
  MEG_TRY_ASSIGN(bill, PriceUsage(terms, with_usage, range.month));
  MEG_TRY_ASSIGN(without_bill, PriceUsage(terms, without_usage, range.month));
  const PowerSeries& usage = with_usage;

  BillView b;
  b.month = FormatMonth(range.month);
  b.from = ToInstant(usage.start());
  b.through = range.closed;
  b.with_openmeg_krw = bill.total.value();
  b.without_openmeg_krw = without_bill.total.value();
  b.energy_kwh = static_cast<double>(bill.energy_kwh);
  b.peak_kw = static_cast<double>(bill.peak_kw);
  b.billing_demand_kw = static_cast<double>(bill.billing_demand_kw);
  b.lines = {{"basic", bill.basic.value()},
             {"energy", bill.energy.value()},
             {"climate", bill.climate.value()},
             {"fuel", bill.fuel.value()},
             {"pf_adjustment", bill.pf_adjustment.value()},
             {"over_contract", bill.over_contract.value()},
             {"vat", bill.vat.value()},
             {"fund", bill.fund.value()}};
  b.notes = bill.notes;
  b.notes.push_back(
      "month to date over the days metered by this control center; quarter-hours not yet metered "
      "count as 0 kWh; without OpenMEG = the same load and PV with the battery idle");
  // A costlier option than the site could take (meg bill --compare on the month so far).
  if (auto ranked =
          CompareTariffs(*terms.book, *terms.calendar, RequestFor(terms, usage), {range.month}, DemandHistory{});
      ranked && !ranked->empty() && !ranked->front().in_force) {
    b.cheaper_tariff = OfficialName(ranked->front().tariff);
    b.cheaper_by_krw = b.with_openmeg_krw - ranked->front().total.value();
  }
  b.today_cost_krw = b.with_openmeg_krw;
  if (usage.start() < FromKst(today)) {
    const PowerSeries before = usage.Slice(usage.start(), FromKst(today));
    if (auto earlier = PriceUsage(terms, before, range.month))
      b.today_cost_krw = b.with_openmeg_krw - earlier->total.value();
  }
  return b;
}

}  // namespace meg
