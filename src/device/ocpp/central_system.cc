#include "device/ocpp/central_system.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "device/ocpp/ocpp_frame.h"

namespace meg {

class OcppConn;

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;

constexpr std::size_t kMaxEvents = 1000;
// A meter value whose power (given or implied by the energy register) is beyond this multiple of
// its connector's rating is not a measurement.
constexpr double kAbsurdPowerFactor = 1.5;
// A sample stamped further ahead of the central system's clock than this is refused.
constexpr Millis kFutureSlack{15 * 60 * 1000};
// A charger draws over its accepted limit when a sample taken OcppSpec::limit_grace_ms after the
// acceptance exceeds it by the tolerance, kOverLimitSamples times in a row.
constexpr double kOverLimitToleranceKw = 0.5;
constexpr double kOverLimitTolerancePct = 5;
constexpr int kOverLimitSamples = 2;
constexpr Millis kHandshakeTimeout{10'000};

struct Tx {
  int id = 0;
  int connector = 1;
  Instant started{};
  KilowattHours meter_start;
  std::optional<KilowattHours> last_energy;
  Instant last_time{};
  Kilowatts power;
  KilowattHours need;
  Instant departure{};
  int priority = 0;
  std::optional<Kilowatts> limit;  // accepted by the charger
  Instant limit_time{};
  int over_limit = 0;
  bool follows = true;
  std::optional<double> soc_pct;
};

struct OutCall {
  std::string action;
  json payload;
  int connector = 0;
  std::optional<int> tx;           // a TxProfile's transaction
  std::optional<Kilowatts> limit;  // a TxProfile's limit as it was asked, kW
};

struct Pending {
  std::string id;
  OutCall call;
};

struct ChargerState {
  ChargerSpec spec;
  std::shared_ptr<OcppConn> conn;
  std::string vendor, model;
  Instant last_seen{};
  std::vector<std::string> status;     // [connector], 0 = the charger as a whole
  std::vector<std::optional<Tx>> txs;  // [connector], 1..connectors
  std::deque<OutCall> queue;
  std::optional<Pending> pending;
};

std::string ChargerIdFromTarget(std::string_view target) {
  const auto q = target.find('?');
  if (q != std::string_view::npos) target = target.substr(0, q);
  const auto slash = target.rfind('/');
  return std::string(slash == std::string_view::npos ? target : target.substr(slash + 1));
}

bool OffersOcpp16(std::string_view header) {
  for (std::string_view rest = header; !rest.empty();) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "ocpp1.6") return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

class CentralSystem::Impl {
 public:
  Impl(const OcppSpec& spec, std::vector<ChargerSpec> chargers, const Clock& clock)
      : spec_(spec), clock_(clock), acceptor_(ioc_) {
    for (ChargerSpec& c : chargers) {
      ChargerState s;
      s.status.assign(c.connectors + 1, "");
      s.txs.resize(c.connectors + 1);
      s.spec = std::move(c);
      std::string id = s.spec.id;
      chargers_.emplace(std::move(id), std::move(s));
    }
  }

  Status Listen();
  void Stop();

  int port() const { return port_; }

  // Network thread.
  void Accept();
  void OnConnected(const std::shared_ptr<OcppConn>& conn);
  void OnDisconnected(const std::shared_ptr<OcppConn>& conn, const std::string& why);
  void OnMessage(const std::shared_ptr<OcppConn>& conn, const std::string& text);
  void OnCallTimeout(const std::string& charger, const std::string& call_id);
  void Pump(const std::string& charger);  // REQUIRES: on the network thread

  // Any thread.
  std::vector<EvSession> Sessions();
  Status SetLimit(const std::string& charger, int connector, Kilowatts limit);
  void AcceptNewSessions(bool accept) {
    std::lock_guard lock(mu_);
    if (accept != accept_new_) {
      Event("", "sessions", accept ? "new sessions accepted again" : "new sessions refused: the site has no headroom");
    }
    accept_new_ = accept;
  }
  Status SetSessionNeed(const std::string& charger, int connector, KilowattHours need, Instant departure);
  Status Queue(const std::string& charger, OutCall call);
  Result<int> TxOn(const std::string& charger, int connector);
  std::vector<OcppChargerStatus> Chargers();
  std::vector<OcppEvent> Events(std::uint64_t after);
  bool Knows(const std::string& charger) const { return chargers_.count(charger) != 0; }
  const OcppSpec& spec() const { return spec_; }

 private:
  friend class meg::OcppConn;
  // REQUIRES: mu_ held.
  void Event(const std::string& charger, std::string kind, std::string text);
  json HandleCall(ChargerState& c, const OcppFrame& f, std::string& error_code, std::string& error_text);
  void HandleResult(ChargerState& c, const Pending& p, const OcppFrame& f);
  json MeterValues(ChargerState& c, const json& payload, std::string& error_code, std::string& error_text);
  void Sample(ChargerState& c, Tx& tx, const OcppMeterSample& s);
  EvSession SessionOf(const ChargerState& c, const Tx& tx) const;

  OcppSpec spec_;
  const Clock& clock_;
  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  std::thread thread_;
  int port_ = 0;

  std::mutex mu_;
  std::map<std::string, ChargerState> chargers_;
  std::map<int, std::pair<std::string, int>> tx_index_;  // transaction -> (charger, connector)
  int next_tx_ = 1;
  std::uint64_t next_call_ = 1;
  int next_profile_ = 1;
  bool accept_new_ = true;
  std::deque<OcppEvent> events_;
  std::uint64_t event_seq_ = 0;
};

// One WebSocket connection: the HTTP upgrade, then a read loop and a write queue, all on the
// network thread.
class OcppConn : public std::enable_shared_from_this<OcppConn> {
 public:
  OcppConn(CentralSystem::Impl& cs, tcp::socket socket, net::io_context& ioc)
      : cs_(cs), ws_(std::move(socket)), call_timer_(ioc) {}

  const std::string& charger() const { return charger_; }

  void Start() {
    beast::get_lowest_layer(ws_).expires_after(kHandshakeTimeout);
    http::async_read(ws_.next_layer(), buffer_, req_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRequest(ec); });
  }

  void Send(std::string text) {
    out_.push_back(std::move(text));
    if (out_.size() == 1 && open_) Write();
  }

  void ArmCallTimer(const std::string& call_id, Millis timeout) {
    call_timer_.expires_after(timeout);
    call_timer_.async_wait([self = shared_from_this(), call_id](beast::error_code ec) {
      if (!ec) self->cs_.OnCallTimeout(self->charger_, call_id);
    });
  }

  void Close() {
    if (!open_) return;
    open_ = false;
    call_timer_.cancel();
    ws_.async_close(websocket::close_code::policy_error, [self = shared_from_this()](beast::error_code) {});
  }

 private:
  void Reject(http::status status, std::string body) {
    auto res = std::make_shared<http::response<http::string_body>>(status, req_.version());
    res->set(http::field::content_type, "text/plain");
    res->keep_alive(false);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(ws_.next_layer(), *res, [self = shared_from_this(), res](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->ws_.next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  void OnRequest(beast::error_code ec) {
    if (ec) return;  // a peer that closed or sent no HTTP before the timeout: nothing to do
    if (!websocket::is_upgrade(req_)) {
      Reject(http::status::bad_request, "OpenMEG's OCPP 1.6J central system: connect with a WebSocket upgrade\n");
      return;
    }
    charger_ = ChargerIdFromTarget(std::string_view(req_.target().data(), req_.target().size()));
    if (!cs_.Knows(charger_)) {
      Reject(http::status::not_found, fmt::format("charger '{}' is not in the site file\n", Excerpt(charger_)));
      return;
    }
    const auto offered = req_[http::field::sec_websocket_protocol];
    if (!OffersOcpp16(std::string_view(offered.data(), offered.size()))) {
      Reject(http::status::bad_request, "subprotocol ocpp1.6 is required (Sec-WebSocket-Protocol)\n");
      return;
    }
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = kHandshakeTimeout;
    // A charger that answers neither messages nor pings for two heartbeats has vanished.
    t.idle_timeout = std::chrono::seconds(2 * std::max(cs_.spec().heartbeat_s, 5));
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::sec_websocket_protocol, "ocpp1.6"); }));
    ws_.read_message_max(kMaxOcppFrameBytes);
    ws_.async_accept(req_, [self = shared_from_this()](beast::error_code e) {
      if (e) return;
      self->open_ = true;
      self->cs_.OnConnected(self);
      if (!self->out_.empty()) self->Write();
      self->Read();
    });
  }

