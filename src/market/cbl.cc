#include "market/cbl.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace meg {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr int kMaxLookback = 20;  // 3.2.1: Mid(6/10) and Mid(8/10) look back at most 20 weekdays
constexpr int kMaxHours = 24;     // a window within one KST day touches at most 24 trading hours
constexpr int kSaaSlots = 12;     // 2.2.2: the 3 h from 4 h to 1 h before the start
constexpr int kMinutesPerDay = 24 * 60;

// The event's 15-minute intervals by KST clock time, split into trading hours (3.2.4).
struct EventGrid {
  Date date;
  int start_minute = 0;  // KST minute of day of the first interval
  int slots = 0;
  int hours = 0;
  std::array<int, kMaxHours + 1> hour_first_slot{};  // hour j covers [first[j], first[j + 1])
  std::array<int, kMaxHours> hour_start_minute{};
};

EventGrid GridOf(const DrWindow& event) {
  EventGrid g;
  const KstDateTime s = ToKst(event.start);
  g.date = s.date;
  g.start_minute = s.minute_of_day;
  g.slots = static_cast<int>((event.end - event.start) / kInterval);
  for (int slot = 0; slot < g.slots; ++slot) {
    const int minute = g.start_minute + slot * 15;
    if (g.hours == 0 || minute / 60 * 60 != g.hour_start_minute[g.hours - 1]) {
      g.hour_start_minute[g.hours] = minute / 60 * 60;
      g.hour_first_slot[g.hours] = slot;
      ++g.hours;
    }
  }
  g.hour_first_slot[g.hours] = g.slots;
  return g;
}

// Sums `count` intervals of `usage` from `from`; nullopt when one is missing or off the series.
// REQUIRES: usage is on the 15-minute grid.
std::optional<double> SumIntervals(const IntervalSeries<KilowattHours>& usage, Timestamp from,
                                   int count) {
  if (from < usage.start()) return std::nullopt;
  const auto first = static_cast<size_t>((from - usage.start()) / kInterval);
  if (first + static_cast<size_t>(count) > usage.size()) return std::nullopt;
  double sum = 0;
  for (size_t i = first; i < first + static_cast<size_t>(count); ++i) {
    const auto& v = usage.at(i);
    if (!v) return std::nullopt;
    sum += v->value();
  }
  return sum;
}

// One weekday of the lookback with its usage in each trading hour of the event.
enum class DayState { kPool, kAbnormal, kProduction };
struct Day {
  Date date;
  std::array<double, kMaxHours> hour_kwh{};
  double window_kwh = 0;
  double share = 0;
  DayState state = DayState::kPool;
};

// Reads the day's event intervals; false when one is missing (3.4.2).
bool ReadDay(const IntervalSeries<KilowattHours>& usage, const EventGrid& g, Day& day) {
  const Timestamp from = FromKst(day.date, g.start_minute);
  if (from < usage.start()) return false;
  const auto first = static_cast<size_t>((from - usage.start()) / kInterval);
  if (first + static_cast<size_t>(g.slots) > usage.size()) return false;
  day.window_kwh = 0;
  for (int h = 0; h < g.hours; ++h) {
    double sum = 0;
    for (int s = g.hour_first_slot[h]; s < g.hour_first_slot[h + 1]; ++s) {
      const auto& v = usage.at(first + static_cast<size_t>(s));
      if (!v) return false;
      sum += v->value();
    }
    day.hour_kwh[h] = sum;
    day.window_kwh += sum;
  }
  return true;
}

