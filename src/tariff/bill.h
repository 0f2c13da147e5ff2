// The KEPCO bill engine: prices one month of 15-minute demand under a TariffBook exactly as the
// supply terms do, line by line, and keeps the 12-month demand history (요금적용전력 ratchet)
// across bills. Pure functions over values; thread-compatible (DemandHistory is a value).
//
//   DemandHistory history;                       // or DemandHistory::ParseCsv(...) to seed it
//   auto bills = BillMonths(book, calendar, request, months, history);
//   for (const MonthlyBill& b : *bills) ... b.total ...
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/units.h"
#include "tariff/tariff_book.h"

namespace meg {

// True for the demand months whose peaks carry into 요금적용전력 for the following 11 months:
// Dec, Jan, Feb, Jul, Aug, Sep (art. 68 ①).
bool IsDemandMonth(Month m);

// The ratchet a controller must respect in month `m`: the largest of `month_peaks` (month, kW)
// among the demand months of the 11 months before `m` (art. 68 ①); 0 if none. Months missing
// from the list count as 0 (the bill itself notes them; see ComputeMonthlyBill).
double RatchetPeakKw(Month m, std::span<const std::pair<Month, double>> month_peaks);

// What a billed month leaves for later bills.
struct MonthDemand {
  Month month;
  // 최대수요전력 of the month in 중간/최대부하 slots, rounded to 1 kW (art. 7 ①): the candidate for
  // 요금적용전력 (art. 68 ①, 별표3 다만 2).
  std::int64_t peak_kw = 0;
  // The month exceeded contract power (any slot; art. 67-3 ③), or for a contract-power customer
  // 450 kWh per kW of it (art. 67-3 ① 2), and was warned or charged.
  bool over_contract = false;
  // The month had a power-factor surcharge (art. 43 ③: the first is only announced).
  bool pf_surcharge = false;
};

// DemandHistory: MonthDemand by month. A value; copy it to try alternatives.
class DemandHistory {
 public:
  void Record(const MonthDemand& d) { months_[Key(d.month)] = d; }
  const MonthDemand* Find(Month m) const;
  // True if any month before `m` in the history exceeded contract power.
  bool OverContractBefore(Month m) const;
  int OverContractCountBefore(Month m) const;
  bool PfSurchargeBefore(Month m) const;
  bool empty() const { return months_.empty(); }
  // Every month's peak, in month order (the form DemandMeter::Restore takes).
  std::vector<std::pair<Month, double>> Peaks() const;

  // CSV with header `month,peak_kw[,over_contract,pf_surcharge]`, e.g. `2023-08,1480`.
  static Result<DemandHistory> ParseCsv(std::string_view text, std::string_view source);
  std::string FormatCsv() const;

 private:
  static int Key(Month m) {
    return static_cast<int>(m.year()) * 12 + static_cast<int>(static_cast<unsigned>(m.month())) - 1;
  }
  std::map<int, MonthDemand> months_;
};

// 정기검침일 (art. 69 ①): the day of the month the meter is read, 1..28. The bill of month `m` with
// reading day N covers [m/N, (m+1)/N): N = 1 is the calendar month. A bill is named by the month
// its period starts in (**assumption**: KEPCO names it by the reading month, one later for N > 1;
// the 12-month ratchet's demand months are these names).
inline constexpr int kMaxReadingDay = 28;
struct BillingPeriod {
  Month month;  // the bill's name
  Date first;   // its first day
  Date end;     // the next reading day: the first day after it
};
BillingPeriod PeriodOf(Month m, int reading_day);

// The question to price.
struct BillRequest {
  int reading_day = 1;  // 정기검침일, 1..kMaxReadingDay
  TariffId tariff;
  Kilowatts contract_power;            // 계약전력
  const PowerSeries* usage = nullptr;  // 15-minute mean kW, + import / - export (export not billed)
  // Optional mean reactive power per 15-minute interval, kvar, + lagging / - leading; enables the
  // power-factor adjustment (art. 43).
  const IntervalSeries<double>* kvar = nullptr;
  // Fuel-cost adjustment to use instead of the quarter's published rate (must be within the cap).
  std::optional<WonPerKwh> fuel_override;
  // Bill a month the data covers only in part: the basic charge is prorated by days (art. 80).
  bool allow_partial = false;
  // 주택용 only: the households (호) or rooms (실) of one contract whose total kWh is billed as
  // their average's bill times their number (art. 67 ③ 1, ⑤); 1 for one household.
  int households = 1;
};
inline constexpr int kMaxHouseholds = 100'000;

// One energy register: kWh metered in one band under one rate table (and discount).
struct EnergyLine {
  Band band = Band::kOffPeak;
  bool all_hours = false;  // a class with one rate for all hours (art. 67 ⑧): `band` is not a band
  Date rates_from;         // effective date of the rate table used
  WonPerKwh rate;
  std::int32_t discount_milli_pct = 0;
  std::int64_t kwh = 0;  // rounded to 1 kWh (art. 7 ①)
  MilliWon amount;       // kwh x rate x (1 - discount)
  // 주택용: the block (1-3, 4 the 슈퍼유저요금) and its kWh per household, (from, upto]; upto 0: no
  // limit. 0 for a band register.
  int block = 0;
  std::int64_t block_from_kwh = 0;
  std::int64_t block_upto_kwh = 0;
};

struct MonthlyBill {
  Month month;                    // the name of the billing period (PeriodOf)
  Date period_first, period_end;  // [first, end): the calendar month with reading day 1
  TariffId tariff;
  std::int64_t contract_kw = 0;
  int days_in_month = 0;  // days in the billing period
  int days_billed = 0;

