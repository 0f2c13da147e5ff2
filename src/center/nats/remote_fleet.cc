#include "center/nats/remote_fleet.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/time.h"

namespace meg {

StorePool::Lease::~Lease() {
  if (pool_ == nullptr || store_ == nullptr) return;
  std::lock_guard lock(pool_->mutex_);
  if (pool_->idle_.size() < pool_->keep_) pool_->idle_.push_back(std::move(store_));
}

Result<StorePool::Lease> StorePool::Acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(store));
    }
  }
  MEG_TRY_ASSIGN(store, open_());
  return Lease(this, std::move(store));
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Latest(const SiteLinkView& v, const char* point) {
  const auto it = v.latest.find(point);
  return it == v.latest.end() ? kNaN : it->second;
}

// The loop's mode from the edge's loop_mode point (0 normal, 1 local, 2 safe).
std::string ModeOf(const SiteLinkView& v) {
  const double m = Latest(v, "loop_mode");
  if (m == 0) return "normal";
  if (m == 1) return "local";
  if (m == 2) return "safe";
  return "unknown";
}

// The stored schedule's JSON (LiveSite::StoreSchedule) as the dashboard's ScheduleView; what does
// not read stays at its default (a schedule that does not read at all: not present).
ScheduleView ScheduleOf(const StoredSchedule& stored) {
  const nlohmann::json j = nlohmann::json::parse(stored.json, nullptr, false);
  ScheduleView v;
  if (!j.is_object()) return v;
  const auto num = [&](const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0; };
  const auto text = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  v.present = true;
  v.made = stored.made;
  v.source = text("source");
  v.battery_kw = num("battery_kw");
  if (j.contains("pv_limit_kw") && j["pv_limit_kw"].is_number()) v.pv_limit_kw = j["pv_limit_kw"].get<double>();
  v.planned_grid_kw = num("planned_grid_kw");
  v.reason_code = text("reason_code");
  v.reason = text("reason");
  return v;
}

// The stored bill's JSON (LiveSite::UpdateBill) as the dashboard's BillView (totals only: the
// lines stay at the edge).
Result<BillView> BillOf(const StoredBill& stored) {
  const nlohmann::json j = nlohmann::json::parse(stored.json, nullptr, false);
  if (!j.is_object() || !j.contains("with_openmeg_krw") || !j.contains("without_openmeg_krw")) {
    return InvalidInput(fmt::format("the edge's bill of {} is not readable", FormatMonth(stored.month)));
  }
  BillView b;
  b.month = FormatMonth(stored.month);
  b.from = ToInstant(StartOfKstMonth(stored.month));
  const auto num = [&](const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0; };
  b.with_openmeg_krw = j["with_openmeg_krw"].is_number_integer() ? j["with_openmeg_krw"].get<std::int64_t>() : 0;
  b.without_openmeg_krw =
      j["without_openmeg_krw"].is_number_integer() ? j["without_openmeg_krw"].get<std::int64_t>() : 0;
  b.generator_krw = j.contains("generator_krw") && j["generator_krw"].is_number_integer()
                        ? j["generator_krw"].get<std::int64_t>()
                        : 0;
  b.peak_kw = num("peak_kw");
  b.billing_demand_kw = num("billing_demand_kw");
  b.ratchet_kw = num("ratchet_kw");
  b.energy_kwh = num("energy_kwh");
  if (j.contains("through") && j["through"].is_string()) {
    if (auto t = ParseIso8601(j["through"].get<std::string>())) b.through = ToInstant(*t);
  }
  b.notes.push_back("the month to date as the edge priced it and sent it; the bill's lines are at the edge");
  return b;
}

}  // namespace

// One edge as the center sees it.
class RemoteFleet::RemoteSite final : public SiteBackend {
 public:
  RemoteSite(RemoteSiteSpec spec, RemoteFleet& fleet) : spec_(std::move(spec)), fleet_(fleet) {}
  const RemoteSiteSpec& spec() const { return spec_; }

