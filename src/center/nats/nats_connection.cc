#include "center/nats/nats_connection.h"

#include <fmt/format.h>
#include <nats/nats.h>

namespace meg {

std::string NatsErrorText(const std::string& what, int status, int js_error) {
  const char* text = natsStatus_GetText(static_cast<natsStatus>(status));
  if (js_error != 0) return fmt::format("{}: {} (JetStream error {})", what, text, js_error);
  return fmt::format("{}: {}", what, text);
}

Result<std::unique_ptr<NatsConnection>> NatsConnection::Connect(const NatsEndpoint& endpoint) {
  if (endpoint.urls.empty()) return InvalidInput("nats: no server URL given");
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<const char*> urls;
  for (const std::string& u : endpoint.urls) urls.push_back(u.c_str());
  if (s == NATS_OK) s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK && !endpoint.user.empty()) {
    s = natsOptions_SetUserInfo(opts, endpoint.user.c_str(), endpoint.password.c_str());
  }
  if (s == NATS_OK && !endpoint.name.empty()) s = natsOptions_SetName(opts, endpoint.name.c_str());
  if (s == NATS_OK && !endpoint.inbox_prefix.empty()) {
    s = natsOptions_SetCustomInboxPrefix(opts, endpoint.inbox_prefix.c_str());
  }
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(opts, true);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, endpoint.reconnect_wait.count());
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts, 50, 50);
  // A request (a JetStream publish waits for its ack) fails at once on a disconnect instead of
  // waiting out its timeout: the edge's publisher notices the link is down without delay.
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, 2);
  // Keep trying in the background when no server answers at start (the edge runs on).
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts, true, nullptr, nullptr);
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return InvalidInput(NatsErrorText("nats options", s));
  }
  std::unique_ptr<NatsConnection> c(new NatsConnection());
  s = natsConnection_Connect(&c->nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    c->nc_ = nullptr;
    return IoError(NatsErrorText(fmt::format("nats: connect to {} as '{}'", endpoint.urls.front(), endpoint.user), s));
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = endpoint.request_wait.count();
  if (endpoint.async_ack_handler != nullptr) {
    jo.PublishAsync.AckHandler = reinterpret_cast<jsPubAckHandler>(endpoint.async_ack_handler);
    jo.PublishAsync.AckHandlerClosure = endpoint.async_ack_closure;
    jo.PublishAsync.MaxPending = endpoint.async_max_pending;
  }
  s = natsConnection_JetStream(&c->js_, c->nc_, &jo);
  if (s != NATS_OK) return IoError(NatsErrorText("nats: JetStream context", s));
  return c;
}

NatsConnection::~NatsConnection() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

bool NatsConnection::connected() const {
  return nc_ != nullptr && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

}  // namespace meg
