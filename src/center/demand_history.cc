#include "center/demand_history.h"

#include <optional>

#include "control/demand_meter.h"
#include "tariff/tou.h"

namespace meg {

Result<std::vector<std::pair<Month, double>>> MeteredMonthPeaks(const std::vector<Bucket>& quarters,
                                                                const TariffBook& book, const HolidayCalendar& calendar,
                                                                TariffId tariff) {
  DemandMeter meter;
  std::optional<DayProfile> day;
  std::optional<Instant> last;
  for (const Bucket& b : quarters) {
    if (b.count == 0) continue;
    const KstDateTime k = ToKst(ToTimestamp(b.start));
    if (!day || day->date != k.date) {
      MEG_TRY_ASSIGN(profile, ProfileDay(book, calendar, tariff, k.date));
      day = std::move(profile);
    }
    // Held from the quarter-hour's start to the next Add: its mean over its 15 minutes. Across a
    // gap the meter holds it further, but a window it did not see start does not count.
    meter.Add(b.start, Kilowatts(b.mean), day->demand_counts[static_cast<size_t>(k.minute_of_day / 15)]);
    last = b.start;
  }
  if (!last) return std::vector<std::pair<Month, double>>{};
  meter.Add(*last + kInterval, Kilowatts(0), false);  // closes the last quarter-hour
  return meter.MonthPeaks();
}

}  // namespace meg
