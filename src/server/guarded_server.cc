#include "server/guarded_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace meg {

namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The pool of connection threads: a thread per open connection, made when none is idle, up to
// `max`; more connections wait in the queue for a thread (the gate refuses them quickly).
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max) : max_(max) {}
  ~ConnectionThreads() override = default;

  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(fn));
    // More jobs waiting than idle threads to take them: one more thread (a job must not wait
    // for a kept-alive connection to end).
    if (jobs_.size() > idle_ && threads_.size() < max_) {
      threads_.emplace_back([this] { Work(); });
    } else {
      wake_.notify_one();
    }
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();  // only the listening thread adds threads, and it is here
  }

 private:
  void Work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [&] { return !jobs_.empty() || stopping_; });
      --idle_;
      if (jobs_.empty()) return;  // stopping, and nothing left
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  const size_t max_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

// The connection being served on this thread, for the pre-routing handler.
struct ConnectionState;
thread_local ConnectionState* current = nullptr;

// A socket (or a TLS session over it) read with a deadline and a byte budget per phase of a
// request: its line and headers, then its body. Non-blocking underneath; every wait is a poll in
// short slices, so that a stopping server is not held up.
class GuardedStream final : public httplib::Stream {
 public:
  GuardedStream(int fd, SSL* ssl, const ServerLimits& limits, const std::atomic<socket_t>& listening)
      : fd_(fd), ssl_(ssl), limits_(limits), listening_(listening) {}

  // A new request: its line and headers within `limits_.header_timeout` from now.
  void BeginRequest() {
    deadline_ = SteadyClock::now() + limits_.header_timeout;
    budget_ = limits_.max_header_bytes;
    body_eof_ = false;
  }
  // The headers are in: the body is `length` bytes (at most the limit), due within the body timeout.
  void BeginBody(size_t length) {
    deadline_ = SteadyClock::now() + limits_.body_timeout;
    budget_ = length;
    body_eof_ = true;
  }
  bool broken() const { return broken_; }

  // Waits up to `wait` for the next request's first byte.
  bool WaitForRequest(milliseconds wait) {
    if (Buffered()) return true;
    return Poll(POLLIN, SteadyClock::now() + wait) > 0;
  }

  bool is_readable() const override { return Buffered() || Poll(POLLIN, SteadyClock::now()) > 0; }
  bool is_writable() const override { return Poll(POLLOUT, SteadyClock::now() + limits_.write_timeout) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (broken_) return -1;
    if (budget_ == 0) {
      if (body_eof_) return 0;  // the body's declared end (or none: RFC 9112 6.3, no body)
      broken_ = true;           // headers over their size
      return -1;
    }
    if (start_ == end_) {
      const ssize_t n = Receive(buffer_.data(), buffer_.size());
      if (n <= 0) {
        broken_ = true;
        return n;
      }
      start_ = 0;
      end_ = static_cast<size_t>(n);
    }
    const size_t n = std::min({size, end_ - start_, budget_});
    std::memcpy(ptr, buffer_.data() + start_, n);
    start_ += n;
    budget_ -= n;
    return static_cast<ssize_t>(n);
  }

  // All of `size` bytes, or -1 when the client takes nothing for the write timeout (any progress
  // restarts it: a slow client gets a large file, a stalled one is dropped).
  ssize_t write(const char* ptr, size_t size) override {
    auto deadline = SteadyClock::now() + limits_.write_timeout;
    size_t done = 0;
    while (done < size) {
      ssize_t n = 0;
      int want = POLLOUT;
      if (ssl_ != nullptr) {
        ERR_clear_error();
        const int r = SSL_write(ssl_, ptr + done, static_cast<int>(std::min<size_t>(size - done, 1 << 20)));
        if (r > 0) {
          n = r;
        } else {
          const int e = SSL_get_error(ssl_, r);
          if (e == SSL_ERROR_WANT_READ) {
            want = POLLIN;
          } else if (e != SSL_ERROR_WANT_WRITE) {
            return -1;
          }
        }
      } else {
        n = ::send(fd_, ptr + done, size - done, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
        if (n < 0) n = 0;
      }
      if (n > 0) {
        done += static_cast<size_t>(n);
        deadline = SteadyClock::now() + limits_.write_timeout;
        continue;
      }
      if (Poll(want, deadline) <= 0) return -1;
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { Address(false, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { Address(true, ip, port); }
  socket_t socket() const override { return fd_; }

  // The peer's address as text ("127.0.0.1"; IPv4-mapped IPv6 as IPv4).
  std::string Peer() const {
    std::string ip;
    int port = 0;
    Address(false, ip, port);
    return ip;
  }

  // Polls for `events` until `deadline` (at least once), in slices, giving up when the server
  // stops. >0 ready, 0 timed out or stopping, <0 error.
  int Poll(int events, SteadyClock::time_point deadline) const {
    for (;;) {
      if (listening_ == INVALID_SOCKET) return 0;
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
      pollfd p{fd_, static_cast<short>(events), 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::clamp<milliseconds::rep>(left.count(), 0, 100)));
      if (r > 0) return (p.revents & (events | POLLHUP | POLLERR)) ? 1 : 0;
      if (r < 0 && errno != EINTR) return -1;
      if (left.count() <= 0) return 0;
    }
  }

 private:
  bool Buffered() const { return start_ < end_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0); }

  // Up to `size` bytes before the deadline; 0 at the end of the stream, -1 on error or timeout.
  ssize_t Receive(char* ptr, size_t size) {
    for (;;) {
      int want = POLLIN;
      if (ssl_ != nullptr) {
        ERR_clear_error();
        const int r = SSL_read(ssl_, ptr, static_cast<int>(size));
        if (r > 0) return r;
        const int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_ZERO_RETURN) return 0;
        if (e == SSL_ERROR_WANT_WRITE) {
          want = POLLOUT;
        } else if (e != SSL_ERROR_WANT_READ) {
          return -1;
        }
      } else {
        const ssize_t r = ::recv(fd_, ptr, size, 0);
        if (r >= 0) return r;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
      }
      if (Poll(want, deadline_) <= 0) return -1;
    }
  }

  void Address(bool local, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = 0;
    const int r = local ? ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len)
                        : ::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    if (r != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
      port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
      if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
        ::inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], text, sizeof text);
      } else {
        ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
      }
      port = ntohs(a->sin6_port);
    }
    ip = text;
  }

  const int fd_;
  SSL* const ssl_;
  const ServerLimits& limits_;
  const std::atomic<socket_t>& listening_;
  std::array<char, 4096> buffer_{};
  size_t start_ = 0, end_ = 0;
  SteadyClock::time_point deadline_;
  size_t budget_ = 0;
  bool body_eof_ = false;
  bool broken_ = false;
};

