#include "center/fleet_backend.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

namespace meg {

Result<std::vector<FleetBucket>> FleetBackend::SumTelemetry(const std::vector<std::string>& ids,
                                                            const std::string& point, Instant from, Instant to,
                                                            Resolution resolution) const {
  std::map<Instant, FleetBucket> sums;
  bool any = false;
  std::optional<Error> first_error;
  for (const std::string& id : ids) {
    const SiteBackend* site = Site(id);
    if (site == nullptr) continue;
    auto buckets = site->Telemetry(point, from, to, resolution);
    if (!buckets) {
      if (!first_error) first_error = buckets.error();
      continue;
    }
    any = true;
    for (const Bucket& b : *buckets) {
      if (!std::isfinite(b.mean) || b.count <= 0) continue;
      FleetBucket& s = sums[b.start];
      s.start = b.start;
      s.sum += b.mean;
      ++s.sites;
    }
  }
  if (!any) {
    if (first_error && first_error->code != ErrorCode::kNotFound) return *first_error;
    return NotFound(fmt::format("no site of the {} asked has the point '{}'", ids.size(), point));
  }
  std::vector<FleetBucket> out;
  out.reserve(sums.size());
  for (auto& [start, s] : sums) out.push_back(s);
  return out;
}

void FleetBackend::NoteRefusal(const std::string& message) {
  const std::vector<std::string> ids = SiteIds();
  if (ids.empty()) return;
  if (SiteBackend* site = Site(ids.front())) site->NoteRefusal(message);
}

}  // namespace meg
