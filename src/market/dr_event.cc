#include "market/dr_event.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <utility>

#include "core/text.h"

namespace meg {
namespace {

using std::chrono::minutes;

std::string Hhmm(int minute_of_day) { return fmt::format("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60); }

std::string CallName(const DrCall& call) { return fmt::format("call {}", FormatKst(call.start)); }

Error CallError(const DrCall& call, std::string_view what) {
  return InvalidInput(fmt::format("{}: {}", CallName(call), what));
}

// Minutes from the KST midnight of `date` to `t` (1440 for the next midnight).
int MinuteOn(Date date, Timestamp t) {
  return static_cast<int>(std::chrono::duration_cast<minutes>(t - FromKst(date)).count());
}

// Grid, order, one KST day, positive request: the shape every call must have.
Status CheckShape(const DrCall& call) {
  if (!IsIntervalAligned(call.start) || !IsIntervalAligned(call.end)) {
    return CallError(call, "start and end must be on :00, :15, :30 or :45 (제12.4.3.1조 ①, 별표28 3.2.4)");
  }
  if (call.end <= call.start) return CallError(call, "end must be after start");
  if (call.issued > call.start)
    return CallError(call, "issued after the start (no notice at all; 제12.4.3.1조 ② asks for 60 min)");
  const Date day = ToKst(call.start).date;
  if (MinuteOn(day, call.end) > 24 * 60) {
    return CallError(call, "a call must end on the KST day it starts (거래일 단위 정산)");
  }
  if (!(call.requested.value() > 0.0)) {
    return CallError(call, fmt::format("requested_kw = {} must be > 0", call.requested.value()));
  }
  return Ok{};
}

// Window, excluded midday hour, notice and duration of a reliability call or test.
Status CheckDispatch(const DrCall& call, const DrDispatchRules& rules) {
  const Date day = ToKst(call.start).date;
  const int from = MinuteOn(day, call.start);
  const int to = MinuteOn(day, call.end);
  if (from < rules.window_start_minute || to > rules.window_end_minute) {
    return CallError(call, fmt::format("{}-{} is outside the dispatch window {}-{} (제12.4.3.1조 ① 1호)", Hhmm(from),
                                       Hhmm(to), Hhmm(rules.window_start_minute), Hhmm(rules.window_end_minute)));
  }
  // The text restricts the start and end times; the obligation hours of 별표26 Ⅰ.4 가 (DRT:
  // 09-12, 13-20) show that no part of the call may fall in the excluded hour.
  if (rules.excluded_start_minute < rules.excluded_end_minute && from < rules.excluded_end_minute &&
      to > rules.excluded_start_minute) {
    return CallError(call, fmt::format("{}-{} overlaps the excluded {}-{} (제12.4.3.1조 ① 1호)", Hhmm(from), Hhmm(to),
                                       Hhmm(rules.excluded_start_minute), Hhmm(rules.excluded_end_minute)));
  }
  const auto notice = std::chrono::duration_cast<minutes>(call.start - call.issued);
  if (notice < rules.min_notice) {
    return CallError(call, fmt::format("notice of {} min is below the minimum {} min "
                                       "(제12.4.3.1조 ② 발령시각)",
                                       notice.count(), rules.min_notice.count()));
  }
  const auto duration = std::chrono::duration_cast<minutes>(call.end - call.start);
  if (duration < rules.min_duration || duration > rules.max_duration) {
    return CallError(call, fmt::format("duration of {} min is outside {}-{} min "
                                       "(제12.4.3.1조 ② 의무감축지속시간)",
                                       duration.count(), rules.min_duration.count(), rules.max_duration.count()));
  }
  return Ok{};
}

struct DayViolation {
  size_t index = 0;  // the offending call, as an index into the input
  std::string message;
};

std::optional<DayViolation> FindDayViolation(const std::vector<DrCall>& calls, const DrDispatchRules& rules) {
  // Reliability calls and tests of one resource on one KST day, in time order.
  std::map<std::pair<std::string, std::chrono::sys_days>, std::vector<size_t>> days;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].kind == DrCallKind::kEconomic) continue;
    const auto day = std::chrono::sys_days{ToKst(calls[i].start).date};
    days[{calls[i].resource_id, day}].push_back(i);
  }
  for (auto& [key, idx] : days) {
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return calls[a].start < calls[b].start; });
    for (size_t j = 1; j < idx.size(); ++j) {
      const DrCall& prev = calls[idx[j - 1]];
      const DrCall& next = calls[idx[j]];
      if (next.start < prev.end) {
        return DayViolation{idx[j],
                            fmt::format("{}: overlaps the call starting {}", CallName(next), FormatKst(prev.start))};
      }
      if (rules.non_consecutive && next.start == prev.end) {
        return DayViolation{idx[j], fmt::format("{}: follows the previous call without a break; "
                                                "calls of one day must not be consecutive "
                                                "(제12.4.3.1조 ②)",
                                                CallName(next))};
      }
    }
    if (static_cast<int>(idx.size()) > rules.max_calls_per_day) {
      const size_t bad = idx[static_cast<size_t>(rules.max_calls_per_day)];
      return DayViolation{bad, fmt::format("{}: call {} of the day for resource '{}'; at most {} a "
                                           "day (제12.4.3.1조 ② 일일 전력수요 의무감축요청 한도)",
                                           CallName(calls[bad]), rules.max_calls_per_day + 1, key.first,
                                           rules.max_calls_per_day)};
    }
  }
  return std::nullopt;
}

