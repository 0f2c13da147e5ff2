// Customer baseline load (고객기준부하, CBL) of KPX 전력시장운영규칙 별표28.
// Pure functions over metered 15-minute energy; thread-compatible.
//
// The CBL is what a customer would have used in each trading hour (거래시간) of a DR event had it
// not reduced; the reduction the market pays for is CBL - metered usage. Every rule below cites
// its article of 별표28.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "core/units.h"

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

// A DR event on one KST day: [start, end) on the 15-minute grid (별표28 3.2.4), 15 min to 4 h.
struct DrWindow {
  Timestamp start;
  Timestamp end;
};

struct CblOptions {
  CblMethod method = CblMethod::kMid6of10;
  bool saa = false;         // 2.2 same-day adjustment (SAA)
  bool industrial = false;  // 산업용 customer: 2.1.2.3 production-adjustment days (75 % / 125 %)
  // Days that may not be reference days (3.2, 3.3): earlier DR event days, test days, bid days.
  std::vector<Date> excluded_days;
};

// One trading hour of the event: the hour [hour_start, hour_start + 1 h) and the part of it the
// event covers (event_minutes of 15, 30, 45 or 60). Energies are over the covered part only.
struct CblHour {
  Timestamp hour_start;
  int event_minutes = 60;
  KilowattHours baseline{0};        // the CBL, SAA included
  KilowattHours saa_adjustment{0};  // the part of `baseline` that is SAA (0 without SAA)
  std::optional<KilowattHours> actual;  // metered; nullopt when the meter has a gap
  std::vector<Date> similar_days;       // 유사일 averaged for this hour
};

// Why a weekday in the lookback was not used: shown to the user by `meg cbl`.
struct ReferenceDayNote {
  Date date;
  std::string reason;  // e.g. "earlier event day (3.2)", "abnormal day: 61 % of the mean (2.1.2.2)"
};

struct CblResult {
  std::vector<Date> reference_days;  // 참고일 used, most recent first
  std::vector<ReferenceDayNote> excluded;
  std::vector<CblHour> hours;        // one per trading hour the event touches, in time order
  std::vector<std::string> notes;    // e.g. "SAA not applied: usage missing (3.4.4)"
};

// The CBL of one customer for one event. `usage` is metered energy per 15-minute interval
// (kWh, + consumption; gaps allowed), covering the lookback and the event day. `calendar` names
// the public holidays, which are not weekdays (평일).
// Errors: the window is not on the 15-minute grid, spans KST days or exceeds 4 h; too few
// reference days with data.
Result<CblResult> ComputeCbl(const IntervalSeries<KilowattHours>& usage, const HolidayCalendar& calendar,
                             const DrWindow& event, const CblOptions& options);

}  // namespace meg
