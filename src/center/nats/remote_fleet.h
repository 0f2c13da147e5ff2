// RemoteFleet: the distributed center's fleet (`meg center`): each site is an edge (`meg run
// --center ...`) seen through the NATS link (center/nats/center_link.h) and the fleet store the
// link writes (PostgreSQL). A RemoteSite answers the server from what the center has: live values
// and state from the link's latest samples, history, events and bills from the fleet store (a
// reader connection per call, from a small pool), commands and DR calls sent down the link and
// answered by the edge after its own audit log has them; the planner's latest schedule as the
// edge sent it (meg.<site>.sched). What stays at the edge (its forecast, audit log, DR desk) is
// refused with a message saying so. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "center/fleet_backend.h"
#include "center/nats/center_link.h"
#include "store/store.h"

namespace meg {

// Opens one reader connection of the fleet store (e.g. PostgresStore::OpenReader).
using StoreOpener = std::function<Result<std::unique_ptr<TelemetryStore>>()>;

// Reader connections, opened on demand and kept for reuse (at most `keep` idle). Thread-safe.
class StorePool {
 public:
  StorePool(StoreOpener open, size_t keep = 8) : open_(std::move(open)), keep_(keep) {}
  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<TelemetryStore> store) : pool_(pool), store_(std::move(store)) {}
    Lease(Lease&&) = default;
    ~Lease();
    TelemetryStore& store() { return *store_; }

   private:
    StorePool* pool_;
    std::unique_ptr<TelemetryStore> store_;
  };
  Result<Lease> Acquire();

 private:
  StoreOpener open_;
  size_t keep_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<TelemetryStore>> idle_;
};

struct RemoteSiteSpec {
  std::string id;
  std::string kind;
  SiteSummary summary;  // from the site file the center was given
};

// The fleet sum of a point over some sites, computed in the fleet store in one query (e.g.
// PostgresStore::FleetSum); empty: each site's buckets are read and summed (FleetBackend's default).
using FleetSummer =
    std::function<Result<std::vector<FleetBucket>>(const std::vector<std::string>& sites, const std::string& point,
                                                   Instant from, Instant to, Resolution resolution)>;

struct RemoteFleetOptions {
  std::chrono::milliseconds command_timeout{10000};  // the edge's answer to a command or DR call
  std::chrono::milliseconds bill_refresh{10000};     // the overview's bills are read this often
  FleetSummer sum;
};

class RemoteFleet final : public FleetBackend {
 public:
  // `link` and `clock` (wall) must outlive the fleet. Errors: no sites, a repeated id.
  static Result<std::unique_ptr<RemoteFleet>> Make(std::vector<RemoteSiteSpec> sites, CenterLink& link,
                                                   StoreOpener open_reader, const Clock& clock,
                                                   RemoteFleetOptions options = {});
  ~RemoteFleet() override;

  std::vector<std::string> SiteIds() const override;
  SiteBackend* Site(std::string_view id) const override;
  std::vector<FleetSiteView> Overview() const override;
  void NoteRefusal(const std::string& message) override;
  Result<std::vector<FleetBucket>> SumTelemetry(const std::vector<std::string>& ids, const std::string& point,
                                                Instant from, Instant to, Resolution resolution) const override;

 private:
  class RemoteSite;
  RemoteFleet(CenterLink& link, StoreOpener open_reader, const Clock& clock, RemoteFleetOptions options);
  void RefreshBills();

  CenterLink& link_;
  StorePool pool_;
  const Clock& clock_;
  RemoteFleetOptions options_;
  std::vector<std::unique_ptr<RemoteSite>> sites_;
  std::map<std::string, RemoteSite*, std::less<>> by_id_;
  mutable std::mutex mutex_;
  struct Tracked {
    std::string state;
    Instant since{};
    Result<BillView> bill = NotFound("no bill yet");
  };
  mutable std::map<std::string, Tracked, std::less<>> tracked_;  // under mutex_
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread refresher_;
};

}  // namespace meg
