#include "control/ev_share.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

namespace meg {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double SlackHours(const EvShareInput& s) {
  if (s.left.value() <= 0) return kInf;
  if (!(s.max_power.value() > 0)) return -kInf;
  return s.hours_left - s.left.value() / s.max_power.value();
}

double Finite(double x) { return std::isfinite(x) ? x : 0.0; }

// Raises the members' totals from their floors to a common level (max-min fair), each capped at
// its connector's power, until `room` is used; their extra over the floors.
std::vector<double> FillFromFloors(double room, const std::vector<size_t>& members, std::span<const EvShareInput> in,
                                   const std::vector<double>& floor) {
  const auto total_at = [&](double level) {
    double sum = 0;
    for (const size_t i : members) {
      sum += std::max(0.0, std::min(level, Finite(in[i].max_power.value())) - floor[i]);
    }
    return sum;
  };
  double lo = 0, hi = 0;
  for (const size_t i : members) hi = std::max(hi, Finite(in[i].max_power.value()));
  std::vector<double> extra(members.size(), 0.0);
  if (room <= 0) return extra;
  if (total_at(hi) <= room) {
    lo = hi;  // everyone at full power
  } else {
    for (int k = 0; k < 100 && hi - lo > 1e-12; ++k) {
      const double mid = (lo + hi) / 2;
      (total_at(mid) <= room ? lo : hi) = mid;
    }
  }
  for (size_t j = 0; j < members.size(); ++j) {
    const size_t i = members[j];
    extra[j] = std::max(0.0, std::min(lo, Finite(in[i].max_power.value())) - floor[i]);
  }
  return extra;
}

}  // namespace

std::string_view EvShareReasonName(EvShareReason r) {
  switch (r) {
    case EvShareReason::kShare: return "share";
    case EvShareReason::kTopUp: return "top-up";
    case EvShareReason::kKeepPace: return "keep-pace";
    case EvShareReason::kNoSlack: return "no-slack";
    case EvShareReason::kContract: return "contract";
    case EvShareReason::kPaused: return "paused";
    case EvShareReason::kNotSteerable: return "not-steerable";
    case EvShareReason::kSafe: return "safe";
  }
  return "?";
}

EvShareInput ShareInputOf(const EvSession& s, Instant now) {
  EvShareInput x;
  x.max_power = s.max_power;
  x.min_power = s.min_power;
  x.power = s.power;
  x.left = EnergyLeft(s);
  x.hours_left = std::max(0.0, static_cast<double>((s.departure - now).count()) / 3'600'000.0);
  x.priority = s.priority;
  x.steerable = s.connected && s.follows_limit;
  return x;
}

Kilowatts EvPaceFloor(const EvShareInput& s) {
  const double left = s.left.value();
  const double max = std::max(0.0, Finite(s.max_power.value()));
  const double min = Finite(s.min_power.value());
  if (!(left > 0) || max <= 0) return Kilowatts(0);
  const double hours = s.hours_left - kEvDepartureMarginHours;
  if (hours <= 0 || left / hours >= max) return Kilowatts(max);
  // A pace under the minimum waits: at the minimum it would still make it later (the pace reaches
  // the minimum exactly when waiting longer would not).
  const double pace = left / hours;
  return Kilowatts(pace >= min ? pace : 0.0);
}

