// FleetDrService: the fleet's DR aggregator at work in a center: a thread that owns a FleetDr
// (center/fleet_dr.h), hands it the resource calls the API submits (Submit waits, bounded, until
// the split is done or refused), and polls it every `poll` of wall time (follow-up, re-split of a
// failed member, settlement). The center's time is its sites' time (`now`, e.g. the fleet's
// latest cycle). Thread-safe; Stop() or the destructor ends the thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "center/fleet_dr.h"

namespace meg {

class FleetDrService {
 public:
  // `fleet` and `solver` must outlive the service. `now` gives the center's site time.
  FleetDrService(FleetBackend& fleet, LpSolver& solver, FleetDrConfig config, std::function<Instant()> now,
                 std::chrono::milliseconds poll = std::chrono::milliseconds(1000));
  ~FleetDrService();
  FleetDrService(const FleetDrService&) = delete;
  FleetDrService& operator=(const FleetDrService&) = delete;

  void Start();
  void Stop();
  // A resource call from the API: split and submitted to the members on the service's thread.
  // Returns its result, or an error when the thread did not take it within `wait`.
  Status Submit(const DrCallRequest& request, std::chrono::milliseconds wait = std::chrono::seconds(30));
  std::vector<FleetDrView> Views() const { return dr_.Views(); }
  const FleetDrConfig& config() const { return config_; }

 private:
  struct Pending {
    DrCallRequest request;
    std::promise<Status> done;
  };
  void Loop();

  FleetDrConfig config_;
  FleetDr dr_;
  std::function<Instant()> now_;
  std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace meg
