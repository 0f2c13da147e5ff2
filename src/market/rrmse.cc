#include "market/rrmse.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace meg {
namespace {

constexpr int kVerificationDays = 45;     // 별표29 3.1
constexpr int kMaxVerificationDays = 75;  // 별표29 3.1
constexpr int kDaysBeforeRegistration = 20;
constexpr int kMaxUserExcluded = 5;       // 별표29 3.4
constexpr int kFirstHour = 9;             // 별표29 3.2: 09:00-20:00
constexpr int kLastHour = 20;

bool Contains(const std::vector<Date>& days, Date d) {
  return std::find(days.begin(), days.end(), d) != days.end();
}

// 5.2: "소수점 셋째자리에서 반올림": half up to two decimals.
double RoundTwoDecimals(double x) {
  return static_cast<double>(RoundHalfUpToUnit(x * 100)) / 100;
}

}  // namespace

Result<VerificationDays> SelectVerificationDays(const HolidayCalendar& calendar,
                                                const RrmseRequest& request) {
  if (request.user_excluded_days.size() > kMaxUserExcluded) {
    return InvalidInput(fmt::format("{} user-excluded days: 별표29 3.4 allows at most {}",
                                    request.user_excluded_days.size(), kMaxUserExcluded));
  }
  VerificationDays out;
  int weekdays = 0;
  for (Date d = AddDays(request.registration, -kDaysBeforeRegistration);
       weekdays < kMaxVerificationDays && static_cast<int>(out.days.size()) < kVerificationDays;
       d = AddDays(d, -1)) {
    if (!calendar.Covers(d)) {
      return InvalidInput(fmt::format("the holiday calendar covers {} to {}, not {} among the "
                                      "verification days",
                                      FormatDate(calendar.first()), FormatDate(calendar.last()),
                                      FormatDate(d)));
    }
    if (!IsDrWeekday(d, calendar)) continue;
    ++weekdays;
    if (Contains(request.event_days, d)) {
      out.excluded_events.push_back(d);
    } else {
      out.days.push_back(d);
    }
  }
  // 3.5: too many event days within the 75: the excluded ones nearest registration come back.
  while (static_cast<int>(out.days.size() + out.readmitted_events.size()) < kVerificationDays &&
         !out.excluded_events.empty()) {
    out.readmitted_events.push_back(out.excluded_events.front());
    out.excluded_events.erase(out.excluded_events.begin());
  }
  if (!out.readmitted_events.empty()) {
    out.days.insert(out.days.end(), out.readmitted_events.begin(), out.readmitted_events.end());
    std::sort(out.days.begin(), out.days.end(), [](Date a, Date b) {
      return std::chrono::sys_days{a} > std::chrono::sys_days{b};
    });
  }
  for (const Date d : request.user_excluded_days) {
    const auto it = std::find(out.days.begin(), out.days.end(), d);
    if (it == out.days.end()) {
      return InvalidInput(fmt::format("user-excluded day {} is not a verification day (the {} "
                                      "weekdays from {} back)",
                                      FormatDate(d), kVerificationDays,
                                      FormatDate(AddDays(request.registration, -kDaysBeforeRegistration))));
    }
    out.days.erase(it);
    out.user_excluded.push_back(d);
  }
  return out;
}

Percent RrmsePercent(double sum_squared_error, double sum_load, int hours) {
  MEG_CHECK(hours > 0);
  const double n = hours;
  const double pct = std::sqrt(sum_squared_error / n) / (sum_load / n) * 100;
  return Percent::FromMilliPercent(RoundHalfUpToUnit(pct * 100) * 10);
}

