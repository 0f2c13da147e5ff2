// The limit stage's share of the site's headroom among the EV charging sessions under way
// (docs/ev-charging.md), every cycle, live and in the backtest alike:
//   1. A session the loop cannot steer (its charger offline, or drawing over the limit it
//      accepted) keeps its power; that power comes off the headroom first.
//   2. A session with no slack left (hours to departure - energy left / its connector's power
//      <= kEvNoSlackHours) charges at its connector's power: a car that must be full by its
//      departure is, if the contract power allows (then in order of least slack); this may lift
//      the month's demand, and the reason says so.
//   3. The rest share the headroom under the demand target: sessions that still need energy
//      before those whose need is met, higher priority first; within a group, equal shares
//      (max-min fair, capped at each connector's power). A share below a connector's minimum
//      (IEC 61851-1: 6 A) is not offered: the session with the most slack is paused and the
//      others share again.
// Pure function; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/units.h"

namespace meg {

// Slack below which a session charges at full power: a quarter-hour (the planner's interval).
inline constexpr double kEvNoSlackHours = 0.25;

struct EvShareInput {
  Kilowatts max_power, min_power;  // the connector's bounds
  Kilowatts power;                 // what it draws now
  KilowattHours left;              // energy still needed (0: its need is met)
  double hours_left = 0;           // to its departure
  int priority = 0;
  bool steerable = true;  // false: offline or not following its limit
};

enum class EvShareReason {
  kShare,         // an equal share of the headroom under the demand target
  kTopUp,         // its need is met: a share of what the others leave
  kNoSlack,       // full power: it would not be full by its departure otherwise
  kContract,      // no slack, but cut to what the contract power leaves
  kPaused,        // the headroom does not cover its minimum; it has the most slack
  kNotSteerable,  // offline or not following its limit: its power is counted, not set
  kSafe,          // the loop is in safe mode: every session paused
};
std::string_view EvShareReasonName(EvShareReason r);  // "share", "top-up", "no-slack", ...

struct EvShareDecision {
  std::optional<Kilowatts> limit;  // nullopt: not steerable, nothing to set
  EvShareReason why = EvShareReason::kShare;
  double slack_h = 0;  // hours to departure - hours at full power for what is left
};

struct EvShareResult {
  std::vector<EvShareDecision> sessions;  // in the input's order
  Kilowatts total;                        // the limits set plus the power of those not steerable
  Kilowatts contract_room_left;           // what the contract power still leaves after them
};

// `target_room`: the EV headroom under the demand target (kW, may be negative: then nothing but
// no-slack sessions charge); `contract_room`: under the contract power (>= target_room).
EvShareResult ShareEvHeadroom(Kilowatts target_room, Kilowatts contract_room, std::span<const EvShareInput> sessions);

// "22.1 kW: no slack left, 5.1 kWh to go" and the like, for the audit record and the dashboard.
std::string EvShareText(const EvShareInput& in, const EvShareDecision& d);

}  // namespace meg
