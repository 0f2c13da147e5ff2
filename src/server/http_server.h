// ControlCenterServer: the HTTP JSON API of docs/openapi.yaml over a fleet of sites
// (center/fleet_backend.h: /api/fleet, and each site's routes under /api/sites/<id>), server-sent
// events of the live values, and the built dashboard (web/dist) as static files, over cpp-httplib
// (the only place it appears). Listens on 127.0.0.1 unless told otherwise; HTTPS when a
// certificate and key are given. Authentication (sessions, roles, site scopes) in front of
// everything under /api except login: a site outside the caller's scope answers 404 as if it did
// not exist, for reads, commands and DR calls alike; commands need the operator role, and a
// header token or, with the session cookie, a request from the dashboard's own origin (CSRF). Every read is bounded
// (server/limits.h: body size, header and idle time, connections per client, event streams per session); requests over
// a limit, malformed JSON and bad parameters are refused with a JSON error and change nothing, and refusals are
// recorded as events (rate-limited). Serves on its own threads; Stop() or the destructor ends them.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "center/fleet_backend.h"
#include "core/clock.h"
#include "core/histogram.h"
#include "core/result.h"
#include "server/auth.h"
#include "server/limits.h"

namespace httplib {
class Server;
}

namespace meg {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;            // 0: any free port (see port())
  std::string web_dir;        // the built dashboard; empty: API only
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
  ServerLimits limits;
};

class FleetDrService;

class ControlCenterServer {
 public:
  // Everything referenced must outlive the server; `clock` is the wall clock (login throttling,
  // refusal records).
  ControlCenterServer(FleetBackend& fleet, UserDirectory& users, Sessions& sessions, const Clock& clock,
                      ServerOptions options);
  ~ControlCenterServer();
  ControlCenterServer(const ControlCenterServer&) = delete;
  ControlCenterServer& operator=(const ControlCenterServer&) = delete;

  // Binds and starts serving; fails with a clear error if the port is taken, the certificate
  // cannot be read, the web directory does not exist, or a user's site scope names a site the
  // fleet does not have.
  Status Start();
  // The fleet's DR aggregator behind /api/fleet/dr-events (none: those answer 404). Before Start;
  // it must outlive the server.
  void SetAggregator(FleetDrService* aggregator) { aggregator_ = aggregator; }
  int port() const { return port_; }
  bool tls() const;
  void Stop();

 private:
  void Routes();
  // Records a refusal of `client` (rate-limited by refusals_) in the log of `site` (a site of the
  // fleet), else the fleet's (FleetBackend::NoteRefusal).
  void Record(const std::string& client, const std::string& what, SiteBackend* site = nullptr);

  FleetBackend& fleet_;
  FleetDrService* aggregator_ = nullptr;
  UserDirectory& users_;
  Sessions& sessions_;
  const Clock& clock_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = -1;
  ConnectionGate gate_;
  StreamGate streams_;
  LoginThrottle throttle_;
  RefusalLog refusals_;
  std::mutex http_seconds_mutex_;
  Histogram http_seconds_;  // every request's handler time (/metrics)
};

}  // namespace meg