bool Contains(const std::vector<Date>& days, Date d) {
  return std::find(days.begin(), days.end(), d) != days.end();
}

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '(' && c != ')') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// 2.1.2.2 and 2.1.2.3: marks abnormal and production-adjustment days in `pool`.
void MarkAbnormalDays(std::span<Day> pool, bool industrial, CblResult& out) {
  if (pool.empty()) return;
  double sum = 0;
  for (const Day& d : pool) sum += d.window_kwh;
  const double mean = sum / static_cast<double>(pool.size());
  out.window_mean = KilowattHours(mean);
  // 2.1.2.2: "75% 미만" is strictly below.
  for (Day& d : pool) {
    d.share = mean > 0 ? d.window_kwh / mean : 0;
    if (d.window_kwh < 0.75 * mean) d.state = DayState::kAbnormal;
  }
  if (!industrial) return;
  // 2.1.2.3: the mean recomputed without the abnormal days; below 75 % or above 125 % of it.
  double rest_sum = 0;
  int rest = 0;
  for (const Day& d : pool) {
    if (d.state != DayState::kPool) continue;
    rest_sum += d.window_kwh;
    ++rest;
  }
  if (rest == 0) return;
  const double mean2 = rest_sum / rest;
  out.recomputed_mean = KilowattHours(mean2);
  for (Day& d : pool) {
    if (d.state != DayState::kPool) continue;
    d.share = mean2 > 0 ? d.window_kwh / mean2 : 0;
    if (d.window_kwh < 0.75 * mean2 || d.window_kwh > 1.25 * mean2) d.state = DayState::kProduction;
  }
}

ReferenceDayNote NoteOf(const Day& d) {
  return ReferenceDayNote{d.date,
                          d.state == DayState::kAbnormal ? DayExclusion::kAbnormal
                                                         : DayExclusion::kProductionAdjustment,
                          d.share};
}

// 2.2 SAA against the similar days of the trading hour that holds the start. Returns nullopt
// with a note when data is missing (3.4.4).
std::optional<SaaDetail> ComputeSaa(const IntervalSeries<KilowattHours>& usage, const DrWindow& event,
                                    const EventGrid& g, const std::vector<Date>& similar,
                                    std::vector<std::string>& notes) {
  SaaDetail saa;
  saa.from = event.start - hours{4};
  saa.to = event.start - hours{1};
  const auto event_day = SumIntervals(usage, saa.from, kSaaSlots);
  if (!event_day) {
    notes.push_back(fmt::format("SAA not applied: usage missing on the event day between {} and {} "
                                "(별표28 3.4.4)",
                                FormatKst(saa.from), FormatKst(saa.to)));
    return std::nullopt;
  }
  double similar_sum = 0;
  for (const Date d : similar) {
    const auto kwh = SumIntervals(usage, FromKst(d, g.start_minute) - hours{4}, kSaaSlots);
    if (!kwh) {
      notes.push_back(fmt::format("SAA not applied: usage missing on similar day {} in the SAA "
                                  "window (별표28 3.4.4)",
                                  FormatDate(d)));
      return std::nullopt;
    }
    similar_sum += *kwh;
  }
  // "평균 사용전력량" of the 3 h: energy per hour, so that it adds to an hourly CBL.
  saa.event_day_per_hour = KilowattHours(*event_day / 3.0);
  saa.similar_days_per_hour = KilowattHours(similar_sum / 3.0 / static_cast<double>(similar.size()));
  saa.per_hour = saa.event_day_per_hour - saa.similar_days_per_hour;
  saa.similar_days = similar;
  return saa;
}

}  // namespace

Result<CblMethod> ParseCblMethod(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "max4/5") return CblMethod::kMax4of5;
  if (t == "mid6/10") return CblMethod::kMid6of10;
  if (t == "mid4/6") return CblMethod::kMid4of6;
  if (t == "mid8/10") return CblMethod::kMid8of10;
  return InvalidInput(fmt::format("CBL method '{}' is not one of max4/5, mid6/10, mid4/6, mid8/10 "
                                  "(별표28 1.1-1.4)",
                                  text));
}

std::string_view CblMethodName(CblMethod method) {
  switch (method) {
    case CblMethod::kMax4of5: return "Max(4/5)";
    case CblMethod::kMid6of10: return "Mid(6/10)";
    case CblMethod::kMid4of6: return "Mid(4/6)";
    case CblMethod::kMid8of10: return "Mid(8/10)";
  }
  return "?";
}

