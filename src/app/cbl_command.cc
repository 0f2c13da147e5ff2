#include "app/cbl_command.h"

#include <cctype>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/exit.h"
#include "app/paths.h"
#include "app/report/usc_replay_report.h"
#include "app/study/usc_replay.h"
#include "core/text.h"
#include "io/text_file.h"
#include "io/usage_csv.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg cbl";

struct CblCommandOptions {
  std::string usage;
  std::string method = "mid6/10";
  std::string event;
  bool saa = false;
  bool industrial = false;
  std::vector<std::string> exclude_days;
  std::string calendar = DefaultCalendarPath();
  bool json = false;
  std::string usc_replay;  // folder of the USC DR records
};

// "2h", "45m", "1h30m" -> minutes.
Result<int> ParseDurationMinutes(std::string_view text) {
  const std::string original(text);
  int total = 0;
  bool any = false;
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0 || digits == text.size() || digits > 4) {
      return InvalidInput(fmt::format("duration '{}' is not like 2h, 45m or 1h30m", original));
    }
    const int n = std::stoi(std::string(text.substr(0, digits)));
    const char unit = text[digits];
    if (unit == 'h') {
      total += n * 60;
    } else if (unit == 'm') {
      total += n;
    } else {
      return InvalidInput(fmt::format("duration '{}' is not like 2h, 45m or 1h30m", original));
    }
    any = true;
    text.remove_prefix(digits + 1);
  }
  if (!any) return InvalidInput("the duration after '/' is empty (e.g. 2h, 45m, 1h30m)");
  return total;
}

double Round3(double x) { return std::round(x * 1000) / 1000; }

std::string ShortDates(const std::vector<Date>& days) {
  std::string out;
  for (const Date d : days) out += (out.empty() ? "" : " ") + FormatDate(d).substr(5);
  return out;
}

std::string HourLabel(const CblHour& h) {
  const KstDateTime s = ToKst(h.hour_start);
  return fmt::format("{:02}:00-{:02}:00", s.minute_of_day / 60, s.minute_of_day / 60 + 1);
}

nlohmann::json ToJson(const CblCommandOptions& o, const DrWindow& event, const CblResult& r,
                      const std::vector<std::string>& notes) {
  using nlohmann::json;
  json j;
  j["usage"] = o.usage;
  j["method"] = std::string(CblMethodName(*ParseCblMethod(o.method)));
  j["event"] = {{"start", FormatKst(event.start)},
                {"end", FormatKst(event.end)},
                {"minutes", (event.end - event.start) / std::chrono::minutes{1}}};
  j["industrial"] = o.industrial;
  j["saa_requested"] = o.saa;
  json refs = json::array();
  for (const Date d : r.reference_days) refs.push_back(FormatDate(d));
  j["reference_days"] = refs;
  auto notes_json = [](const std::vector<ReferenceDayNote>& v) {
    json a = json::array();
    for (const auto& n : v) {
      json x = {{"date", FormatDate(n.date)}, {"reason", Describe(n)}};
      if (n.reason == DayExclusion::kAbnormal || n.reason == DayExclusion::kProductionAdjustment) {
        x["share_of_mean_pct"] = Round3(n.share_of_mean * 100);
      }
      a.push_back(x);
    }
    return a;
  };
  j["excluded_days"] = notes_json(r.excluded);
  j["readmitted_days"] = notes_json(r.readmitted);
  if (r.window_mean) j["window_mean_kwh"] = Round3(r.window_mean->value());
  if (r.recomputed_mean) j["recomputed_mean_kwh"] = Round3(r.recomputed_mean->value());
  if (r.saa) {
    json sim = json::array();
    for (const Date d : r.saa->similar_days) sim.push_back(FormatDate(d));
    j["saa"] = {{"from", FormatKst(r.saa->from)},
                {"to", FormatKst(r.saa->to)},
                {"event_day_kwh_per_h", Round3(r.saa->event_day_per_hour.value())},
                {"similar_days_kwh_per_h", Round3(r.saa->similar_days_per_hour.value())},
                {"adjustment_kwh_per_h", Round3(r.saa->per_hour.value())},
                {"similar_days", sim}};
  } else {
    j["saa"] = nullptr;
  }
  json hours = json::array();
  double cbl = 0, actual = 0, reduction = 0;
  for (const CblHour& h : r.hours) {
    json sim = json::array();
    for (const Date d : h.similar_days) sim.push_back(FormatDate(d));
    hours.push_back({{"hour_start", FormatKst(h.hour_start)},
                     {"event_minutes", h.event_minutes},
                     {"cbl_kwh", Round3(h.baseline.value())},
                     {"saa_kwh", Round3(h.saa_adjustment.value())},
                     {"actual_kwh", h.actual ? json(Round3(h.actual->value())) : json(nullptr)},
                     {"reduction_kwh", Round3(Reduction(h).value())},
                     {"similar_days", sim}});
    cbl += h.baseline.value();
    actual += h.actual ? h.actual->value() : 0;
    reduction += Reduction(h).value();
  }
  j["hours"] = hours;
  j["total"] = {{"cbl_kwh", Round3(cbl)}, {"actual_kwh", Round3(actual)}, {"reduction_kwh", Round3(reduction)}};
  j["notes"] = notes;
  return j;
}

