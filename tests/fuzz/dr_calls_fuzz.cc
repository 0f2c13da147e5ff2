// DR call files (market/dr_event, `meg simulate --dr-calls`): any text gives the calls or an
// Error, checked against KPX's dispatch rules and the 2024 holidays (from the shared calendar).
#include "core/calendar.h"
#include "market/dr_event.h"

#include "fuzz_check.h"

namespace {

// ../shared/data/calendar/kr_public_holidays_2018-2027.csv, the 2024 rows.
constexpr std::string_view kHolidays2024 = R"(date,name
2024-01-01,1월 1일
2024-02-09,설날 전날
2024-02-10,설날
2024-02-11,설날 다음 날
2024-02-12,대체공휴일(설날)
2024-03-01,3ㆍ1절
2024-04-10,제22대국회의원선거
2024-05-05,어린이날
2024-05-06,대체공휴일(어린이날)
2024-05-15,부처님 오신 날
2024-06-06,현충일
2024-08-15,광복절
2024-09-16,추석 전날
2024-09-17,추석
2024-09-18,추석 다음 날
2024-10-01,임시공휴일
2024-10-03,개천절
2024-10-09,한글날
2024-12-25,기독탄신일)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  static const HolidayCalendar calendar = *HolidayCalendar::Parse(kHolidays2024, "holidays-2024.csv");
  const DrDispatchRules rules;
  fuzz::CheckValueOrError(ParseDrCalls(fuzz::Text(data, size), "fuzz.csv", "resource-1", rules, calendar));
  return 0;
}