CblMethodRule RuleOf(CblMethod method) {
  // 1.1-1.4 for the counts, 3.2.1 for the lookback limits.
  switch (method) {
    case CblMethod::kMax4of5: return {5, 10, 4, 0, 1};
    case CblMethod::kMid6of10: return {10, 20, 6, 2, 2};
    case CblMethod::kMid4of6: return {6, 12, 4, 1, 1};
    case CblMethod::kMid8of10: return {10, 20, 8, 1, 1};
  }
  return {};
}

Status ValidateDrWindow(const DrWindow& event) {
  const auto what = [&] { return fmt::format("DR window {} to {}", FormatKst(event.start), FormatKst(event.end)); };
  if (!IsIntervalAligned(event.start) || !IsIntervalAligned(event.end)) {
    return InvalidInput(what() + ": start and end must be on the 15-minute grid (:00, :15, :30, :45; "
                                 "별표28 3.2.4)");
  }
  if (event.end <= event.start) return InvalidInput(what() + ": the end is not after the start");
  const KstDateTime s = ToKst(event.start);
  if (s.minute_of_day + (event.end - event.start) / minutes{1} > kMinutesPerDay) {
    return InvalidInput(what() + ": spans two KST days; a CBL is computed per event day");
  }
  return Ok{};
}

std::string Describe(const ReferenceDayNote& note) {
  const auto pct = static_cast<long>(std::lround(note.share_of_mean * 100));
  switch (note.reason) {
    case DayExclusion::kExcludedDay: return "earlier event, test or bid day (별표28 3.2, 3.3)";
    case DayExclusion::kHoliday: return "public holiday, not a 평일 (제12.4.3.1조 ① 1)";
    case DayExclusion::kMissingData: return "usage missing in the event hours (별표28 3.4.2)";
    case DayExclusion::kAbnormal:
      return fmt::format("abnormal day (비정상근무일): {} % of the mean, below 75 % (별표28 2.1.2.2)", pct);
    case DayExclusion::kProductionAdjustment:
      return fmt::format("production-adjustment day (일시적인 생산 조정일): {} % of the recomputed mean, "
                         "outside 75-125 % (별표28 2.1.2.3)",
                         pct);
    case DayExclusion::kNotNeeded: return "older than the reference days needed (별표28 1.1-1.4)";
  }
  return "?";
}

