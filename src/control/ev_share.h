// The limit stage's share of the site's headroom among the EV charging sessions under way
// (docs/ev-charging.md), every cycle, live and in the backtest alike:
//   1. A session the loop cannot steer (its charger offline, or drawing over the limit it
//      accepted) keeps its power; that power comes off the headroom first.
//   2. Each session that needs energy gets at least the least power that keeps it on time: the
//      constant power that gives what it still needs by kEvDepartureMarginHours before its
//      departure. A pace under the connector's minimum (IEC 61851-1: 6 A) waits (at the minimum
//      it still makes it later; the pace reaches the minimum just when it no longer would); a
//      session that cannot make it even at full power charges at full power. These floors come first, least slack
//      first, within the contract power only: they may lift the month's demand, and the reason says so. (Keeping pace
//      spreads the cars' energy over their stay: the least lift of the peak when there is no room, where waiting for
//      the last moment would start them all at full power at once.)
//   3. The room under the demand target is shared on top of the floors: sessions that still need
//      energy before those whose need is met, higher priority first; within a group, max-min fair
//      (the lowest total raised first, capped at each connector's power). A share under a
//      connector's minimum is not offered: the session with the most slack is paused and the
//      others share again.
// Pure function; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/units.h"
#include "device/ev_chargers.h"

namespace meg {

// A session is planned to be full this long before its departure: a quarter-hour (the planner's
// interval), so that a limit set a cycle late still lets it make it.
inline constexpr double kEvDepartureMarginHours = 0.25;

struct EvShareInput {
  Kilowatts max_power, min_power;  // the connector's bounds
  Kilowatts power;                 // what it draws now
  KilowattHours left;              // energy still needed (0: its need is met)
  double hours_left = 0;           // to its departure
  int priority = 0;
  bool steerable = true;  // false: offline or not following its limit
};

enum class EvShareReason {
  kShare,         // its floor and a fair share of the headroom under the demand target
  kTopUp,         // its need is met: a share of what the others leave
  kKeepPace,      // the least power that keeps it on time (no room under the target)
  kNoSlack,       // full power: it would not be full by its departure otherwise
  kContract,      // its floor, cut to what the contract power leaves
  kPaused,        // the headroom does not cover its minimum; it has the most slack
  kNotSteerable,  // offline or not following its limit: its power is counted, not set
  kSafe,          // the loop is in safe mode: every session paused
};
std::string_view EvShareReasonName(EvShareReason r);  // "share", "top-up", "no-slack", ...

struct EvShareDecision {
  std::optional<Kilowatts> limit;  // nullopt: not steerable, nothing to set
  EvShareReason why = EvShareReason::kShare;
  double slack_h = 0;  // hours to departure - hours at full power for what is left
  Kilowatts floor;     // the least power that keeps it on time (0: it can wait)
  // It cannot have its need by its departure even at full power from now (left > max x hours
  // left): reported (the live site's event "ev-late"), not only charged at full.
  bool late = false;
};

struct EvShareResult {
  std::vector<EvShareDecision> sessions;  // in the input's order
  Kilowatts total;                        // the limits set plus the power of those not steerable
  Kilowatts contract_room_left;           // what the contract power still leaves after them
};

// `target_room`: the EV headroom under the demand target (kW, may be negative: then nothing but
// no-slack sessions charge); `contract_room`: under the contract power (>= target_room).
EvShareResult ShareEvHeadroom(Kilowatts target_room, Kilowatts contract_room, std::span<const EvShareInput> sessions);

// A session under way as the share sees it at `now`: steerable when its charger is online and
// follows its limit.
EvShareInput ShareInputOf(const EvSession& s, Instant now);

// The least power that keeps a session on time (step 2 above), kW: 0 when it can wait.
Kilowatts EvPaceFloor(const EvShareInput& s);

// "22.1 kW: no slack left, 5.1 kWh to go" and the like, for the audit record and the dashboard.
std::string EvShareText(const EvShareInput& in, const EvShareDecision& d);

}  // namespace meg
