// LocalFleet: the FleetBackend (center/fleet_backend.h) of sites running in this process, e.g.
// the LiveSites of `meg demo` or the one site of `meg run`. It watches each site's published
// cycles to tell its state: the loop's mode, or "offline" when no new cycle came for a while of
// wall time. Thread-safe: server threads call it concurrently; each site's bookkeeping has its
// own lock.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "center/fleet_backend.h"
#include "core/clock.h"
#include "core/result.h"

namespace meg {

// One site of a LocalFleet: its URL id (1-64 of A-Z a-z 0-9 . _ -), what it is ("hospital",
// "campus building", "factory", ...) and the site, which must outlive the fleet.
struct LocalFleetSite {
  std::string id;
  std::string kind;
  SiteBackend* site = nullptr;
};

struct LocalFleetOptions {
  // A site whose cycle version has not risen for this long (wall time) is offline.
  std::chrono::milliseconds offline_after{10'000};
  // A site's month-to-date bill is asked again at most this often (wall time); it changes only
  // at quarter-hours of site time.
  std::chrono::milliseconds bill_refresh{2'000};
};

class LocalFleet final : public FleetBackend {
 public:
  // Fails on no sites, a null site, or an id that is malformed or given twice. `wall` is the
  // wall clock (thread-safe), which must outlive the fleet.
  static Result<std::unique_ptr<LocalFleet>> Make(std::vector<LocalFleetSite> sites, const Clock& wall,
                                                  LocalFleetOptions options = {});

  std::vector<std::string> SiteIds() const override;
  SiteBackend* Site(std::string_view id) const override;
  // Each row: the summary (read once, at Make), the site's latest cycle, its state and since
  // when, its active alarms and its month-to-date bill (asked at most every bill_refresh).
  // `state_since` is the site time of the first cycle seen in that state (for "offline": of the
  // last cycle the site published), so a state the site was in before the fleet first looked
  // dates from then; the epoch when the site has published no cycle yet.
  std::vector<FleetSiteView> Overview() const override;

 private:
  // What the fleet keeps of one site between overviews.
  struct Tracked {
    LocalFleetSite entry;
    SiteSummary summary;
    mutable std::mutex mutex;
    std::uint64_t version = 0;  // the last cycle version seen
    Instant version_seen;       // wall time it was first seen
    std::string state;
    Instant state_since;
    bool bill_asked = false;
    Instant bill_asked_at;  // wall time
    std::optional<BillView> bill;
  };
  LocalFleet(const Clock& wall, LocalFleetOptions options) : wall_(wall), options_(options) {}
  FleetSiteView Row(Tracked& t, Instant wall_now) const;

  const Clock& wall_;
  LocalFleetOptions options_;
  std::vector<std::unique_ptr<Tracked>> sites_;       // fixed after Make
  std::map<std::string, size_t, std::less<>> by_id_;  // id -> index in sites_
};

}  // namespace meg
