// Electric-vehicle chargers and their charging sessions: what the site file says of a charger
// ([[charger]], docs/ev-charging.md) and what a session is (an energy need by a departure time).
// Shared by the OCPP central system (device/ocpp), the chargers' twin (device/sim), the limit
// stage's share of headroom (control/ev_share.h) and the backtest. Value types; thread-safe to copy.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.h"
#include "core/units.h"

namespace meg {

// One AC charger. Power of a connector at current I: phases x voltage_v x I / 1000 kW (voltage
// phase to neutral; 3 x 230 V x 32 A = 22.08 kW). A connector is offered at least min_current_a
// or nothing (IEC 61851-1: a pilot duty cycle below 6 A means "do not charge"), so a share below
// the minimum pauses the session.
struct ChargerSpec {
  std::string id;  // its OCPP identity: the last segment of the WebSocket URL it connects to
  int connectors = 1;
  double max_current_a = 32;  // per phase, per connector
  double min_current_a = 6;   // per phase: the least a session is offered while it charges
  int phases = 3;             // 1 or 3
  double voltage_v = 230;     // phase to neutral
  // What a session on it needs when the driver or the operator gives nothing (API, session file).
  double default_energy_kwh = 20;
  double default_dwell_h = 8;
  int priority = 0;  // higher is served first when the headroom does not cover every session
};

inline Kilowatts ConnectorMaxKw(const ChargerSpec& c) {
  return Kilowatts(c.phases * c.voltage_v * c.max_current_a / 1000.0);
}
inline Kilowatts ConnectorMinKw(const ChargerSpec& c) {
  return Kilowatts(c.phases * c.voltage_v * c.min_current_a / 1000.0);
}
// The current per phase that gives `kw` on `c` (A).
inline double CurrentForKw(const ChargerSpec& c, Kilowatts kw) {
  return kw.value() * 1000.0 / (c.phases * c.voltage_v);
}

// The power a connector is held at when asked for `limit`: the current it gives per phase,
// floored to 0.1 A (OCPP's precision: rounding never lifts a limit), 0 under the minimum current,
// at most the maximum. The central system sends it; the chargers' twin draws it.
inline Kilowatts HeldPower(const ChargerSpec& c, Kilowatts limit) {
  double amps = CurrentForKw(c, limit);
  amps = amps > c.max_current_a ? c.max_current_a : amps;
  if (!(amps >= c.min_current_a)) return Kilowatts(0);
  const double floored = static_cast<double>(static_cast<long long>(amps * 10.0 + 1e-9)) / 10.0;
  return Kilowatts(c.phases * c.voltage_v * floored / 1000.0);
}

// One charging session as planned or as it happened (a session file's row, docs/ev-charging.md):
// a car on (charger, connector) from arrival to departure, wanting `energy` in all.
struct EvSessionPlan {
  std::string charger;  // ChargerSpec::id
  int connector = 1;
  Timestamp arrival, departure;
  KilowattHours energy;
};

// An EV charging session as the planner sees it (optimize/dispatch_problem.h): a flexible load of
// 0..max_kw from the horizon's start until its departure (the interval it leaves in, pro rata),
// wanting energy_kwh more by then; what it does not get costs the plan's shortfall price a kWh.
struct EvFlexLoad {
  double max_kw = 0;
  double energy_kwh = 0;
  Timestamp departure;
};

// The demo car park's profile (sim/ev_profile.h, docs/ev-charging.md): the share of connectors
// used on a working day and on other days, and the generator's seed.
struct CarParkProfile {
  double weekday_use = 0.85;
  double weekend_use = 0.3;
  std::uint64_t seed = 1;
};

// Where the site twin and `meg simulate` take the cars from ([ev]): a session file, or the car
// park's profile over the simulated span. Neither: no cars (live, the chargers bring them).
struct EvSpec {
  std::string sessions_file;  // resolved path; empty: none
  std::optional<CarParkProfile> profile;
};

// An operator's call to a charger (OCPP 1.6: RemoteStartTransaction, RemoteStopTransaction,
// ChangeAvailability, ClearChargingProfile), and its name in the API and the audit log.
enum class EvChargerCall { kRemoteStart, kRemoteStop, kAvailable, kUnavailable, kClearLimits };
inline constexpr std::array<std::pair<EvChargerCall, std::string_view>, 5> kEvChargerCallNames{{
    {EvChargerCall::kRemoteStart, "remote-start"},
    {EvChargerCall::kRemoteStop, "remote-stop"},
    {EvChargerCall::kAvailable, "available"},
    {EvChargerCall::kUnavailable, "unavailable"},
    {EvChargerCall::kClearLimits, "clear-limits"},
}};
inline std::string_view EvChargerCallName(EvChargerCall c) {
  for (const auto& [call, name] : kEvChargerCallNames) {
    if (call == c) return name;
  }
  return "?";
}
// The call of a name as EvChargerCallName writes it; nullopt for any other text.
inline std::optional<EvChargerCall> ParseEvChargerCall(std::string_view name) {
  for (const auto& [call, text] : kEvChargerCallNames) {
    if (text == name) return call;
  }
  return std::nullopt;
}

// The OCPP 1.6J central system of `meg run` ([ocpp]): where chargers connect,
// ws://host:port/ocpp/<charger id>, subprotocol "ocpp1.6".
struct OcppSpec {
  std::string host = "127.0.0.1";  // "0.0.0.0" to take chargers from the LAN
  int port = 9000;
  int heartbeat_s = 60;         // the Heartbeat interval BootNotification asks for
  int call_timeout_ms = 30000;  // a call to a charger unanswered this long has failed
  // A charger drawing over the limit it accepted this long before, in two meter values in a row,
  // is not following it (time for its car to ramp down).
  int limit_grace_ms = 10000;
};

}  // namespace meg
