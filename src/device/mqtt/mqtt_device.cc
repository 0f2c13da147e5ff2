#include "device/mqtt/mqtt_device.h"

#include <fmt/format.h>
#include <mosquitto.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace meg {
namespace {

using nlohmann::json;

constexpr int kQos = 1;
constexpr size_t kMaxPayloadBytes = 64 * 1024;
constexpr std::int64_t kMaxTsMs = 32503680000000;  // year 3000: beyond it ts_ms is not a time
constexpr std::string_view kOnline = "online";
constexpr std::string_view kOffline = "offline";

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

bool HasWildcard(std::string_view topic) { return topic.find_first_of("+#") != std::string_view::npos; }

// The payload as printable ASCII, cut at 60 characters, for error messages.
std::string Excerpt(std::string_view payload) {
  constexpr size_t kMax = 60;
  std::string out;
  for (char c : payload.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (payload.size() > kMax) out += "...";
  return out;
}

std::string_view JsonTypeName(const json& v) {
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  return "null";
}

// Reads the optional number `key` into `out` (absent or null: nullopt). Fails on another type.
Status OptionalNumber(const json& object, const char* key, const char* unit, std::optional<double>& out) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Ok{};
  if (!it->is_number()) {
    return InvalidInput(fmt::format("\"{}\" is {}, expected a number in {}", key, JsonTypeName(*it), unit));
  }
  out = it->get<double>();
  return Ok{};
}

Result<std::optional<Instant>> PayloadTime(const json& object) {
  if (const auto it = object.find("ts_ms"); it != object.end() && !it->is_null()) {
    const bool in_range =
        (it->is_number_unsigned() && it->get<std::uint64_t>() <= kMaxTsMs) ||
        (it->is_number_integer() && it->get<std::int64_t>() >= 0 && it->get<std::int64_t>() <= kMaxTsMs);
    if (!in_range) {
      return InvalidInput(fmt::format("\"ts_ms\" is {}, expected whole milliseconds since 1970-01-01T00:00:00Z",
                                      it->is_number() ? "out of range" : JsonTypeName(*it)));
    }
    return std::optional<Instant>(Instant{Millis{it->get<std::int64_t>()}});
  }
  if (const auto it = object.find("time"); it != object.end() && !it->is_null()) {
    if (!it->is_string()) {
      return InvalidInput(fmt::format("\"time\" is {}, expected an ISO 8601 string with offset", JsonTypeName(*it)));
    }
    const Result<Timestamp> t = ParseIso8601(it->get<std::string>());
    if (!t) return InvalidInput("\"time\": " + t.error().message);
    return std::optional<Instant>(ToInstant(*t));
  }
  return std::optional<Instant>();
}

// JSON has no NaN or infinity (the parser rejects 1e400), so the finiteness checks are defence.
bool Plausible(const TelemetryPayload& p) {
  const Telemetry& t = p.telemetry;
  auto non_negative = [](const std::optional<Kilowatts>& v) {
    return !v || (std::isfinite(v->value()) && v->value() >= 0);
  };
  return std::isfinite(t.power.value()) &&
         (!t.soc_pct || (std::isfinite(*t.soc_pct) && *t.soc_pct >= 0 && *t.soc_pct <= 100)) &&
         non_negative(t.max_charge) && non_negative(t.max_discharge) && non_negative(t.rated_power) &&
         (!t.cop || (std::isfinite(*t.cop) && *t.cop > 0)) && non_negative(t.cooling_load);
}

std::optional<Kilowatts> ToKilowatts(const std::optional<double>& v) {
  if (!v) return std::nullopt;
  return Kilowatts{*v};
}

std::string PowerSignOf(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kMeter: return "kW, + import / - export";
    case DeviceKind::kPv: return "kW, + production";
    case DeviceKind::kBattery: return "kW, + discharge / - charge";
    case DeviceKind::kGenerator: return "kW, + production";
    case DeviceKind::kThermalStorage: return "kW of electricity, + saved by discharging / - spent charging";
  }
  return "kW";
}

}  // namespace

