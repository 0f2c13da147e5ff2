// The price of a kWh in each 15-minute slot of a KST day under one tariff: 전력량요금 of the slot's
// band and season after any energy discount, 기후환경요금 and 연료비조정요금, and on request the
// factor of 부가가치세 and 전력산업기반기금. The one place the bill engine, the optimizer and the
// local market read a slot's price from the tables. Pure functions over values; thread-safe.
//
//   auto day = PriceDay(book, calendar, tariff, date, {.with_taxes = true, .fuel_override = {}});
//   WonPerKwh p = day->slots[44].BeforeTaxes();   // 11:00-11:15 KST, exact
//   double krw = day->KrwPerKwh(44);              // the same x (1 + VAT + fund), for the LP
#pragma once

#include <array>
#include <optional>

#include "core/calendar.h"
#include "core/result.h"
#include "core/time.h"
#include "core/units.h"
#include "tariff/tariff_book.h"
#include "tariff/tou.h"

namespace meg {

struct PriceOptions {
  // Look up VAT and the fund in force on the day (they must be in charges.csv) and put them in
  // DayPrice::vat and ::fund; otherwise both are 0 and the day's prices are before them.
  bool with_taxes = false;
  // 연료비조정단가 to use instead of the quarter's published rate (fuel_adjustment.csv), e.g. for a
  // quarter not yet announced. Refused when outside the cap in force (별표8 3)).
  std::optional<WonPerKwh> fuel_override;
};

// What one kWh imported in one slot costs before VAT and the fund. Exact, in milli-won.
struct SlotPrice {
  Band band = Band::kOffPeak;  // the band its energy is metered in (DayProfile::energy_band)
  bool demand_counts = false;  // its demand counts for 요금적용전력 (DayProfile::demand_counts)
  WonPerKwh energy_rate;       // 전력량요금 of the band and season (별표1), before any discount
  Percent discount;            // energy discount, e.g. 50 % (2026 산업용(을) weekend 11-14 h)
  // energy_rate x (1 - discount); a discount finer than the milli-won is truncated, as the bill
  // truncates the discount of a register (exact for the shipped tables: 50 % of a 0.1-won rate).
  WonPerKwh energy;
  WonPerKwh climate;  // 기후환경요금 (별표7)
  WonPerKwh fuel;     // 연료비조정요금 (별표8)

  // The slot's energy-related price: what the bill's 전력량요금, 기후환경요금 and 연료비조정요금
  // lines charge per kWh (each line rounds its month's sum, not the slot).
  WonPerKwh BeforeTaxes() const { return energy + climate + fuel; }
};

// 기후환경요금 (별표7) and 연료비조정요금 (별표8) per kWh on `date`, the fuel override (held within
// its cap) in place of the quarter's rate where given.
struct LevyRates {
  WonPerKwh climate;
  WonPerKwh fuel;
};
Result<LevyRates> LevyRatesOn(const TariffBook& book, Date date, const std::optional<WonPerKwh>& fuel_override);

// The prices of one KST day for one tariff.
struct DayPrice {
  Date date;
  Season season = Season::kSummer;
  DayKind kind = DayKind::kWeekday;
  const RateTable* rates = nullptr;  // the rate table in force (owned by the TariffBook)
  WonPerKw basic;                    // 기본요금 per kW of billing demand per month
  Percent vat;                       // 부가가치세; 0 without PriceOptions::with_taxes
  Percent fund;                      // 전력산업기반기금; 0 without PriceOptions::with_taxes
  std::array<SlotPrice, kIntervalsPerDay> slots{};

  // 1 + (VAT + fund) / 100: what every won of 전기요금계 finally costs (1 without taxes). The bill
  // applies VAT and the fund to the month's sum, so a slot's taxed price is an estimate to the
  // won of the bill, not a bill line.
  double TaxFactor() const { return 1.0 + (vat.value() + fund.value()) / 100.0; }
  // KRW per kWh of slot `s` with the tax factor, as a double for the optimizer. The parts are
  // added as doubles, the sum the optimizer's published figures were measured with;
  // BeforeTaxes().won() can differ in the last bit, enough to tip the LP between equal plans.
  // REQUIRES: 0 <= s < kIntervalsPerDay.
  double KrwPerKwh(int s) const {
    const SlotPrice& p = slots[static_cast<size_t>(s)];
    return (p.energy.won() + p.climate.won() + p.fuel.won()) * TaxFactor();
  }
  // KRW per kW of billing demand per month with the tax factor.
  double BasicKrwPerKw() const { return basic.won() * TaxFactor(); }
};

// Prices every slot of `date` for `tariff` (bands, Saturday and holiday rules and discounts from
// ProfileDay). Errors (kNotFound): ProfileDay's (calendar, rate or band table missing); no
// climate charge, fuel-cost adjustment (without an override) or, with taxes, VAT or fund rate in
// force on the day. kInvalidInput: a fuel override outside the cap. kUnsupported: 주택용, whose
// price depends on the month's kWh (ClassRules::blocks).
Result<DayPrice> PriceDay(const TariffBook& book, const HolidayCalendar& calendar, TariffId tariff, Date date,
                          const PriceOptions& options = {});

}  // namespace meg
