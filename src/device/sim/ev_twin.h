// EvTwin: the site's EV chargers as the backtest and the demo meet them, replaying a session file
// (core/ev.h EvSessionPlan) through the same EvChargers interface the OCPP central system serves
// live. A car arrives, draws its connector's power held under the limit in force (the connector's
// minimum until the loop sets one, as the central system's default profile does) until it has its
// energy or leaves; with `follow_limits` false the chargers ignore every limit and each car draws
// its connector's power from arrival ("as plugged": unmanaged charging). Between two instants the
// energy is integrated exactly (a car that fills up within a step stops there).
// Not thread-safe: belongs to the control thread, like the site twin that adds its load.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/ev.h"
#include "device/ev_chargers.h"

namespace meg {

class EvTwin final : public EvChargers {
 public:
  // REQUIRES: every plan's charger among `chargers`, its connector within its count, sessions on a
  // connector not overlapping (io/ev_sessions.h checks all three). A car there at `start` (came
  // before, leaves after) arrives at `start`, wanting its energy x the share of its stay left.
  EvTwin(std::vector<ChargerSpec> chargers, std::vector<EvSessionPlan> plans, bool follow_limits, Instant start);

  // Moves the sessions on to `to` (times before the last are ignored); the energy the cars drew
  // over the step, kWh.
  KilowattHours AdvanceTo(Instant to);
  // What the cars draw now, kW.
  Kilowatts power() const;

  std::vector<EvSession> Sessions(Instant now) override;
  Status SetLimit(const std::string& charger, int connector, Kilowatts limit, Instant now) override;
  void AcceptNewSessions(bool accept) override { accept_new_ = accept; }
  // The car then wants `need` in all and leaves at `departure` (its plan changes).
  Status SetSessionNeed(const std::string& charger, int connector, KilowattHours need, Instant departure) override;
  // The twin takes a remote stop (the car leaves now); anything else is kUnsupported.
  Status Call(const std::string& charger, int connector, EvChargerCall call, const std::string& id_tag) override;
  std::vector<EvChargerState> ChargerStates() override;

  struct Outcome {
    KilowattHours delivered;
    bool started = false;  // false: not yet arrived, or refused (no headroom at its arrival)
    bool refused = false;
  };
  // One per plan, in the plans' order.
  const std::vector<Outcome>& outcomes() const { return outcomes_; }
  const std::vector<EvSessionPlan>& plans() const { return plans_; }

 private:
  struct Active {
    size_t plan = 0;
    const ChargerSpec* charger = nullptr;
    std::optional<Kilowatts> limit;  // set by the loop; nullopt: the connector's minimum (default profile)
  };
  Kilowatts Draw(const Active& a) const;
  // At now_: the cars that left go, those that arrived start (or are refused).
  void Arrive();

  std::vector<ChargerSpec> chargers_;
  std::vector<EvSessionPlan> plans_;  // by arrival
  std::vector<Outcome> outcomes_;
  bool follow_limits_;
  bool accept_new_ = true;
  Instant now_;
  size_t next_arrival_ = 0;
  std::vector<Active> active_;
};

}  // namespace meg
