// Choosing among tariffs: the same usage priced under every class and option a customer may take
// for the same use (일반용, 산업용 or 교육용), supply voltage and contract power, ranked by what
// the bills would total. Pure function over values; thread-safe.
//
//   auto ranked = CompareTariffs(book, calendar, request, months, history);
//   ranked->front()   // the cheapest; `in_force` marks the request's own tariff
#pragma once

#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/units.h"
#include "tariff/bill.h"
#include "tariff/tariff_book.h"

namespace meg {

struct TariffCost {
  TariffId tariff;
  bool in_force = false;  // the request's tariff
  std::vector<MonthlyBill> bills;
  Won basic;   // Σ 기본요금 (with the power-factor adjustment)
  Won energy;  // Σ 전력량요금 + 기후환경요금 + 연료비조정요금
  Won other;   // Σ 초과사용부가금
  Won total;   // Σ 청구금액 (VAT and the fund included)
};

// The tariffs `request.tariff`'s customer may take: the same use and voltage, every class whose
// contract power range holds `request.contract_power` (art. 57 ②, 58 ②, 59 ②: (갑)I, (갑)II or
// (을)), every option with a rate table in force over `months`. Each is billed with its own copy
// of `history`, and the list is sorted by total, cheapest first (ties: the order of
// TariffBook::Tariffs()). A candidate that cannot be billed (no table in force for a month) is
// left out; the request's own tariff must bill, or its error is returned.
Result<std::vector<TariffCost>> CompareTariffs(const TariffBook& book, const HolidayCalendar& calendar,
                                               const BillRequest& request, const std::vector<Month>& months,
                                               const DemandHistory& history);

}  // namespace meg