EvShareResult ShareEvHeadroom(Kilowatts target_room, Kilowatts contract_room, std::span<const EvShareInput> in) {
  const size_t n = in.size();
  EvShareResult out;
  out.sessions.resize(n);
  // Unknown rooms (NaN) are no room.
  double contract = Finite(contract_room.value());
  double target = std::min(Finite(target_room.value()), contract);
  double total = 0;
  std::vector<double> floor(n, 0.0);
  std::vector<size_t> paced, steer;
  for (size_t i = 0; i < n; ++i) {
    EvShareDecision& d = out.sessions[i];
    d.slack_h = SlackHours(in[i]);
    if (!in[i].steerable) {
      const double p = std::max(0.0, Finite(in[i].power.value()));
      d.why = EvShareReason::kNotSteerable;
      contract -= p;
      target -= p;
      total += p;
      continue;
    }
    steer.push_back(i);
    d.floor = EvPaceFloor(in[i]);
    d.late =
        in[i].left.value() > std::max(0.0, Finite(in[i].max_power.value())) * std::max(0.0, in[i].hours_left) + 1e-9;
    if (d.floor.value() > 0) paced.push_back(i);
  }
  // 2. The floors, least slack first, within the contract power.
  std::stable_sort(paced.begin(), paced.end(),
                   [&](size_t a, size_t b) { return out.sessions[a].slack_h < out.sessions[b].slack_h; });
  std::vector<bool> cut(n, false);
  for (const size_t i : paced) {
    const double want = out.sessions[i].floor.value();
    double give = std::min(want, std::max(0.0, contract));
    if (give < in[i].min_power.value()) give = 0;
    cut[i] = give < want - 1e-9;
    floor[i] = give;
    contract -= give;
    target -= give;
  }
  // 3. The room under the target on top of the floors, group by group.
  std::stable_sort(steer.begin(), steer.end(), [&](size_t a, size_t b) {
    const bool need_a = in[a].left.value() > 0, need_b = in[b].left.value() > 0;
    if (need_a != need_b) return need_a;
    return in[a].priority > in[b].priority;
  });
  double room = std::max(0.0, std::min(target, contract));
  const auto same_group = [&](size_t a, size_t b) {
    return (in[a].left.value() > 0) == (in[b].left.value() > 0) && in[a].priority == in[b].priority;
  };
  for (size_t g = 0; g < steer.size();) {
    size_t end = g;
    while (end < steer.size() && same_group(steer[g], steer[end])) ++end;
    std::vector<size_t> members(steer.begin() + static_cast<std::ptrdiff_t>(g),
                                steer.begin() + static_cast<std::ptrdiff_t>(end));
    g = end;
    while (true) {
      const std::vector<double> extra = FillFromFloors(room, members, in, floor);
      // A total under its connector's minimum (only those with no floor) is not offered: the one
      // with the most slack (the last such on a tie) is paused and the group shares again.
      std::optional<size_t> drop;
      for (size_t j = 0; j < members.size(); ++j) {
        const double t = floor[members[j]] + extra[j];
        if (t > 0 && t < in[members[j]].min_power.value() - 1e-9 &&
            (!drop || out.sessions[members[j]].slack_h >= out.sessions[members[*drop]].slack_h)) {
          drop = j;
        }
      }
      if (drop) {
        EvShareDecision& paused = out.sessions[members[*drop]];
        paused.limit = Kilowatts(0);
        paused.why = EvShareReason::kPaused;
        members.erase(members.begin() + static_cast<std::ptrdiff_t>(*drop));
        continue;
      }
      for (size_t j = 0; j < members.size(); ++j) {
        const size_t i = members[j];
        EvShareDecision& d = out.sessions[i];
        const double t = floor[i] + extra[j];
        d.limit = Kilowatts(t);
        const double max = Finite(in[i].max_power.value());
        if (in[i].left.value() <= 0) {
          d.why = t > 0 ? EvShareReason::kTopUp : EvShareReason::kPaused;
        } else if (cut[i]) {
          d.why = EvShareReason::kContract;
        } else if (extra[j] > 1e-9) {
          d.why = EvShareReason::kShare;
        } else if (floor[i] <= 0) {
          d.why = EvShareReason::kPaused;
        } else {
          d.why = floor[i] >= max - 1e-9 ? EvShareReason::kNoSlack : EvShareReason::kKeepPace;
        }
        room -= extra[j];
        contract -= extra[j];
        total += t;
      }
      break;
    }
  }
  out.total = Kilowatts(total);
  out.contract_room_left = Kilowatts(contract);
  return out;
}

namespace {

std::string Sentence(const EvShareInput& in, const EvShareDecision& d) {
  const double limit = d.limit ? d.limit->value() : 0.0;
  const std::string slack = std::isfinite(d.slack_h) ? fmt::format("{:.1f} h of slack", d.slack_h) : "no need left";
  switch (d.why) {
    case EvShareReason::kShare:
      return fmt::format("{:.1f} kW: a fair share of the headroom under the demand target; {:.1f} kWh to go, {}", limit,
                         in.left.value(), slack);
    case EvShareReason::kTopUp:
      return fmt::format("{:.1f} kW: its need is met; a share of what the others leave", limit);
    case EvShareReason::kKeepPace:
      return fmt::format(
          "{:.1f} kW: no room under the demand target; the least power that gives its {:.1f} kWh by "
          "{:.0f} min before its departure (in {:.2f} h); may lift the month's demand",
          limit, in.left.value(), kEvDepartureMarginHours * 60, in.hours_left);
    case EvShareReason::kNoSlack:
      return fmt::format("{:.1f} kW (full): no slack left, {:.1f} kWh to go in {:.2f} h; may lift the month's demand",
                         limit, in.left.value(), in.hours_left);
    case EvShareReason::kContract:
      return fmt::format(
          "{:.1f} kW: short of the {:.1f} kW that keeps it on time, cut to what the contract power "
          "leaves; {:.1f} kWh to go in {:.2f} h",
          limit, d.floor.value(), in.left.value(), in.hours_left);
    case EvShareReason::kPaused:
      return fmt::format("paused: the headroom does not cover its minimum of {:.2f} kW; {}", in.min_power.value(),
                         slack);
    case EvShareReason::kNotSteerable:
      return fmt::format(
          "{:.1f} kW drawn and not steerable (offline, or not following its limit): counted against the "
          "headroom",
          in.power.value());
    case EvShareReason::kSafe: return "paused: safe mode, the site's telemetry is not trusted";
  }
  return "";
}

}  // namespace

std::string EvShareText(const EvShareInput& in, const EvShareDecision& d) {
  std::string text = Sentence(in, d);
  if (d.late) {
    text += fmt::format("; it cannot be full by its departure: at most {:.1f} of the {:.1f} kWh it needs",
                        std::max(0.0, Finite(in.max_power.value())) * std::max(0.0, in.hours_left), in.left.value());
  }
  return text;
}

}  // namespace meg
