#include "server/request_body.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/battery_mode.h"
#include "core/clock.h"
#include "core/ev.h"
#include "core/text.h"
#include "server/auth.h"

namespace meg {

namespace {

using nlohmann::json;

constexpr size_t kMaxPasswordBytes = 1024;

// The body as a JSON object, or why not.
Result<json> Object(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_object()) return InvalidInput("expected a JSON object");
  return j;
}

const json* Field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// A required number field, finite.
Result<double> Number(const json& object, const char* key, std::string_view what) {
  const json* v = Field(object, key);
  if (v == nullptr || !v->is_number()) return InvalidInput(fmt::format("'{}' ({}) is required", key, what));
  const double x = v->get<double>();
  if (!std::isfinite(x)) return InvalidInput(fmt::format("'{}' must be a finite number", key));
  return x;
}

Result<Instant> Time(const json& object, const char* key) {
  const json* v = Field(object, key);
  if (v == nullptr || !v->is_string()) return InvalidInput(fmt::format("'{}' (ISO 8601 with offset) is required", key));
  return ParseApiTime(key, v->get_ref<const std::string&>());
}

}  // namespace

Result<Instant> ParseApiTime(std::string_view name, std::string_view text) {
  if (text.size() > 40) {  // longer than any ISO 8601 time: not echoed whole
    return InvalidInput(fmt::format("'{}': '{}' is not an ISO 8601 time with offset", name, Excerpt(text, 40)));
  }
  auto t = ParseIso8601Millis(std::string(text));
  if (!t) return InvalidInput(fmt::format("'{}': {}", name, t.error().message));
  return *t;
}

Result<LoginRequest> ParseLoginBody(std::string_view body) {
  static constexpr const char* kShape = "expected JSON {\"user\": \"...\", \"password\": \"...\"}";
  auto j = Object(body);
  if (!j) return InvalidInput(kShape);
  const json* user = Field(*j, "user");
  const json* password = Field(*j, "password");
  if (user == nullptr || !user->is_string() || password == nullptr || !password->is_string()) {
    return InvalidInput(kShape);
  }
  LoginRequest out{user->get<std::string>(), password->get<std::string>()};
  if (!ValidUserName(out.user)) {
    return InvalidInput(fmt::format("user name '{}': use 1-64 of A-Z a-z 0-9 . _ -", Excerpt(out.user, 64)));
  }
  if (out.password.size() > kMaxPasswordBytes) {
    return InvalidInput(fmt::format("the password is {} bytes; at most {}", out.password.size(), kMaxPasswordBytes));
  }
  return out;
}