Result<double> ParseKw(std::string_view text) {
  auto v = ParseFiniteDouble(text);
  if (!v) return InvalidInput(fmt::format("requested_kw '{}' is not a number", Trim(text)));
  return *v;
}

}  // namespace

Result<DrCallKind> ParseDrCallKind(std::string_view text) {
  const std::string s = Lower(Trim(text));
  if (s == "reliability") return DrCallKind::kReliability;
  if (s == "economic") return DrCallKind::kEconomic;
  if (s == "test") return DrCallKind::kTest;
  return InvalidInput(fmt::format("kind '{}' is not one of reliability, economic, test", Trim(text)));
}

std::string_view DrCallKindName(DrCallKind kind) {
  switch (kind) {
    case DrCallKind::kReliability: return "reliability";
    case DrCallKind::kEconomic: return "economic";
    case DrCallKind::kTest: return "test";
  }
  return "?";
}

DrDispatchRules DrDispatchRules::For(DrResourceType type) {
  DrDispatchRules rules;  // 표준DR
  if (type == DrResourceType::kSmallMedium) {
    rules.max_duration = minutes{60};  // ② table: 중소형DR 1시간
    rules.non_consecutive = true;      // ② 본문: 중소형DR ... 비연속적으로
  }
  return rules;
}

std::vector<DrCallHour> TradingHours(const DrCall& call) {
  MEG_CHECK(call.start < call.end);
  std::vector<DrCallHour> hours;
  const auto hour = std::chrono::hours{1};
  Timestamp h = call.start - call.start.time_since_epoch() % std::chrono::seconds(hour);
  for (; h < call.end; h += hour) {
    const Timestamp from = std::max(h, call.start);
    const Timestamp to = std::min(h + hour, call.end);
    const int covered = static_cast<int>(std::chrono::duration_cast<minutes>(to - from).count());
    hours.push_back(DrCallHour{h, covered, call.requested * Hours{covered / 60.0}});
  }
  return hours;
}

bool IsDrWeekday(Date date, const HolidayCalendar& calendar) {
  const std::chrono::weekday wd{std::chrono::sys_days{date}};
  if (wd == std::chrono::Saturday || wd == std::chrono::Sunday) return false;
  return calendar.Find(date) == nullptr;
}