Result<CblResult> ComputeCbl(const IntervalSeries<KilowattHours>& usage,
                             const HolidayCalendar& calendar, const DrWindow& event,
                             const CblOptions& options) {
  MEG_TRY(ValidateDrWindow(event));
  if (usage.step() != kInterval || !IsIntervalAligned(usage.start())) {
    return InvalidInput("usage for the CBL must be 15-minute energy on the :00/:15/:30/:45 grid");
  }
  const CblMethodRule rule = RuleOf(options.method);
  const EventGrid g = GridOf(event);
  CblResult out;
  out.event_date = g.date;

  // 3.2.1: the lookback is the `lookback_weekdays` weekdays before the event day, "이전 감축일을
  // 제외하고": earlier event days (3.2, 3.3) do not count toward the limit, days without data
  // (3.4.2) do (docs/cbl.md, "lookback").
  std::array<Day, kMaxLookback> pool_store;
  int pool_size = 0;
  int weekdays = 0;
  for (Date d = AddDays(g.date, -1); weekdays < rule.lookback_weekdays; d = AddDays(d, -1)) {
    if (!calendar.Covers(d)) {
      return InvalidInput(fmt::format("the holiday calendar covers {} to {}, not {} in the CBL "
                                      "lookback of the event on {}",
                                      FormatDate(calendar.first()), FormatDate(calendar.last()),
                                      FormatDate(d), FormatDate(g.date)));
    }
    if (!IsDrWeekday(d, calendar)) {
      const std::chrono::weekday w{std::chrono::sys_days{d}};
      if (w != std::chrono::Saturday && w != std::chrono::Sunday) {
        out.excluded.push_back({d, DayExclusion::kHoliday, 0});
      }
      continue;
    }
    // 3.2, 3.3: earlier event days are not in the maximum reference days (최대참고일).
    if (Contains(options.excluded_days, d)) {
      out.excluded.push_back({d, DayExclusion::kExcludedDay, 0});
      continue;
    }
    ++weekdays;
    Day& day = pool_store[static_cast<size_t>(pool_size)];
    day = Day{};
    day.date = d;
    if (!ReadDay(usage, g, day)) {
      out.excluded.push_back({d, DayExclusion::kMissingData, 0});
      continue;
    }
    ++pool_size;
  }
  const std::span<Day> pool(pool_store.data(), static_cast<size_t>(pool_size));
  if (options.abnormal_days) MarkAbnormalDays(pool, options.industrial, out);

  // The reference days: the most recent pool days still in, up to the method's count.
  std::array<const Day*, kMaxLookback> chosen{};
  int k = 0;
  for (const Day& d : pool) {
    if (d.state != DayState::kPool) continue;
    if (k < rule.reference_days) {
      chosen[static_cast<size_t>(k++)] = &d;
    } else {
      out.excluded.push_back({d.date, DayExclusion::kNotNeeded, 0});
    }
  }
  // 3.2.2: too few days: take back the most recent production-adjustment days first, then the
  // most recent abnormal days; 3.2.3: the option is not run again.
  for (const DayState kind : {DayState::kProduction, DayState::kAbnormal}) {
    for (const Day& d : pool) {
      if (d.state != kind) continue;
      if (k < rule.reference_days) {
        chosen[static_cast<size_t>(k++)] = &d;
        out.readmitted.push_back(NoteOf(d));
      } else {
        out.excluded.push_back(NoteOf(d));
      }
    }
  }
  if (k == 0) {
    return NotFound(fmt::format("no reference day (참고일) with complete usage among the {} weekdays "
                                "before the event on {}: the CBL cannot be computed (제12.5.2.3조 ④ "
                                "counts the reduction as 0)",
                                rule.lookback_weekdays, FormatDate(g.date)));
  }
  std::sort(chosen.begin(), chosen.begin() + k, [](const Day* a, const Day* b) {
    return std::chrono::sys_days{a->date} > std::chrono::sys_days{b->date};
  });
  std::sort(out.excluded.begin(), out.excluded.end(), [](const auto& a, const auto& b) {
    return std::chrono::sys_days{a.date} > std::chrono::sys_days{b.date};
  });
  out.reference_days.reserve(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) out.reference_days.push_back(chosen[static_cast<size_t>(i)]->date);

  // 1.1-1.4 with 3.2.1: keep `similar_days` where there are enough days; the surplus is dropped
  // from the bottom first (the minimum when the counts differ), each side capped at the method's.
  const int surplus = std::max(0, k - rule.similar_days);
  const int drop_bottom = std::min(rule.drop_bottom, (surplus + 1) / 2);
  const int drop_top = std::min(rule.drop_top, surplus - drop_bottom);
  const int keep = k - drop_top - drop_bottom;
  if (k < rule.reference_days) {
    out.notes.push_back(fmt::format("{} reference days of the {} {} wants: averaged {} after "
                                    "dropping the highest {} and the lowest {} (별표28 3.2.1)",
                                    k, rule.reference_days, CblMethodName(options.method), keep,
                                    drop_top, drop_bottom));
  }

  out.hours.resize(static_cast<size_t>(g.hours));
  std::array<int, kMaxLookback> order{};
  for (int h = 0; h < g.hours; ++h) {
    for (int i = 0; i < k; ++i) order[static_cast<size_t>(i)] = i;
    // Highest usage first; a tie goes to the more recent day (chosen is most recent first).
    std::stable_sort(order.begin(), order.begin() + k, [&](int a, int b) {
      return chosen[static_cast<size_t>(a)]->hour_kwh[static_cast<size_t>(h)] >
             chosen[static_cast<size_t>(b)]->hour_kwh[static_cast<size_t>(h)];
    });
    CblHour& hour = out.hours[static_cast<size_t>(h)];
    hour.hour_start = FromKst(g.date, g.hour_start_minute[static_cast<size_t>(h)]);
    hour.event_minutes = (g.hour_first_slot[static_cast<size_t>(h) + 1] -
                          g.hour_first_slot[static_cast<size_t>(h)]) * 15;
    double sum = 0;
    hour.similar_days.reserve(static_cast<size_t>(keep));
    for (int r = drop_top; r < drop_top + keep; ++r) {
      const Day* d = chosen[static_cast<size_t>(order[static_cast<size_t>(r)])];
      sum += d->hour_kwh[static_cast<size_t>(h)];
      hour.similar_days.push_back(d->date);
    }
    hour.baseline = KilowattHours(sum / keep);
    const Timestamp from = event.start + kInterval * g.hour_first_slot[static_cast<size_t>(h)];
    if (const auto actual = SumIntervals(usage, from, hour.event_minutes / 15)) {
      hour.actual = KilowattHours(*actual);
    }
  }

  if (options.saa) {
    std::optional<KilowattHours> per_hour = options.first_event_saa;
    if (!per_hour) {
      // 2.2.2 "감축시작시간 유사일": the similar days of the trading hour that holds the start.
      out.saa = ComputeSaa(usage, event, g, out.hours.front().similar_days, out.notes);
      if (out.saa) per_hour = out.saa->per_hour;
    } else {
      out.notes.push_back(fmt::format("SAA of the day's first event used: {:+.3f} kWh per hour "
                                      "(별표28 3.2.5)",
                                      per_hour->value()));
    }
    if (per_hour) {
      // 2.2.2 보정계수 = event minutes in the trading hour / 60.
      for (CblHour& hour : out.hours) {
        hour.saa_adjustment = *per_hour * (hour.event_minutes / 60.0);
        hour.baseline += hour.saa_adjustment;
      }
    }
  }
  return out;
}