  void Read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->open_ = false;
        self->call_timer_.cancel();
        self->cs_.OnDisconnected(self, ec == websocket::error::closed ? "closed by the charger" : ec.message());
        return;
      }
      std::string text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      self->cs_.OnMessage(self, text);
      self->Read();
    });
  }

  void Write() {
    ws_.text(true);
    ws_.async_write(net::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;  // the read side reports the loss
      self->out_.pop_front();
      if (!self->out_.empty() && self->open_) self->Write();
    });
  }

  CentralSystem::Impl& cs_;
  websocket::stream<beast::tcp_stream> ws_;
  net::steady_timer call_timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  std::string charger_;
  std::deque<std::string> out_;
  bool open_ = false;
};

Status CentralSystem::Impl::Listen() {
  beast::error_code ec;
  const auto address = net::ip::make_address(spec_.host, ec);
  if (ec) return InvalidInput(fmt::format("[ocpp] host '{}' is not an IP address", Excerpt(spec_.host)));
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(spec_.port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError(fmt::format("OCPP central system cannot listen on {}:{}: {}", spec_.host, spec_.port, ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { ioc_.run(); });
  return Ok{};
}

void CentralSystem::Impl::Stop() {
  net::post(ioc_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    std::lock_guard lock(mu_);
    for (auto& [id, c] : chargers_) {
      if (c.conn) c.conn->Close();
      c.conn.reset();
    }
  });
  // Give the closes a moment to go out, then stop whatever is left.
  net::post(ioc_, [this] {
    auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(200));
    timer->async_wait([this, timer](beast::error_code) { ioc_.stop(); });
  });
  if (thread_.joinable()) thread_.join();
}

