#include "app/device_factory.h"

#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <unistd.h>

#include "device/async_device.h"
#include "device/modbus/modbus_device.h"
#include "device/mqtt/mqtt_device.h"

namespace meg {

Result<SiteDevices> MakeSiteDevices(const Site& site, Millis cycle) {
  SiteDevices out;
  const Millis read_wait = ReadWaitFor(cycle);
  // One MQTT session per broker and identity (credentials, TLS), shared by the devices behind it.
  std::map<std::vector<std::string>, std::shared_ptr<MqttConnection>> brokers;
  for (const DeviceSpec& d : site.devices) {
    if (d.protocol == DeviceProtocol::kMqtt) {
      const std::vector<std::string> key = {d.mqtt.host,          std::to_string(d.mqtt.port), d.mqtt.username,
                                            d.mqtt.password_file, d.mqtt.tls_ca_file,          d.mqtt.tls_cert_file,
                                            d.mqtt.tls_key_file};
      auto it = brokers.find(key);
      if (it == brokers.end()) {
        const std::string client_id = fmt::format("openmeg-{}-{}", ::getpid(), brokers.size() + 1);
        auto connection = MqttConnection::Open(ConnectionOptions(d.mqtt, client_id));
        if (!connection) {
          return Error{connection.error().code,
                       fmt::format("{}: device {}: {}", site.file, d.id, connection.error().message)};
        }
        it = brokers.emplace(key, *connection).first;
        out.connections.push_back(*connection);
      }
      out.devices.push_back(
          std::make_unique<AsyncDevice>(std::make_unique<MqttDevice>(d.id, d.kind, d.mqtt, it->second), read_wait));
      continue;
    }
    out.devices.push_back(
        std::make_unique<AsyncDevice>(std::make_unique<ModbusDevice>(d.id, d.kind, d.modbus), read_wait));
  }
  return out;
}

}  // namespace meg