std::string MqttTopicPrefix(const MqttSpec& spec, std::string_view device_id) {
  std::string prefix = spec.topic_prefix;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.empty()) return fmt::format("openmeg/{}", device_id);
  return prefix;
}

Result<TelemetryPayload> ParseTelemetryPayload(std::string_view payload, DeviceKind kind) {
  if (payload.size() > kMaxPayloadBytes) {
    return InvalidInput(fmt::format("payload of {} bytes is larger than {}", payload.size(), kMaxPayloadBytes));
  }
  json j;
  try {
    j = json::parse(payload);
  } catch (const json::exception& e) {
    // e.what(): "[json.exception.parse_error.101] parse error at line 1, column 3: ..."
    std::string_view why = e.what();
    if (const size_t at = why.find("] "); at != std::string_view::npos) why.remove_prefix(at + 2);
    return InvalidInput(fmt::format("payload is not JSON ({}): '{}'", why, Excerpt(payload)));
  }
  if (!j.is_object()) {
    return InvalidInput(fmt::format("payload is {}, expected a JSON object: '{}'", JsonTypeName(j), Excerpt(payload)));
  }
  const auto power = j.find("power_kw");
  if (power == j.end() || !power->is_number()) {
    return InvalidInput(fmt::format("\"power_kw\" is {}, expected a number ({})",
                                    power == j.end() ? "missing" : JsonTypeName(*power), PowerSignOf(kind)));
  }
  Result<std::optional<Instant>> time = PayloadTime(j);
  if (!time) return time.error();

  TelemetryPayload out;
  out.time = *time;
  Telemetry& t = out.telemetry;
  t.time = out.time.value_or(Instant{});
  t.power = Kilowatts{power->get<double>()};
  std::optional<double> soc, max_charge, max_discharge, rated;
  for (const Status& s :
       {OptionalNumber(j, "soc_pct", "%", soc), OptionalNumber(j, "max_charge_kw", "kW", max_charge),
        OptionalNumber(j, "max_discharge_kw", "kW", max_discharge), OptionalNumber(j, "rated_kw", "kW", rated)}) {
    if (!s) return s.error();
  }
  if (kind == DeviceKind::kBattery || kind == DeviceKind::kThermalStorage) {
    t.soc_pct = soc;
    t.max_charge = ToKilowatts(max_charge);
    t.max_discharge = ToKilowatts(max_discharge);
  }
  // "cop" is a thermal storage's key only; for other kinds it is an unknown key, ignored unread.
  if (kind == DeviceKind::kThermalStorage) {
    if (Status s = OptionalNumber(j, "cop", "kW of cooling per kW of electricity", t.cop); !s) return s.error();
    std::optional<double> cooling_load;
    if (Status s = OptionalNumber(j, "cooling_load_kw", "kW of cooling", cooling_load); !s) return s.error();
    t.cooling_load = ToKilowatts(cooling_load);
  }
  if (kind != DeviceKind::kMeter) t.rated_power = ToKilowatts(rated);
  t.quality = Plausible(out) ? Quality::kGood : Quality::kBad;
  return out;
}

std::optional<std::string> SetpointPayload(const Command& command, DeviceKind kind, std::int64_t seq, Instant now) {
  nlohmann::ordered_json j;
  j["seq"] = seq;
  j["time"] = FormatKst(ToTimestamp(now));
  switch (kind) {
    case DeviceKind::kMeter: return std::nullopt;
    case DeviceKind::kBattery:
      if (!command.battery_power) return std::nullopt;
      j["battery_kw"] = command.battery_power->value();
      break;
    case DeviceKind::kPv:
      if (command.pv_limit) {
        j["pv_limit_kw"] = command.pv_limit->value();
      } else {
        j["pv_limit_kw"] = nullptr;
      }
      break;
    case DeviceKind::kGenerator:
      if (!command.generator_power) return std::nullopt;
      // An output below 0 is a stop (not std::max: Write refuses a NaN before this).
      j["generator_kw"] = command.generator_power->value() < 0 ? 0.0 : command.generator_power->value();
      break;
    case DeviceKind::kThermalStorage:
      if (!command.thermal_power) return std::nullopt;
      j["thermal_kw"] = command.thermal_power->value();
      break;
  }
  return j.dump();
}

