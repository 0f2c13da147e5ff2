#include "device/ocpp/ocpp_frame.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>

#include <fmt/format.h>

#include "core/text.h"

namespace meg {
namespace {

using nlohmann::json;

Error Bad(std::string message) { return InvalidInput(std::move(message)); }

Result<const json*> Field(const json& o, const char* name) {
  if (!o.is_object()) return Bad("payload is not a JSON object");
  const auto it = o.find(name);
  if (it == o.end()) return Bad(fmt::format("'{}' is missing", name));
  return &*it;
}

Result<int> IntField(const json& o, const char* name, int min_value) {
  MEG_TRY_ASSIGN(v, Field(o, name));
  if (!v->is_number_integer()) return Bad(fmt::format("'{}' is not an integer", name));
  const auto n = v->get<long long>();
  if (n < min_value || n > std::numeric_limits<int>::max()) {
    return Bad(fmt::format("'{}' = {} is out of range ({}..{})", name, n, min_value, std::numeric_limits<int>::max()));
  }
  return static_cast<int>(n);
}

Result<std::string> StringField(const json& o, const char* name, std::size_t max_length) {
  MEG_TRY_ASSIGN(v, Field(o, name));
  if (!v->is_string()) return Bad(fmt::format("'{}' is not a string", name));
  std::string s = v->get<std::string>();
  if (s.size() > max_length) return Bad(fmt::format("'{}' is longer than {} characters", name, max_length));
  return s;
}

Result<Instant> TimeField(const json& o, const char* name) {
  MEG_TRY_ASSIGN(s, StringField(o, name, 64));
  auto t = ParseIso8601Millis(s);
  if (!t) return Bad(fmt::format("'{}': {}", name, t.error().message));
  return *t;
}

// A meter reading in Wh (OCPP's meterStart/meterStop are integers in Wh).
Result<KilowattHours> WhField(const json& o, const char* name) {
  MEG_TRY_ASSIGN(v, Field(o, name));
  if (!v->is_number()) return Bad(fmt::format("'{}' is not a number", name));
  const double wh = v->get<double>();
  if (!std::isfinite(wh) || wh < 0) return Bad(fmt::format("'{}' = {} Wh is not a meter reading", name, wh));
  return KilowattHours(wh / 1000.0);
}

// One sampledValue; adds what it says to `sample`. Unknown measurands are skipped.
Status ReadSampledValue(const json& v, OcppMeterSample& sample) {
  MEG_TRY_ASSIGN(text, StringField(v, "value", 64));
  const std::string measurand = v.contains("measurand") && v["measurand"].is_string()
                                    ? v["measurand"].get<std::string>()
                                    : "Energy.Active.Import.Register";
  if (v.contains("phase")) return Ok{};  // per-phase values: the totals are what is used
  const std::string unit = v.contains("unit") && v["unit"].is_string() ? v["unit"].get<std::string>() : "";
  auto number = ParseFiniteDouble(text);
  if (!number) return Bad(fmt::format("{} value '{}' is not a number", measurand, Excerpt(text)));
  const double x = *number;
  if (measurand == "Energy.Active.Import.Register") {
    if (unit.empty() || unit == "Wh") {
      sample.energy = KilowattHours(x / 1000.0);
    } else if (unit == "kWh") {
      sample.energy = KilowattHours(x);
    } else {
      return Bad(fmt::format("{} in unit '{}' (Wh or kWh expected)", measurand, Excerpt(unit)));
    }
  } else if (measurand == "Power.Active.Import") {
    if (unit.empty() || unit == "W") {
      sample.power = Kilowatts(x / 1000.0);
    } else if (unit == "kW") {
      sample.power = Kilowatts(x);
    } else {
      return Bad(fmt::format("{} in unit '{}' (W or kW expected)", measurand, Excerpt(unit)));
    }
  } else if (measurand == "SoC") {
    sample.soc_pct = x;
  }
  return Ok{};
}

}  // namespace

Result<OcppFrame> ParseOcppFrame(std::string_view text) {
  if (text.size() > kMaxOcppFrameBytes) {
    return Bad(fmt::format("message of {} bytes is larger than {} bytes", text.size(), kMaxOcppFrameBytes));
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("message is not JSON");
  if (!j.is_array() || j.size() < 3) return Bad("message is not an OCPP-J array [type, id, ...]");
  if (!j[0].is_number_integer()) return Bad("message type is not 2, 3 or 4");
  if (!j[1].is_string()) return Bad("unique id is not a string");
  OcppFrame f;
  f.id = j[1].get<std::string>();
  if (f.id.empty() || f.id.size() > kMaxOcppIdLength) {
    return Bad(fmt::format("unique id has {} characters (1..{})", f.id.size(), kMaxOcppIdLength));
  }
  switch (j[0].get<long long>()) {
    case 2:
      f.type = OcppMessageType::kCall;
      if (j.size() != 4 || !j[2].is_string()) return Bad("CALL is not [2, id, action, payload]");
      f.action = j[2].get<std::string>();
      if (f.action.empty() || f.action.size() > 64) return Bad("CALL's action is empty or too long");
      if (!j[3].is_object()) return Bad(fmt::format("{}'s payload is not a JSON object", Excerpt(f.action)));
      f.payload = std::move(j[3]);
      return f;
    case 3:
      f.type = OcppMessageType::kCallResult;
      if (j.size() != 3 || !j[2].is_object()) return Bad("CALLRESULT is not [3, id, payload]");
      f.payload = std::move(j[2]);
      return f;
    case 4:
      f.type = OcppMessageType::kCallError;
      if (j.size() != 5 || !j[2].is_string() || !j[3].is_string()) {
        return Bad("CALLERROR is not [4, id, errorCode, errorDescription, errorDetails]");
      }
      f.error_code = j[2].get<std::string>();
      f.error_description = j[3].get<std::string>();
      return f;
    default: return Bad("message type is not 2, 3 or 4");
  }
}

std::string OcppCallText(std::string_view id, std::string_view action, const json& payload) {
  return json::array({2, id, action, payload}).dump();
}
std::string OcppResultText(std::string_view id, const json& payload) { return json::array({3, id, payload}).dump(); }
std::string OcppErrorText(std::string_view id, std::string_view code, std::string_view description) {
  // dump's replace handler: a description quoting a peer's bad bytes stays valid UTF-8 JSON.
  return json::array({4, id, code, description, json::object()}).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<OcppMeterValues> ReadOcppMeterValues(const json& p) {
  OcppMeterValues m;
  MEG_TRY_ASSIGN(connector, IntField(p, "connectorId", 0));
  m.connector = connector;
  if (p.contains("transactionId")) {
    MEG_TRY_ASSIGN(tx, IntField(p, "transactionId", std::numeric_limits<int>::min()));
    m.transaction_id = tx;
  }
  MEG_TRY_ASSIGN(values, Field(p, "meterValue"));
  if (!values->is_array() || values->empty()) return Bad("'meterValue' is not a non-empty array");
  for (const json& mv : *values) {
    OcppMeterSample s;
    MEG_TRY_ASSIGN(t, TimeField(mv, "timestamp"));
    s.time = t;
    MEG_TRY_ASSIGN(sampled, Field(mv, "sampledValue"));
    if (!sampled->is_array() || sampled->empty()) return Bad("'sampledValue' is not a non-empty array");
    for (const json& v : *sampled) MEG_TRY(ReadSampledValue(v, s));
    m.samples.push_back(s);
  }
  return m;
}

Result<OcppStartTransaction> ReadOcppStartTransaction(const json& p) {
  OcppStartTransaction s;
  MEG_TRY_ASSIGN(connector, IntField(p, "connectorId", 1));
  MEG_TRY_ASSIGN(tag, StringField(p, "idTag", 20));
  MEG_TRY_ASSIGN(start, WhField(p, "meterStart"));
  MEG_TRY_ASSIGN(t, TimeField(p, "timestamp"));
  s.connector = connector;
  s.id_tag = tag;
  s.meter_start = start;
  s.time = t;
  return s;
}

Result<OcppStopTransaction> ReadOcppStopTransaction(const json& p) {
  OcppStopTransaction s;
  MEG_TRY_ASSIGN(tx, IntField(p, "transactionId", std::numeric_limits<int>::min()));
  MEG_TRY_ASSIGN(stop, WhField(p, "meterStop"));
  MEG_TRY_ASSIGN(t, TimeField(p, "timestamp"));
  s.transaction_id = tx;
  s.meter_stop = stop;
  s.time = t;
  if (p.contains("reason") && p["reason"].is_string()) s.reason = p["reason"].get<std::string>();
  return s;
}

Result<OcppStatusNotification> ReadOcppStatusNotification(const json& p) {
  OcppStatusNotification s;
  MEG_TRY_ASSIGN(connector, IntField(p, "connectorId", 0));
  MEG_TRY_ASSIGN(status, StringField(p, "status", 32));
  MEG_TRY_ASSIGN(code, StringField(p, "errorCode", 32));
  s.connector = connector;
  s.status = status;
  s.error_code = code;
  return s;
}

Result<OcppBootNotification> ReadOcppBootNotification(const json& p) {
  OcppBootNotification b;
  MEG_TRY_ASSIGN(vendor, StringField(p, "chargePointVendor", 20));
  MEG_TRY_ASSIGN(model, StringField(p, "chargePointModel", 20));
  b.vendor = vendor;
  b.model = model;
  return b;
}

Result<std::string> ReadOcppIdTag(const json& p) { return StringField(p, "idTag", 20); }

json OcppChargingProfile(int connector, std::optional<int> transaction_id, int profile_id, double limit_a, int phases) {
  const double floored = std::floor(std::max(0.0, limit_a) * 10.0 + 1e-9) / 10.0;
  json profile = {
      {"chargingProfileId", profile_id},
      {"stackLevel", 0},
      {"chargingProfilePurpose", transaction_id ? "TxProfile" : "TxDefaultProfile"},
      {"chargingProfileKind", "Relative"},
      {"chargingSchedule",
       {{"chargingRateUnit", "A"},
        {"chargingSchedulePeriod", json::array({{{"startPeriod", 0}, {"limit", floored}, {"numberPhases", phases}}})}}},
  };
  if (transaction_id) profile["transactionId"] = *transaction_id;
  return {{"connectorId", connector}, {"csChargingProfiles", std::move(profile)}};
}

std::string OcppTime(Instant t) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count();
  const std::time_t secs = static_cast<std::time_t>((ms >= 0 ? ms : ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ((ms % 1000) + 1000) % 1000);
}

}  // namespace meg
