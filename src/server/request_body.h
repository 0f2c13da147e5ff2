// The JSON bodies of the API's POST requests (docs/openapi.yaml), read into values: pure
// functions over the body text, with no HTTP in them, so that they can be tested and fuzzed
// alone. Every refusal is an InvalidInput error whose message names the field and the rule, and
// never quotes more than a few dozen characters of what was sent (core/text.h Excerpt). Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include "center/site_backend.h"
#include "core/result.h"

namespace meg {

struct LoginRequest {
  std::string user;  // 1-64 of [A-Za-z0-9._-] (auth.h's ValidUserName)
  std::string password;
};

// A time the API is given (a body field or a query parameter named `name`): ISO 8601 with offset,
// milliseconds allowed, as the API itself writes them ("...T14:00:05.250+09:00"). Text longer than
// any such time is refused without being echoed whole.
Result<Instant> ParseApiTime(std::string_view name, std::string_view text);

// {"user": "...", "password": "..."}. A user name that no directory could hold is refused here,
// before anything (throttle, timing) keys on it; a password is at most 1,024 bytes.
Result<LoginRequest> ParseLoginBody(std::string_view body);

// The body of a command route: setpoint {"battery_kw", "minutes"}, schedule {"battery_kw"},
// mode {"mode": "auto"}. `user` is the caller, copied into the command.
Result<OperatorCommand> ParseCommandBody(OperatorCommand::Kind kind, std::string_view body, const std::string& user);

// A DR call: {"start", "end", "requested_kw", optional "kind" and "issued"} (ISO 8601 with offset).
Result<DrCallRequest> ParseDrCallBody(std::string_view body, const std::string& user);

}  // namespace meg
