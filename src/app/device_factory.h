// Builds the drivers of a site's [[device]] entries (device/modbus, device/mqtt). The
// composition root for devices; the control loop sees only the Device interface.
#pragma once

#include <memory>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/site.h"
#include "device/device.h"

namespace meg {

struct SiteDevices {
  std::vector<std::unique_ptr<Device>> devices;
  std::vector<std::shared_ptr<void>> connections;  // shared connections (an MQTT session), kept alive
};

Result<SiteDevices> MakeSiteDevices(const Site& site, const Clock& clock);

}  // namespace meg
