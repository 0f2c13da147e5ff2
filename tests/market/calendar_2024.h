// Shared by the DR tests: an ISO 8601 time and the 2024 public holidays they meet (2024-08-15
// 광복절, a Thursday; 2024-09-16..18 추석). 2024-08-12 is a Monday, 2024-08-17 a Saturday.
#pragma once

#include "core/calendar.h"
#include "core/time.h"

namespace meg::testing {

inline Timestamp T(const char* iso) { return *ParseIso8601(iso); }

inline HolidayCalendar Calendar2024() {
  using namespace std::chrono_literals;
  return HolidayCalendar({Holiday{2024y / std::chrono::August / 15, HolidayKind::kStatutory, "광복절"},
                          Holiday{2024y / std::chrono::September / 16, HolidayKind::kStatutory, "추석"},
                          Holiday{2024y / std::chrono::September / 17, HolidayKind::kStatutory, "추석"},
                          Holiday{2024y / std::chrono::September / 18, HolidayKind::kStatutory, "추석"}},
                         2024y / 1 / 1, 2024y / 12 / 31);
}

}  // namespace meg::testing