MqttConnectionOptions ConnectionOptions(const MqttSpec& spec, std::string client_id) {
  MqttConnectionOptions o;
  o.host = spec.host;
  o.port = spec.port;
  o.keepalive_s = spec.keepalive_s;
  o.client_id = std::move(client_id);
  o.username = spec.username;
  o.password_file = spec.password_file;
  o.tls_ca_file = spec.tls_ca_file;
  o.tls_cert_file = spec.tls_cert_file;
  o.tls_key_file = spec.tls_key_file;
  return o;
}

// ---------------------------------------------------------------------------------------------
// MqttInbox: what the network thread hands a device.

struct InboxView {
  std::optional<TelemetryPayload> latest;  // the latest valid telemetry
  std::uint64_t telemetry_count = 0;       // valid telemetry messages so far
  std::optional<std::string> malformed;    // why the latest telemetry payload was rejected
  int malformed_in_row = 0;
  std::string status;  // the latest <prefix>/status payload ("" = none)
};

struct MqttInbox {
  MqttInbox(DeviceKind kind, std::string telemetry_topic, std::string status_topic)
      : kind(kind), telemetry_topic(std::move(telemetry_topic)), status_topic(std::move(status_topic)) {}

  // Network thread.
  void Receive(std::string_view topic, std::string_view payload, bool retained) {
    if (topic == status_topic) {
      const std::lock_guard lock(mu);
      std::string_view status = payload.substr(0, 64);
      while (!status.empty() && std::isspace(static_cast<unsigned char>(status.back()))) {
        status.remove_suffix(1);
      }
      view.status = std::string(status);
      return;
    }
    Result<TelemetryPayload> t = ParseTelemetryPayload(payload, kind);
    if (t && retained && !t->time) {
      t = InvalidInput("a retained payload without \"time\" or \"ts_ms\" has an unknown age");
    }
    const std::lock_guard lock(mu);
    if (t) {
      view.latest = std::move(*t);
      ++view.telemetry_count;
      view.malformed.reset();
      view.malformed_in_row = 0;
    } else {
      view.malformed = fmt::format("{}: {}", telemetry_topic, t.error().message);
      ++view.malformed_in_row;
    }
  }

  InboxView View() const {
    const std::lock_guard lock(mu);
    return view;
  }

  const DeviceKind kind;
  const std::string telemetry_topic;
  const std::string status_topic;
  std::atomic<std::int64_t> acked{0};

 private:
  mutable std::mutex mu;
  InboxView view;
};

// ---------------------------------------------------------------------------------------------
// MqttConnection

struct MqttConnection::Private {};

struct MqttConnection::State {
  mutable std::mutex mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  bool connected = false;
  std::string last_error;
  std::string refusal;  // the broker's CONNACK refusal (e.g. not authorised) until a connect succeeds
  std::map<std::string, std::shared_ptr<MqttInbox>> inboxes;  // by subscribed topic
  std::map<int, std::shared_ptr<MqttInbox>> pending;          // publish mid -> whom to credit
  std::set<int> early_acks;                                   // PUBACKs that beat Publish() to recording their mid
  std::int64_t acked = 0;
  std::thread connector;
  bool loop_started = false;  // set by the connector; read after joining it
};