std::string RenderText(const CblCommandOptions& o, const DrWindow& event, const CblResult& r,
                       const std::vector<std::string>& notes) {
  std::string s;
  const auto method = *ParseCblMethod(o.method);
  const KstDateTime start = ToKst(event.start);
  const auto minutes = (event.end - event.start) / std::chrono::minutes{1};
  s += fmt::format("CBL {} of {} for the DR event {} {:02}:{:02} KST, {} min{}{}\n", CblMethodName(method),
                   o.usage, FormatDate(start.date), start.minute_of_day / 60, start.minute_of_day % 60,
                   minutes, o.saa ? ", SAA" : "", o.industrial ? ", industrial" : "");
  s += fmt::format("reference days (참고일, most recent first): {}\n", ShortDates(r.reference_days));
  if (r.window_mean) {
    s += fmt::format("mean event-window usage of the lookback (별표28 2.1.2.1): {:.2f} kWh\n",
                     r.window_mean->value());
  }
  if (r.recomputed_mean) {
    s += fmt::format("recomputed mean without abnormal days (2.1.2.3): {:.2f} kWh\n",
                     r.recomputed_mean->value());
  }
  for (const auto& n : r.readmitted) {
    s += fmt::format("taken back (별표28 3.2.2): {}  {}\n", FormatDate(n.date), Describe(n));
  }
  if (!r.excluded.empty()) s += "weekdays not used:\n";
  for (const auto& n : r.excluded) s += fmt::format("  {}  {}\n", FormatDate(n.date), Describe(n));
  if (r.saa) {
    s += fmt::format("SAA (별표28 2.2) over {:02}:{:02}-{:02}:{:02}: event day {:.2f} kWh/h - similar "
                     "days {:.2f} kWh/h = {:+.2f} kWh/h\n",
                     ToKst(r.saa->from).minute_of_day / 60, ToKst(r.saa->from).minute_of_day % 60,
                     ToKst(r.saa->to).minute_of_day / 60, ToKst(r.saa->to).minute_of_day % 60,
                     r.saa->event_day_per_hour.value(), r.saa->similar_days_per_hour.value(),
                     r.saa->per_hour.value());
  }
  s += fmt::format("\n{:<12} {:>9} {:>12} {:>10} {:>12} {:>15}  {}\n", "trading hour", "event min",
                   "CBL kWh", "SAA kWh", "actual kWh", "reduction kWh", "similar days (유사일)");
  double cbl = 0, actual = 0, reduction = 0;
  for (const CblHour& h : r.hours) {
    s += fmt::format("{:<12} {:>9} {:>12.2f} {:>+10.2f} {:>12} {:>15.2f}  {}\n", HourLabel(h), h.event_minutes,
                     h.baseline.value(), h.saa_adjustment.value(),
                     h.actual ? fmt::format("{:.2f}", h.actual->value()) : "missing", Reduction(h).value(),
                     ShortDates(h.similar_days));
    cbl += h.baseline.value();
    actual += h.actual ? h.actual->value() : 0;
    reduction += Reduction(h).value();
  }
  s += fmt::format("{:<12} {:>9} {:>12.2f} {:>10} {:>12.2f} {:>15.2f}\n", "total", minutes, cbl, "", actual,
                   reduction);
  for (const auto& n : notes) s += "note: " + n + "\n";
  return s;
}

int RunUscReplay(const CblCommandOptions& o) {
  auto method = ParseCblMethod(o.method);
  if (!method) return ExitWith(kCommand, InvalidInput("--method: " + method.error().message));
  auto replay = ReplayUscDrRecords(o.usc_replay, *method);
  if (!replay) return ExitWith(kCommand, replay.error());
  std::cout << RenderUscReplayText(*replay);
  return 0;
}

