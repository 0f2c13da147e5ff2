// `meg cbl`: the customer baseline load (KPX 별표28) of one customer for one DR event, from a
// usage CSV: per trading hour the CBL, the metered usage and the reduction, with the reference
// days and why the other weekdays were not used (docs/cbl.md).
#pragma once

#include <string_view>

#include <CLI/CLI.hpp>

#include "core/result.h"
#include "market/cbl.h"

namespace meg {

// Adds the `cbl` subcommand to `app`; running it sets the process exit code through *exit_code
// (0 done, 2 bad input, 1 other failures).
void AddCblCommand(CLI::App& app, int* exit_code);

// Parses `--event`: START/DURATION, START in ISO 8601 with or without an offset (without one it
// is KST), DURATION as 2h, 45m or 1h30m: "2024-08-12T14:00/2h", "2024-08-12T14:15/45m",
// "2024-08-12T05:00:00Z/2h". The window is not validated against the market rules here.
Result<DrWindow> ParseEventWindow(std::string_view text);

}  // namespace meg
