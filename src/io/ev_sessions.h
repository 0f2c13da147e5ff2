// EV charging session files (docs/ev-charging.md): one session per row, as a car park's charger
// log or an operator's plan has them.
//   charger,connector,arrival,departure,energy_kwh
//   cp1,1,2024-07-01T08:12:00+09:00,2024-07-01T17:40:00+09:00,18.5
// Times ISO 8601 with their offset; lines starting with '#' are comments. Every row is checked
// against the site's chargers; every problem is reported with its line (the first 20), and a file
// with any is refused whole. Pure functions; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ev.h"
#include "core/result.h"

namespace meg {

inline constexpr double kMaxEvSessionKwh = 1000;  // a truck's battery; more is a typo (Wh for kWh)

// Reads a session file's text; `source` names it in errors. Sessions come out by arrival.
Result<std::vector<EvSessionPlan>> ParseEvSessions(std::string_view text, std::string_view source,
                                                   std::span<const ChargerSpec> chargers);
Result<std::vector<EvSessionPlan>> LoadEvSessions(const std::string& path, std::span<const ChargerSpec> chargers);

// The text of a session file holding `sessions` (times in KST), readable by ParseEvSessions.
std::string FormatEvSessions(std::span<const EvSessionPlan> sessions);

}  // namespace meg