KilowattHours Reduction(const CblHour& hour) {
  if (!hour.actual) return KilowattHours(0);
  return hour.baseline - *hour.actual;
}

Result<std::vector<ResourceCblHour>> SumCbl(std::span<const CblResult> customers) {
  if (customers.empty()) return InvalidInput("a DR resource needs at least one customer's CBL");
  std::vector<ResourceCblHour> out(customers.front().hours.size());
  for (size_t h = 0; h < out.size(); ++h) {
    out[h].hour_start = customers.front().hours[h].hour_start;
    out[h].event_minutes = customers.front().hours[h].event_minutes;
  }
  for (size_t c = 0; c < customers.size(); ++c) {
    const auto& hours_c = customers[c].hours;
    if (hours_c.size() != out.size()) {
      return InvalidInput(fmt::format("customer {} has {} trading hours, customer 0 has {}: a "
                                      "resource sums the CBLs of one event",
                                      c, hours_c.size(), out.size()));
    }
    for (size_t h = 0; h < out.size(); ++h) {
      const CblHour& x = hours_c[h];
      if (x.hour_start != out[h].hour_start || x.event_minutes != out[h].event_minutes) {
        return InvalidInput(fmt::format("customer {}: trading hour {} differs from customer 0's {}",
                                        c, FormatKst(x.hour_start), FormatKst(out[h].hour_start)));
      }
      out[h].baseline += x.baseline;
      out[h].reduction += Reduction(x);
      if (x.actual) {
        out[h].actual += *x.actual;
      } else {
        ++out[h].customers_without_data;
      }
    }
  }
  return out;
}

}  // namespace meg
