#include "server/http_get.h"

#include <httplib.h>

#include <fmt/format.h>

namespace meg {
namespace {

// What a failed request met, in words (httplib's names are one word: "Connection", "Read").
std::string Why(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "cannot connect (refused, no route, or the name does not resolve)";
    case httplib::Error::ConnectionTimeout: return "no connection in time";
    case httplib::Error::Read: return "the connection dropped while reading the answer";
    case httplib::Error::Write: return "the connection dropped while sending the request";
    case httplib::Error::SSLConnection: return "the TLS handshake failed";
    case httplib::Error::SSLServerVerification: return "the server's TLS certificate is not trusted";
    case httplib::Error::SSLLoadingCerts: return "the system's CA certificates cannot be loaded";
    default: return httplib::to_string(e);
  }
}

}  // namespace

Result<UrlParts> SplitHttpUrl(const std::string& url) {
  const bool https = url.rfind("https://", 0) == 0;
  if (!https && url.rfind("http://", 0) != 0) {
    return InvalidInput(fmt::format("'{}': expected http://host[:port]/path or https://...", url));
  }
  const size_t host_start = https ? 8 : 7;
  const size_t slash = url.find_first_of("/?", host_start);
  if (slash == host_start || host_start == url.size()) return InvalidInput(fmt::format("'{}': no host", url));
  UrlParts parts;
  parts.origin = url.substr(0, slash);
  parts.path = slash == std::string::npos ? "/" : url.substr(slash);
  if (parts.path.front() == '?') parts.path.insert(0, "/");
  return parts;
}

Result<std::string> HttpGet(const std::string& url_with_query, std::chrono::seconds timeout) {
  MEG_TRY_ASSIGN(parts, SplitHttpUrl(url_with_query));
  // Errors name the resource without its query, which may hold a key (Open-Meteo's apikey=).
  const std::string url = url_with_query.substr(0, url_with_query.find('?'));
  httplib::Client client(parts.origin);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  std::string body;
  bool too_big = false;
  const auto t0 = std::chrono::steady_clock::now();
  auto res = client.Get(parts.path, [&](const char* data, size_t n) {
    if (body.size() + n > kMaxHttpGetBytes) {
      too_big = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_big) return IoError(fmt::format("GET {}: the answer is over {} MB", url, kMaxHttpGetBytes >> 20));
  if (!res) {
    const auto waited = std::chrono::steady_clock::now() - t0;
    if (waited >= timeout) {
      return IoError(fmt::format("GET {}: no answer within {} s", url, timeout.count()));
    }
    return IoError(
        fmt::format("GET {}: {}{}", url, Why(res.error()),
                    body.empty() ? "" : fmt::format(" after {} bytes of the body (cut short)", body.size())));
  }
  if (res->status != 200) {
    std::string start = body.substr(0, 200);
    for (char& c : start) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return IoError(fmt::format("GET {}: HTTP {}{}", url, res->status, start.empty() ? "" : ": " + start));
  }
  return body;
}

}  // namespace meg
