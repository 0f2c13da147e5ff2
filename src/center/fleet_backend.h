// FleetBackend: what the HTTP server needs from a fleet of sites. Each site is a SiteBackend
// (center/site_backend.h): a LiveSite in this process (the embedded fleet of `meg demo`), or a
// remote edge seen through the center's link (the distributed center, `meg center`). The
// server routes /api/sites/<id>/... to Site(id), checks the caller's site scope, and serves the
// fleet overview. All methods are called from server threads concurrently: implementations
// must be thread-safe. Sites are fixed for the fleet's life (a site added needs a restart).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "center/site_backend.h"
#include "core/clock.h"

namespace meg {

// One site's row of the fleet overview: its summary, its latest live values, its state and since
// when, its alarms and its month-to-date bill with and without OpenMEG.
struct FleetSiteView {
  SiteSummary summary;
  std::string kind;   // what the site is: "hospital", "campus building", "factory", "office"
  std::string state;  // normal, local, safe (the loop's mode), or offline (no cycle lately)
  Instant state_since;
  LiveValues live;  // the latest cycle the center has (NaN fields where unknown)
  std::vector<AlarmView> alarms;
  std::optional<std::int64_t> bill_krw;    // month to date, with OpenMEG
  std::optional<std::int64_t> saving_krw;  // month to date: without less with OpenMEG
  std::string bill_month;                  // "2024-08" when known
};

class FleetBackend {
 public:
  virtual ~FleetBackend() = default;
  // The sites' ids, in the fleet's order.
  virtual std::vector<std::string> SiteIds() const = 0;
  // The site, or nullptr when the fleet has no site `id`. Valid for the fleet's life.
  virtual SiteBackend* Site(std::string_view id) const = 0;
  // Every site's row, in the fleet's order.
  virtual std::vector<FleetSiteView> Overview() const = 0;

  // The sum over the sites `ids` of `point`'s bucket means at `resolution` (kMinute or kQuarter)
  // over [from, to), in time order. A bucket a site lacks (no sample in it, or a NaN mean)
  // counts as absent from that bucket's sum, not as 0: each bucket says how many sites it sums.
  // A site without the point, or whose store fails, adds nothing; NotFound when no site of `ids`
  // has the point. The default asks each site (SiteBackend::Telemetry); a center with a fleet
  // store may sum there instead.
  virtual Result<std::vector<FleetBucket>> SumTelemetry(const std::vector<std::string>& ids, const std::string& point,
                                                        Instant from, Instant to, Resolution resolution) const;
  // Records a refused request that concerns no one site of the fleet (a failed login, a bad
  // /api/fleet query) in the center's access log; a refusal on a site's route goes to that
  // site's NoteRefusal. The default hands it to the fleet's first site.
  virtual void NoteRefusal(const std::string& message);
};

}  // namespace meg
