// HTTP(S) GET of a text resource with a time limit: the client the live weather forecast uses
// (center/weather_feed.h's HttpGetText). Thread-safe (each call has its own connection).
#pragma once

#include <chrono>
#include <string>

#include "core/result.h"

namespace meg {

// http://host[:port]/path or https://...: the origin ("https://host:port") and the path with
// its query ("/" when none). Errors: another scheme, no host.
struct UrlParts {
  std::string origin;
  std::string path;
};
Result<UrlParts> SplitHttpUrl(const std::string& url);

// The largest body HttpGet keeps; a longer one is refused (a 16-day hourly forecast is ~60 kB).
inline constexpr size_t kMaxHttpGetBytes = 8u << 20;

// GETs `url`, waiting at most `timeout` to connect and for each read. The body of a 200 answer;
// else an IoError naming the URL without its query (which may hold a key): no answer in time, connection refused or
// dropped (a body cut short), another status (with the start of its body), a body over kMaxHttpGetBytes.
Result<std::string> HttpGet(const std::string& url, std::chrono::seconds timeout);

}  // namespace meg