struct ConnectionState {
  GuardedStream* stream = nullptr;
  bool close = false;  // a refusal left the body unread: end after the reply
};

// Reads and discards what the client still sends, for a short while, so that closing with unread
// data (a TCP reset) does not destroy the reply before the client has read it.
void LingeringClose(int fd, milliseconds linger, size_t max_bytes) {
  ::shutdown(fd, SHUT_WR);
  const auto deadline = SteadyClock::now() + linger;
  std::array<char, 16384> sink{};
  size_t drained = 0;
  while (drained < max_bytes) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    const ssize_t n = ::recv(fd, sink.data(), sink.size(), 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
  ::close(fd);
}

std::string JsonError(const std::string& message) { return nlohmann::json{{"error", message}}.dump(); }

// The refusal of a connection over a limit, written at once (plain HTTP only).
void RefuseConnection(int fd, const std::string& why) {
  const std::string body = JsonError(why);
  const std::string reply = fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Retry-After: 5\r\nConnection: close\r\n\r\n{}",
      body.size(), body);
  ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// The server over httplib's Server or SSLServer (`Base`): it overrides the per-connection loop.
template <typename Base>
class GuardedServer final : public Base {
 public:
  template <typename... Args>
  GuardedServer(const ServerLimits& limits, ConnectionGate& gate, ConnectionRefusal on_refusal, Args&&... args)
      : Base(std::forward<Args>(args)...), limits_(limits), gate_(gate), on_refusal_(std::move(on_refusal)) {
    const size_t threads = static_cast<size_t>(std::max(2, limits_.max_connections)) + 16;
    this->new_task_queue = [threads] { return new ConnectionThreads(threads); };
  }

  // httplib listens with a backlog of 5 (compiled in): a burst of connections would have their
  // handshakes dropped and retried a second later. After binding, the backlog is raised.
  bool WidenBacklog(int backlog) {
    const socket_t s = this->svr_sock_;
    return s != INVALID_SOCKET && ::listen(s, backlog) == 0;
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    // httplib set blocking timeouts on the socket; the stream polls instead.
    ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
    SSL* ssl = nullptr;
    GuardedStream stream(sock, nullptr, limits_, this->svr_sock_);
    const std::string client = ClientOf(stream.Peer());
    if (auto why = gate_.Admit(client)) {
      if (!kTls) RefuseConnection(sock, *why);
      if (on_refusal_) on_refusal_(client, 503, *why);
      LingeringClose(sock, milliseconds(200), 64 * 1024);
      return true;
    }
    if constexpr (kTls) {
      ssl = Handshake(sock, stream);
      if (ssl == nullptr) {
        gate_.Release(client);
        ::close(sock);
        return false;
      }
    }
    GuardedStream tls_stream(sock, ssl, limits_, this->svr_sock_);
    GuardedStream& s = ssl != nullptr ? tls_stream : stream;
    ConnectionState state{&s};
    current = &state;
    bool ok = true;
    for (int count = 0; count < kMaxRequests; ++count) {
      if (count > 0 && !s.WaitForRequest(std::chrono::duration_cast<milliseconds>(limits_.idle_timeout))) break;
      if (this->svr_sock_ == INVALID_SOCKET) break;
      s.BeginRequest();
      bool closed = false;
      ok = this->process_request(s, count + 1 == kMaxRequests, closed, nullptr);
      if (!ok || closed || state.close || s.broken()) break;
    }
    current = nullptr;
    if (ssl != nullptr) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    gate_.Release(client);
    if (state.close) {
      LingeringClose(sock, milliseconds(1000), 1 << 20);
    } else {
      ::shutdown(sock, SHUT_RDWR);
      ::close(sock);
    }
    return ok;
  }

  // TLS: the handshake within the header timeout, or nullptr.
  SSL* Handshake(int fd, GuardedStream& plain) {
    if constexpr (kTls) {
      SSL* ssl = SSL_new(this->ssl_context());
      if (ssl == nullptr) return nullptr;
      SSL_set_fd(ssl, fd);
      const auto deadline = SteadyClock::now() + limits_.header_timeout;
      for (;;) {
        ERR_clear_error();
        const int r = SSL_accept(ssl);
        if (r == 1) return ssl;
        const int e = SSL_get_error(ssl, r);
        const int want = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (want == 0 || plain.Poll(want, deadline) <= 0) {
          SSL_free(ssl);
          return nullptr;
        }
      }
    }
    return nullptr;
  }

  static constexpr bool kTls = std::is_same_v<Base, httplib::SSLServer>;
  static constexpr int kMaxRequests = 1000;  // on one kept-alive connection (as announced)
  const ServerLimits limits_;
  ConnectionGate& gate_;
  ConnectionRefusal on_refusal_;
};

// Before routing, with the headers read and the body not: a body must come with a
// Content-Length within the limit. Refusals end the connection (the body stays unread).
httplib::Server::HandlerResponse CheckBody(const ServerLimits& limits, const httplib::Request& req,
                                           httplib::Response& res) {
  const auto refuse = [&](int status, const std::string& why) {
    res.status = status;
    res.set_content(JsonError(why), "application/json");
    res.set_header("Connection", "close");
    if (current != nullptr) current->close = true;
    return httplib::Server::HandlerResponse::Handled;
  };
  const std::string limit = fmt::format("at most {} bytes", limits.max_body_bytes);
  if (req.has_header("Transfer-Encoding")) {
    return refuse(411, fmt::format("send the body with a Content-Length ({}), not in chunks", limit));
  }
  size_t length = 0;
  if (req.has_header("Content-Length")) {
    const std::string text = req.get_header_value("Content-Length");
    if (req.get_header_value_count("Content-Length") != 1 || text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return refuse(400, "the Content-Length must be one whole number of bytes");
    }
    length = std::stoull(text);
    if (length > limits.max_body_bytes) {
      return refuse(413, fmt::format("the request body of {} bytes is over the limit ({})", length, limit));
    }
    // httplib reads no body of these: it would be taken for the next request.
    if (length > 0 && (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS")) {
      return refuse(400, fmt::format("a {} request carries no body", req.method));
    }
  }
  // No Content-Length and no Transfer-Encoding: the request has no body (RFC 9112 6.3).
  if (current != nullptr) current->stream->BeginBody(length);
  return httplib::Server::HandlerResponse::Unhandled;
}

}  // namespace

bool WidenBacklog(httplib::Server& server, int backlog) {
  if (auto* plain = dynamic_cast<GuardedServer<httplib::Server>*>(&server)) return plain->WidenBacklog(backlog);
  if (auto* tls = dynamic_cast<GuardedServer<httplib::SSLServer>*>(&server)) return tls->WidenBacklog(backlog);
  return false;
}

std::chrono::steady_clock::time_point& RequestStart() {
  thread_local std::chrono::steady_clock::time_point start;
  return start;
}

Result<std::unique_ptr<httplib::Server>> MakeGuardedServer(const ServerLimits& limits, ConnectionGate& gate,
                                                           ConnectionRefusal on_refusal,
                                                           const std::string& tls_cert_file,
                                                           const std::string& tls_key_file) {
  std::unique_ptr<httplib::Server> server;
  if (!tls_cert_file.empty() || !tls_key_file.empty()) {
    if (tls_cert_file.empty() || tls_key_file.empty())
      return InvalidInput("TLS needs both a certificate and a key file");
    for (const auto& f : {tls_cert_file, tls_key_file}) {
      if (!std::filesystem::exists(f)) return NotFound(fmt::format("{}: no such TLS certificate or key file", f));
    }
    auto ssl = std::make_unique<GuardedServer<httplib::SSLServer>>(limits, gate, on_refusal, tls_cert_file.c_str(),
                                                                   tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return InvalidInput(
          fmt::format("{} / {}: not a usable certificate and private key (PEM)", tls_cert_file, tls_key_file));
    }
    server = std::move(ssl);
  } else {
    server = std::make_unique<GuardedServer<httplib::Server>>(limits, gate, on_refusal);
  }
  server->set_pre_routing_handler([limits](const httplib::Request& req, httplib::Response& res) {
    RequestStart() = std::chrono::steady_clock::now();
    return CheckBody(limits, req, res);
  });
  server->set_payload_max_length(limits.max_body_bytes);
  server->set_keep_alive_max_count(1000);  // as the connection loop (kMaxRequests) allows
  server->set_keep_alive_timeout(
      std::max<time_t>(1, std::chrono::duration_cast<std::chrono::seconds>(limits.idle_timeout).count()));
  return server;
}

}  // namespace meg
