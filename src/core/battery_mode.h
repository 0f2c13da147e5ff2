// The battery modes an operator asks for (docs/control-loop.md, "Battery modes"), beside the
// planner's automatic dispatch:
//   hold-soc          no charge and no discharge until a time (e.g. before maintenance);
//   charge-to         reach a state of charge by a time (e.g. before a forecast storm), then hold it
//                     until that time;
//   discharge-window  discharge at a power through a window (e.g. a known peak the forecast misses).
// And, apart from the mode, the backup reserve: a state of charge kept for an outage (a hospital's
// reserve) that nothing spends for savings: the limit stage never discharges below it.
// Each is set by an audited command; the limit stage applies after it, so a mode never breaks a
// safety limit (SoC window, ratings, contract power, export limit). The planner plans with the
// mode in force (optimize/dispatch_problem.h DispatchInput::battery_mode). Pure functions and value
// types; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/site.h"
#include "core/units.h"

namespace meg {

enum class BatteryModeKind { kAuto, kHoldSoc, kChargeTo, kDischargeWindow };

std::string_view BatteryModeName(BatteryModeKind kind);  // "auto", "hold-soc", "charge-to", "discharge-window"
Result<BatteryModeKind> ParseBatteryModeKind(std::string_view name);

struct BatteryMode {
  BatteryModeKind kind = BatteryModeKind::kAuto;
  // In force over [from, until). hold-soc and charge-to start when set (from = then).
  Instant from{};
  Instant until{};
  double soc_pct = 0;  // charge-to: the state of charge to reach by `until`
  Kilowatts power;     // discharge-window: the discharge, whole site
};

// Checks a mode against the site's battery and `now`: `until` after `now` (and after `from`), a
// charge-to SoC inside the SoC window, a discharge-window power above 0 and at most the
// discharge rating, at most 7 days ahead. Errors say which and why.
Status CheckBatteryMode(const BatteryMode& mode, const EssSpec& ess, Instant now);

// "charge-to 80 % by 2024-08-12 17:00", "hold-soc until ...", "discharge-window 300 kW 14:00-16:00 ...".
std::string DescribeBatteryMode(const BatteryMode& mode);

// Whether `mode` is in force at `now`.
bool InForce(const BatteryMode& mode, Instant now);

// The battery power (+ discharge / - charge, whole site) the mode asks for at `now`, for a cycle of
// `dt`, with the battery at `soc_pct`; nullopt when it is not in force (the plan decides). charge-to
// charges at the even rate that reaches its SoC by `until` (the planner, which knows the prices,
// may charge sooner: the larger charge wins), then holds it.
std::optional<Kilowatts> BatteryModeWish(const BatteryMode& mode, Instant now, double soc_pct, const EssSpec& ess);

// The backup reserve, % of the usable energy: within [ess.soc_min_pct, ess.soc_max_pct] or 0 (none).
Status CheckBackupReserve(double reserve_pct, const EssSpec& ess);

}  // namespace meg
