#include "server/webhook.h"

#include "server/http_get.h"

#include <httplib.h>

#include <fmt/format.h>

namespace meg {

Result<std::unique_ptr<Webhook>> Webhook::Open(const std::string& url) {
  auto parts = SplitHttpUrl(url);
  if (!parts) return InvalidInput("webhook " + parts.error().message);
  return std::unique_ptr<Webhook>(new Webhook(parts->origin, parts->path));
}

Webhook::Webhook(std::string origin, std::string path)
    : origin_(std::move(origin)), path_(std::move(path)), thread_([this] { Run(); }) {}

Webhook::~Webhook() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Webhook::Post(std::string json_body) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= 1000) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(json_body));
  }
  wake_.notify_all();
}

int Webhook::sent() const {
  std::lock_guard lock(mutex_);
  return sent_;
}
int Webhook::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}
std::string Webhook::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void Webhook::Run() {
  httplib::Client client(origin_);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(5, 0);
  client.set_write_timeout(5, 0);
  while (true) {
    std::string body;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;  // what is still queued is dropped: shutdown must not wait on a receiver
      body = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto res = client.Post(path_, body, "application/json");
    std::lock_guard lock(mutex_);
    if (res && res->status >= 200 && res->status < 300) {
      ++sent_;
    } else {
      ++failed_;
      last_error_ = res ? fmt::format("{}{}: HTTP {}", origin_, path_, res->status)
                        : fmt::format("{}{}: {}", origin_, path_, httplib::to_string(res.error()));
    }
  }
}

}  // namespace meg