void CentralSystem::Impl::Accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted) return;
    } else {
      // Small frames go out at once: without it, Nagle's algorithm holds a profile until the
      // charger's delayed ACK of the last frame (about 40 ms).
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<OcppConn>(*this, std::move(socket), ioc_)->Start();
    }
    Accept();
  });
}

void CentralSystem::Impl::Event(const std::string& charger, std::string kind, std::string text) {
  events_.push_back(OcppEvent{++event_seq_, clock_.Now(), charger, std::move(kind), std::move(text)});
  if (events_.size() > kMaxEvents) events_.pop_front();
}

void CentralSystem::Impl::OnConnected(const std::shared_ptr<OcppConn>& conn) {
  {
    std::lock_guard lock(mu_);
    ChargerState& c = chargers_.at(conn->charger());
    if (c.conn && c.conn != conn) {
      c.conn->Close();
      Event(c.spec.id, "connected", "connected again; the previous connection is closed");
    } else {
      Event(c.spec.id, "connected", "connected");
    }
    c.conn = conn;
    c.last_seen = clock_.Now();
    // A call that was under way on the old connection is lost with it: send the next one.
    if (c.pending) {
      Event(c.spec.id, "call-failed",
            fmt::format("{} lost with the connection it was sent on", c.pending->call.action));
    }
    c.pending.reset();
  }
  Pump(conn->charger());
}

void CentralSystem::Impl::OnDisconnected(const std::shared_ptr<OcppConn>& conn, const std::string& why) {
  std::lock_guard lock(mu_);
  ChargerState& c = chargers_.at(conn->charger());
  if (c.conn != conn) return;  // replaced already
  c.conn.reset();
  if (c.pending) {
    Event(c.spec.id, "call-failed", fmt::format("{} lost with the connection it was sent on", c.pending->call.action));
  }
  c.pending.reset();
  int under_way = 0;
  for (const auto& tx : c.txs) under_way += tx.has_value() ? 1 : 0;
  Event(c.spec.id, "disconnected",
        fmt::format("disconnected ({}); {} session(s) under way go on at their last limit", why, under_way));
}

void CentralSystem::Impl::OnCallTimeout(const std::string& charger, const std::string& call_id) {
  {
    std::lock_guard lock(mu_);
    ChargerState& c = chargers_.at(charger);
    if (!c.pending || c.pending->id != call_id) return;
    Event(charger, "call-failed",
          fmt::format("{} unanswered after {} ms", c.pending->call.action, spec_.call_timeout_ms));
    c.pending.reset();
  }
  Pump(charger);
}

void CentralSystem::Impl::Pump(const std::string& charger) {
  std::lock_guard lock(mu_);
  ChargerState& c = chargers_.at(charger);
  if (c.pending || c.queue.empty() || !c.conn) return;
  Pending p{fmt::format("cs{}", next_call_++), std::move(c.queue.front())};
  c.queue.pop_front();
  c.conn->Send(OcppCallText(p.id, p.call.action, p.call.payload));
  c.conn->ArmCallTimer(p.id, Millis(spec_.call_timeout_ms));
  c.pending = std::move(p);
}

