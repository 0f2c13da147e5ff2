// `meg ev-sessions`: writes a car park's charging sessions from the documented profile
// (sim/ev_profile.h) for a site's chargers, as the session file `meg simulate --ev-sessions` and
// the site twin read (docs/ev-charging.md).
#pragma once

#include <optional>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/site_loader.h"
#include "core/ev.h"
#include "core/result.h"
#include "core/time.h"

namespace meg {

// The cars of the site's [ev] over [from, to): its session file's (all of them), or its car park
// profile's (sim/ev_profile.h); nullopt when the site has no [ev].
Result<std::optional<std::vector<EvSessionPlan>>> SiteEvSessions(const LoadedSite& site, Date from, Date to);

void AddEvSessionsCommand(CLI::App& app, int* exit_code);

}  // namespace meg
