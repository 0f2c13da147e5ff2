#include "app/ev_sessions_command.h"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/exit.h"
#include "app/site_loader.h"
#include "core/time.h"
#include "io/ev_sessions.h"
#include "io/text_file.h"
#include "sim/ev_profile.h"

namespace meg {
namespace {

constexpr std::string_view kCommand = "meg ev-sessions";

struct EvSessionsOptions : SiteOptions {
  std::string from, to, out;
  CarParkProfile profile;
};

int RunEvSessions(const EvSessionsOptions& o) {
  auto loaded = LoadSiteContext(o);
  if (!loaded) return ExitWith(kCommand, loaded.error());
  const Site& site = loaded->site;
  if (site.chargers.empty()) {
    return ExitWith(kCommand,
                    InvalidInput(fmt::format("{} has no [[charger]]: nothing to make sessions for", site.file)));
  }
  auto from = ParseDate(o.from);
  auto to = ParseDate(o.to);
  if (!from || !to || *to <= *from) {
    return ExitWith(kCommand, InvalidInput(fmt::format("--from '{}' --to '{}': two dates YYYY-MM-DD, the first before "
                                                       "the second (the sessions of [from, to))",
                                                       o.from, o.to)));
  }
  if (!loaded->calendar.Covers(*from) || !loaded->calendar.Covers(std::chrono::sys_days{*to} - std::chrono::days{1})) {
    return ExitWith(kCommand, NotFound(fmt::format("the holiday calendar covers {} to {}, not the whole of {} to {}",
                                                   FormatDate(loaded->calendar.first()),
                                                   FormatDate(loaded->calendar.last()), o.from, o.to)));
  }
  const auto sessions = CarParkSessions(site.chargers, *from, *to, loaded->calendar, o.profile);
  std::string text = fmt::format(
      "# Charging sessions of {} from the demo car park's profile (docs/ev-charging.md; an assumption, not a "
      "measurement): `meg ev-sessions --from {} --to {} --seed {} --weekday-use {} --weekend-use {}`\n",
      site.name, o.from, o.to, o.profile.seed, o.profile.weekday_use, o.profile.weekend_use);
  text += FormatEvSessions(sessions);
  double kwh = 0;
  for (const EvSessionPlan& p : sessions) kwh += p.energy.value();
  if (o.out.empty()) {
    std::cout << text;
  } else if (auto st = WriteTextFile(o.out, text); !st) {
    return ExitWith(kCommand, st.error());
  }
  std::cerr << fmt::format("{}: {} sessions on {} chargers, {:.1f} kWh wanted{}\n", kCommand, sessions.size(),
                           site.chargers.size(), kwh, o.out.empty() ? "" : ", written to " + o.out);
  return 0;
}

}  // namespace

Result<std::optional<std::vector<EvSessionPlan>>> SiteEvSessions(const LoadedSite& loaded, Date from, Date to) {
  const Site& site = loaded.site;
  if (!site.ev.sessions_file.empty()) {
    MEG_TRY_ASSIGN(sessions, LoadEvSessions(site.ev.sessions_file, site.chargers));
    return std::optional<std::vector<EvSessionPlan>>(std::move(sessions));
  }
  if (site.ev.profile) {
    return std::optional<std::vector<EvSessionPlan>>(
        CarParkSessions(site.chargers, from, to, loaded.calendar, *site.ev.profile));
  }
  return std::optional<std::vector<EvSessionPlan>>();
}

void AddEvSessionsCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<EvSessionsOptions>();
  CLI::App* cmd =
      app.add_subcommand("ev-sessions",
                         "Write a car park's charging sessions from the documented profile (docs/ev-charging.md)");
  cmd->add_option("--site", o->site, "site TOML file with [[charger]] (see docs/site-config.md)")->required();
  cmd->add_option("--from", o->from, "first day, YYYY-MM-DD")->required();
  cmd->add_option("--to", o->to, "the day after the last, YYYY-MM-DD")->required();
  cmd->add_option("--seed", o->profile.seed, "the generator's seed: the same seed, the same sessions")
      ->capture_default_str();
  cmd->add_option("--weekday-use", o->profile.weekday_use, "share of connectors used on a working day")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--weekend-use", o->profile.weekend_use, "share of connectors used on other days")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--out", o->out, "write the session file here (default: standard output)");
  AddReferenceDataOptions(cmd, *o);
  cmd->callback([o, exit_code] { *exit_code = RunEvSessions(*o); });
}

}  // namespace meg