void CentralSystem::Impl::OnMessage(const std::shared_ptr<OcppConn>& conn, const std::string& text) {
  std::optional<std::string> reply;
  bool pump = false;
  {
    std::lock_guard lock(mu_);
    ChargerState& c = chargers_.at(conn->charger());
    if (c.conn != conn) return;  // a connection being replaced
    c.last_seen = clock_.Now();
    auto frame = ParseOcppFrame(text);
    if (!frame) {
      Event(c.spec.id, "message-refused", frame.error().message);
      // Answer a CALL whose id can still be read, so the charger does not wait for it.
      const json j = json::parse(text.size() <= kMaxOcppFrameBytes ? text : std::string(), nullptr, false);
      if (!j.is_discarded() && j.is_array() && j.size() >= 2 && j[0] == 2 && j[1].is_string() &&
          j[1].get<std::string>().size() <= kMaxOcppIdLength) {
        reply = OcppErrorText(j[1].get<std::string>(), "FormationViolation", frame.error().message);
      }
    } else if (frame->type == OcppMessageType::kCall) {
      std::string code, why;
      json result = HandleCall(c, *frame, code, why);
      if (!code.empty()) {
        Event(c.spec.id, "message-refused", fmt::format("{}: {}", frame->action, why));
        reply = OcppErrorText(frame->id, code, why);
      } else {
        reply = OcppResultText(frame->id, result);
      }
      pump = true;  // a call may have queued one of ours (BootNotification: the default profile)
    } else if (c.pending && c.pending->id == frame->id) {
      const Pending p = std::move(*c.pending);
      c.pending.reset();
      HandleResult(c, p, *frame);
      pump = true;
    } else {
      Event(c.spec.id, "message-refused", fmt::format("an answer to no call of ours (id '{}')", Excerpt(frame->id)));
    }
  }
  if (reply) conn->Send(std::move(*reply));  // the answer goes before any call it queued
  if (pump) Pump(conn->charger());
}

json CentralSystem::Impl::HandleCall(ChargerState& c, const OcppFrame& f, std::string& code, std::string& why) {
  const Instant now = clock_.Now();
  const auto refuse = [&](std::string c_code, std::string text) {
    code = std::move(c_code);
    why = std::move(text);
    return json::object();
  };
  const ChargerSpec& spec = c.spec;
  if (f.action == "BootNotification") {
    auto boot = ReadOcppBootNotification(f.payload);
    if (!boot) return refuse("FormationViolation", boot.error().message);
    c.vendor = boot->vendor;
    c.model = boot->model;
    Event(spec.id, "boot", fmt::format("{} {}", boot->vendor, boot->model));
    // Every new session starts at the connector's minimum current until the loop sets its share.
    OutCall call{"SetChargingProfile",
                 OcppChargingProfile(0, std::nullopt, next_profile_++, spec.min_current_a, spec.phases), 0,
                 std::nullopt, std::nullopt};
    c.queue.push_front(std::move(call));
    return {{"status", "Accepted"}, {"currentTime", OcppTime(now)}, {"interval", spec_.heartbeat_s}};
  }
  if (f.action == "Heartbeat") return {{"currentTime", OcppTime(now)}};
  if (f.action == "StatusNotification") {
    auto s = ReadOcppStatusNotification(f.payload);
    if (!s) return refuse("FormationViolation", s.error().message);
    if (s->connector > spec.connectors) {
      return refuse("PropertyConstraintViolation",
                    fmt::format("connector {} (the charger has {})", s->connector, spec.connectors));
    }
    c.status[s->connector] = s->status;
    if (s->error_code != "NoError" || s->status == "Faulted") {
      Event(spec.id, "status", fmt::format("connector {}: {} ({})", s->connector, s->status, s->error_code));
    }
    return json::object();
  }
  if (f.action == "Authorize") {
    auto tag = ReadOcppIdTag(f.payload);
    if (!tag) return refuse("FormationViolation", tag.error().message);
    return {{"idTagInfo", {{"status", accept_new_ ? "Accepted" : "Blocked"}}}};
  }
  if (f.action == "StartTransaction") {
    auto s = ReadOcppStartTransaction(f.payload);
    if (!s) return refuse("FormationViolation", s.error().message);
    if (s->connector > spec.connectors) {
      return refuse("PropertyConstraintViolation",
                    fmt::format("connector {} (the charger has {})", s->connector, spec.connectors));
    }
    const int id = next_tx_++;
    if (!accept_new_) {
      Event(spec.id, "session-refused",
            fmt::format("connector {}: transaction {} blocked: the site has no headroom for a new session",
                        s->connector, id));
      return {{"idTagInfo", {{"status", "Blocked"}}}, {"transactionId", id}};
    }
    std::optional<Tx>& slot = c.txs[s->connector];
    if (slot) {
      Event(spec.id, "session-stop",
            fmt::format("connector {}: transaction {} never stopped; replaced by a new session", s->connector,
                        slot->id));
      tx_index_.erase(slot->id);
    }
    Tx tx;
    tx.id = id;
    tx.connector = s->connector;
    tx.started = s->time;
    tx.meter_start = s->meter_start;
    tx.last_energy = s->meter_start;
    tx.last_time = s->time;
    tx.need = KilowattHours(spec.default_energy_kwh);
    tx.departure = s->time + std::chrono::duration_cast<Millis>(
                                 std::chrono::duration<double, std::ratio<3600>>(spec.default_dwell_h));
    tx.priority = spec.priority;
    slot = tx;
    tx_index_[id] = {spec.id, s->connector};
    Event(spec.id, "session-start",
          fmt::format("connector {}: transaction {} for tag '{}', meter {:.3f} kWh", s->connector, id,
                      Excerpt(s->id_tag), s->meter_start.value()));
    return {{"idTagInfo", {{"status", "Accepted"}}}, {"transactionId", id}};
  }
  if (f.action == "StopTransaction") {
    auto s = ReadOcppStopTransaction(f.payload);
    if (!s) return refuse("FormationViolation", s.error().message);
    const auto it = tx_index_.find(s->transaction_id);
    if (it == tx_index_.end() || it->second.first != spec.id) {
      Event(spec.id, "session-stop",
            fmt::format("transaction {} is not one under way here; stop noted", s->transaction_id));
      return {{"idTagInfo", {{"status", "Accepted"}}}};
    }
    std::optional<Tx>& slot = c.txs[it->second.second];
    const double kwh = s->meter_stop.value() - slot->meter_start.value();
    Event(spec.id, "session-stop",
          fmt::format("connector {}: transaction {} stopped ({}), {:.3f} kWh{}", slot->connector, slot->id,
                      s->reason.empty() ? "no reason given" : s->reason, std::max(0.0, kwh),
                      kwh < 0 ? fmt::format(" (the stop reading is {:.3f} kWh below the start: refused)", -kwh) : ""));
    tx_index_.erase(it);
    slot.reset();
    return {{"idTagInfo", {{"status", "Accepted"}}}};
  }
  if (f.action == "MeterValues") return MeterValues(c, f.payload, code, why);
  if (f.action == "DataTransfer") return {{"status", "UnknownVendorId"}};
  if (f.action == "FirmwareStatusNotification" || f.action == "DiagnosticsStatusNotification") return json::object();
  return refuse("NotImplemented", fmt::format("action '{}' is not supported", Excerpt(f.action)));
}

