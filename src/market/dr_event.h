// DR calls: the value type of one reduction order to a demand-response resource, the dispatch
// rules of KPX 전력시장운영규칙 제12.4.3.1조 that a call must satisfy, and the parser of the DR
// call file (docs/dr.md). Pure functions and value types; thread-safe.
//
//   const auto rules = DrDispatchRules::For(DrResourceType::kStandard);
//   auto calls = ParseDrCalls(text, "dr_calls.csv", "res-1", rules, calendar);
//   for (const DrCall& c : *calls)
//     for (const DrCallHour& h : TradingHours(c)) ...
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

// What the call is, which decides its settlement price (별표26 Ⅰ.1, Ⅰ.2):
// kReliability: 실시간 전력수요 의무감축요청 (제12.4.3.1조), paid at MGP, 1.2 x cap;
// kEconomic: 자발적 수요감축, the 감축계획량 scheduled from the D-1 bid (제12.4.2조), paid at SMP;
// kTest: 감축시험 / 감축재시험 / 감축신뢰성시험 (제12.3.2.1조), dispatched like a reliability call
//        (④) but paid at SMP (별표26 Ⅰ.2 가 단서, DRTF = 1).
enum class DrCallKind { kReliability, kEconomic, kTest };

// "reliability", "economic", "test" (case-insensitive).
Result<DrCallKind> ParseDrCallKind(std::string_view text);
std::string_view DrCallKindName(DrCallKind kind);

// Mainland resource types whose dispatch rules differ (제12.1.1조 9, 10호).
enum class DrResourceType {
  kStandard,     // 표준DR
  kSmallMedium,  // 중소형DR
};

// The dispatch rules of 제12.4.3.1조 for reliability calls and tests, as values so that a site can
// configure them if KPX amends the table. Times of day are KST minutes after midnight.
struct DrDispatchRules {
  // ① 1호: weekdays, 09:00 to 20:00 KST, 12:00-13:00 excluded.
  int window_start_minute = 9 * 60;
  int window_end_minute = 20 * 60;
  int excluded_start_minute = 12 * 60;  // no excluded period when start == end
  int excluded_end_minute = 13 * 60;
  // ② table, 발령시각: at least 60 minutes' notice before the start.
  std::chrono::minutes min_notice{60};
  // ② table, 의무감축지속시간: 표준DR 1-4 h; 중소형DR 1 h.
  std::chrono::minutes min_duration{60};
  std::chrono::minutes max_duration{240};
  // ② table, 일일 전력수요 의무감축요청 한도: 2 a day; ② 본문: 중소형DR calls of one day must not
  // be consecutive (one must not start where the previous ended).
  int max_calls_per_day = 2;
  bool non_consecutive = false;

  // The rules of 제12.4.3.1조 for `type`.
  static DrDispatchRules For(DrResourceType type);
};

// One DR call. `start` and `end` are on the 15-minute grid (① "매시 정각, 15분, 30분, 45분에
// 발령 가능") and half-open [start, end). `requested` is the reduction asked for as a mean power
// (RSO for reliability calls and tests; the 감축계획량 SSR for economic DR); the energy asked in a
// trading hour is `requested` x the minutes of the hour the call covers / 60.
struct DrCall {
  DrCallKind kind = DrCallKind::kReliability;
  std::string resource_id;
  Timestamp issued;  // when KPX issued the order (the notice)
  Timestamp start;
  Timestamp end;
  Kilowatts requested{0};
};

// One trading hour (거래시간) the call touches: [hour_start, hour_start + 1 h), of which the call
// covers `event_minutes` (15, 30, 45 or 60), and the energy asked for in it (RSO_t / SSR_t, kWh).
struct DrCallHour {
  Timestamp hour_start;
  int event_minutes = 60;
  KilowattHours requested{0};
};

// The trading hours of `call`, in time order. REQUIRES: call.start < call.end, both on the grid.
std::vector<DrCallHour> TradingHours(const DrCall& call);

// True if `date` is a 평일 of 제12.4.3.1조 ① and 제12.4.2.1조 ① 1호: not a Saturday, not a
// Sunday and not a 공휴일 of 관공서의 공휴일에 관한 규정 (every kind in the calendar counts,
// 임시공휴일 included).
bool IsDrWeekday(Date date, const HolidayCalendar& calendar);

// Checks one call against the rules that concern it alone: the grid, start < end, one KST day, a
// 평일, positive request, and for reliability calls and tests the window, the excluded midday
// hour, the notice and the duration. Economic calls must be whole trading hours on a 평일.
// Errors name the rule's article, e.g. "call 2024-08-12T11:30:00+09:00: ends at 12:30 inside the
// excluded 12:00-13:00 (제12.4.3.1조 ① 1호)". A calendar not covering the date is an error.
Status ValidateDrCall(const DrCall& call, const DrDispatchRules& rules,
                      const HolidayCalendar& calendar);

// Checks the rules across the calls of one resource (제12.4.3.1조 ②): at most
// `max_calls_per_day` reliability calls and tests per KST day, no overlap, and no back-to-back
// calls where `non_consecutive`. Economic calls are not counted. The calls may be in any order.
Status ValidateDrCallsOfDay(const std::vector<DrCall>& calls, const DrDispatchRules& rules);

// Parses a DR call file (CSV, UTF-8; docs/dr.md):
//   issued,start,end,requested_kw[,kind][,resource_id]
//   2024-08-12T13:00:00+09:00,2024-08-12T14:00:00+09:00,2024-08-12T16:00:00+09:00,500,reliability
// Columns are found by their header names; `kind` defaults to reliability and `resource_id` to
// `default_resource_id`. Blank lines and lines starting with '#' are skipped. Every call is
// checked by ValidateDrCall and the calls of each resource by ValidateDrCallsOfDay; errors name
// the file and line: "dr_calls.csv:3: ...".
Result<std::vector<DrCall>> ParseDrCalls(std::string_view text, std::string_view source,
                                         std::string_view default_resource_id,
                                         const DrDispatchRules& rules,
                                         const HolidayCalendar& calendar);

}  // namespace meg
