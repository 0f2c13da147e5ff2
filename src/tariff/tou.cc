#include "tariff/tou.h"

#include <fmt/format.h>

namespace meg {

DayKind ClassifyDay(Date date, const HolidayCalendar& calendar) {
  const std::chrono::weekday wd{std::chrono::sys_days{date}};
  // Sundays are holidays by 관공서의 공휴일에 관한 규정 art. 2 no. 1.
  if (wd == std::chrono::Sunday) return DayKind::kHoliday;
  if (const Holiday* h = calendar.Find(date); h != nullptr && h->kind != HolidayKind::kTemporary) {
    return DayKind::kHoliday;
  }
  if (wd == std::chrono::Saturday) return DayKind::kSaturday;
  return DayKind::kWeekday;
}

Result<DayProfile> ProfileDay(const TariffBook& book, const HolidayCalendar& calendar, TariffId tariff, Date date) {
  if (!calendar.Covers(date)) {
    return NotFound(
        fmt::format("the holiday calendar (--calendar) covers {}..{}; {} is outside it: add that "
                    "year's holidays to it",
                    FormatDate(calendar.first()), FormatDate(calendar.last()), FormatDate(date)));
  }
  DayProfile p;
  p.date = date;
  p.season = SeasonOf(date.month());
  p.kind = ClassifyDay(date, calendar);
  p.rates = book.RatesOn(tariff, date);
  if (p.rates == nullptr) {
    return NotFound(fmt::format("no rate table for {} is in force on {} (rates.csv of the tariff directory)",
                                OfficialName(tariff), FormatDate(date)));
  }
  if (!RulesOf(tariff.tariff_class).time_of_use) {
    p.time_of_use = false;
    p.energy_band.fill(Band::kMid);
    p.demand_counts.fill(true);
    return p;  // the energy discounts are time-of-use rules (discounts.csv names a TOU class)
  }
  p.bands = book.BandsOn(tariff.tariff_class, date, tariff.region);
  if (p.bands == nullptr) {
    return NotFound(fmt::format("no hour-band table for {} is in force on {} (bands.csv of the tariff directory)",
                                tariff.region == Region::kJeju ? std::string("제주") : ClassName(tariff.tariff_class),
                                FormatDate(date)));
  }
  const auto& bands = p.bands->slots[static_cast<size_t>(p.season)];
  for (int s = 0; s < kIntervalsPerDay; ++s) {
    const Band b = bands[s];
    switch (p.kind) {
      case DayKind::kHoliday:
        p.energy_band[s] = Band::kOffPeak;
        p.demand_counts[s] = false;
        break;
      case DayKind::kSaturday:
        p.energy_band[s] = b == Band::kPeak ? Band::kMid : b;
        p.demand_counts[s] = b != Band::kOffPeak;
        break;
      case DayKind::kWeekday:
        p.energy_band[s] = b;
        p.demand_counts[s] = b != Band::kOffPeak;
        break;
    }
  }
  for (const EnergyDiscount* d : book.DiscountsOn(tariff.tariff_class, date)) {
    const bool applies =
        (p.kind == DayKind::kSaturday && d->saturday) || (p.kind == DayKind::kHoliday && d->sunday_holiday);
    if (!applies) continue;
    for (int s = d->from_minute / 15; s < d->to_minute / 15; ++s) {
      p.discount_milli_pct[s] = static_cast<std::int32_t>(d->discount.milli_percent());
    }
  }
  return p;
}

}  // namespace meg
