#include "center/fleet_dr_service.h"

#include <fmt/format.h>

namespace meg {

FleetDrService::FleetDrService(FleetBackend& fleet, LpSolver& solver, FleetDrConfig config,
                               std::function<Instant()> now, std::chrono::milliseconds poll)
    : config_(config), dr_(fleet, solver, std::move(config)), now_(std::move(now)), poll_(poll) {}

FleetDrService::~FleetDrService() { Stop(); }

void FleetDrService::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void FleetDrService::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Calls never taken are answered, so that no API thread waits for nothing.
  std::lock_guard lock(mutex_);
  for (auto& p : queue_) p->done.set_value(IoError("the center is stopping; the call was not split"));
  queue_.clear();
}

Status FleetDrService::Submit(const DrCallRequest& request, std::chrono::milliseconds wait) {
  auto pending = std::make_shared<Pending>();
  pending->request = request;
  auto result = pending->done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stop_ || !thread_.joinable()) return IoError("the fleet's DR aggregator is not running");
    queue_.push_back(pending);
  }
  wake_.notify_all();
  if (result.wait_for(wait) != std::future_status::ready) {
    return IoError(
        fmt::format("the aggregator did not split the call within {} s; it may still be split: "
                    "see GET /api/fleet/dr-events",
                    std::chrono::duration_cast<std::chrono::seconds>(wait).count()));
  }
  return result.get();
}

void FleetDrService::Loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    while (!queue_.empty()) {
      std::shared_ptr<Pending> p = queue_.front();
      queue_.pop_front();
      lock.unlock();
      const Instant now = now_();
      const DrCallRequest& r = p->request;
      Status st = Ok{};
      if (auto kind = ParseDrCallKind(r.kind); !kind) {
        st = kind.error();
      } else {
        const DrCall call{*kind,
                          config_.resource_id,
                          ToTimestamp(r.issued.value_or(now)),
                          ToTimestamp(r.start),
                          ToTimestamp(r.end),
                          Kilowatts(r.requested_kw)};
        st = dr_.Call(call, now);
      }
      p->done.set_value(std::move(st));
      lock.lock();
    }
    lock.unlock();
    dr_.Poll(now_());
    lock.lock();
    wake_.wait_for(lock, poll_, [this] { return stop_ || !queue_.empty(); });
  }
}

}  // namespace meg
