#include "center/nats/link_format.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "core/battery_mode.h"

namespace meg {
namespace {

using nlohmann::json;

constexpr int kVersion = 1;
// 2000-01-01T00:00:00Z: no sample or event of a running site is older.
constexpr std::int64_t kEarliestMs = 946684800000;
// 2100-01-01T00:00:00Z.
constexpr std::int64_t kLatestMs = 4102444800000;

const char* KindToken(UpKind kind) {
  switch (kind) {
    case UpKind::kTelemetry: return "tm";
    case UpKind::kEvents: return "evt";
    case UpKind::kBill: return "bill";
    case UpKind::kSchedule: return "sched";
  }
  return "tm";
}

std::int64_t Ms(Instant t) { return t.time_since_epoch().count(); }
Instant FromMs(std::int64_t ms) { return Instant{Millis{ms}}; }

bool ValidToken(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Parses `payload` as a JSON object of version 1 for `subject_site`: the checks every message
// of the link shares.
Result<json> ParseObject(std::string_view what, std::string_view subject_site, std::string_view payload,
                         bool check_site = true) {
  if (payload.size() > kMaxLinkMessageBytes) {
    return InvalidInput(
        fmt::format("{} of {} bytes is larger than the link's {} bytes", what, payload.size(), kMaxLinkMessageBytes));
  }
  json j = json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidInput(fmt::format("{} is not a JSON object", what));
  if (!j.contains("v") || !j["v"].is_number_integer() || j["v"].get<int>() != kVersion) {
    return InvalidInput(fmt::format("{} has no version or an unknown one (this build reads v{})", what, kVersion));
  }
  if (check_site) {
    if (!j.contains("site") || !j["site"].is_string()) return InvalidInput(fmt::format("{} names no site", what));
    const std::string site = j["site"].get<std::string>();
    if (site != subject_site) {
      return InvalidInput(
          fmt::format("{} names site '{}' but came on the subject of site '{}'", what, site, subject_site));
    }
  }
  return j;
}

Result<std::int64_t> TimeField(const json& j, const char* key, std::string_view what) {
  if (!j.contains(key) || !j[key].is_number_integer()) {
    return InvalidInput(fmt::format("{}: '{}' is missing or not an integer of ms", what, key));
  }
  const auto ms = j[key].get<std::int64_t>();
  if (ms < kEarliestMs || ms >= kLatestMs) {
    return InvalidInput(fmt::format("{}: '{}' = {} ms is not a time between 2000 and 2100", what, key, ms));
  }
  return ms;
}

Result<double> NumberField(const json& j, const char* key, std::string_view what) {
  if (!j.contains(key) || !j[key].is_number()) return InvalidInput(fmt::format("{}: '{}' is not a number", what, key));
  const double v = j[key].get<double>();
  if (!std::isfinite(v)) return InvalidInput(fmt::format("{}: '{}' is not finite", what, key));
  return v;
}

Result<std::string> StringField(const json& j, const char* key, std::string_view what, std::size_t max_size = 4096) {
  if (!j.contains(key) || !j[key].is_string()) return InvalidInput(fmt::format("{}: '{}' is not a string", what, key));
  std::string s = j[key].get<std::string>();
  if (s.size() > max_size) return InvalidInput(fmt::format("{}: '{}' is longer than {} bytes", what, key, max_size));
  return s;
}

// The decoders' bodies: nlohmann's get<> throws on a type it cannot convert; the checks above
// test types first, and this catches whatever remains (STYLE: throws stop at the adapter).
template <typename F>
auto Guarded(std::string_view what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return InvalidInput(fmt::format("{}: {}", what, e.what()));
  }
}

const char* OperatorKindName(OperatorCommand::Kind k) {
  switch (k) {
    case OperatorCommand::Kind::kSetpoint: return "setpoint";
    case OperatorCommand::Kind::kAuto: return "auto";
    case OperatorCommand::Kind::kSchedule: return "schedule";
    case OperatorCommand::Kind::kEvSession: return "ev-session";
    case OperatorCommand::Kind::kEvCharger: return "ev-charger";
    case OperatorCommand::Kind::kBatteryMode: return "battery-mode";
    case OperatorCommand::Kind::kBackupReserve: return "backup-reserve";
  }
  return "auto";
}

}  // namespace

bool ValidLinkToken(std::string_view site) { return ValidToken(site); }

std::string UpSubject(std::string_view site, UpKind kind) { return fmt::format("meg.{}.{}", site, KindToken(kind)); }
std::string CommandSubject(std::string_view site) { return fmt::format("meg.{}.cmd", site); }
std::string ResultSubject(std::string_view site, std::string_view id) { return fmt::format("meg.{}.res.{}", site, id); }
std::string CommandConsumer(std::string_view site) { return fmt::format("edge-{}", site); }

Result<std::pair<std::string, UpKind>> ParseUpSubject(std::string_view subject) {
  const auto bad = [&] { return InvalidInput(fmt::format("subject '{}' is not meg.<site>.tm|evt|bill", subject)); };
  if (!subject.starts_with("meg.")) return bad();
  const std::string_view rest = subject.substr(4);
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) return bad();
  const std::string_view site = rest.substr(0, dot);
  const std::string_view kind = rest.substr(dot + 1);
  if (!ValidLinkToken(site)) return bad();
  if (kind == "tm") return std::pair{std::string(site), UpKind::kTelemetry};
  if (kind == "evt") return std::pair{std::string(site), UpKind::kEvents};
  if (kind == "bill") return std::pair{std::string(site), UpKind::kBill};
  if (kind == "sched") return std::pair{std::string(site), UpKind::kSchedule};
  return bad();
}