  SiteSummary Summary() const override { return spec_.summary; }
  LiveValues Live() const override {
    LiveValues v;
    v.grid_kw = v.pv_kw = v.battery_kw = v.load_kw = v.soc_pct = kNaN;
    v.demand_window_kw = v.demand_target_kw = v.month_peak_kw = kNaN;
    v.battery_command_kw = kNaN;
    v.generator_kw = kNaN;
    v.generator_command_kw = kNaN;
    v.contract_kw = spec_.summary.contract_kw;
    v.mode = "unknown";
    const auto link = fleet_.link_.Site(spec_.id);
    if (!link || !link->heard) {
      v.reason = "not heard from since the center started";
      return v;
    }
    v.version = link->samples;
    v.time = link->latest_time;
    v.mode = ModeOf(*link);
    v.grid_kw = Latest(*link, "grid_kw");
    v.pv_kw = Latest(*link, "pv_kw");
    v.battery_kw = Latest(*link, "battery_kw");
    v.load_kw = Latest(*link, "load_kw");
    v.soc_pct = Latest(*link, "soc_pct");
    v.demand_window_kw = Latest(*link, "demand_window_kw");
    if (!link->online) v.reason = "offline: the edge is not heard from (it keeps controlling locally)";
    return v;
  }
  LiveValues WaitForNewer(std::uint64_t version, std::chrono::milliseconds timeout) const override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      LiveValues v = Live();
      if (v.version > version || std::chrono::steady_clock::now() >= deadline) return v;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  std::vector<std::string> Points() const override {
    std::vector<std::string> out;
    if (const auto link = fleet_.link_.Site(spec_.id)) {
      for (const auto& [name, value] : link->latest) out.push_back(name);
    }
    return out;
  }
  Result<std::vector<Bucket>> Telemetry(const std::string& point, Instant from, Instant to,
                                        Resolution resolution) const override {
    MEG_TRY_ASSIGN(lease, fleet_.pool_.Acquire());
    MEG_TRY_ASSIGN(points, lease.store().Points(spec_.id));
    for (const PointInfo& p : points) {
      if (p.name == point) return lease.store().Query(p.id, from, to, resolution);
    }
    return NotFound(fmt::format("site '{}' has no point '{}' in the fleet store", spec_.id, point));
  }
  // The edge's latest schedule as it sent it (the fleet store keeps it); none before the first.
  ScheduleView Schedule() const override {
    auto lease = fleet_.pool_.Acquire();
    if (!lease) return {};
    auto stored = lease->store().LatestSchedule(spec_.id);
    if (!stored || !*stored) return {};
    return ScheduleOf(**stored);
  }
  Result<ForecastView> Forecast() const override {
    return NotFound("the forecast stays at the edge: open the site's own control center");
  }
  Result<BillView> Bill() const override {
    const auto link = fleet_.link_.Site(spec_.id);
    const Instant at = link && link->heard ? link->latest_time : fleet_.clock_.Now();
    MEG_TRY_ASSIGN(lease, fleet_.pool_.Acquire());
    MEG_TRY_ASSIGN(stored, lease.store().Bill(spec_.id, KstMonthOf(ToTimestamp(at))));
    if (!stored)
      return NotFound(fmt::format("no bill of {} from the edge yet", FormatMonth(KstMonthOf(ToTimestamp(at)))));
    return BillOf(*stored);
  }
  Result<std::vector<Event>> Events(int limit) const override {
    const auto link = fleet_.link_.Site(spec_.id);
    const Instant now = link && link->heard ? link->latest_time : fleet_.clock_.Now();
    MEG_TRY_ASSIGN(lease, fleet_.pool_.Acquire());
    MEG_TRY_ASSIGN(events,
                   lease.store().Events(spec_.id, now - std::chrono::hours(24 * 31), now + std::chrono::hours(1)));
    std::reverse(events.begin(), events.end());
    if (events.size() > static_cast<size_t>(std::max(0, limit))) events.resize(static_cast<size_t>(std::max(0, limit)));
    return events;
  }
  std::vector<AlarmView> Alarms() const override {
    std::vector<AlarmView> out;
    const auto link = fleet_.link_.Site(spec_.id);
    if (!link || !link->heard) {
      out.push_back({"offline", "critical", "not heard from since the center started", fleet_.clock_.Now()});
      return out;
    }
    if (!link->online) {
      out.push_back({"offline", "critical",
                     fmt::format("no message from the edge since {} (it keeps controlling locally)",
                                 FormatKst(ToTimestamp(link->last_heard))),
                     link->last_heard});
    }
    if (ModeOf(*link) == "safe")
      out.push_back({"fail-safe", "critical", "the edge is in safe mode", link->latest_time});
    if (link->clock_flagged) {
      out.push_back({"clock", "warning",
                     fmt::format("the edge's clock is {:.0f} s off the center's", link->clock_offset_ms / 1000.0),
                     link->last_heard});
    }
    return out;
  }
  Result<std::vector<AuditView>> Audit(int) const override {
    return NotFound("the audit log is kept at the edge, in its own store: open the site's own control center");
  }
  std::vector<DrEventView> DrEvents() const override { return {}; }
  Status SubmitDrCall(const DrCallRequest& call) override { return Send(call); }
  Status Command(const OperatorCommand& command) override { return Send(command); }
  void NoteRefusal(const std::string& message) override { fleet_.NoteRefusal(spec_.id + ": " + message); }