Status ValidateDrCall(const DrCall& call, const DrDispatchRules& rules, const HolidayCalendar& calendar) {
  MEG_TRY(CheckShape(call));
  const Date day = ToKst(call.start).date;
  if (!calendar.Covers(day)) {
    return CallError(call, fmt::format("the holiday calendar does not cover {}; load the "
                                       "calendar of that year",
                                       FormatDate(day)));
  }
  if (!IsDrWeekday(day, calendar)) {
    return CallError(call,
                     fmt::format("{} is a Saturday, Sunday or 공휴일; DR trades on 평일 only "
                                 "({})",
                                 FormatDate(day),
                                 call.kind == DrCallKind::kEconomic ? "제12.4.2.1조 ① 1호" : "제12.4.3.1조 ① 1호"));
  }
  if (call.kind == DrCallKind::kEconomic) {
    const auto hour = std::chrono::seconds(std::chrono::hours{1});
    if (call.start.time_since_epoch() % hour != std::chrono::seconds{0} ||
        call.end.time_since_epoch() % hour != std::chrono::seconds{0}) {
      return CallError(call,
                       "an economic reduction is planned per whole trading hour "
                       "(감축계획량, 제12.4.2.8조)");
    }
    return Ok{};
  }
  return CheckDispatch(call, rules);
}

Status ValidateDrCallsOfDay(const std::vector<DrCall>& calls, const DrDispatchRules& rules) {
  if (auto v = FindDayViolation(calls, rules)) return InvalidInput(v->message);
  return Ok{};
}

Result<std::vector<DrCall>> ParseDrCalls(std::string_view text, std::string_view source,
                                         std::string_view default_resource_id, const DrDispatchRules& rules,
                                         const HolidayCalendar& calendar) {
  MEG_TRY_ASSIGN(lines, SplitLines(text, source));
  auto is_skipped = [](const Line& l) {
    const std::string_view t = Trim(l.text);
    return t.empty() || t.front() == '#';
  };
  size_t first = 0;
  while (first < lines.size() && is_skipped(lines[first])) ++first;
  if (first == lines.size()) return InvalidInput(fmt::format("{}: the file is empty", source));

  MEG_TRY_ASSIGN(header, SplitCsv(lines[first].text));
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[Lower(Trim(header[i]))] = i;
  for (const char* name : {"issued", "start", "end", "requested_kw"}) {
    if (!col.count(name)) {
      return InvalidInput(
          fmt::format("{}:{}: missing column '{}'; the header must name issued, "
                      "start, end, requested_kw[, kind][, resource_id]",
                      source, lines[first].number, name));
    }
  }

  std::vector<DrCall> calls;
  std::vector<int> line_of;
  for (size_t i = first + 1; i < lines.size(); ++i) {
    if (is_skipped(lines[i])) continue;
    const int n = lines[i].number;
    auto fail = [&](const Error& e) { return InvalidInput(fmt::format("{}:{}: {}", source, n, e.message)); };
    auto fields = SplitCsv(lines[i].text);
    if (!fields) return fail(fields.error());
    if (fields->size() != header.size()) {
      return fail(InvalidInput(fmt::format("{} fields where the header has {}", fields->size(), header.size())));
    }
    auto field = [&](const char* name) { return Trim((*fields)[col.at(name)]); };
    DrCall call;
    call.resource_id = std::string(default_resource_id);
    if (col.count("resource_id") && !field("resource_id").empty()) {
      call.resource_id = std::string(field("resource_id"));
    }
    if (col.count("kind") && !field("kind").empty()) {
      auto kind = ParseDrCallKind(field("kind"));
      if (!kind) return fail(kind.error());
      call.kind = *kind;
    }
    auto issued = ParseIso8601(field("issued"));
    if (!issued) return fail(issued.error());
    auto start = ParseIso8601(field("start"));
    if (!start) return fail(start.error());
    auto end = ParseIso8601(field("end"));
    if (!end) return fail(end.error());
    auto kw = ParseKw(field("requested_kw"));
    if (!kw) return fail(kw.error());
    call.issued = *issued;
    call.start = *start;
    call.end = *end;
    call.requested = Kilowatts{*kw};
    if (auto ok = ValidateDrCall(call, rules, calendar); !ok) return fail(ok.error());
    calls.push_back(std::move(call));
    line_of.push_back(n);
  }
  if (auto v = FindDayViolation(calls, rules)) {
    return InvalidInput(fmt::format("{}:{}: {}", source, line_of[v->index], v->message));
  }
  return calls;
}

}  // namespace meg