  // 요금적용전력 and how it was set.
  std::int64_t billing_demand_kw = 0;
  std::optional<Month> billing_demand_month;  // the month whose peak set it; nullopt if the floor
  bool floor_applied = false;                 // 30 % of contract power
  bool contract_power_billed = false;         // 요금적용전력 is the contract power (저압, art. 68 ②)
  std::int64_t peak_kw = 0;                   // this month's 중간/최대부하 peak (rounded)
  std::optional<Timestamp> peak_at;           // start of the interval that set it
  std::int64_t max_demand_kw = 0;             // this month's peak over all slots (rounded)

  std::vector<EnergyLine> energy_lines;
  std::int64_t energy_kwh = 0;  // sum of the registers

  WonPerKw basic_rate;            // at month end
  int households = 1;             // 주택용: the households billed (BillRequest::households)
  Won basic_per_household;        // 주택용: the basic charge of the highest block reached
  std::optional<int> pf_lag_pct;  // monthly mean power factors, if kvar given
  std::optional<int> pf_lead_pct;
  Percent pf_adjustment_pct;  // + surcharge / - discount, of the basic charge
  WonPerKwh climate_rate;
  WonPerKwh fuel_rate;
  Percent vat_pct;
  Percent fund_pct;
  int over_contract_multiplier_pct = 0;  // 150..400 when charged (art. 67-3 ③)
  // Art. 67-3 ① 2 (a contract-power customer): kWh beyond 450 kWh per kW of contract power.
  std::int64_t over_energy_kwh = 0;
  bool over_contract_incurred = false;  // exceeded (charged or announced): counts for later months
  bool pf_surcharge_incurred = false;   // a PF surcharge arose (charged or announced)

  Won basic;          // 기본요금
  Won pf_adjustment;  // 역률요금 (+ surcharge, - discount)
  Won energy;         // 전력량요금
  Won climate;        // 기후환경요금
  Won fuel;           // 연료비조정요금
  Won over_contract;  // 초과사용부가금
  Won subtotal;       // 전기요금계
  Won vat;            // 부가가치세
  Won fund;           // 전력산업기반기금
  Won total;          // 청구금액

  std::vector<std::string> notes;  // warnings and assumptions a reader must see
};

// Prices `month` and returns the bill; does not change `history`.
Result<MonthlyBill> ComputeMonthlyBill(const TariffBook& book, const HolidayCalendar& calendar,
                                       const BillRequest& request, Month month, const DemandHistory& history);

// Prices `months` in order, recording each month's demand into `history` so that later months
// see earlier peaks.
Result<std::vector<MonthlyBill>> BillMonths(const TariffBook& book, const HolidayCalendar& calendar,
                                            const BillRequest& request, const std::vector<Month>& months,
                                            DemandHistory& history);

// The billing periods (by name) a series covers, whole or in part, in order; calendar months with
// reading day 1.
std::vector<Month> MonthsCovered(const PowerSeries& usage, int reading_day = 1);

// Whether `usage` spans the whole billing period `m` (from its first to its last interval).
bool CoversWholeMonth(const PowerSeries& usage, Month m, int reading_day = 1);

}  // namespace meg
