// The holiday calendar CSV (core/calendar): any text gives a calendar or an Error; a calendar
// answers Find and Covers for any date.
#include <chrono>

#include "core/calendar.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  using namespace std::chrono;
  auto calendar = HolidayCalendar::Parse(fuzz::Text(data, size), "fuzz.csv");
  fuzz::CheckValueOrError(calendar);
  if (!calendar) return 0;
  for (const Date d : {calendar->first(), calendar->last(), Date{year{2024} / August / 15},
                       Date{year{-32767} / January / 1}, Date{year{32767} / December / 31}}) {
    calendar->Find(d);
    calendar->Covers(d);
  }
  return 0;
}