Result<std::shared_ptr<MqttConnection>> MqttConnection::Open(MqttConnectionOptions options) {
  const MqttConnectionOptions& o = options;
  auto bad = [&](std::string_view what) {
    return InvalidInput(fmt::format("MQTT broker {}:{}: {}", o.host, o.port, what));
  };
  if (o.host.empty()) return bad("host is empty");
  if (o.port < 1 || o.port > 65535) return bad("port is outside 1..65535");
  if (o.keepalive_s < 5 || o.keepalive_s > 65535) return bad("keepalive_s is outside 5..65535");
  if (o.client_id.empty() || o.client_id.find_first_of("+#/") != std::string::npos) {
    return bad(fmt::format("client id '{}' is empty or contains '+', '#' or '/'", o.client_id));
  }
  if (o.reconnect_min_s < 1 || o.reconnect_max_s < o.reconnect_min_s) {
    return bad("reconnect delays must satisfy 1 <= reconnect_min_s <= reconnect_max_s");
  }
  InitLibraryOnce();
  auto connection = std::make_shared<MqttConnection>(Private{}, std::move(options));
  MqttConnection& c = *connection;
  if (c.mosq_ == nullptr) return bad("libmosquitto could not create a client (out of memory?)");
  const int rc = mosquitto_will_set(c.mosq_, c.status_topic_.c_str(), static_cast<int>(kOffline.size()),
                                    kOffline.data(), kQos, true);
  if (rc != MOSQ_ERR_SUCCESS) return bad(fmt::format("last will: {}", mosquitto_strerror(rc)));
  if (Status st = c.SetSecurity(); !st) return bad(st.error().message);
  mosquitto_reconnect_delay_set(c.mosq_, static_cast<unsigned>(c.options_.reconnect_min_s),
                                static_cast<unsigned>(c.options_.reconnect_max_s), true);
  mosquitto_connect_callback_set(c.mosq_, [](mosquitto*, void* self, int rc) {
    static_cast<MqttConnection*>(self)->OnConnect(rc);
  });
  mosquitto_disconnect_callback_set(c.mosq_, [](mosquitto*, void* self, int rc) {
    static_cast<MqttConnection*>(self)->OnDisconnect(rc);
  });
  mosquitto_message_callback_set(c.mosq_, [](mosquitto*, void* self, const mosquitto_message* message) {
    static_cast<MqttConnection*>(self)->OnMessage(*message);
  });
  mosquitto_publish_callback_set(c.mosq_, [](mosquitto*, void* self, int mid) {
    static_cast<MqttConnection*>(self)->OnPublish(mid);
  });
  c.state_->connector = std::thread([&c] { c.ConnectUntilStarted(); });
  return connection;
}

Status MqttConnection::SetSecurity() {
  const MqttConnectionOptions& o = options_;
  if (!o.username.empty()) {
    std::optional<std::string> password;
    if (!o.password_file.empty()) {
      std::ifstream in(o.password_file);
      std::string line;
      if (!in || !std::getline(in, line)) {
        return InvalidInput(fmt::format("password_file {}: cannot read its first line", o.password_file));
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) return InvalidInput(fmt::format("password_file {}: the first line is empty", o.password_file));
      password = std::move(line);
    }
    const int rc = mosquitto_username_pw_set(mosq_, o.username.c_str(), password ? password->c_str() : nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return InvalidInput(fmt::format("username: {}", mosquitto_strerror(rc)));
  } else if (!o.password_file.empty()) {
    return InvalidInput("password_file needs a username");
  }
  if (o.tls_ca_file.empty()) {
    if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
      return InvalidInput("a client certificate needs tls_ca_file (TLS is on only with the broker's CA)");
    }
    return Ok{};
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return InvalidInput("tls_cert_file and tls_key_file go together");
  }
  // mosquitto_tls_set checks that the files can be opened; the handshake checks their content.
  const int rc = mosquitto_tls_set(mosq_, o.tls_ca_file.c_str(), nullptr,
                                   o.tls_cert_file.empty() ? nullptr : o.tls_cert_file.c_str(),
                                   o.tls_key_file.empty() ? nullptr : o.tls_key_file.c_str(), nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    return InvalidInput(fmt::format("TLS (tls_ca_file {}{}): {}", o.tls_ca_file,
                                    o.tls_cert_file.empty() ? "" : ", tls_cert_file " + o.tls_cert_file,
                                    mosquitto_strerror(rc)));
  }
  return Ok{};
}

