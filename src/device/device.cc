#include "device/device.h"

namespace meg {

std::string_view DeviceKindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kMeter: return "meter";
    case DeviceKind::kPv: return "pv";
    case DeviceKind::kBattery: return "battery";
    case DeviceKind::kGenerator: return "generator";
    case DeviceKind::kThermalStorage: return "thermal-storage";
  }
  return "?";
}

std::string_view HealthStateName(HealthState state) {
  switch (state) {
    case HealthState::kOk: return "ok";
    case HealthState::kRetrying: return "retrying";
    case HealthState::kLost: return "lost";
    case HealthState::kLate: return "late";
  }
  return "?";
}

}  // namespace meg
