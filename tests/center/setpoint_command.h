// An operator's setpoint command for the center's tests: `kw` for `minutes`, by `user`.
#pragma once

#include "center/site_backend.h"

namespace meg::testing {

inline OperatorCommand SetpointCommand(double kw, double minutes, const char* user) {
  OperatorCommand c;
  c.kind = OperatorCommand::Kind::kSetpoint;
  c.battery_kw = kw;
  c.minutes = minutes;
  c.user = user;
  return c;
}

}  // namespace meg::testing