 private:
  Status Send(const LinkCommandBody& body) {
    auto result = fleet_.link_.SendCommand(spec_.id, body, Millis(fleet_.options_.command_timeout.count()));
    if (!result) return Error{ErrorCode::kIo, result.error().message};
    if (!result->accepted) return InvalidInput(fmt::format("the edge refused it: {}", result->reason));
    return Ok{};
  }

  RemoteSiteSpec spec_;
  RemoteFleet& fleet_;
};

RemoteFleet::RemoteFleet(CenterLink& link, StoreOpener open_reader, const Clock& clock, RemoteFleetOptions options)
    : link_(link), pool_(std::move(open_reader)), clock_(clock), options_(options) {}

Result<std::unique_ptr<RemoteFleet>> RemoteFleet::Make(std::vector<RemoteSiteSpec> sites, CenterLink& link,
                                                       StoreOpener open_reader, const Clock& clock,
                                                       RemoteFleetOptions options) {
  if (sites.empty()) return InvalidInput("a fleet needs at least one site");
  std::unique_ptr<RemoteFleet> fleet(new RemoteFleet(link, std::move(open_reader), clock, options));
  for (auto& spec : sites) {
    if (fleet->by_id_.count(spec.id) != 0) return InvalidInput(fmt::format("site '{}' is listed twice", spec.id));
    auto site = std::make_unique<RemoteSite>(std::move(spec), *fleet);
    fleet->by_id_[site->spec().id] = site.get();
    fleet->sites_.push_back(std::move(site));
  }
  fleet->refresher_ = std::thread([f = fleet.get()] { f->RefreshBills(); });
  return fleet;
}

RemoteFleet::~RemoteFleet() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

std::vector<std::string> RemoteFleet::SiteIds() const {
  std::vector<std::string> out;
  for (const auto& s : sites_) out.push_back(s->spec().id);
  return out;
}

SiteBackend* RemoteFleet::Site(std::string_view id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

// The bills come from the fleet store; read on their own thread, so that an overview never waits
// on the database.
void RemoteFleet::RefreshBills() {
  for (;;) {
    for (const auto& s : sites_) {
      Result<BillView> bill = s->Bill();
      std::lock_guard lock(mutex_);
      tracked_[s->spec().id].bill = std::move(bill);
    }
    std::unique_lock lock(stop_mutex_);
    if (stop_cv_.wait_for(lock, options_.bill_refresh, [this] { return stop_; })) return;
  }
}

std::vector<FleetSiteView> RemoteFleet::Overview() const {
  std::map<std::string, SiteLinkView, std::less<>> links;
  for (auto& v : link_.Sites()) links.emplace(v.site, std::move(v));
  std::vector<FleetSiteView> out;
  out.reserve(sites_.size());
  std::lock_guard lock(mutex_);
  for (const auto& s : sites_) {
    FleetSiteView row;
    row.summary = s->spec().summary;
    row.kind = s->spec().kind;
    row.live = s->Live();
    row.alarms = s->Alarms();
    const auto link = links.find(s->spec().id);
    const bool online = link != links.end() && link->second.online;
    const std::string state = online ? row.live.mode : "offline";
    Tracked& t = tracked_[s->spec().id];
    if (t.state != state) {
      t.state = state;
      t.since = online ? row.live.time : (link != links.end() ? link->second.last_heard : Instant{});
    }
    row.state = state;
    row.state_since = t.since;
    if (t.bill) {
      row.bill_krw = t.bill->with_openmeg_krw;
      row.saving_krw = SavingOf(*t.bill);
      row.bill_month = t.bill->month;
    }
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<FleetBucket>> RemoteFleet::SumTelemetry(const std::vector<std::string>& ids,
                                                           const std::string& point, Instant from, Instant to,
                                                           Resolution resolution) const {
  if (!options_.sum) return FleetBackend::SumTelemetry(ids, point, from, to, resolution);
  // The store's sum takes "no sites" as every site: a caller who may see none gets none.
  if (ids.empty()) return NotFound("no site to sum");
  MEG_TRY_ASSIGN(buckets, options_.sum(ids, point, from, to, resolution));
  if (buckets.empty()) return NotFound(fmt::format("no site of the fleet has point '{}' in that time", point));
  return buckets;
}

void RemoteFleet::NoteRefusal(const std::string& message) { std::cerr << "meg center: refused: " << message << "\n"; }

}  // namespace meg
