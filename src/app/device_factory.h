// Builds the drivers of a site's [[device]] entries (device/modbus, device/mqtt), each wrapped in
// an AsyncDevice (device/async_device.h) so that its I/O runs off the control thread. The
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

// `cycle`: the control loop's cycle; each device's read wait is ReadWaitFor(cycle).
Result<SiteDevices> MakeSiteDevices(const Site& site, Millis cycle);

}  // namespace meg
