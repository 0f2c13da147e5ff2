#include "tariff/slot_price.h"

#include <fmt/format.h>

#include <cstdlib>

namespace meg {
namespace {

Result<std::int64_t> ChargeMilliOn(const TariffBook& book, Charge c, Date d, std::string_view name) {
  const auto v = book.ChargeOn(c, d);
  if (!v) {
    return NotFound(fmt::format("no {} is in force on {} (charges.csv of the tariff directory)", name, FormatDate(d)));
  }
  return v->milli;
}

// 연료비조정단가 of the day: the override, held within the cap (a rate outside it is refused, not
// clamped: 별표8 3)), or the published rate of the day's quarter.
Result<WonPerKwh> FuelRateOn(const TariffBook& book, Date d, const std::optional<WonPerKwh>& request_rate) {
  const std::optional<WonPerKwh>& override_rate = request_rate ? request_rate : book.fuel_override();
  if (override_rate) {
    auto cap = ChargeMilliOn(book, Charge::kFuelCapWonPerKwh, d, "fuel_cap_krw_per_kwh");
    if (!cap) return cap.error();
    if (std::abs(override_rate->milli_won()) > *cap) {
      return InvalidInput(
          fmt::format("fuel-cost adjustment {} KRW/kWh is outside the ±{} "
                      "KRW/kWh cap (별표8)",
                      override_rate->won(), static_cast<double>(*cap) / 1000.0));
    }
    return *override_rate;
  }
  const FuelAdjustment* fa = book.FuelOn(d);
  if (fa == nullptr) {
    return NotFound(
        fmt::format("no fuel-cost adjustment rate is known for {} (quarter {}-Q{}): the table "
                    "fuel_adjustment.csv of the tariff directory ends before it; add the quarter's rate "
                    "there when KEPCO announces it, or give the rate to assume (--fuel-krw-per-kwh)",
                    FormatDate(d), static_cast<int>(d.year()), (static_cast<unsigned>(d.month()) - 1) / 3 + 1));
  }
  return fa->rate;
}

}  // namespace

Result<LevyRates> LevyRatesOn(const TariffBook& book, Date date, const std::optional<WonPerKwh>& fuel_override) {
  auto climate = ChargeMilliOn(book, Charge::kClimateWonPerKwh, date, "climate_krw_per_kwh");
  if (!climate) return climate.error();
  auto fuel = FuelRateOn(book, date, fuel_override);
  if (!fuel) return fuel.error();
  return LevyRates{WonPerKwh::FromMilliWon(*climate), *fuel};
}

Result<DayPrice> PriceDay(const TariffBook& book, const HolidayCalendar& calendar, TariffId tariff, Date date,
                          const PriceOptions& options) {
  if (RulesOf(tariff.tariff_class).blocks) {
    return Error{ErrorCode::kUnsupported,
                 fmt::format("{} is priced by blocks of the month's kWh per household (별표1 1.): a slot has no "
                             "price of its own; meg bill prices it, the planner and the live loop do not",
                             OfficialName(tariff))};
  }
  auto profile = ProfileDay(book, calendar, tariff, date);
  if (!profile) return profile.error();
  // 기후환경요금 (별표7) and 연료비조정요금 (별표8): on every metered kWh (art. 67 ② 2, 3).
  auto levy = LevyRatesOn(book, date, options.fuel_override);
  if (!levy) return levy.error();
  DayPrice day;
  day.date = date;
  day.season = profile->season;
  day.kind = profile->kind;
  day.rates = profile->rates;
  day.basic = profile->rates->basic;
  if (options.with_taxes) {
    auto vat = ChargeMilliOn(book, Charge::kVatPct, date, "vat_pct");
    if (!vat) return vat.error();
    auto fund = ChargeMilliOn(book, Charge::kFundPct, date, "fund_pct");
    if (!fund) return fund.error();
    day.vat = Percent::FromMilliPercent(*vat);
    day.fund = Percent::FromMilliPercent(*fund);
  }
  const auto& rates = profile->rates->energy[static_cast<size_t>(profile->season)];
  for (size_t s = 0; s < kIntervalsPerDay; ++s) {
    SlotPrice& p = day.slots[s];
    p.band = profile->energy_band[s];
    p.demand_counts = profile->demand_counts[s];
    p.energy_rate = rates[static_cast<size_t>(p.band)];
    p.discount = Percent::FromMilliPercent(profile->discount_milli_pct[s]);
    // The discount in milli-won per kWh, truncated: rate x milli-percent / (100 x 1000).
    const std::int64_t off = p.energy_rate.milli_won() * p.discount.milli_percent() / 100'000;
    p.energy = WonPerKwh::FromMilliWon(p.energy_rate.milli_won() - off);
    p.climate = levy->climate;
    p.fuel = levy->fuel;
  }
  return day;
}

}  // namespace meg
