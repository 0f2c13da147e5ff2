// Webhook: posts alarm JSON to a configured http(s) URL from its own thread, so a slow or dead
// receiver never holds up the control loop; failures are counted and the last one kept. At most
// 1,000 messages wait; beyond that the oldest are dropped (and counted), as are those still
// waiting at shutdown. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"

namespace meg {

class Webhook {
 public:
  // `url`: http://host[:port]/path or https://...; checked here.
  static Result<std::unique_ptr<Webhook>> Open(const std::string& url);
  ~Webhook();
  void Post(std::string json_body);
  int sent() const;
  int failed() const;
  std::string last_error() const;

 private:
  Webhook(std::string origin, std::string path);
  void Run();
  std::string origin_, path_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stop_ = false;
  int sent_ = 0, failed_ = 0, dropped_ = 0;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace meg
