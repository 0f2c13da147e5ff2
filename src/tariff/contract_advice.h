// Which tariff option and contract power (계약전력) would have minimised a year's bill: every
// alternative priced by the bill engine (tariff/bill.h) on the same metered year, with the 30 %
// floor of the billing demand, the 12-month ratchet and the over-contract surcharge (art. 67-3),
// and each contract power's risk in a hotter summer. Pure; thread-compatible.
//
//   ContractAdviceRequest r{.current = id, .contract_power = Kilowatts(1700), .usage = &kw,
//                           .months = twelve_months};
//   auto advice = AdviseContract(book, calendar, r);   // advice->recommended ...
//
// The year is priced in its steady state: the year before it is taken to be the same year (its
// month peaks, and whether each exceeded the contract power), so that the ratchet of the first
// months and the surcharge's first-month warning are those of a site living the year again. A
// hotter summer: every interval of June to September drawing `hotter_pct` % more (the cooling
// season's demand; without the weather a usage file cannot say more).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "core/units.h"
#include "tariff/bill.h"
#include "tariff/tariff_book.h"

namespace meg {

struct ContractAdviceRequest {
  TariffId current;                    // the tariff in force
  Kilowatts contract_power;            // 계약전력 in force
  const PowerSeries* usage = nullptr;  // 15-minute mean kW, + import; must cover `months`
  std::vector<Month> months;           // whole months to price: 12 or more, in order
  // The supply voltages the site could take (고압A 3.3-66 kV, 고압B 154 kV, 고압C 345 kV+);
  // empty: the current tariff's voltage only.
  std::vector<Voltage> voltages;
  // Contract powers to price (kW); empty: from 80 % to 130 % of the year's highest demand in steps
  // of `step_kw`, plus the contract power in force, none outside the class's range
  // (ContractKwRange: the (을) classes from 300 kW, the (갑) below; supply terms art. 57-59).
  std::vector<std::int64_t> contract_kw;
  std::int64_t step_kw = 10;
  double hotter_pct = 5;  // the hotter summer: June-September demand x (1 + hotter_pct / 100)
  std::optional<WonPerKwh> fuel_override;
};

// One alternative priced over the year (sums over its months, KRW).
struct PricedContract {
  TariffId tariff;
  std::int64_t contract_kw = 0;
  Won total;                           // 청구금액, with VAT and the fund
  Won basic;                           // 기본요금
  Won energy;                          // 전력량요금 + 기후환경요금 + 연료비조정요금
  Won over_contract;                   // 초과사용부가금
  std::int64_t billing_demand_kw = 0;  // the year's highest 요금적용전력
  int floor_months = 0;                // months billed on 30 % of the contract power
  int over_contract_months = 0;        // months whose demand exceeded the contract power
  // The same in the hotter summer.
  Won hotter_total;
  Won hotter_over_contract;
  int hotter_over_contract_months = 0;
};

struct ContractAdvice {
  std::vector<Month> months;
  std::int64_t max_demand_kw = 0;    // the year's highest 15-minute demand, any slot (rounded)
  std::int64_t counted_peak_kw = 0;  // ... in 중간/최대부하 slots of working days
  std::int64_t hotter_max_demand_kw = 0;
  PricedContract in_force;  // the current tariff at the contract power in force
  // Every eligible tariff (the current class, the allowed voltages, options I-III) at the
  // contract power in force, cheapest first.
  std::vector<PricedContract> tariffs;
  // The cheapest tariff at each contract power priced, in contract order.
  std::vector<PricedContract> contracts;
  // The recommendation: the cheapest tariff at the smallest contract power whose bill in the
  // hotter summer is the lowest of all priced (no surcharge risk bought by a smaller contract).
  PricedContract recommended;
  std::vector<MonthlyBill> recommended_bills;  // its months' bills, line by line
  std::vector<std::string> notes;
};

// Errors (kInvalidInput): no usage, fewer than 12 months, a month the usage does not cover
// whole, a tariff the book has no rates for in those months, a contract power out of range.
Result<ContractAdvice> AdviseContract(const TariffBook& book, const HolidayCalendar& calendar,
                                      const ContractAdviceRequest& request);

}  // namespace meg