MqttConnection::MqttConnection(Private, MqttConnectionOptions options)
    : options_(std::move(options)),
      status_topic_(fmt::format("openmeg/controller/{}/status", options_.client_id)),
      state_(std::make_unique<State>()),
      mosq_(mosquitto_new(options_.client_id.c_str(), /*clean_session=*/true, this)) {
  state_->last_error = fmt::format("MQTT broker {}:{}: connecting", options_.host, options_.port);
}

MqttConnection::~MqttConnection() {
  if (mosq_ == nullptr) return;
  {
    const std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->stop_cv.notify_all();
  if (state_->connector.joinable()) state_->connector.join();
  if (state_->loop_started) {
    // Say "offline" ourselves: a clean DISCONNECT makes the broker drop our last will. The
    // DISCONNECT is queued after this PUBLISH, so the broker has it before we leave.
    if (connected()) {
      mosquitto_publish(mosq_, nullptr, status_topic_.c_str(), static_cast<int>(kOffline.size()), kOffline.data(), kQos,
                        true);
    }
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
  }
  mosquitto_destroy(mosq_);
}

// libmosquitto's network thread only reconnects after a first successful connect (2.0.11:
// after a refused mosquitto_connect_async, mosquitto_loop_start's thread waits forever), so the
// first connect is retried here, with the same backoff, before the loop is started.
void MqttConnection::ConnectUntilStarted() {
  int delay_s = options_.reconnect_min_s;
  for (;;) {
    int rc = mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port, options_.keepalive_s);
    if (rc == MOSQ_ERR_SUCCESS) {
      rc = mosquitto_loop_start(mosq_);
      const std::lock_guard lock(state_->mu);
      if (rc == MOSQ_ERR_SUCCESS) {
        state_->loop_started = true;
      } else {
        state_->last_error = fmt::format("MQTT broker {}:{}: cannot start the network thread: {}", options_.host,
                                         options_.port, mosquitto_strerror(rc));
      }
      return;
    }
    SetError(fmt::format("MQTT broker {}:{}: {}; retrying", options_.host, options_.port, mosquitto_strerror(rc)));
    std::unique_lock lock(state_->mu);
    if (state_->stop_cv.wait_for(lock, std::chrono::seconds(delay_s), [&] { return state_->stopping; })) {
      return;
    }
    delay_s = std::min(delay_s * 2, options_.reconnect_max_s);
  }
}

bool MqttConnection::connected() const {
  const std::lock_guard lock(state_->mu);
  return state_->connected;
}

std::string MqttConnection::last_error() const {
  const std::lock_guard lock(state_->mu);
  return state_->connected ? std::string() : state_->last_error;
}

std::int64_t MqttConnection::publishes_acked() const {
  const std::lock_guard lock(state_->mu);
  return state_->acked;
}

void MqttConnection::SetError(std::string error) {
  const std::lock_guard lock(state_->mu);
  state_->last_error = std::move(error);
}

void MqttConnection::Subscribe(const std::string& topic) {
  // A failure (the connection just dropped) is repaired by the resubscription in OnConnect.
  mosquitto_subscribe(mosq_, nullptr, topic.c_str(), kQos);
}

void MqttConnection::Register(const std::string& topic, std::shared_ptr<MqttInbox> inbox) {
  bool subscribe_now = false;
  {
    // Under the lock that OnConnect takes to list the topics: either OnConnect sees this topic,
    // or this sees the connection up and subscribes itself.
    const std::lock_guard lock(state_->mu);
    state_->inboxes[topic] = std::move(inbox);
    subscribe_now = state_->connected;
  }
  if (subscribe_now) Subscribe(topic);
}

void MqttConnection::Unregister(const std::string& topic) {
  bool connected_now = false;
  {
    const std::lock_guard lock(state_->mu);
    state_->inboxes.erase(topic);
    connected_now = state_->connected;
  }
  if (connected_now) mosquitto_unsubscribe(mosq_, nullptr, topic.c_str());
}

