// EvChargers: the one interface between the control loop and a site's EV chargers, as Device is
// for the other equipment. The OCPP central system (device/ocpp/central_system.h) speaks to real
// chargers; the chargers' twin (device/sim/ev_twin.h) replays a session file in the backtest. The
// loop reads the sessions under way each cycle, shares the site's headroom among them
// (control/ev_share.h), audits each limit and only then sets it here.
// Thread-safety: an implementation's methods may be called from the control thread while its own
// network thread runs (the central system is thread-safe).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/ev.h"
#include "core/result.h"
#include "core/units.h"

namespace meg {

// One charging session under way: a car on a connector.
struct EvSession {
  std::string charger;  // ChargerSpec::id
  int connector = 1;
  int transaction_id = 0;
  Instant started{};
  Instant departure{};      // when the car leaves: the driver's or operator's word, or the default dwell
  KilowattHours need;       // the energy it wants in the whole session
  KilowattHours delivered;  // energy given since the start
  Kilowatts power;          // what it draws now (its latest accepted meter value)
  Kilowatts max_power;      // its connector's bounds (core/ev.h)
  Kilowatts min_power;
  int priority = 0;
  std::optional<Kilowatts> limit;  // the limit the charger has accepted and holds now
  // False once it drew more than its accepted limit after the grace time: its power is then not
  // counted as controllable, and the loop holds the site by other means.
  bool follows_limit = true;
  // False while its charger is offline: it charges on at the limit it last accepted (a charger
  // keeps its profile, OCPP 1.6 §3.13), which cannot be changed until it is back.
  bool connected = true;
};

// A charger as the operator sees it: online or not, and each connector's last status.
struct EvChargerState {
  std::string id;
  bool connected = false;
  std::vector<std::string> connector_status;  // [0] = connector 1 ("Available", "Charging", ...; "" unknown)
};

inline KilowattHours EnergyLeft(const EvSession& s) {
  return KilowattHours(s.need.value() > s.delivered.value() ? s.need.value() - s.delivered.value() : 0.0);
}

class EvChargers {
 public:
  virtual ~EvChargers() = default;
  // The sessions under way as of `now`.
  virtual std::vector<EvSession> Sessions(Instant now) = 0;
  // Holds the session on (charger, connector) at or under `limit` (>= 0; 0 pauses it): for OCPP a
  // SetChargingProfile with a TxProfile. Success means it was handed over; a refusal by the
  // charger shows in the session's `limit` and in an event.
  virtual Status SetLimit(const std::string& charger, int connector, Kilowatts limit, Instant now) = 0;
  // The driver's or operator's word on the session under way on (charger, connector): the energy
  // it needs in all, and when it leaves. NotFound when none is under way there.
  virtual Status SetSessionNeed(const std::string& charger, int connector, KilowattHours need, Instant departure) = 0;
  // Sends an operator's call to (charger, connector); `id_tag` for a remote start. Success means it
  // was handed over (the charger's answer, if a refusal, is an event). kUnsupported where the
  // chargers cannot take it (the twin takes only a remote stop).
  virtual Status Call(const std::string& charger, int connector, EvChargerCall call, const std::string& id_tag) = 0;
  // Every charger of the site, as the operator sees it.
  virtual std::vector<EvChargerState> ChargerStates() = 0;
  // Whether new sessions may start: false when the site has no headroom left for one (OCPP:
  // Authorize and StartTransaction answered "Blocked").
  virtual void AcceptNewSessions(bool accept) = 0;
};

}  // namespace meg