json CentralSystem::Impl::MeterValues(ChargerState& c, const json& payload, std::string& code, std::string& why) {
  auto m = ReadOcppMeterValues(payload);
  if (!m) {
    code = "FormationViolation";
    why = m.error().message;
    return json::object();
  }
  if (m->connector > c.spec.connectors) {
    code = "PropertyConstraintViolation";
    why = fmt::format("connector {} (the charger has {})", m->connector, c.spec.connectors);
    return json::object();
  }
  Tx* tx = nullptr;
  if (m->transaction_id) {
    const auto it = tx_index_.find(*m->transaction_id);
    if (it != tx_index_.end() && it->second.first == c.spec.id) tx = &*c.txs[it->second.second];
  } else if (m->connector >= 1 && c.txs[m->connector]) {
    tx = &*c.txs[m->connector];
  }
  if (tx == nullptr) {
    if (m->transaction_id) {
      Event(c.spec.id, "meter-refused",
            fmt::format("meter values of transaction {}, which is not under way here", *m->transaction_id));
    }
    return json::object();  // no session: the charger's own meter, not used
  }
  for (const OcppMeterSample& s : m->samples) Sample(c, *tx, s);
  return json::object();
}

void CentralSystem::Impl::Sample(ChargerState& c, Tx& tx, const OcppMeterSample& s) {
  const double max_kw = ConnectorMaxKw(c.spec).value();
  const auto refuse = [&](const std::string& why) {
    Event(c.spec.id, "meter-refused", fmt::format("connector {}, transaction {}: {}", tx.connector, tx.id, why));
  };
  if (s.time > clock_.Now() + kFutureSlack) {
    refuse(fmt::format("sample at {} is ahead of the central system's clock", OcppTime(s.time)));
    return;
  }
  if (s.time < tx.last_time) {
    refuse(fmt::format("sample at {} is older than the last one accepted ({}): out of order", OcppTime(s.time),
                       OcppTime(tx.last_time)));
    return;
  }
  if (s.power && (s.power->value() < -0.001 || s.power->value() > kAbsurdPowerFactor * max_kw)) {
    refuse(fmt::format("power {:.3f} kW is outside 0..{:.1f} kW ({} x the connector's {:.2f} kW)", s.power->value(),
                       kAbsurdPowerFactor * max_kw, kAbsurdPowerFactor, max_kw));
    return;
  }
  std::optional<Kilowatts> implied;
  if (s.energy) {
    if (s.energy->value() < tx.meter_start.value() - 1e-9 ||
        (tx.last_energy && s.energy->value() < tx.last_energy->value() - 1e-9)) {
      refuse(fmt::format("energy register {:.3f} kWh went back (last {:.3f} kWh)", s.energy->value(),
                         tx.last_energy.value_or(tx.meter_start).value()));
      return;
    }
    const double hours = std::chrono::duration<double, std::ratio<3600>>(s.time - tx.last_time).count();
    if (tx.last_energy && hours > 0) {
      const double kw = (s.energy->value() - tx.last_energy->value()) / hours;
      if (kw > kAbsurdPowerFactor * max_kw) {
        refuse(fmt::format("energy register rose {:.3f} kWh in {:.0f} s: {:.1f} kW, beyond {:.1f} kW",
                           s.energy->value() - tx.last_energy->value(), hours * 3600, kw, kAbsurdPowerFactor * max_kw));
        return;
      }
      implied = Kilowatts(kw);
    } else if (tx.last_energy && s.energy->value() > tx.last_energy->value() + 1e-9) {
      refuse(fmt::format("energy register rose {:.3f} kWh in no time", s.energy->value() - tx.last_energy->value()));
      return;
    }
  }
  // Accepted.
  tx.last_time = s.time;
  if (s.energy) tx.last_energy = *s.energy;
  if (s.power) {
    tx.power = *s.power;
  } else if (implied) {
    tx.power = *implied;
  }
  if (s.soc_pct) tx.soc_pct = *s.soc_pct;
  if (tx.limit && s.time >= tx.limit_time + Millis(spec_.limit_grace_ms)) {
    const double tolerance = std::max(kOverLimitToleranceKw, tx.limit->value() * kOverLimitTolerancePct / 100.0);
    if (tx.power.value() > tx.limit->value() + tolerance) {
      if (++tx.over_limit >= kOverLimitSamples && tx.follows) {
        tx.follows = false;
        Event(c.spec.id, "ignores-limit",
              fmt::format("connector {}, transaction {}: draws {:.2f} kW over its accepted limit of {:.2f} kW",
                          tx.connector, tx.id, tx.power.value(), tx.limit->value()));
      }
    } else {
      tx.over_limit = 0;
    }
  }
}

