#include "app/device_factory.h"

#include <map>
#include <utility>

#include <fmt/format.h>
#include <unistd.h>

#include "device/modbus/modbus_device.h"
#include "device/mqtt/mqtt_device.h"

namespace meg {

Result<SiteDevices> MakeSiteDevices(const Site& site, const Clock&) {
  SiteDevices out;
  // One MQTT session per broker, shared by the devices behind it.
  std::map<std::pair<std::string, int>, std::shared_ptr<MqttConnection>> brokers;
  for (const DeviceSpec& d : site.devices) {
    if (d.protocol == DeviceProtocol::kMqtt) {
      const auto key = std::make_pair(d.mqtt.host, d.mqtt.port);
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
      out.devices.push_back(std::make_unique<MqttDevice>(d.id, d.kind, d.mqtt, it->second));
      continue;
    }
    out.devices.push_back(std::make_unique<ModbusDevice>(d.id, d.kind, d.modbus));
  }
  return out;
}

}  // namespace meg