Status MqttConnection::Publish(const std::string& topic, const std::string& payload, bool retain,
                               std::shared_ptr<MqttInbox> inbox) {
  int mid = 0;
  const int rc =
      mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), kQos, retain);
  if (rc != MOSQ_ERR_SUCCESS) {
    return IoError(fmt::format("MQTT broker {}:{}: publish to {} failed: {}", options_.host, options_.port, topic,
                               mosquitto_strerror(rc)));
  }
  const std::lock_guard lock(state_->mu);
  if (state_->early_acks.erase(mid) > 0) {
    if (inbox) ++inbox->acked;
  } else {
    state_->pending[mid] = std::move(inbox);
  }
  return Ok{};
}

void MqttConnection::OnConnect(int rc) {
  if (rc != 0) {
    const std::lock_guard lock(state_->mu);
    state_->refusal = fmt::format("MQTT broker {}:{} refused the connection: {}; retrying", options_.host,
                                  options_.port, mosquitto_connack_string(rc));
    state_->last_error = state_->refusal;
    return;
  }
  std::vector<std::string> topics;
  {
    const std::lock_guard lock(state_->mu);
    state_->connected = true;
    state_->last_error.clear();
    state_->refusal.clear();
    for (const auto& [topic, inbox] : state_->inboxes) topics.push_back(topic);
  }
  for (const std::string& topic : topics) Subscribe(topic);
  (void)Publish(status_topic_, std::string(kOnline), /*retain=*/true, nullptr);
}

void MqttConnection::OnDisconnect(int rc) {
  const std::lock_guard lock(state_->mu);
  state_->connected = false;
  // After a refused CONNACK the broker's reason (bad credentials) says more than "lost".
  if (!state_->refusal.empty()) {
    state_->last_error = state_->refusal;
    return;
  }
  state_->last_error = rc == 0 ? fmt::format("MQTT broker {}:{}: disconnected", options_.host, options_.port)
                               : fmt::format("MQTT broker {}:{}: connection lost ({}); reconnecting", options_.host,
                                             options_.port, mosquitto_strerror(rc));
}

void MqttConnection::OnMessage(const mosquitto_message& message) {
  std::shared_ptr<MqttInbox> inbox;
  {
    const std::lock_guard lock(state_->mu);
    const auto it = state_->inboxes.find(message.topic);
    if (it == state_->inboxes.end()) return;
    inbox = it->second;
  }
  const std::string_view payload(static_cast<const char*>(message.payload),
                                 message.payload == nullptr ? 0 : message.payloadlen);
  inbox->Receive(message.topic, payload, message.retain);
}

void MqttConnection::OnPublish(int mid) {
  const std::lock_guard lock(state_->mu);
  ++state_->acked;
  const auto it = state_->pending.find(mid);
  if (it == state_->pending.end()) {
    state_->early_acks.insert(mid);
    return;
  }
  if (it->second) ++it->second->acked;
  state_->pending.erase(it);
}

// ---------------------------------------------------------------------------------------------
// MqttDevice

MqttDevice::MqttDevice(std::string id, DeviceKind kind, const MqttSpec& spec,
                       std::shared_ptr<MqttConnection> connection)
    : id_(std::move(id)),
      kind_(kind),
      prefix_(MqttTopicPrefix(spec, id_)),
      lost_after_(Millis{spec.lost_after_ms}),
      connection_(std::move(connection)),
      inbox_(std::make_shared<MqttInbox>(kind_, prefix_ + "/telemetry", prefix_ + "/status")) {
  MEG_CHECK(connection_ != nullptr);
  if (HasWildcard(prefix_)) {
    config_error_ = fmt::format("{}: topic prefix '{}' contains an MQTT wildcard ('+' or '#')", id_, prefix_);
    return;
  }
  connection_->Register(inbox_->telemetry_topic, inbox_);
  connection_->Register(inbox_->status_topic, inbox_);
}

MqttDevice::~MqttDevice() {
  if (!config_error_.empty()) return;
  connection_->Unregister(inbox_->telemetry_topic);
  connection_->Unregister(inbox_->status_topic);
}

std::int64_t MqttDevice::setpoints_acked() const { return inbox_->acked.load(); }

