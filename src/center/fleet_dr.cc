#include "center/fleet_dr.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "market/dr_program.h"

namespace meg {

namespace {

using std::chrono::minutes;

std::string Hhmm(Timestamp t) { return FormatKst(t).substr(11, 5); }

// The part of trading hour `h` that [from, to) covers, as [start, end).
std::pair<Timestamp, Timestamp> Covered(const DrCallHour& h, Timestamp call_start) {
  const Timestamp start = std::max(h.hour_start, call_start);
  return {start, start + minutes(h.event_minutes)};
}

// The energy of `shares` over [from, to), kWh.
double ShareEnergy(const std::vector<FleetDrShare>& shares, Timestamp from, Timestamp to) {
  double kwh = 0;
  for (const FleetDrShare& s : shares) {
    const Timestamp a = std::max(from, ToTimestamp(s.from)), b = std::min(to, ToTimestamp(s.to));
    if (a < b) kwh += s.kw * std::chrono::duration<double, std::ratio<3600>>(b - a).count();
  }
  return kwh;
}

double HoursBetween(Timestamp a, Timestamp b) { return std::chrono::duration<double, std::ratio<3600>>(b - a).count(); }

// The site's metered grid import per quarter-hour over [from, to) as energy (kWh), gaps where
// nothing was metered or the quarter-hour has not closed by `now`.
IntervalSeries<KilowattHours> Usage(const SiteBackend& site, Timestamp from, Timestamp to, Timestamp now) {
  std::vector<std::optional<KilowattHours>> v(static_cast<size_t>((to - from) / kInterval));
  auto buckets =
      site.Telemetry("grid_kw", ToInstant(from), ToInstant(std::min(to, IntervalStart(now))), Resolution::kQuarter);
  if (buckets) {
    for (const Bucket& b : *buckets) {
      const Timestamp t = ToTimestamp(b.start);
      if (t < from || b.count == 0) continue;
      const auto i = static_cast<size_t>((t - from) / kInterval);
      if (i < v.size()) v[i] = Kilowatts(b.mean) * kIntervalHours;
    }
  }
  return IntervalSeries<KilowattHours>(from, kInterval, std::move(v));
}

// The mean forecast net load (load - PV) over [from, to), or nullopt when the forecast does not
// cover it.
std::optional<double> ForecastNet(const SiteBackend& site, Timestamp from, Timestamp to) {
  auto f = site.Forecast();
  if (!f) return std::nullopt;
  double sum = 0;
  int n = 0;
  for (const ForecastView::Interval& i : f->intervals) {
    const Timestamp t = ToTimestamp(i.start);
    if (t >= from && t < to) {
      sum += i.load_kw - i.pv_kw;
      ++n;
    }
  }
  if (n < (to - from) / kInterval) return std::nullopt;
  return sum / n;
}

bool MatchesCall(const DrEventView& v, const DrCall& call) {
  return v.kind == DrCallKindName(call.kind) && v.start >= ToInstant(call.start) && v.end <= ToInstant(call.end) &&
         v.start < v.end;
}

}  // namespace

FleetDr::FleetDr(FleetBackend& fleet, LpSolver& solver, FleetDrConfig config)
    : fleet_(fleet), solver_(solver), config_(std::move(config)) {}

std::vector<DrSplitMember> FleetDr::Capacities(const ResourceCall& e, Timestamp from, Instant now) {
  const Timestamp t = ToTimestamp(now);
  std::vector<DrCallHour> hours;
  for (const DrCallHour& h : e.hours) {
    if (h.hour_start + std::chrono::hours(1) > from) hours.push_back(h);
  }
  // The days of the resource's earlier calls are not reference days (별표28 3.2).
  std::set<Date> earlier;
  for (const ResourceCall& other : events_) {
    if (other.call.start < e.call.start && ToKst(other.call.start).date < ToKst(e.call.start).date) {
      earlier.insert(ToKst(other.call.start).date);
    }
  }
  std::vector<DrSplitMember> out;
  for (const MemberState& m : e.members) {
    DrSplitMember s;
    s.id = m.site_id;
    s.cost_krw_per_kwh = m.reg->cost_krw_per_kwh;
    s.capacity_kw.assign(hours.size(), 0.0);
    out.push_back(s);
    const SiteBackend* site = Site(m.site_id);
    if (site == nullptr || m.status != "ok") continue;
    const LiveValues live = site->Live();
    if (live.mode == "safe" || now - live.time > config_.offline_after) continue;
    CblOptions options = m.reg->cbl;
    options.excluded_days.insert(options.excluded_days.end(), earlier.begin(), earlier.end());
    const auto usage = Usage(*site, e.call.start - kCblHistory, e.call.end, t);
    auto cbl = ComputeCbl(usage, *config_.calendar, DrWindow{e.call.start, e.call.end}, options);
    if (!cbl) continue;
    const SiteSummary summary = site->Summary();
    const double soc_energy = summary.ess_kwh * std::max(0.0, live.soc_pct - m.reg->reserve_soc_pct) / 100;
    double energy = soc_energy;
    DrSplitMember& mem = out.back();
    for (size_t k = 0; k < hours.size(); ++k) {
      auto [a, b] = Covered(hours[k], e.call.start);
      a = std::max(a, from);
      const CblHour* ch = nullptr;
      for (const CblHour& c : cbl->hours) {
        if (c.hour_start == hours[k].hour_start) ch = &c;
      }
      if (ch == nullptr || a >= b) continue;
      const double cbl_kw = ch->baseline.value() / (ch->event_minutes / 60.0);
      const double net = ForecastNet(*site, a, b).value_or(live.load_kw - live.pv_kw);
      const double free_kw = cbl_kw - net;  // what it reduces without doing anything (may be < 0)
      const double held = ShareEnergy(m.shares, a, b) / HoursBetween(a, b);
      // The import cannot go below 0: at most the CBL (exports are not a reduction here).
      mem.capacity_kw[k] = std::max(0.0, std::min(free_kw + m.reg->curtailable_kw + summary.ess_kw, cbl_kw) - held);
      energy += std::max(0.0, free_kw + m.reg->curtailable_kw) * HoursBetween(a, b) - held * HoursBetween(a, b);
    }
    if (summary.ess_kwh > 0) mem.energy_kwh = std::max(0.0, energy);
  }
  return out;
}

Result<DrSplit> FleetDr::SplitAndSubmit(ResourceCall& e, Timestamp from, const std::vector<double>& request_kw,
                                        double margin, Instant now, bool first) {
  DrSplitInput in;
  in.margin = margin;
  in.constant_shares = true;  // a member's desk holds one request per call
  for (const DrCallHour& h : e.hours) {
    if (h.hour_start + std::chrono::hours(1) <= from) continue;
    auto [a, b] = Covered(h, e.call.start);
    a = std::max(a, from);
    in.hours.push_back({static_cast<int>((b - a) / minutes(1)), request_kw[in.hours.size()]});
  }
  in.members = Capacities(e, from, now);
  MEG_TRY_ASSIGN(split, SplitDrCall(in, solver_));
  if (split.status != SolveStatus::kOptimal) {
    return InvalidInput(
        fmt::format("the split LP found no split: {} {}", SolveStatusName(split.status), split.message));
  }
  if (!split.Meets()) {
    std::string hours;
    for (size_t h = 0; h < in.hours.size(); ++h) {
      hours += fmt::format(" {:.1f}", split.margin_shortfall_kw[h]);
    }
    e.view.notes.push_back(fmt::format("{}: the members cannot commit the target from {}; short by (kW per hour):{}",
                                       Hhmm(ToTimestamp(now)), Hhmm(from), hours));
  }
  std::vector<size_t> refused;
  for (size_t m = 0; m < e.members.size(); ++m) {
    // 0.1 kW steps, rounded up so that the shares still cover the target.
    const double extra = std::ceil(split.share_kw[m][0] * 10 - 1e-6) / 10;
    if (extra <= 0) continue;
    MemberState& mem = e.members[m];
    const double held = ShareEnergy(mem.shares, from, from + kInterval) / kIntervalHours.value();
    DrCallRequest r;
    r.kind = std::string(DrCallKindName(e.call.kind));
    // A member holding a share has it revised (DrDesk::Revise); one without gets a call of its
    // own, issued when KPX issued the resource's (the notice of 제12.4.3.1조 ② is the
    // resource's; its desk still wants 60 minutes of it left in the window, ② 의무감축지속시간).
    r.revision = !first && held > 0;
    r.issued = r.revision ? std::nullopt : std::optional<Instant>(ToInstant(e.call.issued));
    r.start = ToInstant(from);
    r.end = ToInstant(e.call.end);
    r.requested_kw = held + extra;
    r.user = config_.user;
    SiteBackend* site = Site(mem.site_id);
    const Status st = site ? site->SubmitDrCall(r) : Status(NotFound("no site " + mem.site_id));
    if (!st) {
      e.view.notes.push_back(fmt::format("{}: {} refused {:.1f} kW: {}", Hhmm(ToTimestamp(now)), mem.site_id,
                                         r.requested_kw, st.error().message));
      if (first) {
        mem.status = "refused";
        mem.message = st.error().message;
        refused.push_back(m);
      }
      continue;
    }
    for (FleetDrShare& s : mem.shares) s.to = std::min(s.to, ToInstant(from));
    std::erase_if(mem.shares, [](const FleetDrShare& s) { return s.to <= s.from; });
    mem.shares.push_back({ToInstant(from), ToInstant(e.call.end), held + extra});
  }
  for (size_t m : refused) {
    // Its share, which it never held, goes to the others from the earliest quarter-hour they can
    // take it (Resplit), and before that it is missing.
    e.members[m].shares.push_back({ToInstant(from), ToInstant(e.call.end), split.share_kw[m][0]});
    Resplit(e, m, now);
    e.members[m].shares.clear();
  }
  return split;
}

Status FleetDr::Call(const DrCall& call, Instant now) {
  if (ToTimestamp(now) >= call.end) return InvalidInput("the DR call is over: " + FormatKst(call.end));
  // The KPX dispatch rules of the resource (notice, window, duration; calls per day, overlap), as
  // each member's desk checks its own share: a call the rules refuse is refused here, whole.
  const DrDispatchRules rules = DrDispatchRules::For(DrResourceType::kStandard);
  MEG_TRY(ValidateDrCall(call, rules, *config_.calendar));
  std::vector<DrCall> same_day{call};
  for (const ResourceCall& other : events_) {
    if (ToKst(other.call.start).date == ToKst(call.start).date) same_day.push_back(other.call);
  }
  MEG_TRY(ValidateDrCallsOfDay(same_day, rules));
  ResourceCall e;
  e.call = call;
  e.hours = TradingHours(call);
  for (const FleetDrMember& reg : config_.members) e.members.push_back({reg.site_id, &reg, {}, "ok", ""});
  e.view.kind = std::string(DrCallKindName(call.kind));
  e.view.issued = ToInstant(call.issued);
  e.view.start = ToInstant(call.start);
  e.view.end = ToInstant(call.end);
  e.view.requested_kw = call.requested.value();
  e.view.status = "split";
  std::vector<double> request(e.hours.size(), call.requested.value());
  events_.push_back(std::move(e));
  {
    std::lock_guard lock(mutex_);
    views_.push_back(events_.back().view);
  }
  ResourceCall& ev = events_.back();
  auto split = SplitAndSubmit(ev, call.start, request, config_.margin, now, /*first=*/true);
  if (!split) {
    ev.view.status = "failed";
    ev.view.notes.push_back(split.error().message);
    ev.settled = true;
    Publish(ev);
    return split.error();
  }
  Follow(ev, now);
  return Ok{};
}

void FleetDr::Resplit(ResourceCall& e, size_t failed, Instant now) {
  Timestamp from = IntervalStart(ToTimestamp(now)) + kInterval;
  // Revise cuts a member's call inside it: the earliest is a quarter-hour after the start.
  from = std::max(from, e.call.start + kInterval);
  MemberState& m = e.members[failed];
  if (from >= e.call.end) {
    e.view.notes.push_back(
        fmt::format("{}: {} {}; too late in the call to re-split", Hhmm(ToTimestamp(now)), m.site_id, m.status));
    return;
  }
  std::vector<double> request;
  bool any = false;
  for (const DrCallHour& h : e.hours) {
    if (h.hour_start + std::chrono::hours(1) <= from) continue;
    auto [a, b] = Covered(h, e.call.start);
    a = std::max(a, from);
    request.push_back(ShareEnergy(m.shares, a, b) / HoursBetween(a, b));
    any |= request.back() > 0;
  }
  // It is given up from `from` on: whatever it still reduces is a bonus.
  for (FleetDrShare& s : m.shares) s.to = std::min(s.to, ToInstant(from));
  std::erase_if(m.shares, [](const FleetDrShare& s) { return s.to <= s.from; });
  if (!any) return;
  e.view.notes.push_back(fmt::format("{}: {} {}; its {:.1f} kW re-split over the others from {}",
                                     Hhmm(ToTimestamp(now)), m.site_id, m.status,
                                     *std::max_element(request.begin(), request.end()), Hhmm(from)));
  // The failed share carried the margin already.
  auto split = SplitAndSubmit(e, from, request, 0.0, now, /*first=*/false);
  if (!split)
    e.view.notes.push_back(fmt::format("{}: re-split failed: {}", Hhmm(ToTimestamp(now)), split.error().message));
}

void FleetDr::Poll(Instant now) {
  for (ResourceCall& e : events_) {
    if (e.settled) continue;
    const Timestamp t = ToTimestamp(now);
    if (t < e.call.end) {
      for (size_t m = 0; m < e.members.size(); ++m) {
        MemberState& mem = e.members[m];
        if (mem.status != "ok" || ShareEnergy(mem.shares, t, e.call.end) <= 0) continue;
        const SiteBackend* site = Site(mem.site_id);
        const LiveValues live = site ? site->Live() : LiveValues{};
        if (site == nullptr || now - live.time > config_.offline_after) {
          mem.status = "offline";
          mem.message = "no cycle since " + FormatKst(ToTimestamp(live.time));
        } else if (live.mode == "safe") {
          mem.status = "safe";
          mem.message = live.reason;
        } else {
          continue;
        }
        Resplit(e, m, now);
      }
    }
    Follow(e, now);
    if (t >= e.call.end + kInterval) Settle(e, now);
  }
}

// The view of the event so far: each member's CBL per hour from its own DR events (the desk's
// CBL at issue; summed over the parts of a revised call), the metered quarter-hours closed so
// far, and what each delivered (its CBL over those quarter-hours less metered).
void FleetDr::Follow(ResourceCall& e, Instant now) {
  if (e.settled) return;
  const Timestamp t = ToTimestamp(now);
  FleetDrView& v = e.view;
  v.hours.assign(e.hours.size(), {});
  v.members.clear();
  v.cbl_kwh = v.metered_kwh = v.reduction_kwh = v.requested_kwh = 0;
  for (size_t h = 0; h < e.hours.size(); ++h) {
    v.hours[h].start = ToInstant(e.hours[h].hour_start);
    v.hours[h].minutes = e.hours[h].event_minutes;
    v.hours[h].requested_kwh = e.hours[h].requested.value();
    v.hours[h].target_kw = e.call.requested.value() * (1 + config_.margin);
    v.requested_kwh += v.hours[h].requested_kwh;
  }
  for (const MemberState& m : e.members) {
    FleetDrView::Member mv;
    mv.site_id = m.site_id;
    mv.status = m.status;
    mv.message = m.message;
    mv.shares = m.shares;
    mv.share_kw.assign(e.hours.size(), 0.0);
    mv.delivered_kwh.assign(e.hours.size(), 0.0);
    const SiteBackend* site = Site(m.site_id);
    std::vector<double> cbl(e.hours.size(), std::nan(""));
    if (site != nullptr) {
      for (const DrEventView& d : site->DrEvents()) {
        if (!MatchesCall(d, e.call)) continue;
        mv.desk.push_back(d.status);
        for (const DrEventView::Hour& dh : d.hours) {
          for (size_t h = 0; h < e.hours.size(); ++h) {
            if (ToTimestamp(dh.start) != e.hours[h].hour_start || !dh.cbl_kwh) continue;
            cbl[h] = (std::isnan(cbl[h]) ? 0 : cbl[h]) + *dh.cbl_kwh;
          }
        }
      }
    }
    const auto usage = site ? Usage(*site, e.call.start, e.call.end, t) : IntervalSeries<KilowattHours>();
    for (size_t h = 0; h < e.hours.size(); ++h) {
      const auto [a, b] = Covered(e.hours[h], e.call.start);
      mv.share_kw[h] = ShareEnergy(m.shares, a, b) / HoursBetween(a, b);
      v.hours[h].committed_kw += mv.share_kw[h];
      if (std::isnan(cbl[h])) continue;
      v.hours[h].cbl_kwh += cbl[h];
      v.cbl_kwh += cbl[h];
      for (Timestamp q = a; q < b; q += kInterval) {
        const auto i = usage.IndexOf(q);
        if (!i || !usage.at(*i)) continue;
        const double metered = usage.at(*i)->value();
        const double delivered = cbl[h] * 15.0 / e.hours[h].event_minutes - metered;
        mv.delivered_kwh[h] += delivered;
        v.hours[h].metered_kwh += metered;
        v.hours[h].reduction_kwh += delivered;
        v.metered_kwh += metered;
        v.reduction_kwh += delivered;
      }
    }
    v.members.push_back(std::move(mv));
  }
  for (FleetDrView::Hour& h : v.hours) {
    h.shortfall_kw = std::max(0.0, h.requested_kwh / (h.minutes / 60.0) - h.committed_kw);
    if (h.shortfall_kw < 1e-6) h.shortfall_kw = 0;
  }
  Publish(e);
}

// 별표26 on the members' meters: each member's CBL over the resource's window (its registered
// method, the resource's earlier call days excluded, 별표28 3.2), the resource's as their sum
// (SumCbl, 제12.5.2.4조 ① 1); a member without a CBL is left out (its reduction is 0, 제12.5.2.3조
// ④) and a member with a meter gap in an hour reduces 0 in it (③ 1호).
void FleetDr::Settle(ResourceCall& e, Instant now) {
  const Timestamp t = ToTimestamp(now);
  std::set<Date> earlier;
  for (const ResourceCall& other : events_) {
    if (ToKst(other.call.start).date < ToKst(e.call.start).date) earlier.insert(ToKst(other.call.start).date);
  }
  std::vector<CblResult> cbls;
  FleetDrView& v = e.view;
  for (size_t m = 0; m < e.members.size(); ++m) {
    const MemberState& mem = e.members[m];
    const SiteBackend* site = Site(mem.site_id);
    if (site == nullptr) continue;
    CblOptions options = mem.reg->cbl;
    options.excluded_days.insert(options.excluded_days.end(), earlier.begin(), earlier.end());
    auto cbl = ComputeCbl(Usage(*site, e.call.start - kCblHistory, e.call.end, t), *config_.calendar,
                          DrWindow{e.call.start, e.call.end}, options);
    if (!cbl) {
      v.notes.push_back(
          fmt::format("{}: no CBL for settlement, its reduction counts 0: {}", mem.site_id, cbl.error().message));
      continue;
    }
    std::vector<DrSettlementHourInput> inputs;
    for (size_t h = 0; h < e.hours.size() && h < cbl->hours.size(); ++h) {
      const auto [a, b] = Covered(e.hours[h], e.call.start);
      const double share = ShareEnergy(mem.shares, a, b);
      if (share <= 1e-9) continue;
      inputs.push_back(SettlementInput(cbl->hours[h], KilowattHours(share), config_.smp, config_.mgp));
    }
    if (!inputs.empty()) {
      auto st = SettleDrEvent(e.call.kind, inputs);
      if (st) {
        v.members[m].settlement = std::move(*st);
      } else {
        v.notes.push_back(fmt::format("{}: not settled: {}", mem.site_id, st.error().message));
      }
    }
    cbls.push_back(std::move(*cbl));
  }
  e.settled = true;
  v.status = "settled";
  if (cbls.empty()) {
    v.notes.push_back("no member has a CBL: the resource's reduction counts 0");
    Publish(e);
    return;
  }
  auto sum = SumCbl(cbls);
  if (!sum) {
    v.notes.push_back("resource CBL: " + sum.error().message);
    Publish(e);
    return;
  }
  std::vector<DrSettlementHourInput> inputs;
  v.cbl_kwh = v.metered_kwh = v.reduction_kwh = 0;
  for (size_t h = 0; h < sum->size() && h < e.hours.size(); ++h) {
    const ResourceCblHour& r = (*sum)[h];
    DrSettlementHourInput in;
    in.hour_start = r.hour_start;
    in.event_minutes = r.event_minutes;
    in.cbl = r.baseline;
    // A member with a gap reduces 0 (③ 1호): the resource's metered energy is its CBL less the
    // members' reductions.
    in.metered = r.baseline - r.reduction;
    in.requested = e.hours[h].requested;
    in.smp = config_.smp;
    in.mgp = config_.mgp;
    inputs.push_back(in);
    v.hours[h].cbl_kwh = r.baseline.value();
    v.hours[h].metered_kwh = (r.baseline - r.reduction).value();
    v.hours[h].reduction_kwh = r.reduction.value();
    v.cbl_kwh += r.baseline.value();
    v.metered_kwh += (r.baseline - r.reduction).value();
    v.reduction_kwh += r.reduction.value();
    if (r.customers_without_data > 0) {
      v.notes.push_back(fmt::format("{}: {} member(s) with a meter gap reduce 0 in this hour (제12.5.2.3조 ③)",
                                    Hhmm(r.hour_start), r.customers_without_data));
    }
  }
  auto settled = SettleDrEvent(e.call.kind, inputs);
  if (settled) {
    v.settlement = std::move(*settled);
  } else {
    v.notes.push_back("resource not settled: " + settled.error().message);
  }
  Publish(e);
}

void FleetDr::Publish(const ResourceCall& e) {
  std::lock_guard lock(mutex_);
  const auto k = static_cast<size_t>(&e - events_.data());
  if (k < views_.size()) views_[k] = e.view;
}

std::vector<FleetDrView> FleetDr::Views() const {
  std::lock_guard lock(mutex_);
  return views_;
}

}  // namespace meg
