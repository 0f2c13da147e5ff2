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

// Shares `room` equally among `members` capped at their max power (max-min fair); their shares.
std::vector<double> WaterFill(double room, const std::vector<size_t>& members, std::span<const EvShareInput> in) {
  std::vector<size_t> order(members.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return in[members[a]].max_power.value() < in[members[b]].max_power.value(); });
  std::vector<double> share(members.size(), 0.0);
  double left = std::max(0.0, room);
  size_t k = members.size();
  for (const size_t j : order) {
    const double give = std::min(std::max(0.0, in[members[j]].max_power.value()), left / static_cast<double>(k));
    share[j] = give;
    left -= give;
    --k;
  }
  return share;
}

}  // namespace

std::string_view EvShareReasonName(EvShareReason r) {
  switch (r) {
    case EvShareReason::kShare: return "share";
    case EvShareReason::kTopUp: return "top-up";
    case EvShareReason::kNoSlack: return "no-slack";
    case EvShareReason::kContract: return "contract";
    case EvShareReason::kPaused: return "paused";
    case EvShareReason::kNotSteerable: return "not-steerable";
    case EvShareReason::kSafe: return "safe";
  }
  return "?";
}

EvShareResult ShareEvHeadroom(Kilowatts target_room, Kilowatts contract_room, std::span<const EvShareInput> in) {
  const size_t n = in.size();
  EvShareResult out;
  out.sessions.resize(n);
  // Unknown rooms (NaN) are no room.
  double contract = Finite(contract_room.value());
  double target = std::min(Finite(target_room.value()), contract);
  double total = 0;
  std::vector<size_t> no_slack, rest;
  for (size_t i = 0; i < n; ++i) {
    EvShareDecision& d = out.sessions[i];
    d.slack_h = SlackHours(in[i]);
    if (!in[i].steerable) {
      const double p = std::max(0.0, Finite(in[i].power.value()));
      d.why = EvShareReason::kNotSteerable;
      contract -= p;
      target -= p;
      total += p;
    } else if (in[i].left.value() > 0 && d.slack_h <= kEvNoSlackHours) {
      no_slack.push_back(i);
    } else {
      rest.push_back(i);
    }
  }
  // 2. No slack: full power, least slack first, within the contract power.
  std::stable_sort(no_slack.begin(), no_slack.end(),
                   [&](size_t a, size_t b) { return out.sessions[a].slack_h < out.sessions[b].slack_h; });
  for (const size_t i : no_slack) {
    EvShareDecision& d = out.sessions[i];
    const double max = std::max(0.0, Finite(in[i].max_power.value()));
    double give = std::min(max, std::max(0.0, contract));
    if (give < in[i].min_power.value()) give = 0;
    d.limit = Kilowatts(give);
    d.why = give >= max - 1e-9 ? EvShareReason::kNoSlack : EvShareReason::kContract;
    contract -= give;
    target -= give;
    total += give;
  }
  // 3. The rest share the room under the target: those still needing energy first, then by
  // priority; a share under a connector's minimum pauses the session with the most slack.
  std::stable_sort(rest.begin(), rest.end(), [&](size_t a, size_t b) {
    const bool need_a = in[a].left.value() > 0, need_b = in[b].left.value() > 0;
    if (need_a != need_b) return need_a;
    return in[a].priority > in[b].priority;
  });
  double room = std::max(0.0, std::min(target, contract));
  for (size_t g = 0; g < rest.size();) {
    size_t end = g;
    const auto same_group = [&](size_t a, size_t b) {
      return (in[a].left.value() > 0) == (in[b].left.value() > 0) && in[a].priority == in[b].priority;
    };
    while (end < rest.size() && same_group(rest[g], rest[end])) ++end;
    std::vector<size_t> members(rest.begin() + static_cast<std::ptrdiff_t>(g),
                                rest.begin() + static_cast<std::ptrdiff_t>(end));
    while (!members.empty()) {
      const std::vector<double> share = WaterFill(room, members, in);
      // The member below its minimum with the most slack (the last such on a tie) is paused.
      std::optional<size_t> drop;
      for (size_t j = 0; j < members.size(); ++j) {
        if (share[j] < in[members[j]].min_power.value() - 1e-9 &&
            (!drop || out.sessions[members[j]].slack_h >= out.sessions[members[*drop]].slack_h)) {
          drop = j;
        }
      }
      if (!drop) {
        for (size_t j = 0; j < members.size(); ++j) {
          EvShareDecision& d = out.sessions[members[j]];
          d.limit = Kilowatts(share[j]);
          d.why = in[members[j]].left.value() > 0 ? EvShareReason::kShare : EvShareReason::kTopUp;
          room -= share[j];
          contract -= share[j];
          total += share[j];
        }
        break;
      }
      EvShareDecision& paused = out.sessions[members[*drop]];
      paused.limit = Kilowatts(0);
      paused.why = EvShareReason::kPaused;
      members.erase(members.begin() + static_cast<std::ptrdiff_t>(*drop));
    }
    g = end;
  }
  out.total = Kilowatts(total);
  out.contract_room_left = Kilowatts(contract);
  return out;
}

std::string EvShareText(const EvShareInput& in, const EvShareDecision& d) {
  const double limit = d.limit ? d.limit->value() : 0.0;
  const std::string slack = std::isfinite(d.slack_h) ? fmt::format("{:.1f} h of slack", d.slack_h) : "no need left";
  switch (d.why) {
    case EvShareReason::kShare:
      return fmt::format("{:.1f} kW: an equal share of the headroom under the demand target; {:.1f} kWh to go, {}",
                         limit, in.left.value(), slack);
    case EvShareReason::kTopUp:
      return fmt::format("{:.1f} kW: its need is met; a share of what the others leave", limit);
    case EvShareReason::kNoSlack:
      return fmt::format("{:.1f} kW (full): no slack left, {:.1f} kWh to go in {:.2f} h; may lift the month's demand",
                         limit, in.left.value(), in.hours_left);
    case EvShareReason::kContract:
      return fmt::format(
          "{:.1f} kW: no slack left, cut to what the contract power leaves; {:.1f} kWh to go in {:.2f} h", limit,
          in.left.value(), in.hours_left);
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

}  // namespace meg
