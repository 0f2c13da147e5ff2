// The bounds that keep one client from stalling or filling the control center's HTTP server
// (issue 16): how many connections a client and all clients may hold, how long a request may
// take to arrive, how many event streams a session may keep open, how often a client may fail
// to log in, and how many refusals per client are recorded. ServerLimits holds the values (the
// defaults are the documented ones, docs/security.md); the classes below apply them and are pure
// (time is an argument) so that they are tested without sockets. Each class is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace meg {

struct ServerLimits {
  // A request body (login, commands, DR calls) is at most this long and must come with a
  // Content-Length; a chunked or unsized body is refused (411) before any of it is read.
  size_t max_body_bytes = 64 * 1024;
  // The request line and headers together.
  size_t max_header_bytes = 16 * 1024;
  // A request's line and headers must have arrived this long after the connection opened or its
  // first byte came; its body this long after its headers.
  std::chrono::milliseconds header_timeout{5000};
  std::chrono::milliseconds body_timeout{10000};
  // A kept-alive connection with no request for this long is closed.
  std::chrono::milliseconds idle_timeout{5000};
  // A reply (or an event) that the client does not take for this long ends the connection.
  std::chrono::milliseconds write_timeout{5000};
  // Connections waiting to be accepted (httplib's own is 5: a burst would be dropped).
  int listen_backlog = 512;
  // Connections: each has a thread while it is open. A client is an IP address.
  int max_connections = 512;
  int max_connections_per_client = 128;
  // The last `reserve` connections go only to clients holding fewer than `reserve_client_max`,
  // so that a fresh client (a login, a command) gets in while others fill the server.
  int reserve = 32;
  int reserve_client_max = 4;
  // Server-sent event streams, each holding a connection for as long as it is open.
  int max_streams_per_session = 4;
  int max_streams = 64;
  // Failed logins within `login_window`: this many for one user from one client lock that pair,
  // this many from one client lock the client; entries older than the window are dropped, and
  // the table holds at most `login_table_entries` keys (the oldest goes first).
  int login_failures_per_user = 5;
  int login_failures_per_client = 20;
  std::chrono::seconds login_window{60};
  size_t login_table_entries = 10000;
  // Refusals (400, 401, 403, 411, 413, 429, failed logins) recorded as events: at most this many
  // per client per window, then one summary of how many more; at most `refusal_clients` clients
  // are tracked at once.
  int refusals_per_client = 10;
  std::chrono::seconds refusal_window{60};
  size_t refusal_clients = 1000;
};

// The client an address counts as for every per-client limit: an IPv4 address itself, an IPv6
// address by its /64 network (one host is usually given a whole /64), e.g. "2001:db8:1:2::/64".
std::string ClientOf(const std::string& ip);

// Open things (connections, event streams) counted per key and in all. Not thread-safe: each
// gate below holds one under its own lock.
class OpenCount {
 public:
  int Of(const std::string& key) const;
  int total() const { return total_; }
  void Open(const std::string& key);
  // Closes one of `key`'s; nothing if it has none open.
  void Close(const std::string& key);

 private:
  std::map<std::string, int> per_key_;  // only keys with something open
  int total_ = 0;
};

// Admits connections by client: at most `max_connections` in all and
// `max_connections_per_client` per client, the last `reserve` only for clients holding fewer
// than `reserve_client_max`.
class ConnectionGate {
 public:
  explicit ConnectionGate(const ServerLimits& limits) : limits_(limits) {}
  // Why `client` may not open another connection now, or nullopt (admitted: call Release later).
  std::optional<std::string> Admit(const std::string& client);
  void Release(const std::string& client);
  int open() const;

 private:
  const ServerLimits limits_;
  mutable std::mutex mutex_;
  OpenCount open_;  // by client
};

// Counts the open event streams per session and in all.
class StreamGate {
 public:
  explicit StreamGate(const ServerLimits& limits) : limits_(limits) {}
  std::optional<std::string> Admit(const std::string& session);
  void Release(const std::string& session);
  // The event streams open now, in all.
  int open() const;

 private:
  const ServerLimits limits_;
  mutable std::mutex mutex_;
  OpenCount open_;  // by session
};

// Failed logins, per client and per (client, user): a lock on one client never stops the same
// user logging in from another. Bounded: entries expire after the window, and the table keeps at
// most `login_table_entries` keys.
class LoginThrottle {
 public:
  explicit LoginThrottle(const ServerLimits& limits) : limits_(limits) {}
  // Why `user` may not try to log in from `client` now, or nullopt.
  std::optional<std::string> Locked(const std::string& client, const std::string& user, Instant now);
  void Failed(const std::string& client, const std::string& user, Instant now);
  void Succeeded(const std::string& client, const std::string& user);
  size_t entries() const;

 private:
  void Expire(Instant now);
  void Add(const std::string& key, Instant now, int keep);
  const ServerLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<Instant>> failures_;  // "client" and "client user"
};

// Which refusals become records: at most `refusals_per_client` per client per window; the rest
// are counted, and when the window is over (seen at the next Note of any client) one summary
// says how many were not recorded one by one.
class RefusalLog {
 public:
  explicit RefusalLog(const ServerLimits& limits) : limits_(limits) {}
  // The records to keep now for a refusal of `client` described by `what` (none, it, and/or
  // summaries of windows that have ended).
  std::vector<std::string> Note(const std::string& client, const std::string& what, Instant now);

 private:
  struct Window {
    Instant start;
    int recorded = 0;
    int more = 0;
  };
  static std::string Summary(const std::string& client, const Window& w);
  const ServerLimits limits_;
  std::mutex mutex_;
  std::map<std::string, Window> clients_;
};

}  // namespace meg
