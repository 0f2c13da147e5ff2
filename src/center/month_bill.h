// The month-to-date bill the dashboard shows: with OpenMEG (the metered grid import) and
// without it (the same load and PV with the battery idle), each priced by the bill engine
// (tariff/bill.h) over the closed quarter-hours metered this month. Pure; thread-compatible.
#pragma once

#include <vector>

#include "center/site_backend.h"
#include "core/calendar.h"
#include "core/result.h"
#include "core/time.h"
#include "core/units.h"
#include "store/store.h"
#include "tariff/tariff_book.h"

namespace meg {

// The part of the month a bill at `now` covers: from the month's start (KST) to the start of
// the open quarter-hour. Only closed quarter-hours are priced: the open one holds a few
// seconds, and their mean is not a 15-minute demand (it would count as the month's peak).
struct MonthToDate {
  Month month;
  Instant month_start;
  Instant closed;  // the open quarter-hour's start: the end of what is priced
};
MonthToDate MonthToDateOf(Instant now);

struct MonthBillTerms {
  const TariffBook* book = nullptr;
  const HolidayCalendar* calendar = nullptr;
  TariffId tariff;
  Kilowatts contract_power;  // 계약전력
};

// The bill of the month holding `now` so far. `with` and `without` are the store's quarter-hour
// buckets (mean kW, + import) of the grid with OpenMEG and of the baseline (battery idle);
// buckets outside MonthToDateOf(now) are ignored. Each is priced over the days from its first
// metered day through today, quarter-hours not metered in them as 0 kWh; the basic charge is
// prorated by those days (art. 80). Today's cost is the month to date less the month to date
// before today (the same series cut at today's start). Lines and notes are those of the bill
// with OpenMEG. Errors: NotFound when no quarter-hour is metered this month; the bill engine's.
// REQUIRES: terms' book and calendar set.
Result<BillView> MonthToDateBill(const MonthBillTerms& terms, const std::vector<Bucket>& with,
                                 const std::vector<Bucket>& without, Instant now);

}  // namespace meg