Result<OperatorCommand> ParseCommandBody(OperatorCommand::Kind kind, std::string_view body, const std::string& user) {
  MEG_TRY_ASSIGN(j, Object(body));
  OperatorCommand c;
  c.kind = kind;
  c.user = user;
  if (kind == OperatorCommand::Kind::kEvCharger) {
    const json* charger = Field(j, "charger");
    const json* action = Field(j, "action");
    if (charger == nullptr || !charger->is_string() || charger->get<std::string>().empty() ||
        charger->get<std::string>().size() > 64) {
      return InvalidInput("'charger' (the charger's id, a string) is required");
    }
    if (action == nullptr || !action->is_string() || !ParseEvChargerCall(action->get<std::string>())) {
      return InvalidInput("'action' must be remote-start, remote-stop, available, unavailable or clear-limits");
    }
    c.charger = charger->get<std::string>();
    c.action = action->get<std::string>();
    if (const json* connector = Field(j, "connector"); connector != nullptr) {
      if (!connector->is_number_integer() || connector->get<long long>() < 1 || connector->get<long long>() > 8) {
        return InvalidInput("'connector' must be an integer within 1..8");
      }
      c.connector = static_cast<int>(connector->get<long long>());
    }
    if (c.action == "remote-start") {
      const json* tag = Field(j, "id_tag");
      if (tag == nullptr || !tag->is_string() || tag->get<std::string>().empty() ||
          tag->get<std::string>().size() > 20) {
        return InvalidInput("'id_tag' (1..20 characters, OCPP 1.6) is required for a remote start");
      }
      c.id_tag = tag->get<std::string>();
    }
    return c;
  }
  if (kind == OperatorCommand::Kind::kEvSession) {
    const json* charger = Field(j, "charger");
    if (charger == nullptr || !charger->is_string() || charger->get<std::string>().empty() ||
        charger->get<std::string>().size() > 64) {
      return InvalidInput("'charger' (the charger's id, a string) is required");
    }
    c.charger = charger->get<std::string>();
    const json* connector = Field(j, "connector");
    if (connector != nullptr) {
      if (!connector->is_number_integer() || connector->get<long long>() < 1 || connector->get<long long>() > 8) {
        return InvalidInput("'connector' must be an integer within 1..8");
      }
      c.connector = static_cast<int>(connector->get<long long>());
    }
    MEG_TRY_ASSIGN(kwh, Number(j, "energy_kwh", "number, the energy the car needs in the whole session, kWh"));
    if (!(kwh > 0 && kwh <= 1000)) return InvalidInput("'energy_kwh' must be within (0, 1,000] kWh");
    c.energy_kwh = kwh;
    MEG_TRY_ASSIGN(departure, Time(j, "departure"));
    c.departure = departure;
    return c;
  }
  if (kind == OperatorCommand::Kind::kBackupReserve) {
    MEG_TRY_ASSIGN(pct, Number(j, "soc_pct", "number, the state of charge kept for an outage, % (0: none)"));
    if (!(pct >= 0 && pct <= 100)) return InvalidInput("'soc_pct' must be within 0..100 %");
    c.soc_pct = pct;
    return c;
  }
  if (kind == OperatorCommand::Kind::kBatteryMode) {
    const json* mode = Field(j, "mode");
    if (mode == nullptr || !mode->is_string()) {
      return InvalidInput("'mode' must be auto, hold-soc, charge-to or discharge-window");
    }
    MEG_TRY_ASSIGN(parsed, ParseBatteryModeKind(mode->get<std::string>()));
    c.mode = std::string(BatteryModeName(parsed));
    if (parsed == BatteryModeKind::kAuto) return c;
    MEG_TRY_ASSIGN(until, Time(j, "until"));
    c.until = until;
    if (Field(j, "from") != nullptr || parsed == BatteryModeKind::kDischargeWindow) {
      MEG_TRY_ASSIGN(from, Time(j, "from"));
      c.from = from;
    }
    if (parsed == BatteryModeKind::kChargeTo) {
      MEG_TRY_ASSIGN(pct, Number(j, "soc_pct", "number, the state of charge to reach by 'until', %"));
      if (!(pct >= 0 && pct <= 100)) return InvalidInput("'soc_pct' must be within 0..100 %");
      c.soc_pct = pct;
    }
    if (parsed == BatteryModeKind::kDischargeWindow) {
      MEG_TRY_ASSIGN(kw, Number(j, "power_kw", "number, the discharge through the window, kW"));
      if (!(kw > 0 && kw <= 1e6)) return InvalidInput("'power_kw' must be within (0, 1,000,000] kW");
      c.battery_kw = kw;
    }
    return c;
  }
  if (kind == OperatorCommand::Kind::kAuto) {
    const json* mode = Field(j, "mode");
    if (mode == nullptr || *mode != "auto") return InvalidInput("expected {\"mode\": \"auto\"}");
    return c;
  }
  const json* kw = Field(j, "battery_kw");
  if (kw == nullptr || !kw->is_number()) {
    return InvalidInput("'battery_kw' (number, + discharge / - charge) is required");
  }
  c.battery_kw = kw->get<double>();
  if (!std::isfinite(c.battery_kw) || std::abs(c.battery_kw) > 1e6) {
    return InvalidInput("'battery_kw' must be a finite number of kW within +/-1,000,000");
  }
  if (kind == OperatorCommand::Kind::kSetpoint) {
    const json* minutes = Field(j, "minutes");
    if (minutes == nullptr || !minutes->is_number()) return InvalidInput("'minutes' (1..1440) is required");
    c.minutes = minutes->get<double>();
    if (!(c.minutes >= 1 && c.minutes <= 1440)) return InvalidInput("'minutes' must be within 1..1440");
  }
  return c;
}

Result<DrCallRequest> ParseDrCallBody(std::string_view body, const std::string& user) {
  MEG_TRY_ASSIGN(j, Object(body));
  DrCallRequest call;
  call.user = user;
  MEG_TRY_ASSIGN(start, Time(j, "start"));
  MEG_TRY_ASSIGN(end, Time(j, "end"));
  call.start = start;
  call.end = end;
  if (Field(j, "issued") != nullptr) {
    MEG_TRY_ASSIGN(issued, Time(j, "issued"));
    call.issued = issued;
  }
  MEG_TRY_ASSIGN(kw, Number(j, "requested_kw", "number, kW of reduction asked"));
  if (!(kw > 0 && kw <= 1e6)) return InvalidInput("'requested_kw' must be within (0, 1,000,000] kW");
  call.requested_kw = kw;
  if (const json* kind = Field(j, "kind"); kind != nullptr) {
    if (!kind->is_string()) return InvalidInput("'kind' must be reliability, economic or test");
    call.kind = kind->get<std::string>();
    if (call.kind.size() > 32)
      return InvalidInput(fmt::format("'kind' '{}' must be reliability, economic or test", Excerpt(call.kind, 32)));
  }
  return call;
}

}  // namespace meg
