// The JSON bodies of the API's POST requests (server/request_body): any bytes give a request or
// an Error that says something, for login, each command route and a DR call; an accepted
// command's numbers are within the bounds the routes promise (docs/openapi.yaml).
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "fuzz_check.h"
#include "server/request_body.h"

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: accepted %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  const std::string_view body = fuzz::Text(data, size);
  const auto login = ParseLoginBody(body);
  fuzz::CheckValueOrError(login);
  if (login) Require(!login->user.empty() && login->user.size() <= 64 && login->password.size() <= 1024, "a login");
  for (const auto kind :
       {OperatorCommand::Kind::kSetpoint, OperatorCommand::Kind::kAuto, OperatorCommand::Kind::kSchedule}) {
    const auto command = ParseCommandBody(kind, body, "kim");
    fuzz::CheckValueOrError(command);
    if (command) {
      Require(std::isfinite(command->battery_kw) && std::abs(command->battery_kw) <= 1e6, "a battery_kw out of range");
      if (kind == OperatorCommand::Kind::kSetpoint) {
        Require(command->minutes >= 1 && command->minutes <= 1440, "minutes out of range");
      }
    }
  }
  const auto call = ParseDrCallBody(body, "kim");
  fuzz::CheckValueOrError(call);
  if (call) Require(call->requested_kw > 0 && call->requested_kw <= 1e6, "a requested_kw out of range");
  return 0;
}