void CentralSystem::Impl::HandleResult(ChargerState& c, const Pending& p, const OcppFrame& f) {
  const std::string status =
      f.type == OcppMessageType::kCallResult && f.payload.contains("status") && f.payload["status"].is_string()
          ? f.payload["status"].get<std::string>()
          : "";
  if (f.type == OcppMessageType::kCallError) {
    Event(c.spec.id, "call-failed",
          fmt::format("{}: {} ({})", p.call.action, Excerpt(f.error_code), Excerpt(f.error_description)));
  }
  if (p.call.action == "SetChargingProfile") {
    if (!p.call.tx) {
      if (status != "Accepted") {
        Event(c.spec.id, "limit-refused",
              fmt::format("the default profile (new sessions at {:.1f} A) was answered '{}'", c.spec.min_current_a,
                          Excerpt(status)));
      }
      return;
    }
    std::optional<Tx>& slot = c.txs[p.call.connector];
    if (!slot || slot->id != *p.call.tx) return;  // the session is over
    if (status == "Accepted") {
      slot->limit = p.call.limit;
      slot->limit_time = clock_.Now();
      slot->over_limit = 0;
    } else {
      Event(c.spec.id, "limit-refused",
            fmt::format("connector {}, transaction {}: a limit of {:.2f} kW was answered '{}'", p.call.connector,
                        *p.call.tx, p.call.limit.value_or(Kilowatts(0)).value(), Excerpt(status)));
    }
    return;
  }
  if (f.type == OcppMessageType::kCallResult && status != "Accepted") {
    Event(c.spec.id, "call-failed",
          fmt::format("{} on connector {} was answered '{}'", p.call.action, p.call.connector, Excerpt(status)));
  }
}

EvSession CentralSystem::Impl::SessionOf(const ChargerState& c, const Tx& tx) const {
  EvSession s;
  s.charger = c.spec.id;
  s.connector = tx.connector;
  s.transaction_id = tx.id;
  s.started = tx.started;
  s.departure = tx.departure;
  s.need = tx.need;
  s.delivered = KilowattHours(std::max(0.0, tx.last_energy.value_or(tx.meter_start).value() - tx.meter_start.value()));
  s.power = tx.power;
  s.max_power = ConnectorMaxKw(c.spec);
  s.min_power = ConnectorMinKw(c.spec);
  s.priority = tx.priority;
  s.limit = tx.limit;
  s.follows_limit = tx.follows;
  s.connected = c.conn != nullptr;
  return s;
}

