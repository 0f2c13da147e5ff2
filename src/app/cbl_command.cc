#include "app/cbl_command.h"

#include <cctype>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "app/exit.h"
#include "app/paths.h"
#include "app/report/cbl_report.h"
#include "app/report/usc_replay_report.h"
#include "app/study/usc_replay.h"
#include "app/usage_options.h"
#include "core/text.h"
#include "io/text_file.h"
#include "io/usage_csv.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg cbl";

struct CblCommandOptions {
  std::string usage;
  UsageFormatOptions format;
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
  if (auto st = ValidateDrWindow(*event); !st)
    return ExitWith(kCommand, InvalidInput("--event: " + st.error().message));
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

  UsageReadOptions read;
  read.keep_gaps = true;  // a gap takes its day out of the reference days (별표28 3.4.2)
  auto usage = ReadUsageForCommand(kCommand, o.usage, o.format, read);
  if (!usage) return ExitWith(kCommand, usage.error());
  const PowerSeries* kw = &usage->usage.kw;
  std::vector<std::string> notes;
  size_t missing = 0;
  for (const auto& g : kw->Gaps()) missing += g.count;
  if (missing > 0) {
    notes.push_back(
        fmt::format("{}: {} missing 15-minute interval(s) kept as gaps; a day with a gap "
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
      notes.push_back(
          fmt::format("{}: the event-day usage has a gap, the reduction counts as 0 "
                      "(제12.5.2.3조 ③ 1)",
                      TradingHourLabel(h)));
    }
  }
  const CblHeading heading{o.usage, *method, *event, o.saa, o.industrial};
  if (o.json) {
    std::cout << CblJson(heading, *cbl, notes).dump(2) << "\n";
  } else {
    std::cout << RenderCblText(heading, *cbl, notes);
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
  cmd->add_option("--usage", opts->usage,
                  "usage: OpenMEG's CSV (timestamp,kW per 15-minute interval) or a meter download (as meg bill reads)");
  AddUsageFormatOptions(cmd, opts->format);
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