int RunCbl(const CblCommandOptions& o) {
  if (!o.usc_replay.empty()) return RunUscReplay(o);
  if (o.usage.empty() || o.event.empty()) {
    return ExitWith(kCommand, InvalidInput("--usage FILE and --event START/DURATION are required, e.g. --usage "
                             "usage.csv --event 2024-08-12T14:00/2h"));
  }
  auto method = ParseCblMethod(o.method);
  if (!method) return ExitWith(kCommand, InvalidInput("--method: " + method.error().message));
  auto event = ParseEventWindow(o.event);
  if (!event) return ExitWith(kCommand, InvalidInput("--event: " + event.error().message));
  if (auto st = ValidateDrWindow(*event); !st) return ExitWith(kCommand, InvalidInput("--event: " + st.error().message));
  CblOptions options;
  options.method = *method;
  options.saa = o.saa;
  options.industrial = o.industrial;
  for (const auto& d : o.exclude_days) {
    auto date = ParseDate(Trim(d));
    if (!date) return ExitWith(kCommand, InvalidInput("--exclude-days: " + date.error().message));
    options.excluded_days.push_back(*date);
  }
  auto calendar = LoadCalendar(o.calendar);
  if (!calendar) return ExitWith(kCommand, calendar.error());

  auto text = ReadTextFile(o.usage);
  if (!text) return ExitWith(kCommand, text.error());
  UsageReadOptions read;
  read.keep_gaps = true;  // a gap takes its day out of the reference days (별표28 3.4.2)
  auto usage = ParseUsageCsv(*text, o.usage, read);
  if (!usage) return ExitWith(kCommand, usage.error());
  const PowerSeries* kw = &usage->kw;
  std::vector<std::string> notes;
  size_t missing = 0;
  for (const auto& g : kw->Gaps()) missing += g.count;
  if (missing > 0) {
    notes.push_back(fmt::format("{}: {} missing 15-minute interval(s) kept as gaps; a day with a gap "
                                "in the event's intervals is not a reference day (별표28 3.4.2)",
                                o.usage, missing));
  }
  // kWh of an interval = mean kW x 0.25 h.
  std::vector<std::optional<KilowattHours>> kwh(kw->size());
  for (size_t i = 0; i < kw->size(); ++i) {
    if (kw->at(i)) kwh[i] = *kw->at(i) * kIntervalHours;
  }
  const IntervalSeries<KilowattHours> energy(kw->start(), kInterval, std::move(kwh));

  auto cbl = ComputeCbl(energy, *calendar, *event, options);
  if (!cbl) return ExitWith(kCommand, cbl.error());
  notes.insert(notes.end(), cbl->notes.begin(), cbl->notes.end());
  for (const CblHour& h : cbl->hours) {
    if (!h.actual) {
      notes.push_back(fmt::format("{}: the event-day usage has a gap, the reduction counts as 0 "
                                  "(제12.5.2.3조 ③ 1)",
                                  HourLabel(h)));
    }
  }
  if (o.json) {
    std::cout << ToJson(o, *event, *cbl, notes).dump(2) << "\n";
  } else {
    std::cout << RenderText(o, *event, *cbl, notes);
  }
  return 0;
}

}  // namespace

Result<DrWindow> ParseEventWindow(std::string_view text) {
  const auto slash = text.rfind('/');
  if (slash == std::string_view::npos) {
    return InvalidInput(fmt::format("'{}' is not START/DURATION, e.g. 2024-08-12T14:00/2h", text));
  }
  const std::string_view start_text = Trim(text.substr(0, slash));
  auto start = ParseIso8601(start_text);
  if (!start) {
    // Without an offset the time is KST, the market's clock.
    const std::string_view time_part = start_text.size() > 10 ? start_text.substr(10) : "";
    const bool has_offset = time_part.find_first_of("Z+-") != std::string_view::npos;
    if (!has_offset) start = ParseIso8601(std::string(start_text) + "+09:00");
    if (!start) return start.error();
  }
  MEG_TRY_ASSIGN(minutes, ParseDurationMinutes(Trim(text.substr(slash + 1))));
  return DrWindow{*start, *start + std::chrono::minutes{minutes}};
}

void AddCblCommand(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<CblCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "cbl", "Customer baseline load (KPX 별표28) of one DR event: CBL, actual and reduction per trading hour");
  cmd->add_option("--usage", opts->usage, "usage CSV: timestamp,kW per 15-minute interval (kWh = kW x 0.25)");
  cmd->add_option("--method", opts->method, "max4/5 | mid6/10 | mid4/6 | mid8/10")->capture_default_str();
  cmd->add_option("--event", opts->event,
                  "START/DURATION, e.g. 2024-08-12T14:00/2h, 2024-08-12T14:15/45m (KST unless an offset "
                  "is given)");
  cmd->add_flag("--saa", opts->saa, "apply the same-day adjustment (별표28 2.2)");
  cmd->add_flag("--industrial", opts->industrial,
                "산업용 customer: also drop production-adjustment days (별표28 2.1.2.3)");
  cmd->add_option("--exclude-days", opts->exclude_days,
                  "earlier event, test or bid days, not reference days (별표28 3.2): 2024-08-05,2024-08-07")
      ->delimiter(',');
  cmd->add_option("--calendar", opts->calendar, "holiday calendar CSV")->capture_default_str();
  cmd->add_flag("--json", opts->json, "print JSON instead of text");
  cmd->add_option("--usc-replay", opts->usc_replay,
                  "replay the USC campus DR records in this folder (../shared/data/dr) and compare with their "
                  "recorded curtailment");
  cmd->callback([opts, exit_code] { *exit_code = RunCbl(*opts); });
}

}  // namespace meg
