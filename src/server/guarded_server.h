// GuardedServer: cpp-httplib's server with every read bounded (issue 16). It takes over
// httplib's per-connection loop (process_and_close_socket) and reads through its own stream:
// connections are admitted by ConnectionGate (per client and in all, with a reserve); a
// request's line and headers must arrive within the header timeout and size, its body within
// the body timeout and the body limit, and it must carry a Content-Length (a chunked or unsized
// body is refused with 411 before any of it is read, one over the limit with 413); a refusal
// closes the connection after a short lingering drain. Each connection runs on its own thread of
// a pool that grows to the connection limit. HTTPS uses the same loop over OpenSSL.
// Only src/server includes this (it includes httplib.h).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

#include "core/result.h"
#include "server/limits.h"

namespace meg {

// Called (from a connection's thread) with the client and the reason of a refusal made before
// routing: a connection over a limit, a body without a Content-Length, a body over the limit.
using ConnectionRefusal = std::function<void(const std::string& client, int status, const std::string& why)>;

// A plain server, or HTTPS when both files are given. `gate` must outlive the server.
Result<std::unique_ptr<httplib::Server>> MakeGuardedServer(const ServerLimits& limits, ConnectionGate& gate,
                                                           ConnectionRefusal on_refusal,
                                                           const std::string& tls_cert_file,
                                                           const std::string& tls_key_file);

// After binding `server` (made above): listens with a queue of `backlog` connections.
bool WidenBacklog(httplib::Server& server, int backlog);

// When this server thread took its current request (the guarded server's pre-routing handler sets
// it; a post-routing handler on the same thread reads it to time the request).
std::chrono::steady_clock::time_point& RequestStart();

}  // namespace meg
