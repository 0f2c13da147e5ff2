// The MQTT driver (docs/mqtt.md): one MqttConnection (a libmosquitto client with its network
// thread) per broker, shared by the MqttDevices on that broker. Messages arrive on the network
// thread and are handed to each device's inbox under a mutex; an MqttDevice is used from one
// thread at a time (the control thread, or its AsyncDevice's worker). The only place libmosquitto
// appears.
//
//   auto broker = MqttConnection::Open({.host = "10.0.0.5", .client_id = "openmeg-site1"});
//   MqttDevice ess("ess1", DeviceKind::kBattery, spec.mqtt, *broker);   // openmeg/ess1/...
//   Result<Telemetry> t = ess.Read(now);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/site.h"
#include "device/device.h"

struct mosquitto;
struct mosquitto_message;

namespace meg {

// The topic prefix of a device: spec.topic_prefix without a trailing '/', or "openmeg/<id>".
std::string MqttTopicPrefix(const MqttSpec& spec, std::string_view device_id);

// A decoded `<prefix>/telemetry` payload (docs/mqtt.md), values in OpenMEG's signs.
struct TelemetryPayload {
  std::optional<Instant> time;  // from "ts_ms" or "time"; empty when the device sent neither
  Telemetry telemetry;          // telemetry.time is `*time`, or the epoch when `time` is empty
};

// Decodes a telemetry payload. Errors (not JSON, not an object, "power_kw" missing, a field of
// the wrong type, a bad "time") name the field and what was expected. Values that parse but are
// implausible (non-finite, SoC outside 0..100, a negative limit or rating, a COP not above 0)
// give Quality::kBad. The storage fields (soc_pct, max_charge_kw, max_discharge_kw) are kept for
// a battery and a thermal storage (whose are of cooling), "cop" and "cooling_load_kw" (kW of
// cooling, >= 0) for a thermal storage only,
// rated_kw for all but a meter; the rest are dropped. Never throws.
Result<TelemetryPayload> ParseTelemetryPayload(std::string_view payload, DeviceKind kind);

// The `<prefix>/setpoint` payload for `command`: {"seq":..,"time":"<KST>","battery_kw":..} for
// a battery, {"seq":..,"time":..,"pv_limit_kw":..|null} for PV (null: no cap),
// {"seq":..,"time":..,"generator_kw":..} for a generator (AC output >= 0, a negative one sent as
// 0 = stop), {"seq":..,"time":..,"thermal_kw":..} for a thermal storage (kW of cooling,
// + discharge / - charge). nullopt when the command has nothing for `kind` (a meter, or a
// battery, generator or thermal storage command without its power).
std::optional<std::string> SetpointPayload(const Command& command, DeviceKind kind, std::int64_t seq, Instant now);

struct MqttConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  int keepalive_s = 10;      // 5..65535: the broker sends our last will after 1.5x this of silence
  std::string client_id;     // unique on the broker; also names our status topic
  int reconnect_min_s = 1;   // reconnect delay grows from this ...
  int reconnect_max_s = 30;  // ... to this
  // Authentication: username (empty: anonymous) and the file whose first line is the password
  // (read by Open; empty: username only).
  std::string username;
  std::string password_file;
  // TLS when tls_ca_file is set: the broker's certificate must chain to it and name the host;
  // a client certificate and key (PEM, unencrypted) when both are set.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
};

// The options to reach the broker of `spec` (host, port, keepalive, credentials, TLS) as
// `client_id`.
MqttConnectionOptions ConnectionOptions(const MqttSpec& spec, std::string client_id);

struct MqttInbox;  // one device's received state (mqtt_device.cc)

// MqttConnection: one MQTT session with a broker, shared by the devices on it. Connects in the
// background and reconnects forever (also when the broker is down at start); on every connect it
// resubscribes all devices' topics and publishes retained "online" on status_topic(), whose last
// will is a retained "offline". The destructor publishes "offline", disconnects and stops the
// network thread. Thread-safe. Held by shared_ptr: each MqttDevice keeps its connection alive.
class MqttConnection {
 public:
  // Fails only on bad options (including an unreadable password file or TLS file, named); an
  // unreachable broker, or one that refuses the credentials, is retried in the background.
  static Result<std::shared_ptr<MqttConnection>> Open(MqttConnectionOptions options);
  ~MqttConnection();
  MqttConnection(const MqttConnection&) = delete;
  MqttConnection& operator=(const MqttConnection&) = delete;

