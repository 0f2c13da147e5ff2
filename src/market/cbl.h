// Customer baseline load (고객기준부하, CBL) of KPX 전력시장운영규칙 별표28 (2024-02 edition).
// Pure functions over metered 15-minute energy; thread-compatible (no shared state).
//
// The CBL is what a customer would have used in each trading hour (거래시간) of a DR event had it
// not reduced; the reduction the market pays for is CBL - metered usage (제12.5.2.3조). Every rule
// below cites its article of 별표28; docs/cbl.md lists the readings of ambiguous text.
//
//   CblOptions o{.method = CblMethod::kMid6of10, .saa = true};
//   auto cbl = ComputeCbl(usage_kwh, calendar, DrWindow{start, start + 2h}, o);
//   for (const CblHour& h : cbl->hours) fmt::print("{} {}\n", h.baseline.value(), Reduction(h).value());
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "core/units.h"
#include "market/dr_event.h"

namespace meg {

// 별표28 1.1-1.4: how many recent weekdays (참고일) are looked at and which of them (유사일) are
// averaged, ranked by the energy of the trading hour.
enum class CblMethod {
  kMax4of5,   // Max(4/5): the highest 4 of the last 5 weekdays
  kMid6of10,  // Mid(6/10): the last 10 weekdays without the top 2 and bottom 2
  kMid4of6,   // Mid(4/6): the last 6 weekdays without the top 1 and bottom 1
  kMid8of10,  // Mid(8/10): the last 10 weekdays without the top 1 and bottom 1
};

// Accepts "max4/5", "mid6/10", "mid4/6", "mid8/10" (case-insensitive, "Max(4/5)" too).
Result<CblMethod> ParseCblMethod(std::string_view text);
std::string_view CblMethodName(CblMethod method);  // "Max(4/5)", "Mid(6/10)", ...

// The counts of a method: reference days (참고일) wanted, the lookback limit in weekdays (3.2.1),
// similar days (유사일) averaged, and the days dropped from the top and bottom of the ranking.
struct CblMethodRule {
  int reference_days = 0;
  int lookback_weekdays = 0;
  int similar_days = 0;
  int drop_top = 0;
  int drop_bottom = 0;
};
CblMethodRule RuleOf(CblMethod method);

// 평일 (weekday) is IsDrWeekday (market/dr_event.h): not a Saturday and not a 공휴일, 제12.4.3.1조 ① 1.

// A DR event on one KST day: [start, end) on the 15-minute grid (별표28 3.2.4). The end may be
// 24:00 of the start's day. (How long a call may be is the dispatch rules' business: 4 h for a
// reliability call, 제12.4.3.1조 ②, any whole hours for economic DR; market/dr_event.h.)
struct DrWindow {
  Timestamp start;
  Timestamp end;
};

// OK, or what is wrong with the window: off the 15-minute grid, empty, or
// spanning two KST days.
Status ValidateDrWindow(const DrWindow& event);

struct CblOptions {
  CblMethod method = CblMethod::kMid6of10;
  bool saa = false;            // 2.2 same-day adjustment (SAA)
  bool abnormal_days = true;   // 2.1 비정상근무일 option; 별표29 3.6 turns it off for the fit test
  bool industrial = false;     // 산업용 customer: 2.1.2.3 production-adjustment days (75 % / 125 %)
  // Days that may not be reference days (3.2, 3.3): earlier DR event days, test days, bid days.
  std::vector<Date> excluded_days;
  // 3.2.5: for a second event on the same day, the SAA per full trading hour computed for the
  // day's first event (CblResult::saa->per_hour). Used as is when `saa` is set.
  std::optional<KilowattHours> first_event_saa;
};

// One trading hour of the event: the hour [hour_start, hour_start + 1 h) and the part of it the
// event covers (event_minutes of 15, 30, 45 or 60). Energies are over the covered part only
// (3.2.4).
struct CblHour {
  Timestamp hour_start;
  int event_minutes = 60;
  KilowattHours baseline{0};        // the CBL, SAA included (may be negative after a large SAA)
  KilowattHours saa_adjustment{0};  // the part of `baseline` that is SAA (0 without SAA)
  std::optional<KilowattHours> actual;  // metered; nullopt when the meter has a gap
  std::vector<Date> similar_days;       // 유사일 averaged for this hour, highest usage first
};

// Why a day near the event was not a reference day (or, in CblResult::readmitted, why it had
// been set aside before 3.2.2 took it back).
enum class DayExclusion {
  kExcludedDay,            // 3.2 / 3.3: an earlier event, test or bid day (CblOptions::excluded_days)
  kHoliday,                // a Monday-Friday public holiday: not a 평일
  kMissingData,            // 3.4.2: usage missing in the event's intervals
  kAbnormal,               // 2.1.2.2: below 75 % of the mean
  kProductionAdjustment,   // 2.1.2.3: below 75 % or above 125 % of the recomputed mean
  kNotNeeded,              // older than the reference days the method needs (1.1-1.4)
};

struct ReferenceDayNote {
  Date date;
  DayExclusion reason = DayExclusion::kExcludedDay;
  double share_of_mean = 0;  // abnormal / production days: the day's event-window usage / the mean
};

// "abnormal day: 61 % of the mean (별표28 2.1.2.2)", for reports.
std::string Describe(const ReferenceDayNote& note);

// 2.2 SAA: the event day's mean hourly usage over [from, to) (4 h to 1 h before the start) minus
// the similar days' mean over the same clock times. per_hour is added to a full trading hour's
// CBL and scaled by event_minutes / 60 for a partial one.
struct SaaDetail {
  Timestamp from;
  Timestamp to;
  KilowattHours event_day_per_hour{0};
  KilowattHours similar_days_per_hour{0};
  KilowattHours per_hour{0};
  std::vector<Date> similar_days;  // the 유사일 of the trading hour holding the start
};

struct CblResult {
  Date event_date;
  std::vector<Date> reference_days;  // 참고일 used, most recent first
  std::vector<ReferenceDayNote> excluded;    // weekdays in the lookback not used, most recent first
  std::vector<ReferenceDayNote> readmitted;  // 3.2.2: set aside by 2.1, then taken back
  std::optional<KilowattHours> window_mean;      // 2.1.2.1: mean event-window usage
  std::optional<KilowattHours> recomputed_mean;  // 2.1.2.3: the mean without abnormal days
  std::optional<SaaDetail> saa;                  // when SAA was applied
  std::vector<CblHour> hours;        // one per trading hour the event touches, in time order
  std::vector<std::string> notes;    // e.g. "SAA not applied: usage missing (3.4.4)"
};

// The CBL of one customer for one event. `usage` is metered energy per 15-minute interval
// (kWh, + consumption; gaps allowed), covering the lookback and the event day. `calendar` names
// the public holidays, which are not weekdays (평일).
// Errors: the window is not valid (ValidateDrWindow); the usage is not on a 15-minute grid; the
// calendar does not cover the lookback; no reference day with data (kNotFound: 제12.5.2.3조 ④
// then counts the reduction as 0).
Result<CblResult> ComputeCbl(const IntervalSeries<KilowattHours>& usage,
                             const HolidayCalendar& calendar, const DrWindow& event,
                             const CblOptions& options);

// The reduction of one customer in one trading hour: CBL - actual (제12.5.2.3조 ① 1), or 0 when
// the meter has a gap in the event (제12.5.2.3조 ③ 1). Negative when usage exceeded the CBL.
KilowattHours Reduction(const CblHour& hour);

// One trading hour of a DR resource (수요반응자원): the sum over its customers.
struct ResourceCblHour {
  Timestamp hour_start;
  int event_minutes = 60;
  KilowattHours baseline{0};    // sum of the customers' CBLs
  KilowattHours actual{0};      // sum of the metered usage of customers with data
  KilowattHours reduction{0};   // sum of Reduction() (제12.5.2.4조 ① 1)
  int customers_without_data = 0;
};

// The resource CBL per trading hour = the sum over its customers' results for the same event.
// A customer whose CBL could not be computed is left out by the caller (its reduction is 0,
// 제12.5.2.3조 ④). Errors: no customers, or customers with different trading hours.
Result<std::vector<ResourceCblHour>> SumCbl(std::span<const CblResult> customers);

}  // namespace meg
