// The registration fit test of a DR customer's consumption pattern (수요반응참여고객의 전기소비형태
// 검증, KPX 전력시장운영규칙 별표29): the RRMSE of the hourly CBL against metered usage on the
// verification days. Pure functions; thread-compatible.
#pragma once

#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "core/units.h"
#include "market/cbl.h"

namespace meg {

struct RrmseRequest {
  Date registration;  // 등록일
  CblMethod method = CblMethod::kMid6of10;
  // 3.5: days of voluntary or mandatory DR reductions (and tests); not verification days, and
  // not reference days of any CBL (별표28 3.2).
  std::vector<Date> event_days;
  // 3.4: up to 5 verification days the aggregator sets aside as unlike the customer's normal use.
  std::vector<Date> user_excluded_days;
};

// The verification days (검증대상일) of 3.1 and 3.5.
struct VerificationDays {
  std::vector<Date> days;                // the days tested, most recent first
  std::vector<Date> excluded_events;     // event days left out (3.5)
  std::vector<Date> readmitted_events;   // event days taken back to reach 45 (3.5)
  std::vector<Date> user_excluded;       // the aggregator's days, not replaced (3.4)
};

// 3.1: 45 weekdays counted back from the day 20 days before registration (inclusive), at most 75
// weekdays back; 3.5: event days are skipped and replaced by older weekdays within the 75, and
// when fewer than 45 remain the event days nearest registration are taken back; 3.4: then the
// aggregator's days are removed without replacement.
// Errors: more than 5 user-excluded days, or one that is not a verification day; the calendar
// does not cover the days.
Result<VerificationDays> SelectVerificationDays(const HolidayCalendar& calendar,
                                                const RrmseRequest& request);

struct RrmseResult {
  Percent rrmse;     // rounded half up at the third decimal (5.2), e.g. 14.58 %
  bool pass = false; // rrmse <= 30 % (5.1)
  VerificationDays days;
  int hours = 0;                    // D(n) x T(n): verification days x 11 hours (09:00-20:00)
  KilowattHours mean_load{0};       // mean hourly usage over the D(n) x T(n) hours
  KilowattHours rms_error{0};       // sqrt(mean (CBL - Load)^2)
  int missing_intervals = 0;        // 15-minute readings absent and counted as 0 (3.7)
};

// 3.0: RRMSE = sqrt(Σ_d Σ_t (CBL_dt - Load_dt)^2 / (D(n) T(n))) ÷ (Σ_d Σ_t Load_dt / (D(n) T(n)))
// x 100, with the CBL by `request.method` without options (3.6), hours 09-20 (3.2), missing usage
// counted as 0 (3.7). Given the sums, the percentage rounded half up at the third decimal (5.2).
// REQUIRES: hours > 0.
Percent RrmsePercent(double sum_squared_error, double sum_load, int hours);

// The fit test. `usage` is 15-minute energy (kWh) covering the verification days and the CBL
// lookback of the earliest one (별표29 3.3 asks for 90 weekdays of data).
// Errors: SelectVerificationDays' errors; the usage does not cover the days needed; zero usage.
Result<RrmseResult> ComputeRrmse(const IntervalSeries<KilowattHours>& usage,
                                 const HolidayCalendar& calendar, const RrmseRequest& request);

}  // namespace meg
