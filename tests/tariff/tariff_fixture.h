// Shared test fixture: the shipped KEPCO tables and the shared holiday calendar, and a helper
// that builds a month of 15-minute usage from a rule.
#pragma once

#include <functional>

#include <gtest/gtest.h>

#include "core/calendar.h"
#include "core/series.h"
#include "io/text_file.h"
#include "tariff/tariff_book.h"

namespace meg::testing {

inline TariffBook LoadShippedBook() {
  const std::string dir = std::string(MEG_TEST_DATA_DIR) + "/tariff/kepco";
  auto book = TariffBook::Load(dir, [](const std::string& p) { return ReadTextFile(p); });
  if (!book) ADD_FAILURE() << book.error().message;
  return std::move(book).value();
}

inline HolidayCalendar LoadSharedCalendar() {
  const std::string path =
      std::string(MEG_TEST_SHARED_DIR) + "/data/calendar/kr_public_holidays_2018-2027.csv";
  auto cal = HolidayCalendar::Parse(ReadTextFile(path).value(), path);
  if (!cal) ADD_FAILURE() << cal.error().message;
  return std::move(cal).value();
}

// A whole month of 15-minute mean kW, each interval's value from `kw_at(kst)`.
inline PowerSeries MonthOfUsage(Month m, const std::function<double(const KstDateTime&)>& kw_at) {
  const Timestamp start = StartOfKstMonth(m);
  const Timestamp end = StartOfKstMonth(m + std::chrono::months{1});
  std::vector<std::optional<Kilowatts>> values;
  for (Timestamp t = start; t < end; t += kInterval) values.emplace_back(Kilowatts(kw_at(ToKst(t))));
  return PowerSeries(start, kInterval, std::move(values));
}

inline Month Ym(int y, unsigned m) { return std::chrono::year{y} / std::chrono::month{m}; }
inline Date Ymd(int y, unsigned m, unsigned d) {
  return std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d};
}

}  // namespace meg::testing
