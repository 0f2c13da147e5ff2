#include "center/alarms.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>

namespace meg {

namespace {

constexpr const char* kThresholdPoints[] = {"grid_kw", "pv_kw", "battery_kw", "load_kw", "soc_pct", "demand_window_kw"};

double ValueOf(const CycleRecord& r, const std::string& point) {
  if (point == "grid_kw") return r.grid.value();
  if (point == "pv_kw") return r.pv.value();
  if (point == "battery_kw") return r.battery.value();
  if (point == "load_kw") return r.load.value();
  if (point == "soc_pct") return r.soc_pct;
  return r.window_average.value();  // demand_window_kw
}

}  // namespace

Result<ThresholdAlarm> ParseThresholdAlarm(const std::string& text) {
  const auto op = text.find_first_of("<>");
  ThresholdAlarm a;
  a.text = text;
  const std::string usage = fmt::format(
      "--alarm '{}': expected POINT<VALUE or POINT>VALUE, e.g. soc_pct<15 or grid_kw>1600 (points: "
      "grid_kw, pv_kw, battery_kw, load_kw, soc_pct, demand_window_kw)",
      text);
  if (op == std::string::npos || op == 0) return InvalidInput(usage);
  a.point = text.substr(0, op);
  a.above = text[op] == '>';
  if (std::find(std::begin(kThresholdPoints), std::end(kThresholdPoints), a.point) == std::end(kThresholdPoints)) {
    return InvalidInput(usage);
  }
  const std::string number = text.substr(op + 1);
  char* end = nullptr;
  a.value = std::strtod(number.c_str(), &end);
  if (number.empty() || end == nullptr || *end != '\0' || !std::isfinite(a.value)) return InvalidInput(usage);
  return a;
}

std::map<std::string, AlarmView> CycleAlarms(const CycleRecord& r, const std::vector<ThresholdAlarm>& thresholds) {
  std::map<std::string, AlarmView> now;
  // The safe mode of a normal start (its first cycles, readings good) is not a fault.
  if (r.mode == LoopMode::kSafe && r.reason != kLoopStartingReason) {
    now["fail-safe"] = {"fail-safe", "critical", "safe mode: " + r.reason, r.time};
  }
  if (r.mode == LoopMode::kLocal) now["local-mode"] = {"local-mode", "warning", "local rules: " + r.reason, r.time};
  if (r.devices_stale > 0) {
    now["stale-data"] = {"stale-data", "warning", fmt::format("{} device(s) stale or lost", r.devices_stale), r.time};
  }
  if (!r.implausible.empty()) {
    // A lying device: named with its value and the bound it broke (the reading was not stored).
    std::string what;
    for (size_t i = 0; i < r.implausible.size() && i < 3; ++i) what += (i > 0 ? "; " : "") + r.implausible[i];
    if (r.implausible.size() > 3) what += fmt::format("; and {} more", r.implausible.size() - 3);
    now["implausible-telemetry"] = {"implausible-telemetry", "critical", "implausible telemetry, not stored: " + what,
                                    r.time};
  }
  if (r.demand_target.value() > 0 && r.window_average.value() > 0.95 * r.demand_target.value()) {
    now["demand-near-target"] = {"demand-near-target", "warning",
                                 fmt::format("15-minute demand {:.1f} kW is above 95 % of the target {:.1f} kW",
                                             r.window_average.value(), r.demand_target.value()),
                                 r.time};
  }
  for (const ThresholdAlarm& t : thresholds) {
    const double v = ValueOf(r, t.point);
    if (std::isfinite(v) && (t.above ? v > t.value : v < t.value)) {
      const std::string kind = "threshold " + t.text;
      now[kind] = {kind, "warning",
                   fmt::format("{} = {:.2f} is {} {:g}", t.point, v, t.above ? "above" : "below", t.value), r.time};
    }
  }
  return now;
}

StoreWriteAlarm::Change StoreWriteAlarm::Record(std::string_view what, const Status& status, Instant now) {
  const auto it = failing_.find(what);
  if (status) {
    if (it == failing_.end()) return Change::kNone;
    failing_.erase(it);
    return Change::kRecovered;
  }
  if (it != failing_.end()) {
    ++it->second.count;
    it->second.last_error = status.error().message;
    return Change::kNone;
  }
  failing_.emplace(std::string(what), Failing{now, 1, status.error().message});
  return Change::kFailed;
}

std::optional<AlarmView> StoreWriteAlarm::Alarm() const {
  if (failing_.empty()) return std::nullopt;
  AlarmView a{"store", "critical", "the store refuses writes:", failing_.begin()->second.since};
  for (const auto& [what, f] : failing_) {
    a.message += fmt::format(" {} ({} since {}: {});", what, f.count == 1 ? "once" : fmt::format("{} times", f.count),
                             FormatKst(ToTimestamp(f.since)), f.last_error);
    a.since = std::min(a.since, f.since);
  }
  a.message.pop_back();  // the last ';'
  return a;
}

std::vector<AlarmChange> AlarmBoard::Update(const std::map<std::string, AlarmView>& active, Instant now) {
  std::vector<AlarmChange> changes;
  for (const auto& [kind, a] : active) {
    const auto [it, raised] = active_.emplace(kind, a);
    if (raised) {
      changes.push_back({a, true});
    } else {
      const Instant since = it->second.since;  // still active: today's message, the first time
      it->second = a;
      it->second.since = since;
    }
  }
  for (auto it = active_.begin(); it != active_.end();) {
    if (active.contains(it->first)) {
      ++it;
      continue;
    }
    AlarmView cleared = it->second;
    cleared.since = now;
    changes.push_back({std::move(cleared), false});
    it = active_.erase(it);
  }
  return changes;
}

std::vector<AlarmView> AlarmBoard::Active() const {
  std::vector<AlarmView> out;
  for (const auto& [kind, a] : active_) out.push_back(a);
  return out;
}

Event AlarmEvent(const AlarmChange& change, const std::string& site) {
  const AlarmView& a = change.alarm;
  const Severity severity = !change.raised             ? Severity::kInfo
                            : a.severity == "critical" ? Severity::kAlarm
                                                       : Severity::kWarning;
  return Event{a.since, site, a.kind, severity, (change.raised ? "raised: " : "cleared: ") + a.message};
}

}  // namespace meg