std::string UpMsgId(std::string_view site, UpKind kind, Instant first, Instant last, std::size_t count) {
  return fmt::format("{}.{}.{}-{}-{}", site, KindToken(kind), Ms(first), Ms(last), count);
}

std::string EncodeTelemetry(const TelemetryMessage& message) {
  json units = json::object();
  json samples = json::array();
  for (const LinkSample& s : message.samples) {
    units[s.point] = s.unit;
    json value = std::isfinite(s.value) ? json(s.value) : json(nullptr);
    samples.push_back(json::array({s.point, Ms(s.time), std::move(value), static_cast<int>(s.quality)}));
  }
  const json j = {{"v", kVersion},
                  {"site", message.site},
                  {"sent_ms", Ms(message.sent)},
                  {"origin", message.origin == TelemetryOrigin::kLive ? "live" : "backfill"},
                  {"units", std::move(units)},
                  {"s", std::move(samples)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<TelemetryMessage> DecodeTelemetry(std::string_view subject_site, std::string_view payload) {
  constexpr std::string_view what = "telemetry message";
  MEG_TRY_ASSIGN(j, ParseObject(what, subject_site, payload));
  return Guarded(what, [&]() -> Result<TelemetryMessage> {
    TelemetryMessage m;
    m.site = std::string(subject_site);
    MEG_TRY_ASSIGN(sent, TimeField(j, "sent_ms", what));
    m.sent = FromMs(sent);
    MEG_TRY_ASSIGN(origin, StringField(j, "origin", what));
    if (origin == "live") {
      m.origin = TelemetryOrigin::kLive;
    } else if (origin == "backfill") {
      m.origin = TelemetryOrigin::kBackfill;
    } else {
      return InvalidInput(fmt::format("{}: origin '{}' is not live or backfill", what, origin));
    }
    if (!j.contains("units") || !j["units"].is_object()) return InvalidInput(fmt::format("{}: no units", what));
    if (!j.contains("s") || !j["s"].is_array()) return InvalidInput(fmt::format("{}: no samples", what));
    const json& units = j["units"];
    const json& samples = j["s"];
    if (samples.size() > kMaxSamplesPerMessage) {
      return InvalidInput(fmt::format("{}: {} samples, more than {}", what, samples.size(), kMaxSamplesPerMessage));
    }
    m.samples.reserve(samples.size());
    for (const json& s : samples) {
      if (!s.is_array() || s.size() != 4 || !s[0].is_string() || !s[1].is_number_integer() ||
          !(s[2].is_number() || s[2].is_null()) || !s[3].is_number_integer()) {
        return InvalidInput(fmt::format("{}: a sample is not [point, time ms, value, quality]", what));
      }
      LinkSample out;
      out.point = s[0].get<std::string>();
      if (out.point.empty() || out.point.size() > 128)
        return InvalidInput(fmt::format("{}: a point name is empty or too long", what));
      if (!units.contains(out.point) || !units[out.point].is_string()) {
        return InvalidInput(fmt::format("{}: point '{}' has no unit", what, out.point));
      }
      out.unit = units[out.point].get<std::string>();
      const auto ms = s[1].get<std::int64_t>();
      if (ms < kEarliestMs || ms >= kLatestMs) {
        return InvalidInput(fmt::format("{}: sample time {} ms is not between 2000 and 2100", what, ms));
      }
      out.time = FromMs(ms);
      const int q = s[3].get<int>();
      if (q != 0 && q != 1) return InvalidInput(fmt::format("{}: quality {} is not 0 or 1", what, q));
      out.quality = static_cast<SampleQuality>(q);
      out.value = s[2].is_null() ? std::numeric_limits<double>::quiet_NaN() : s[2].get<double>();
      if (out.quality == SampleQuality::kGood && !std::isfinite(out.value)) {
        return InvalidInput(fmt::format("{}: good sample of '{}' has no finite value", what, out.point));
      }
      m.samples.push_back(std::move(out));
    }
    return m;
  });
}

std::string EncodeEvents(const EventsMessage& message) {
  json events = json::array();
  for (const Event& e : message.events) {
    events.push_back({{"t", Ms(e.time)}, {"kind", e.kind}, {"sev", static_cast<int>(e.severity)}, {"msg", e.message}});
  }
  const json j = {{"v", kVersion},
                  {"site", message.site},
                  {"sent_ms", Ms(message.sent)},
                  {"events", std::move(events)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<EventsMessage> DecodeEvents(std::string_view subject_site, std::string_view payload) {
  constexpr std::string_view what = "events message";
  MEG_TRY_ASSIGN(j, ParseObject(what, subject_site, payload));
  return Guarded(what, [&]() -> Result<EventsMessage> {
    EventsMessage m;
    m.site = std::string(subject_site);
    MEG_TRY_ASSIGN(sent, TimeField(j, "sent_ms", what));
    m.sent = FromMs(sent);
    if (!j.contains("events") || !j["events"].is_array()) return InvalidInput(fmt::format("{}: no events", what));
    if (j["events"].size() > kMaxSamplesPerMessage) return InvalidInput(fmt::format("{}: too many events", what));
    for (const json& e : j["events"]) {
      if (!e.is_object()) return InvalidInput(fmt::format("{}: an event is not an object", what));
      Event out;
      out.site = m.site;
      MEG_TRY_ASSIGN(t, TimeField(e, "t", what));
      out.time = FromMs(t);
      MEG_TRY_ASSIGN(kind, StringField(e, "kind", what, 64));
      MEG_TRY_ASSIGN(msg, StringField(e, "msg", what));
      if (!e.contains("sev") || !e["sev"].is_number_integer())
        return InvalidInput(fmt::format("{}: no severity", what));
      const int sev = e["sev"].get<int>();
      if (sev < 0 || sev > 2) return InvalidInput(fmt::format("{}: severity {} is not 0..2", what, sev));
      out.kind = std::move(kind);
      out.message = std::move(msg);
      out.severity = static_cast<Severity>(sev);
      m.events.push_back(std::move(out));
    }
    return m;
  });
}

std::string EncodeBill(const BillMessage& message) {
  const json j = {{"v", kVersion},
                  {"site", message.site},
                  {"sent_ms", Ms(message.sent)},
                  {"month", FormatMonth(message.bill.month)},
                  {"bill", message.bill.json}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<BillMessage> DecodeBill(std::string_view subject_site, std::string_view payload) {
  constexpr std::string_view what = "bill message";
  MEG_TRY_ASSIGN(j, ParseObject(what, subject_site, payload));
  return Guarded(what, [&]() -> Result<BillMessage> {
    BillMessage m;
    m.site = std::string(subject_site);
    MEG_TRY_ASSIGN(sent, TimeField(j, "sent_ms", what));
    m.sent = FromMs(sent);
    MEG_TRY_ASSIGN(month_text, StringField(j, "month", what, 16));
    MEG_TRY_ASSIGN(month, ParseMonth(month_text));
    MEG_TRY_ASSIGN(bill, StringField(j, "bill", what, kMaxLinkMessageBytes));
    m.bill = StoredBill{m.site, month, std::move(bill)};
    return m;
  });
}

std::string EncodeSchedule(const ScheduleMessage& message) {
  const json j = {{"v", kVersion},
                  {"site", message.site},
                  {"sent_ms", Ms(message.sent)},
                  {"made_ms", Ms(message.schedule.made)},
                  {"schedule", message.schedule.json}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ScheduleMessage> DecodeSchedule(std::string_view subject_site, std::string_view payload) {
  constexpr std::string_view what = "schedule message";
  MEG_TRY_ASSIGN(j, ParseObject(what, subject_site, payload));
  return Guarded(what, [&]() -> Result<ScheduleMessage> {
    ScheduleMessage m;
    m.site = std::string(subject_site);
    MEG_TRY_ASSIGN(sent, TimeField(j, "sent_ms", what));
    m.sent = FromMs(sent);
    MEG_TRY_ASSIGN(made, TimeField(j, "made_ms", what));
    MEG_TRY_ASSIGN(text, StringField(j, "schedule", what, kMaxLinkMessageBytes));
    m.schedule = StoredSchedule{m.site, FromMs(made), std::move(text)};
    return m;
  });
}

std::string EncodeCommand(const CommandMessage& message) {
  json j = {{"v", kVersion},
            {"id", message.id},
            {"site", message.site},
            {"sent_ms", Ms(message.sent)},
            {"expires_ms", Ms(message.expires)}};
  if (const auto* op = std::get_if<OperatorCommand>(&message.body)) {
    j["type"] = "operator";
    j["operator"] = {{"kind", OperatorKindName(op->kind)},
                     {"battery_kw", op->battery_kw},
                     {"minutes", op->minutes},
                     {"user", op->user}};
    if (op->kind == OperatorCommand::Kind::kEvCharger) {
      j["operator"]["charger"] = op->charger;
      j["operator"]["connector"] = op->connector;
      j["operator"]["action"] = op->action;
      j["operator"]["id_tag"] = op->id_tag;
    }
    if (op->kind == OperatorCommand::Kind::kBatteryMode) {
      j["operator"]["mode"] = op->mode;
      if (op->from != Instant{}) j["operator"]["from_ms"] = Ms(op->from);  // none: when it arrives
      j["operator"]["until_ms"] = Ms(op->until);
      j["operator"]["soc_pct"] = op->soc_pct;
    }
    if (op->kind == OperatorCommand::Kind::kBackupReserve) j["operator"]["soc_pct"] = op->soc_pct;
    if (op->kind == OperatorCommand::Kind::kEvSession) {
      j["operator"]["charger"] = op->charger;
      j["operator"]["connector"] = op->connector;
      j["operator"]["energy_kwh"] = op->energy_kwh;
      j["operator"]["departure_ms"] = Ms(op->departure);
    }
  } else {
    const auto& dr = std::get<DrCallRequest>(message.body);
    j["type"] = "dr";
    j["dr"] = {{"kind", dr.kind},
               {"issued_ms", dr.issued ? json(Ms(*dr.issued)) : json(nullptr)},
               {"start_ms", Ms(dr.start)},
               {"end_ms", Ms(dr.end)},
               {"requested_kw", dr.requested_kw},
               {"user", dr.user}};
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<CommandMessage> DecodeCommand(std::string_view subject_site, std::string_view payload) {
  constexpr std::string_view what = "command";
  MEG_TRY_ASSIGN(j, ParseObject(what, subject_site, payload));
  return Guarded(what, [&]() -> Result<CommandMessage> {
    CommandMessage m;
    m.site = std::string(subject_site);
    MEG_TRY_ASSIGN(id, StringField(j, "id", what, 64));
    if (!ValidToken(id)) return InvalidInput(fmt::format("{}: id '{}' is not [A-Za-z0-9_-]{{1,64}}", what, id));
    m.id = std::move(id);
    MEG_TRY_ASSIGN(sent, TimeField(j, "sent_ms", what));
    MEG_TRY_ASSIGN(expires, TimeField(j, "expires_ms", what));
    m.sent = FromMs(sent);
    m.expires = FromMs(expires);
    MEG_TRY_ASSIGN(type, StringField(j, "type", what, 16));
    if (type == "operator") {
      if (!j.contains("operator") || !j["operator"].is_object())
        return InvalidInput(fmt::format("{}: no operator body", what));
      const json& o = j["operator"];
      OperatorCommand c;
      MEG_TRY_ASSIGN(kind, StringField(o, "kind", what, 16));
      if (kind == "setpoint") {
        c.kind = OperatorCommand::Kind::kSetpoint;
      } else if (kind == "auto") {
        c.kind = OperatorCommand::Kind::kAuto;
      } else if (kind == "schedule") {
        c.kind = OperatorCommand::Kind::kSchedule;
      } else if (kind == "ev-session") {
        c.kind = OperatorCommand::Kind::kEvSession;
        MEG_TRY_ASSIGN(charger, StringField(o, "charger", what, 64));
        MEG_TRY_ASSIGN(connector, NumberField(o, "connector", what));
        MEG_TRY_ASSIGN(kwh, NumberField(o, "energy_kwh", what));
        MEG_TRY_ASSIGN(departure, TimeField(o, "departure_ms", what));
        if (!(connector >= 1 && connector <= 8 && connector == std::floor(connector)) || !(kwh > 0 && kwh <= 1000)) {
          return InvalidInput(fmt::format("{}: connector {} or energy_kwh {} out of range", what, connector, kwh));
        }
        c.charger = std::move(charger);
        c.connector = static_cast<int>(connector);
        c.energy_kwh = kwh;
        c.departure = FromMs(departure);
      } else if (kind == "ev-charger") {
        c.kind = OperatorCommand::Kind::kEvCharger;
        MEG_TRY_ASSIGN(charger, StringField(o, "charger", what, 64));
        MEG_TRY_ASSIGN(connector, NumberField(o, "connector", what));
        MEG_TRY_ASSIGN(action, StringField(o, "action", what, 16));
        MEG_TRY_ASSIGN(tag, StringField(o, "id_tag", what, 20));
        if (!(connector >= 1 && connector <= 8 && connector == std::floor(connector))) {
          return InvalidInput(fmt::format("{}: connector {} out of range", what, connector));
        }
        c.charger = std::move(charger);
        c.connector = static_cast<int>(connector);
        c.action = std::move(action);
        c.id_tag = std::move(tag);
      } else if (kind == "battery-mode" || kind == "backup-reserve") {
        c.kind = kind == "battery-mode" ? OperatorCommand::Kind::kBatteryMode : OperatorCommand::Kind::kBackupReserve;
        MEG_TRY_ASSIGN(pct, NumberField(o, "soc_pct", what));
        if (!(pct >= 0 && pct <= 100)) return InvalidInput(fmt::format("{}: soc_pct {} is outside 0..100", what, pct));
        c.soc_pct = pct;
        if (c.kind == OperatorCommand::Kind::kBatteryMode) {
          MEG_TRY_ASSIGN(mode, StringField(o, "mode", what, 24));
          if (!ParseBatteryModeKind(mode))
            return InvalidInput(fmt::format("{}: battery mode '{}' is not known", what, mode));
          if (o.contains("from_ms")) {
            MEG_TRY_ASSIGN(from, TimeField(o, "from_ms", what));
            c.from = FromMs(from);
          }
          MEG_TRY_ASSIGN(until, TimeField(o, "until_ms", what));
          c.mode = std::move(mode);
          c.until = FromMs(until);
        }
      } else {
        return InvalidInput(fmt::format(
            "{}: operator kind '{}' is not setpoint, auto, schedule, ev-session, ev-charger, battery-mode or "
            "backup-reserve",
            what, kind));
      }
      MEG_TRY_ASSIGN(kw, NumberField(o, "battery_kw", what));
      MEG_TRY_ASSIGN(minutes, NumberField(o, "minutes", what));
      MEG_TRY_ASSIGN(user, StringField(o, "user", what, 128));
      // The bounds of the API's command bodies (server/request_body.h).
      if (std::abs(kw) > 1e6 || minutes < 0 || minutes > 1440) {
        return InvalidInput(fmt::format("{}: battery_kw {} or minutes {} out of range", what, kw, minutes));
      }
      c.battery_kw = kw;
      c.minutes = minutes;
      c.user = std::move(user);
      m.body = std::move(c);
    } else if (type == "dr") {
      if (!j.contains("dr") || !j["dr"].is_object()) return InvalidInput(fmt::format("{}: no dr body", what));
      const json& o = j["dr"];
      DrCallRequest c;
      MEG_TRY_ASSIGN(kind, StringField(o, "kind", what, 32));
      c.kind = std::move(kind);
      if (o.contains("issued_ms") && !o["issued_ms"].is_null()) {
        MEG_TRY_ASSIGN(issued, TimeField(o, "issued_ms", what));
        c.issued = FromMs(issued);
      }
      MEG_TRY_ASSIGN(start, TimeField(o, "start_ms", what));
      MEG_TRY_ASSIGN(end, TimeField(o, "end_ms", what));
      c.start = FromMs(start);
      c.end = FromMs(end);
      MEG_TRY_ASSIGN(kw, NumberField(o, "requested_kw", what));
      if (kw < 0 || kw > 1e6 || c.end <= c.start) {
        return InvalidInput(
            fmt::format("{}: requested_kw {} out of range or the call ends before it starts", what, kw));
      }
      c.requested_kw = kw;
      MEG_TRY_ASSIGN(user, StringField(o, "user", what, 128));
      c.user = std::move(user);
      m.body = std::move(c);
    } else {
      return InvalidInput(fmt::format("{}: type '{}' is not operator or dr", what, type));
    }
    return m;
  });
}

std::string EncodeCommandResult(const CommandResult& result) {
  const json j = {{"v", kVersion}, {"id", result.id}, {"accepted", result.accepted}, {"reason", result.reason}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<CommandResult> DecodeCommandResult(std::string_view payload) {
  constexpr std::string_view what = "command result";
  MEG_TRY_ASSIGN(j, ParseObject(what, "", payload, /*check_site=*/false));
  return Guarded(what, [&]() -> Result<CommandResult> {
    CommandResult r;
    MEG_TRY_ASSIGN(id, StringField(j, "id", what, 64));
    MEG_TRY_ASSIGN(reason, StringField(j, "reason", what));
    if (!j.contains("accepted") || !j["accepted"].is_boolean())
      return InvalidInput(fmt::format("{}: no accepted", what));
    r.id = std::move(id);
    r.reason = std::move(reason);
    r.accepted = j["accepted"].get<bool>();
    return r;
  });
}

}  // namespace meg
