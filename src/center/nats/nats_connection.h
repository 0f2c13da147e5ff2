// NatsConnection: one connection to nats-server (libnats, the only place it appears with
// center_link.cc and edge_link.cc) with its JetStream context, reconnecting forever in the
// background. The libnats connection and context are thread-safe: one object serves the
// link's threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

struct __natsConnection;
struct __jsCtx;

namespace meg {

struct NatsEndpoint {
  std::vector<std::string> urls;  // "nats://127.0.0.1:4222", tried in turn
  std::string user;
  std::string password;
  std::string name;          // the client's name, shown by the server
  std::string inbox_prefix;  // empty: libnats' "_INBOX"
  Millis reconnect_wait{250};
  Millis request_wait{2000};  // JetStream API calls and publish acks
  // For asynchronous publishes (js_PublishMsgAsync): libnats' jsPubAckHandler and its closure,
  // and how many may be in flight. Null: none.
  void* async_ack_handler = nullptr;
  void* async_ack_closure = nullptr;
  std::int64_t async_max_pending = 4096;
};

class NatsConnection {
 public:
  // Connects (or keeps trying in the background when no server answers yet: the link starts
  // even while the center is down). Errors: no URL, bad options, bad credentials.
  static Result<std::unique_ptr<NatsConnection>> Connect(const NatsEndpoint& endpoint);
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  bool connected() const;
  __natsConnection* nc() const { return nc_; }
  __jsCtx* js() const { return js_; }

 private:
  NatsConnection() = default;
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
};

// "<what>: <libnats status text> (<the connection's last error>)".
std::string NatsErrorText(const std::string& what, int status, int js_error = 0);

}  // namespace meg
