#include "io/ev_sessions.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "core/text.h"
#include "core/time.h"
#include "io/field_parse.h"
#include "io/text_file.h"

namespace meg {
namespace {

constexpr size_t kMaxProblems = 20;
constexpr size_t kMaxSessionFileBytes = 64u << 20;
constexpr std::string_view kHeader = "charger,connector,arrival,departure,energy_kwh";

}  // namespace

Result<std::vector<EvSessionPlan>> ParseEvSessions(std::string_view text, std::string_view source,
                                                   std::span<const ChargerSpec> chargers) {
  MEG_TRY_ASSIGN(lines, SplitLines(text, source));
  std::vector<std::string> problems;
  size_t total_problems = 0;
  const auto problem = [&](int line, std::string what) {
    if (++total_problems <= kMaxProblems) problems.push_back(fmt::format("{}:{}: {}", source, line, what));
  };
  std::map<std::string, const ChargerSpec*> by_id;
  for (const ChargerSpec& c : chargers) by_id[c.id] = &c;
  std::vector<std::pair<EvSessionPlan, int>> rows;  // with their line
  bool header = false;
  for (const Line& line : lines) {
    std::string_view t = line.text;
    if (Trim(t).empty() || Trim(t).front() == '#') continue;
    if (!header) {
      if (Trim(t) != kHeader) {
        return InvalidInput(
            fmt::format("{}:{}: the header must be '{}', found '{}'", source, line.number, kHeader, Excerpt(t)));
      }
      header = true;
      continue;
    }
    auto fields = SplitCsv(t);
    if (!fields || fields->size() != 5) {
      problem(line.number, fmt::format("expected 5 fields ({}), found '{}'", kHeader, Excerpt(t)));
      continue;
    }
    const auto& f = *fields;
    EvSessionPlan p;
    p.charger = std::string(Trim(f[0]));
    const auto charger = by_id.find(p.charger);
    if (charger == by_id.end()) {
      problem(line.number, fmt::format("charger '{}' is not a [[charger]] of the site", Excerpt(p.charger)));
      continue;
    }
    auto connector = ParseIntField(Trim(f[1]), "connector");
    auto arrival = ParseIso8601(Trim(f[2]));
    auto departure = ParseIso8601(Trim(f[3]));
    auto energy = ParseNumberField(Trim(f[4]), "energy_kwh");
    if (!connector) {
      problem(line.number, connector.error().message);
    } else if (*connector < 1 || *connector > charger->second->connectors) {
      problem(line.number, fmt::format("connector {} of charger '{}', which has 1..{}", *connector, p.charger,
                                       charger->second->connectors));
    } else if (!arrival) {
      problem(line.number, "arrival: " + arrival.error().message);
    } else if (!departure) {
      problem(line.number, "departure: " + departure.error().message);
    } else if (*departure <= *arrival) {
      problem(line.number, "the departure is not after the arrival");
    } else if (!energy) {
      problem(line.number, energy.error().message);
    } else if (!(*energy > 0 && *energy <= kMaxEvSessionKwh)) {
      problem(line.number, fmt::format("energy_kwh = {} is outside 0..{} kWh (> 0)", *energy, kMaxEvSessionKwh));
    } else {
      p.connector = *connector;
      p.arrival = *arrival;
      p.departure = *departure;
      p.energy = KilowattHours(*energy);
      rows.emplace_back(std::move(p), line.number);
    }
  }
  if (!header) return InvalidInput(fmt::format("{}: no header '{}' (the file has no sessions)", source, kHeader));
  // Two cars cannot share a connector at once.
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.charger, a.first.connector, a.first.arrival) <
           std::tie(b.first.charger, b.first.connector, b.first.arrival);
  });
  for (size_t i = 1; i < rows.size(); ++i) {
    const EvSessionPlan& a = rows[i - 1].first;
    const EvSessionPlan& b = rows[i].first;
    if (a.charger == b.charger && a.connector == b.connector && b.arrival < a.departure) {
      problem(rows[i].second, fmt::format("overlaps the session of line {} on charger '{}' connector {}",
                                          rows[i - 1].second, b.charger, b.connector));
    }
  }
  if (total_problems > 0) {
    std::string message = fmt::format("{} problem(s) in the session file:", total_problems);
    for (const std::string& p : problems) message += "\n  " + p;
    if (total_problems > problems.size())
      message += fmt::format("\n  ... and {} more", total_problems - problems.size());
    return InvalidInput(message);
  }
  std::vector<EvSessionPlan> out;
  out.reserve(rows.size());
  for (auto& [p, line] : rows) out.push_back(std::move(p));
  std::stable_sort(out.begin(), out.end(),
                   [](const EvSessionPlan& a, const EvSessionPlan& b) { return a.arrival < b.arrival; });
  return out;
}

Result<std::vector<EvSessionPlan>> LoadEvSessions(const std::string& path, std::span<const ChargerSpec> chargers) {
  MEG_TRY_ASSIGN(text, ReadTextFile(path, kMaxSessionFileBytes));
  return ParseEvSessions(text, path, chargers);
}

std::string FormatEvSessions(std::span<const EvSessionPlan> sessions) {
  std::string out = std::string(kHeader) + "\n";
  for (const EvSessionPlan& p : sessions) {
    out += fmt::format("{},{},{},{},{:.3f}\n", p.charger, p.connector, FormatKst(p.arrival), FormatKst(p.departure),
                       p.energy.value());
  }
  return out;
}

}  // namespace meg