void MqttDevice::Observe(Instant now) {
  if (!first_now_) first_now_ = now;
  if (!last_now_ || now > *last_now_) last_now_ = now;
}

Result<Telemetry> MqttDevice::Read(Instant now) {
  Observe(now);
  if (!config_error_.empty()) return InvalidInput(config_error_);
  const InboxView v = inbox_->View();
  if (v.telemetry_count != seen_telemetry_) {
    seen_telemetry_ = v.telemetry_count;
    last_arrival_ = now;
  }
  if (v.malformed) {
    std::string kept = "no valid telemetry yet";
    if (v.latest) {
      const Instant t = v.latest->time.value_or(last_arrival_.value_or(now));
      kept = fmt::format("the last valid telemetry ({}) is kept", FormatKst(ToTimestamp(t)));
    }
    return InvalidInput(fmt::format("{}: {}; {}", id_, *v.malformed, kept));
  }
  if (!v.latest) {
    const std::string link = connection_->last_error();
    return IoError(
        fmt::format("{}: no telemetry yet on {}{}{}", id_, inbox_->telemetry_topic, link.empty() ? "" : "; ", link));
  }
  Telemetry t = v.latest->telemetry;
  if (!v.latest->time) t.time = *last_arrival_;
  return t;
}

Status MqttDevice::Write(const Command& command, Instant now) {
  Observe(now);
  if (!config_error_.empty()) return InvalidInput(config_error_);
  auto fail = [&](Error e) {
    ++write_failures_;
    write_error_ = e.message;
    return e;
  };
  auto not_finite = [](const std::optional<Kilowatts>& kw) { return kw && !std::isfinite(kw->value()); };
  if (not_finite(command.battery_power) || not_finite(command.pv_limit) || not_finite(command.generator_power) ||
      not_finite(command.thermal_power)) {
    return fail(InvalidInput(fmt::format("{}: setpoint is not a finite number of kW", id_)));
  }
  const std::optional<std::string> payload = SetpointPayload(command, kind_, next_seq_, now);
  if (!payload) return Ok{};
  const std::string topic = prefix_ + "/setpoint";
  if (!connection_->connected()) {
    return fail(
        IoError(fmt::format("{}: not connected, setpoint to {} not sent: {}", id_, topic, connection_->last_error())));
  }
  if (Status s = connection_->Publish(topic, *payload, /*retain=*/false, inbox_); !s) {
    return fail(IoError(fmt::format("{}: {}", id_, s.error().message)));
  }
  ++next_seq_;
  write_failures_ = 0;
  write_error_.clear();
  return Ok{};
}

DeviceHealth MqttDevice::Health() const {
  DeviceHealth h;
  if (!config_error_.empty()) {
    h.state = HealthState::kLost;
    h.last_error = config_error_;
    return h;
  }
  const InboxView v = inbox_->View();
  h.consecutive_failures = v.malformed_in_row + write_failures_;
  if (v.status == kOffline) {
    h.state = HealthState::kLost;
    h.last_error = fmt::format("{}: {} is \"offline\" (the device left the broker)", id_, inbox_->status_topic);
    return h;
  }
  if (last_now_) {
    const Instant since = last_arrival_.value_or(*first_now_);
    const auto silent = std::chrono::duration_cast<Millis>(*last_now_ - since);
    if (silent > lost_after_) {
      h.state = HealthState::kLost;
      h.last_error = fmt::format("{}: no valid telemetry on {} for {} ms (lost after {} ms)", id_,
                                 inbox_->telemetry_topic, silent.count(), lost_after_.count());
      return h;
    }
  }
  if (std::string link = connection_->last_error(); !link.empty()) {
    h.state = HealthState::kRetrying;
    h.last_error = fmt::format("{}: {}", id_, link);
  } else if (v.malformed) {
    h.state = HealthState::kRetrying;
    h.last_error = fmt::format("{}: {}", id_, *v.malformed);
  } else if (write_failures_ > 0) {
    h.state = HealthState::kRetrying;
    h.last_error = write_error_;
  }
  return h;
}

}  // namespace meg