std::vector<EvSession> CentralSystem::Impl::Sessions() {
  std::lock_guard lock(mu_);
  std::vector<EvSession> out;
  for (const auto& [id, c] : chargers_) {
    for (const auto& tx : c.txs) {
      if (tx) out.push_back(SessionOf(c, *tx));
    }
  }
  return out;
}

Result<int> CentralSystem::Impl::TxOn(const std::string& charger, int connector) {
  const auto it = chargers_.find(charger);
  if (it == chargers_.end()) return NotFound(fmt::format("charger '{}' is not in the site file", Excerpt(charger)));
  if (connector < 1 || connector > it->second.spec.connectors) {
    return InvalidInput(
        fmt::format("charger '{}' has connectors 1..{}, not {}", charger, it->second.spec.connectors, connector));
  }
  const auto& tx = it->second.txs[connector];
  if (!tx) return NotFound(fmt::format("no session is under way on charger '{}' connector {}", charger, connector));
  return tx->id;
}

Status CentralSystem::Impl::SetLimit(const std::string& charger, int connector, Kilowatts limit) {
  if (!std::isfinite(limit.value()) || limit.value() < 0) {
    return InvalidInput(fmt::format("limit {} kW for charger '{}' is not a power >= 0", limit.value(), charger));
  }
  {
    std::lock_guard lock(mu_);
    MEG_TRY_ASSIGN(tx, TxOn(charger, connector));
    ChargerState& c = chargers_.at(charger);
    const ChargerSpec& spec = c.spec;
    // Below the minimum current a car is offered nothing (paused); the profile floors to 0.1 A.
    const Kilowatts held = HeldPower(spec, limit);
    OutCall call{"SetChargingProfile",
                 OcppChargingProfile(connector, tx, next_profile_++, CurrentForKw(spec, held), spec.phases), connector,
                 tx, held};
    // The latest limit of a connector replaces one not yet sent.
    auto same = std::find_if(c.queue.begin(), c.queue.end(), [&](const OutCall& q) {
      return q.action == "SetChargingProfile" && q.tx == call.tx && q.connector == connector;
    });
    if (same != c.queue.end()) {
      *same = std::move(call);
    } else {
      c.queue.push_back(std::move(call));
    }
  }
  net::post(ioc_, [this, charger] { Pump(charger); });
  return Ok{};
}

Status CentralSystem::Impl::Queue(const std::string& charger, OutCall call) {
  {
    std::lock_guard lock(mu_);
    const auto it = chargers_.find(charger);
    if (it == chargers_.end()) return NotFound(fmt::format("charger '{}' is not in the site file", Excerpt(charger)));
    if (!it->second.conn) return IoError(fmt::format("charger '{}' is not connected", charger));
    if (call.connector < 0 || call.connector > it->second.spec.connectors) {
      return InvalidInput(fmt::format("charger '{}' has connectors 1..{}, not {}", charger, it->second.spec.connectors,
                                      call.connector));
    }
    it->second.queue.push_back(std::move(call));
  }
  net::post(ioc_, [this, charger] { Pump(charger); });
  return Ok{};
}

Status CentralSystem::Impl::SetSessionNeed(const std::string& charger, int connector, KilowattHours need,
                                           Instant departure) {
  if (!std::isfinite(need.value()) || need.value() <= 0 || need.value() > 1000) {
    return InvalidInput(fmt::format("energy need {} kWh is not within 0..1,000 kWh", need.value()));
  }
  std::lock_guard lock(mu_);
  MEG_TRY_ASSIGN(tx, TxOn(charger, connector));
  (void)tx;
  Tx& t = *chargers_.at(charger).txs[connector];
  if (departure <= t.started) return InvalidInput("the departure is before the session started");
  t.need = need;
  t.departure = departure;
  return Ok{};
}