  bool connected() const;
  // Why the connection is down ("" while connected), e.g. "MQTT broker 10.0.0.5:1883: Connection
  // refused; retrying" or "...: connection lost (The connection was lost.); reconnecting".
  std::string last_error() const;
  // "openmeg/controller/<client id>/status": retained "online" / "offline".
  const std::string& status_topic() const { return status_topic_; }
  const MqttConnectionOptions& options() const { return options_; }
  std::int64_t publishes_acked() const;  // PUBACKs received for our QoS 1 publishes

  struct Private;  // construction goes through Open()
  MqttConnection(Private, MqttConnectionOptions options);

 private:
  friend class MqttDevice;
  void Register(const std::string& topic, std::shared_ptr<MqttInbox> inbox);
  void Unregister(const std::string& topic);
  // Publishes QoS 1; the PUBACK is credited to `inbox` (when given).
  Status Publish(const std::string& topic, const std::string& payload, bool retain, std::shared_ptr<MqttInbox> inbox);
  Status SetSecurity();  // credentials and TLS from options_, before the first connect
  void ConnectUntilStarted();
  void OnConnect(int rc);
  void OnDisconnect(int rc);
  void OnMessage(const mosquitto_message& message);
  void OnPublish(int mid);
  void Subscribe(const std::string& topic);
  void SetError(std::string error);

  struct State;
  const MqttConnectionOptions options_;
  const std::string status_topic_;
  std::unique_ptr<State> state_;
  mosquitto* mosq_ = nullptr;
};

// MqttDevice: one device behind `<prefix>/telemetry`, `<prefix>/status` and `<prefix>/setpoint`.
// Read returns the latest valid telemetry; a malformed payload makes Read fail (naming topic and
// problem) until the next valid one, and never replaces the last valid telemetry, which keeps its
// own time. Telemetry without a time is stamped with the `now` of the first Read that sees it.
// Health, as of the latest Read/Write: kLost when `<prefix>/status` is "offline" or no valid
// telemetry arrived for lost_after_ms (counted from the first Read when none ever did);
// kRetrying when the broker connection is down, the latest payload was malformed or the last
// Write failed; kOk otherwise. Write publishes QoS 1 and fails when the connection is down.
// One thread at a time (the control thread, or its AsyncDevice's worker).
class MqttDevice final : public Device {
 public:
  MqttDevice(std::string id, DeviceKind kind, const MqttSpec& spec, std::shared_ptr<MqttConnection> connection);
  ~MqttDevice() override;
  MqttDevice(const MqttDevice&) = delete;
  MqttDevice& operator=(const MqttDevice&) = delete;

  const std::string& id() const override { return id_; }
  DeviceKind kind() const override { return kind_; }
  Result<Telemetry> Read(Instant now) override;
  // Ok means the setpoint is handed to the connected client (queued, QoS 1); the broker's PUBACK
  // is counted in setpoints_acked(). A command with nothing for this kind sends nothing.
  Status Write(const Command& command, Instant now) override;
  DeviceHealth Health() const override;

  const std::string& topic_prefix() const { return prefix_; }
  std::int64_t setpoints_sent() const { return next_seq_ - 1; }
  std::int64_t setpoints_acked() const;

 private:
  void Observe(Instant now);

  const std::string id_;
  const DeviceKind kind_;
  const std::string prefix_;
  const Millis lost_after_;
  const std::shared_ptr<MqttConnection> connection_;
  const std::shared_ptr<MqttInbox> inbox_;
  std::string config_error_;  // set when the prefix is unusable (a wildcard); every call fails
  // Control-thread state.
  std::optional<Instant> first_now_;     // the first Read/Write
  std::optional<Instant> last_now_;      // the latest Read/Write
  std::uint64_t seen_telemetry_ = 0;     // valid telemetry messages seen by Read/Write
  std::optional<Instant> last_arrival_;  // `now` when the latest valid telemetry was first seen
  std::int64_t next_seq_ = 1;
  int write_failures_ = 0;  // consecutive
  std::string write_error_;
};

}  // namespace meg
