#include "center/local_fleet.h"

#include <fmt/format.h>

#include "core/text.h"

namespace meg {

Result<std::unique_ptr<LocalFleet>> LocalFleet::Make(std::vector<LocalFleetSite> sites, const Clock& wall,
                                                     LocalFleetOptions options) {
  if (sites.empty()) return InvalidInput("a fleet needs at least one site");
  std::unique_ptr<LocalFleet> fleet(new LocalFleet(wall, options));
  const Instant now = wall.Now();
  for (auto& s : sites) {
    if (!ValidName(s.id)) return InvalidInput(fmt::format("site id '{}': use 1-64 of A-Z a-z 0-9 . _ -", s.id));
    if (s.site == nullptr) return InvalidInput(fmt::format("site '{}' has no backend", s.id));
    if (!fleet->by_id_.emplace(s.id, fleet->sites_.size()).second) {
      return InvalidInput(fmt::format("site id '{}' is given twice", s.id));
    }
    auto t = std::make_unique<Tracked>();
    t->summary = s.site->Summary();
    t->summary.id = s.id;
    t->entry = std::move(s);
    t->version_seen = now;  // a site that never publishes is offline offline_after from now
    fleet->sites_.push_back(std::move(t));
  }
  return fleet;
}

std::vector<std::string> LocalFleet::SiteIds() const {
  std::vector<std::string> out;
  out.reserve(sites_.size());
  for (const auto& t : sites_) out.push_back(t->entry.id);
  return out;
}

SiteBackend* LocalFleet::Site(std::string_view id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : sites_[it->second]->entry.site;
}

std::vector<FleetSiteView> LocalFleet::Overview() const {
  const Instant now = wall_.Now();
  std::vector<FleetSiteView> out;
  out.reserve(sites_.size());
  for (const auto& t : sites_) out.push_back(Row(*t, now));
  return out;
}

FleetSiteView LocalFleet::Row(Tracked& t, Instant wall_now) const {
  SiteBackend& site = *t.entry.site;
  FleetSiteView row;
  row.summary = t.summary;
  row.kind = t.entry.kind;
  row.alarms = site.Alarms();
  // The cycle is read under the site's lock of the fleet, so that two overviews at once cannot
  // record an older cycle after a newer one.
  std::lock_guard lock(t.mutex);
  row.live = site.Live();
  if (row.live.version != t.version) {
    t.version = row.live.version;
    t.version_seen = wall_now;
  }
  const bool silent = row.live.version == 0 || wall_now - t.version_seen > options_.offline_after;
  const std::string state = silent || row.live.mode.empty() ? "offline" : row.live.mode;
  if (state != t.state) {
    t.state = state;
    t.state_since = row.live.version == 0 ? Instant{} : row.live.time;
  }
  row.state = t.state;
  row.state_since = t.state_since;
  if (!t.bill_asked || wall_now - t.bill_asked_at >= options_.bill_refresh) {
    auto bill = site.Bill();
    t.bill = bill ? std::optional<BillView>(std::move(*bill)) : std::nullopt;
    t.bill_asked = true;
    t.bill_asked_at = wall_now;
  }
  if (t.bill) {
    row.bill_month = t.bill->month;
    row.bill_krw = t.bill->with_openmeg_krw;
    row.saving_krw = SavingOf(*t.bill);
  }
  return row;
}

}  // namespace meg
