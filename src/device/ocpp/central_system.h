// CentralSystem: the OCPP 1.6J central system of a site (docs/ev-charging.md). Chargers of the
// site file connect to ws://host:port/ocpp/<charger id> with subprotocol "ocpp1.6"; it answers
// BootNotification, Heartbeat, StatusNotification, Authorize, StartTransaction, StopTransaction,
// MeterValues and DataTransfer, and calls SetChargingProfile (TxProfile, TxDefaultProfile),
// ClearChargingProfile, RemoteStartTransaction, RemoteStopTransaction and ChangeAvailability,
// one call at a time per charger (OCPP-J §4.1.1), the latest limit of a connector replacing one
// not yet sent.
//
// What a charger says is checked before it is used; what fails is refused with an event and
// changes nothing: an unknown charger (HTTP 404 at the upgrade), a malformed message (CALLERROR),
// a meter value out of order, going backwards, or implying a power beyond its connector's
// (answered, as OCPP requires, but not used). A charger that accepts a limit and then draws more
// is marked as not following it (EvSession::follows_limit) with an event.
//
// New sessions start at the connector's minimum current (a TxDefaultProfile sent at each boot),
// until the control loop shares the site's headroom (control/ev_share.h) and sets each session's
// TxProfile through SetLimit; the loop audits every limit before it sets it.
//
// One network thread (Boost.Asio/Beast); the public methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/ev.h"
#include "core/result.h"
#include "device/ev_chargers.h"

namespace meg {

struct OcppEvent {
  std::uint64_t seq = 0;  // 1, 2, ... in the order they happened
  Instant time{};         // the central system's clock
  std::string charger;    // "" for the server itself
  std::string kind;       // "connected", "disconnected", "boot", "session-start", "session-stop",
                          // "meter-refused", "message-refused", "limit-accepted", "limit-refused",
                          // "ignores-limit", "call-failed", "session-refused", "status"
  std::string text;       // what happened, with units
};

struct OcppConnectorStatus {
  int connector = 1;
  std::string status;  // the last StatusNotification's ("" before the first)
  std::optional<EvSession> session;
};

struct OcppChargerStatus {
  ChargerSpec spec;
  bool connected = false;
  std::string vendor, model;  // from BootNotification
  Instant last_seen{};
  std::vector<OcppConnectorStatus> connectors;  // 1..spec.connectors
};

class CentralSystem final : public EvChargers {
 public:
  // Listens on spec.host:spec.port (port 0: a free port, see port()). An error names the address
  // when it cannot listen, or the charger when the list is not valid (empty or duplicate id).
  static Result<std::unique_ptr<CentralSystem>> Start(const OcppSpec& spec, std::vector<ChargerSpec> chargers,
                                                      const Clock& clock);
  ~CentralSystem() override;  // closes every connection and joins the network thread
  CentralSystem(const CentralSystem&) = delete;
  CentralSystem& operator=(const CentralSystem&) = delete;

  int port() const;

  // EvChargers.
  std::vector<EvSession> Sessions(Instant now) override;
  Status SetLimit(const std::string& charger, int connector, Kilowatts limit, Instant now) override;
  void AcceptNewSessions(bool accept) override;
  Status Call(const std::string& charger, int connector, EvChargerCall call, const std::string& id_tag) override;
  std::vector<EvChargerState> ChargerStates() override;

  // The driver's or operator's word on the session under way on (charger, connector): the energy
  // it needs in all (kWh) and when it leaves. NotFound when no session is under way there.
  Status SetSessionNeed(const std::string& charger, int connector, KilowattHours need, Instant departure) override;
  Status RemoteStart(const std::string& charger, int connector, const std::string& id_tag);
  Status RemoteStop(const std::string& charger, int connector);
  Status ChangeAvailability(const std::string& charger, int connector, bool operative);
  Status ClearLimits(const std::string& charger);

  std::vector<OcppChargerStatus> Chargers();
  // The events after `after_seq` (the last 1,000 are kept).
  std::vector<OcppEvent> Events(std::uint64_t after_seq = 0);

  class Impl;

 private:
  explicit CentralSystem(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace meg
