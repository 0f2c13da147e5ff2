// Time-of-use classification: how the supply terms meter each 15-minute slot of a KST day for a
// tariff: its energy band, whether it counts for billing demand, and any energy discount.
// Pure functions over the TariffBook and HolidayCalendar; thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "core/calendar.h"
#include "core/result.h"
#include "core/time.h"
#include "tariff/tariff_book.h"

namespace meg {

// kHoliday: a Sunday or a holiday of 관공서의 공휴일에 관한 규정, except 임시공휴일 designated by the
// government from time to time (별표3 다만 3). kSaturday: a Saturday that is not such a holiday.
enum class DayKind { kWeekday, kSaturday, kHoliday };

// REQUIRES: calendar.Covers(date); callers check and report otherwise.
DayKind ClassifyDay(Date date, const HolidayCalendar& calendar);

// How one day is metered for one tariff.
struct DayProfile {
  Date date;
  Season season = Season::kSummer;
  DayKind kind = DayKind::kWeekday;
  const RateTable* rates = nullptr;
  const BandTable* bands = nullptr;  // nullptr for a class without hour bands
  // False for a class with one energy rate for all hours (art. 67 ⑧): every slot is then in
  // kMid (its rate is the same in every band column), and every slot's demand counts: 별표3's
  // holiday rule is for the time-of-use classes it lists.
  bool time_of_use = true;
  // Band of each slot for energy (전력량): on a holiday all 경부하; on a Saturday 최대부하 energy is
  // metered as 중간부하 (별표3 다만 1).
  std::array<Band, kIntervalsPerDay> energy_band{};
  // True where the slot's demand counts for 요금적용전력: 중간부하 and 최대부하 slots of a day that
  // is not a holiday (별표3 다만 1, 2). Saturday peak slots still count.
  std::array<bool, kIntervalsPerDay> demand_counts{};
  // Energy discount in thousandths of a percent (0 = none), e.g. 50,000 for 50 %.
  std::array<std::int32_t, kIntervalsPerDay> discount_milli_pct{};
};

// Builds the profile of `date` for `tariff`. Fails with kNotFound if no rate or band table is in
// force on that date, or the holiday calendar does not cover it.
Result<DayProfile> ProfileDay(const TariffBook& book, const HolidayCalendar& calendar, TariffId tariff, Date date);

}  // namespace meg