std::vector<OcppChargerStatus> CentralSystem::Impl::Chargers() {
  std::lock_guard lock(mu_);
  std::vector<OcppChargerStatus> out;
  for (const auto& [id, c] : chargers_) {
    OcppChargerStatus s;
    s.spec = c.spec;
    s.connected = c.conn != nullptr;
    s.vendor = c.vendor;
    s.model = c.model;
    s.last_seen = c.last_seen;
    for (int k = 1; k <= c.spec.connectors; ++k) {
      OcppConnectorStatus cs;
      cs.connector = k;
      cs.status = c.status[k];
      if (c.txs[k]) cs.session = SessionOf(c, *c.txs[k]);
      s.connectors.push_back(std::move(cs));
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<OcppEvent> CentralSystem::Impl::Events(std::uint64_t after) {
  std::lock_guard lock(mu_);
  std::vector<OcppEvent> out;
  for (const OcppEvent& e : events_) {
    if (e.seq > after) out.push_back(e);
  }
  return out;
}

// --- CentralSystem ---

Result<std::unique_ptr<CentralSystem>> CentralSystem::Start(const OcppSpec& spec, std::vector<ChargerSpec> chargers,
                                                            const Clock& clock) {
  std::set<std::string> ids;
  for (const ChargerSpec& c : chargers) {
    if (c.id.empty()) return InvalidInput("a charger has no id");
    if (!ids.insert(c.id).second) return InvalidInput(fmt::format("charger id '{}' is given twice", c.id));
    if (c.connectors < 1) return InvalidInput(fmt::format("charger '{}' has no connector", c.id));
  }
  auto impl = std::make_unique<Impl>(spec, std::move(chargers), clock);
  MEG_TRY(impl->Listen());
  return std::unique_ptr<CentralSystem>(new CentralSystem(std::move(impl)));
}

CentralSystem::CentralSystem(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CentralSystem::~CentralSystem() { impl_->Stop(); }
int CentralSystem::port() const { return impl_->port(); }
std::vector<EvSession> CentralSystem::Sessions(Instant /*now*/) { return impl_->Sessions(); }
Status CentralSystem::SetLimit(const std::string& charger, int connector, Kilowatts limit, Instant /*now*/) {
  return impl_->SetLimit(charger, connector, limit);
}
void CentralSystem::AcceptNewSessions(bool accept) { impl_->AcceptNewSessions(accept); }
Status CentralSystem::SetSessionNeed(const std::string& charger, int connector, KilowattHours need, Instant departure) {
  return impl_->SetSessionNeed(charger, connector, need, departure);
}
Status CentralSystem::RemoteStart(const std::string& charger, int connector, const std::string& id_tag) {
  if (id_tag.empty() || id_tag.size() > 20) return InvalidInput("an id tag has 1..20 characters");
  return impl_->Queue(charger, {"RemoteStartTransaction",
                                {{"connectorId", connector}, {"idTag", id_tag}},
                                connector,
                                std::nullopt,
                                std::nullopt});
}
Status CentralSystem::RemoteStop(const std::string& charger, int connector) {
  MEG_TRY_ASSIGN(tx, [&]() -> Result<int> {
    auto s = impl_->Sessions();
    for (const EvSession& e : s) {
      if (e.charger == charger && e.connector == connector) return e.transaction_id;
    }
    return NotFound(fmt::format("no session is under way on charger '{}' connector {}", charger, connector));
  }());
  return impl_->Queue(charger, {"RemoteStopTransaction", {{"transactionId", tx}}, connector, tx, std::nullopt});
}
Status CentralSystem::ChangeAvailability(const std::string& charger, int connector, bool operative) {
  return impl_->Queue(charger, {"ChangeAvailability",
                                {{"connectorId", connector}, {"type", operative ? "Operative" : "Inoperative"}},
                                connector,
                                std::nullopt,
                                std::nullopt});
}
Status CentralSystem::ClearLimits(const std::string& charger) {
  return impl_->Queue(charger, {"ClearChargingProfile", json::object(), 0, std::nullopt, std::nullopt});
}
Status CentralSystem::Call(const std::string& charger, int connector, EvChargerCall call, const std::string& id_tag) {
  switch (call) {
    case EvChargerCall::kRemoteStart: return RemoteStart(charger, connector, id_tag);
    case EvChargerCall::kRemoteStop: return RemoteStop(charger, connector);
    case EvChargerCall::kAvailable: return ChangeAvailability(charger, connector, true);
    case EvChargerCall::kUnavailable: return ChangeAvailability(charger, connector, false);
    case EvChargerCall::kClearLimits: return ClearLimits(charger);
  }
  return InvalidInput("unknown charger call");
}
std::vector<EvChargerState> CentralSystem::ChargerStates() {
  std::vector<EvChargerState> out;
  for (const OcppChargerStatus& c : impl_->Chargers()) {
    EvChargerState s;
    s.id = c.spec.id;
    s.connected = c.connected;
    for (const OcppConnectorStatus& k : c.connectors) s.connector_status.push_back(k.status);
    out.push_back(std::move(s));
  }
  return out;
}
std::vector<OcppChargerStatus> CentralSystem::Chargers() { return impl_->Chargers(); }
std::vector<OcppEvent> CentralSystem::Events(std::uint64_t after_seq) { return impl_->Events(after_seq); }

}  // namespace meg
