// HolidayCalendar: Korean public holidays (관공서의 공휴일) by date, with their kind.
// Which kinds a tariff treats as holidays is the tariff's decision, not the calendar's.
// Immutable after construction; safe to share between threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace meg {

// kStatutory: a holiday named in 관공서의 공휴일에 관한 규정 art. 2 (설날, 추석, 광복절, ...).
// kSubstitute: 대체공휴일 (art. 3). kElection: an election day of a term-expiry election
// (art. 2 no. 10). kTemporary: 임시공휴일 designated by the government from time to time
// (art. 2 no. 11); the KEPCO supply terms 별표3 다만 3 exclude these from off-peak treatment.
enum class HolidayKind { kStatutory, kSubstitute, kElection, kTemporary };

struct Holiday {
  Date date;
  HolidayKind kind = HolidayKind::kStatutory;
  std::string name;
};

class HolidayCalendar {
 public:
  HolidayCalendar() = default;
  // REQUIRES: holidays sorted by date, one entry per date.
  explicit HolidayCalendar(std::vector<Holiday> holidays, Date first_year_start, Date last_year_end);

  // Parses the shared calendar CSV (`date,name`, UTF-8). `source` names the file in errors.
  // The kind comes from the name: 임시공휴일* -> temporary, 대체공휴일* -> substitute,
  // *선거 -> election, everything else statutory.
  static Result<HolidayCalendar> Parse(std::string_view csv_text, std::string_view source);

  // The holiday on `date`, or nullptr. Sundays are not listed here: they are holidays by
  // 관공서의 공휴일에 관한 규정 art. 2 no. 1, and callers apply that rule themselves.
  const Holiday* Find(Date date) const;
  // True if `date` lies within the years the calendar covers.
  bool Covers(Date date) const;
  Date first() const { return first_; }
  Date last() const { return last_; }
  const std::vector<Holiday>& holidays() const { return holidays_; }

 private:
  std::vector<Holiday> holidays_;
  Date first_{};
  Date last_{};
};

}  // namespace meg
