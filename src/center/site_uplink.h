// SiteUplink: where a live site's records go besides its own store, e.g. the link to the fleet
// center (center/nats/edge_link.h). LiveSite offers every cycle's samples, every event and every
// month-to-date bill and planner's schedule it stores, on the control thread, after the store took them (samples also
// when only the store's flush failed: they wait in its buffer, and are the site's record): an
// implementation must not block (queue and return) and must not lose what the store has (the
// store is the edge's record; the uplink backfills from it).
#pragma once

#include <span>

#include "store/store.h"

namespace meg {

class SiteUplink {
 public:
  virtual ~SiteUplink() = default;
  virtual void OfferSamples(std::span<const Sample> samples) = 0;
  virtual void OfferEvents(std::span<const Event> events) = 0;
  virtual void OfferBill(const StoredBill& bill) = 0;
  virtual void OfferSchedule(const StoredSchedule& schedule) = 0;
};

}  // namespace meg
