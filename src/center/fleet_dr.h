// FleetDr: the fleet center as a DR aggregator (수요관리사업자, KPX 전력시장운영규칙 제12장): a KPX call
// for the resource is split across the member sites (optimize/dr_split.h) by what each can
// deliver, each share goes to the member's own DR desk as a DrCallRequest (SiteBackend::
// SubmitDrCall), the event is followed live (the resource CBL as the sum of the members',
// the reduction so far, each member's share and delivery), a member that fails mid-event
// (offline, or in safe mode) has the rest of its share re-split over the others (DrDesk::Revise
// on their desks), and after the event each member and the resource are settled by 별표26
// (market/dr_settlement.h) on the members' metered grid import. docs/dr.md "Aggregated DR".
// Threads: Call and Poll are called from one thread (the center's, e.g. a timer); they block on
// the members' SubmitDrCall. View may be called from any thread at any time.
//
//   FleetDr dr(fleet, solver, config);
//   dr.Call(kpx_call, now);          // split and submit
//   every few seconds: dr.Poll(now); // follow, re-split a failed member, settle after the end
//   FleetDrView v = dr.Views().back();
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "center/fleet_backend.h"
#include "core/calendar.h"
#include "core/clock.h"
#include "core/result.h"
#include "market/cbl.h"
#include "market/dr_event.h"
#include "market/dr_settlement.h"
#include "optimize/dr_split.h"

namespace meg {

// One member of the resource as the aggregator registered it.
struct FleetDrMember {
  std::string site_id;
  CblOptions cbl;  // the CBL method and options registered for it (별표28 3.1)
  // What a kWh of its reduction costs the aggregator, KRW/kWh (battery wear and the energy to
  // recharge, or the price the customer declared for curtailing). The split fills the cheapest
  // first.
  double cost_krw_per_kwh = 100;
  double reserve_soc_pct = 20;  // battery SoC it keeps; only the energy above it is offered
  double curtailable_kw = 0;    // load the customer declared it sheds on a call, besides the battery
};

struct FleetDrConfig {
  std::string resource_id = "fleet";
  std::vector<FleetDrMember> members;
  const HolidayCalendar* calendar = nullptr;  // REQUIRED
  WonPerKwh smp;                              // for settlement (별표26 Ⅰ.2 가)
  std::optional<WonPerKwh> mgp;               // reliability calls are paid at it when given
  double margin = 0.05;                       // over-commitment of the split (DrSplitInput::margin)
  // A member whose last cycle is older than this (site time) is offline.
  std::chrono::seconds offline_after{120};
  std::string user = "fleet-dr";  // the requests' user, as the members' events and audit show it
};

// A member's share over part of the call: [from, to) at `kw`.
struct FleetDrShare {
  Instant from, to;
  double kw = 0;
};

// What the server renders of one resource call.
struct FleetDrView {
  std::string kind;  // reliability, economic, test
  Instant issued, start, end;
  double requested_kw = 0;
  // split (shares submitted), settled, or failed (no split: see notes)
  std::string status;
  std::vector<std::string> notes;  // in order, e.g. "14:40: h7 offline; 210 kW re-split from 14:45"
  struct Hour {
    Instant start;
    int minutes = 60;
    double requested_kwh = 0;
    double target_kw = 0;      // requested x (1 + margin)
    double committed_kw = 0;   // sum of the members' shares (mean over the hour's minutes)
    double shortfall_kw = 0;   // of the request, when the members could not commit it
    double cbl_kwh = 0;        // the resource CBL: the members' CBLs summed
    double metered_kwh = 0;    // metered so far (closed quarter-hours)
    double reduction_kwh = 0;  // so far: CBL of the metered quarter-hours less metered
  };
  std::vector<Hour> hours;
  struct Member {
    std::string site_id;
    // ok; offline or safe (failed: its share re-split); refused (its desk refused the share);
    // no_cbl (no capacity: its CBL could not be computed)
    std::string status;
    std::string message;
    std::vector<FleetDrShare> shares;
    std::vector<double> share_kw;                 // per hour: the mean of `shares` over the hour's minutes
    std::vector<double> delivered_kwh;            // per hour, so far (its CBL less metered, metered part)
    std::vector<std::string> desk;                // the status of each of its DR events for this call
    std::optional<DrEventSettlement> settlement;  // after the event, over the hours it had a share
  };
  std::vector<Member> members;
  double cbl_kwh = 0, metered_kwh = 0, reduction_kwh = 0, requested_kwh = 0;  // totals so far
  std::optional<DrEventSettlement> settlement;  // of the resource (별표26), after the event
};

class FleetDr {
 public:
  // `fleet` and `solver` must outlive this object. REQUIRES: config.calendar set.
  FleetDr(FleetBackend& fleet, LpSolver& solver, FleetDrConfig config);

  // A KPX call for the resource at `now` (site time, at or after its issue): estimates each
  // member's capacity, splits the call (constant shares per member), and submits each share to
  // its member. A member that refuses its share has it re-split over the others at once. Errors:
  // the call is over or the split could not run; a call the members cannot fully deliver is split
  // as well as they can and noted.
  Status Call(const DrCall& call, Instant now);

  // Follows every call not yet settled: marks members offline or safe and re-splits the rest of
  // their shares over the others from the next quarter-hour, updates the CBL and the reduction
  // so far, and settles a call a quarter-hour after its end.
  void Poll(Instant now);

  std::vector<FleetDrView> Views() const;

 private:
  struct MemberState {
    std::string site_id;
    const FleetDrMember* reg = nullptr;
    std::vector<FleetDrShare> shares;
    std::string status = "ok";
    std::string message;
  };
  struct ResourceCall {
    DrCall call;
    std::vector<DrCallHour> hours;
    std::vector<MemberState> members;
    FleetDrView view;
    bool settled = false;
  };
  // Capacity of each member over the hours [from, call end) (DrSplitMember per member; an empty
  // capacity where it cannot take part), less what it holds already.
  std::vector<DrSplitMember> Capacities(const ResourceCall& e, Timestamp from, Instant now);
  // Splits `request_kw` per hour over [from, end) among the members that are ok and submits the
  // added shares (a new call at the first split, a revision after). Returns the LP's split.
  Result<DrSplit> SplitAndSubmit(ResourceCall& e, Timestamp from, const std::vector<double>& request_kw, double margin,
                                 Instant now, bool first);
  void Follow(ResourceCall& e, Instant now);
  void Resplit(ResourceCall& e, size_t failed, Instant now);
  void Settle(ResourceCall& e, Instant now);
  void Publish(const ResourceCall& e);
  SiteBackend* Site(const std::string& id) const { return fleet_.Site(id); }

  FleetBackend& fleet_;
  LpSolver& solver_;
  FleetDrConfig config_;
  std::vector<ResourceCall> events_;  // Call/Poll thread only
  mutable std::mutex mutex_;
  std::vector<FleetDrView> views_;  // one per event, under mutex_
};

}  // namespace meg