Result<RrmseResult> ComputeRrmse(const IntervalSeries<KilowattHours>& usage,
                                 const HolidayCalendar& calendar, const RrmseRequest& request) {
  MEG_TRY_ASSIGN(days, SelectVerificationDays(calendar, request));
  if (days.days.empty()) return InvalidInput("no verification day is left to test");
  if (usage.step() != kInterval || !IsIntervalAligned(usage.start())) {
    return InvalidInput("usage for the fit test must be 15-minute energy on the :00/:15/:30/:45 grid");
  }

  // The data needed: the CBL lookback (별표28 3.2.1) of the earliest day to 20:00 of the latest.
  const CblMethodRule rule = RuleOf(request.method);
  Date first_needed = days.days.back();
  for (int weekdays = 0; weekdays < rule.lookback_weekdays;) {
    first_needed = AddDays(first_needed, -1);
    if (!calendar.Covers(first_needed)) {
      return InvalidInput(fmt::format("the holiday calendar does not cover {} in the CBL lookback "
                                      "of the verification days",
                                      FormatDate(first_needed)));
    }
    // Event days do not count toward the lookback (별표28 3.2.1 "이전 감축일을 제외하고").
    if (IsDrWeekday(first_needed, calendar) && !Contains(request.event_days, first_needed)) ++weekdays;
  }
  const Timestamp need_from = FromKst(first_needed);
  const Timestamp need_to = FromKst(days.days.front(), kLastHour * 60);
  if (usage.start() > need_from || usage.end() < need_to) {
    return InvalidInput(fmt::format("the usage covers {} to {}; the fit test of {} needs {} to {} "
                                    "(the verification days and the {} lookback; 별표29 3.3)",
                                    FormatKst(usage.start()), FormatKst(usage.end()),
                                    FormatDate(request.registration), FormatKst(need_from),
                                    FormatKst(need_to), CblMethodName(request.method)));
  }

  RrmseResult out;
  // 3.7: a missing reading counts as 0. The zero reaches the CBL's reference days too, so that no
  // day drops out of a CBL for a gap (docs/cbl.md).
  std::vector<std::optional<KilowattHours>> filled = usage.values();
  for (auto& v : filled) {
    if (!v) v = KilowattHours(0);
  }
  for (const Date d : days.days) {
    const auto slot = usage.IndexOf(FromKst(d, kFirstHour * 60));
    for (size_t i = 0; slot && i < (kLastHour - kFirstHour) * 4; ++i) {
      if (!usage.at(*slot + i)) ++out.missing_intervals;
    }
  }
  const IntervalSeries<KilowattHours> zeroed(usage.start(), usage.step(), std::move(filled));

  // 3.6: no options (no abnormal days, no SAA). Without options each hour's CBL does not depend on
  // how the day is cut; 09:00-20:00 is cut as a reliability call would be (at most 4 h).
  CblOptions options;
  options.method = request.method;
  options.abnormal_days = false;
  options.excluded_days = request.event_days;
  double sum_sq = 0;
  double sum_load = 0;
  for (const Date d : days.days) {
    for (const auto& [from, to] : {std::pair{9, 13}, std::pair{13, 17}, std::pair{17, 20}}) {
      const DrWindow window{FromKst(d, from * 60), FromKst(d, to * 60)};
      auto cbl = ComputeCbl(zeroed, calendar, window, options);
      if (!cbl) {
        return Error{cbl.error().code,
                     fmt::format("fit test, verification day {}: {}", FormatDate(d), cbl.error().message)};
      }
      for (const CblHour& h : cbl->hours) {
        const double c = RoundTwoDecimals(h.baseline.value());
        const double load = RoundTwoDecimals(h.actual->value());
        sum_sq += (c - load) * (c - load);
        sum_load += load;
        ++out.hours;
      }
    }
  }
  if (sum_load <= 0) {
    return InvalidInput(fmt::format("the usage is zero over the verification days before {}: the "
                                    "RRMSE divides by the mean usage",
                                    FormatDate(request.registration)));
  }
  out.rrmse = RrmsePercent(sum_sq, sum_load, out.hours);
  out.pass = out.rrmse <= Percent::FromMilliPercent(30'000);
  out.mean_load = KilowattHours(sum_load / out.hours);
  out.rms_error = KilowattHours(std::sqrt(sum_sq / out.hours));
  out.days = std::move(days);
  return out;
}

}  // namespace meg
