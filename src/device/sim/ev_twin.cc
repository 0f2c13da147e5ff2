#include "device/sim/ev_twin.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/check.h"

namespace meg {
namespace {

double HoursBetween(Instant a, Instant b) { return static_cast<double>((b - a).count()) / 3'600'000.0; }

}  // namespace

EvTwin::EvTwin(std::vector<ChargerSpec> chargers, std::vector<EvSessionPlan> plans, bool follow_limits, Instant start)
    : chargers_(std::move(chargers)), plans_(std::move(plans)), follow_limits_(follow_limits), now_(start) {
  std::stable_sort(plans_.begin(), plans_.end(),
                   [](const EvSessionPlan& a, const EvSessionPlan& b) { return a.arrival < b.arrival; });
  outcomes_.resize(plans_.size());
  // A car that came before the start and leaves after it is there when the twin starts: it arrives
  // then, wanting the share of its energy that the rest of its stay stands for (it has been charging
  // since it came). One that left before the start is not replayed.
  for (EvSessionPlan& p : plans_) {
    if (ToInstant(p.arrival) < start && ToInstant(p.departure) > start) {
      const double stay = static_cast<double>((p.departure - p.arrival).count());
      const double rest = static_cast<double>((ToTimestamp(start) - p.arrival).count());
      p.energy = KilowattHours(p.energy.value() * std::max(0.0, 1.0 - rest / stay));
      p.arrival = ToTimestamp(start);
    }
  }
  std::stable_sort(plans_.begin(), plans_.end(),
                   [](const EvSessionPlan& a, const EvSessionPlan& b) { return a.arrival < b.arrival; });
  while (next_arrival_ < plans_.size() && ToInstant(plans_[next_arrival_].arrival) < start) ++next_arrival_;
}

Kilowatts EvTwin::Draw(const Active& a) const {
  const EvSessionPlan& p = plans_[a.plan];
  if (outcomes_[a.plan].delivered.value() >= p.energy.value() - 1e-12) return Kilowatts(0);
  const double max = ConnectorMaxKw(*a.charger).value();
  if (!follow_limits_) return Kilowatts(max);
  return Kilowatts(std::clamp(a.limit ? a.limit->value() : ConnectorMinKw(*a.charger).value(), 0.0, max));
}

Kilowatts EvTwin::power() const {
  double sum = 0;
  for (const Active& a : active_) sum += Draw(a).value();
  return Kilowatts(sum);
}

void EvTwin::Arrive() {
  std::erase_if(active_, [&](const Active& a) { return ToInstant(plans_[a.plan].departure) <= now_; });
  while (next_arrival_ < plans_.size() && ToInstant(plans_[next_arrival_].arrival) <= now_) {
    const size_t k = next_arrival_++;
    const EvSessionPlan& p = plans_[k];
    if (ToInstant(p.departure) <= now_) continue;
    if (!accept_new_) {
      outcomes_[k].refused = true;
      continue;
    }
    const auto c =
        std::find_if(chargers_.begin(), chargers_.end(), [&](const ChargerSpec& s) { return s.id == p.charger; });
    MEG_CHECK(c != chargers_.end());
    outcomes_[k].started = true;
    active_.push_back(Active{k, &*c, std::nullopt});
  }
}

KilowattHours EvTwin::AdvanceTo(Instant to) {
  double energy = 0;
  while (now_ < to) {
    Arrive();
    // The next change: an arrival, a departure, a car filling up, or `to`.
    Instant next = to;
    if (next_arrival_ < plans_.size()) next = std::min(next, ToInstant(plans_[next_arrival_].arrival));
    for (const Active& a : active_) {
      next = std::min(next, ToInstant(plans_[a.plan].departure));
      const double kw = Draw(a).value();
      if (kw > 0) {
        const double left = plans_[a.plan].energy.value() - outcomes_[a.plan].delivered.value();
        const auto fill = Millis(static_cast<long long>(std::ceil(left / kw * 3'600'000.0)));
        next = std::min(next, now_ + std::max(fill, Millis(1)));
      }
    }
    const double h = HoursBetween(now_, next);
    for (const Active& a : active_) {
      const double kw = Draw(a).value();
      KilowattHours& got = outcomes_[a.plan].delivered;
      const double give = std::min(kw * h, plans_[a.plan].energy.value() - got.value());
      got = KilowattHours(got.value() + give);
      energy += give;
    }
    now_ = next;
  }
  Arrive();  // the cars that arrive at `to` are there for the decisions made at `to`
  return KilowattHours(energy);
}

std::vector<EvSession> EvTwin::Sessions(Instant /*now*/) {
  std::vector<EvSession> out;
  for (const Active& a : active_) {
    const EvSessionPlan& p = plans_[a.plan];
    EvSession s;
    s.charger = p.charger;
    s.connector = p.connector;
    s.transaction_id = static_cast<int>(a.plan) + 1;
    s.started = ToInstant(p.arrival);
    s.departure = ToInstant(p.departure);
    s.need = p.energy;
    s.delivered = outcomes_[a.plan].delivered;
    s.power = Draw(a);
    s.max_power = ConnectorMaxKw(*a.charger);
    s.min_power = ConnectorMinKw(*a.charger);
    s.priority = a.charger->priority;
    s.limit = a.limit;
    s.follows_limit = follow_limits_;
    out.push_back(std::move(s));
  }
  return out;
}

Status EvTwin::SetSessionNeed(const std::string& charger, int connector, KilowattHours need, Instant departure) {
  for (Active& a : active_) {
    EvSessionPlan& p = plans_[a.plan];
    if (p.charger == charger && p.connector == connector) {
      if (!(need.value() > 0) || departure <= ToInstant(p.arrival)) {
        return InvalidInput("a session's need is > 0 kWh and its departure after its arrival");
      }
      p.energy = need;
      p.departure = ToTimestamp(departure);
      return Ok{};
    }
  }
  return NotFound(fmt::format("no session is under way on charger '{}' connector {}", charger, connector));
}

Status EvTwin::Call(const std::string& charger, int connector, EvChargerCall call, const std::string& /*id_tag*/) {
  if (call != EvChargerCall::kRemoteStop) {
    return Error{ErrorCode::kUnsupported,
                 fmt::format("the site twin's chargers take no {} (only remote-stop)", EvChargerCallName(call))};
  }
  for (const Active& a : active_) {
    EvSessionPlan& p = plans_[a.plan];
    if (p.charger == charger && p.connector == connector) {
      p.departure = ToTimestamp(now_);  // it leaves at the next step
      return Ok{};
    }
  }
  return NotFound(fmt::format("no session is under way on charger '{}' connector {}", charger, connector));
}

std::vector<EvChargerState> EvTwin::ChargerStates() {
  std::vector<EvChargerState> out;
  for (const ChargerSpec& c : chargers_) {
    EvChargerState s;
    s.id = c.id;
    s.connected = true;
    s.connector_status.assign(static_cast<size_t>(c.connectors), "Available");
    for (const Active& a : active_) {
      const EvSessionPlan& p = plans_[a.plan];
      if (p.charger == c.id && p.connector >= 1 && p.connector <= c.connectors) {
        s.connector_status[static_cast<size_t>(p.connector - 1)] = "Charging";
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

Status EvTwin::SetLimit(const std::string& charger, int connector, Kilowatts limit, Instant /*now*/) {
  for (Active& a : active_) {
    const EvSessionPlan& p = plans_[a.plan];
    if (p.charger == charger && p.connector == connector) {
      a.limit = HeldPower(*a.charger, limit);  // as the central system sends it
      return Ok{};
    }
  }
  return NotFound(fmt::format("no session is under way on charger '{}' connector {}", charger, connector));
}

}  // namespace meg
