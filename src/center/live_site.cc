#include "center/live_site.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <set>

#include "center/demand_history.h"
#include "center/month_bill.h"

namespace meg {

namespace {

constexpr const char* kPoints[][2] = {{"grid_kw", "kW"},     {"pv_kw", "kW"},       {"battery_kw", "kW"},
                                      {"load_kw", "kW"},     {"soc_pct", "%"},      {"demand_window_kw", "kW"},
                                      {"baseline_kw", "kW"}, {"loop_mode", "code"}, {"generator_kw", "kW"},
                                      {"thermal_kw", "kW"}};

std::string Hhmm(Timestamp t) { return FormatKst(t).substr(11, 5); }

// The schedule's reason (the planner's, with the limit that clipped this cycle's command by half a
// kW or more) as code, limit and sentence.
void ExplainSchedule(const ScheduleEntry& s, const CycleRecord& r, ScheduleView& view) {
  const bool clipped =
      r.limit != LimitStage::kNone && (std::abs(r.battery_command.value() - s.battery.value()) >= 0.5 ||
                                       r.limit == LimitStage::kExport || r.limit == LimitStage::kUntrusted);
  DecisionReason why = s.reason.value_or(DecisionReason{});
  if (!s.reason) why.battery_kw = static_cast<float>(s.battery.value());
  if (clipped) {
    why.limit = r.limit;
    why.limited_kw = static_cast<float>(r.battery_command.value());
  }
  view.reason_code = std::string(DecisionCodeName(why.code));
  view.limit = std::string(LimitStageName(why.limit));
  view.reason = RenderDecisionReason(why, IntervalStart(ToTimestamp(s.made)));
}

}  // namespace

Result<std::unique_ptr<LiveSite>> LiveSite::Open(LiveSiteConfig config, TelemetryStore& writer) {
  std::unique_ptr<LiveSite> site(new LiveSite(std::move(config), writer));
  for (const auto& [name, unit] : kPoints) {
    auto id = writer.Point(site->config_.id, name, unit);
    if (!id) return id.error();
    site->points_[name] = *id;
  }
  return site;
}

LiveSite::LiveSite(LiveSiteConfig config, TelemetryStore& writer)
    : config_(std::move(config)),
      writer_(writer),
      readers_(config_.store_path, config_.idle_readers),
      dr_(std::move(config_.dr)) {
  for (const DrCall& c : dr_.calls()) AddDrView(c);
  live_.mode = "safe";
  live_.reason = "starting";
  live_.speed = config_.speed;
  live_.contract_kw = config_.site->contract_power.value();
}

void LiveSite::AddDrView(const DrCall& c) {
  DrEventView v;
  v.kind = std::string(DrCallKindName(c.kind));
  v.issued = ToInstant(c.issued);
  v.start = ToInstant(c.start);
  v.end = ToInstant(c.end);
  v.requested_kw = c.requested.value();
  v.status = "waiting";
  for (const DrCallHour& h : TradingHours(c)) {
    DrEventView::Hour hour;
    hour.start = ToInstant(h.hour_start);
    hour.minutes = h.event_minutes;
    hour.requested_kwh = h.requested.value();
    v.hours.push_back(hour);
  }
  std::lock_guard lock(mutex_);
  dr_views_.push_back(std::move(v));
}

SiteSummary LiveSite::Summary() const { return SummaryOf(config_.id, *config_.site); }

SiteSummary SummaryOf(const std::string& id, const Site& s) {
  SiteSummary out;
  out.id = id;
  out.name = s.name;
  out.tariff = s.tariff;
  out.contract_kw = s.contract_power.value();
  out.pv_kw = PvAcRating(s).value();
  if (s.ess) {
    out.ess_kwh = s.ess->usable_kwh.value();
    out.ess_kw = s.ess->discharge_kw.value();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Control thread

void LiveSite::OnCycle(const CycleRecord& r, ControlLoop& loop) {
  Store(r);
  Publish(r, loop);
  StoreSchedule(loop, r.time);
  // Once a day of site time, old data goes by the store's retention.
  const Date day = ToKst(ToTimestamp(r.time)).date;
  if (day != retention_day_) {
    retention_day_ = day;
    Wrote("retention", writer_.ApplyRetention(r.time), r.time);
  }
  published_.notify_all();
  // A quarter-hour closed: make it durable and price the month so far.
  const Timestamp window = loop.demand().window_start();
  if (window != last_window_) {
    ratchet_kw_ = loop.demand().ratchet().value();
    if (last_window_ != Timestamp{}) UpdateBill(r.time);
    last_window_ = window;
  }
  ReportLateCars(r);
  RunCommands(loop, r.time);
  SettleDueDr(r.time);
  LogRefusals(r.time);
  TakeWeather(r.time);
  // Last, so that the store alarm covers this cycle's writes.
  UpdateAlarms(r);
}

// A car that cannot have its need by its departure, even at full power from now, is an event
// once per session: the operator may tell the driver, or give it the word (POST ev-session).
void LiveSite::ReportLateCars(const CycleRecord& r) {
  std::vector<Event> events;
  std::set<std::string> still;
  for (const CycleRecord::Ev& e : r.ev) {
    const std::string key = fmt::format("{}/{}/{}", e.session.charger, e.session.connector, e.session.transaction_id);
    if (!e.decision.late) continue;
    still.insert(key);
    if (ev_late_.count(key) != 0) continue;
    events.push_back(
        Event{r.time, config_.id, "ev-late", Severity::kWarning,
              fmt::format("charger {} connector {}: the car leaving at {} will not be full: {}", e.session.charger,
                          e.session.connector, FormatKst(ToTimestamp(e.session.departure)), e.text)});
  }
  ev_late_ = std::move(still);
  Log(events, r.time);
}

void LiveSite::TakeWeather(Instant now) {
  if (config_.weather == nullptr) return;
  std::vector<Event> events;
  for (FeedNote& n : config_.weather->TakeNotes()) {
    events.push_back(Event{now, config_.id, "weather-forecast", n.severity, std::move(n.message)});
  }
  Log(events, now);
  while (auto f = config_.weather->PeekForStore()) {
    if (!Wrote("weather forecasts", writer_.PutWeatherForecast(*f), now)) break;
    config_.weather->PopForStore();
  }
}

void LiveSite::Publish(const CycleRecord& r, const ControlLoop& loop) {
  std::lock_guard lock(mutex_);
  metrics_.cycle_seconds.Observe(std::chrono::duration<double>(r.work).count());
  if (r.plan.ran) {
    ++metrics_.plans;
    metrics_.plan_seconds.Observe(std::chrono::duration<double>(r.plan.work).count());
    metrics_.plan_failures += r.plan.failed ? 1 : 0;
    metrics_.plan_fallbacks += r.plan.fallback ? 1 : 0;
  }
  LiveValues& v = live_;
  ++v.version;
  v.battery_mode = DescribeBatteryMode(loop.battery_mode());
  v.backup_reserve_pct = loop.backup_reserve_pct();
  v.time = r.time;
  v.mode = std::string(LoopModeName(r.mode));
  v.reason = r.reason;
  v.grid_kw = r.grid.value();
  v.pv_kw = r.pv.value();
  v.battery_kw = r.battery.value();
  v.load_kw = r.load.value();
  v.soc_pct = r.soc_pct;
  v.demand_window_kw = r.window_average.value();
  v.demand_target_kw = r.demand_target.value();
  v.month_peak_kw = r.month_peak.value();
  v.battery_command_kw = r.battery_command.value();
  v.generator_kw = r.generator.value();
  v.generator_command_kw = r.generator_command.value();
  v.pv_limit_kw = r.pv_limit_command.value() >= 0 ? std::optional<double>(r.pv_limit_command.value()) : std::nullopt;
  v.devices_fresh = r.devices_fresh;
  v.devices_stale = r.devices_stale;
  v.ev.clear();
  for (const CycleRecord::Ev& e : r.ev) {
    LiveValues::EvRow row;
    row.charger = e.session.charger;
    row.connector = e.session.connector;
    row.transaction = e.session.transaction_id;
    row.power_kw = e.session.power.value();
    row.need_kwh = e.session.need.value();
    row.delivered_kwh = e.session.delivered.value();
    if (e.decision.limit) row.limit_kw = e.decision.limit->value();
    row.departure = e.session.departure;
    row.connected = e.session.connected;
    row.follows_limit = e.session.follows_limit;
    row.reason_code = std::string(EvShareReasonName(e.decision.why));
    row.late = e.decision.late;
    row.reason = e.text;
    v.ev.push_back(std::move(row));
  }
  v.chargers.clear();
  for (const EvChargerState& c : r.chargers) {
    v.chargers.push_back(LiveValues::ChargerRow{c.id, c.connected, c.connector_status});
  }
  v.ev_kw = r.ev_power.value();
  v.ev_accepting = r.ev_accepting;
  if (loop.override_battery() && loop.override_until() > r.time) {
    v.override_battery_kw = loop.override_battery()->value();
    v.override_until = loop.override_until();
  } else {
    v.override_battery_kw.reset();
    v.override_until.reset();
  }
  if (const auto& s = loop.schedule()) {
    schedule_ = ScheduleView{true,
                             s->made,
                             s->source,
                             s->battery.value(),
                             s->pv_limit.value() >= 0 ? std::optional<double>(s->pv_limit.value()) : std::nullopt,
                             s->planned_grid.value()};
    ExplainSchedule(*s, r, schedule_);
  }
}

// A new schedule is kept in the store too.
void LiveSite::StoreSchedule(const ControlLoop& loop, Instant now) {
  const auto& s = loop.schedule();
  if (!s || s->made == last_schedule_made_) return;
  last_schedule_made_ = s->made;
  const StoredSchedule stored{
      config_.id, s->made,
      fmt::format(
          R"({{"source":"{}","battery_kw":{:.3f},"generator_kw":{:.3f},"pv_limit_kw":{},"planned_grid_kw":{:.3f},)"
          R"("reason_code":"{}","reason":"{}"}})",
          s->source, s->battery.value(), s->generator.value(),
          s->pv_limit.value() >= 0 ? fmt::format("{:.3f}", s->pv_limit.value()) : "null", s->planned_grid.value(),
          s->reason ? DecisionCodeName(s->reason->code) : "",
          // The sentence holds no quote or backslash (control/decision_reason.cc).
          s->reason ? RenderDecisionReason(*s->reason, IntervalStart(ToTimestamp(s->made))) : "")};
  if (Wrote("schedule", writer_.PutSchedule(stored), now) && config_.uplink != nullptr) {
    config_.uplink->OfferSchedule(stored);
  }
}

void LiveSite::Store(const CycleRecord& r) {
  // The same load and PV with the battery idle, the generator stopped and the cold store idle (the
  // load counts the electricity the store saved or cost, as the meter would without it).
  const double baseline = r.load.value() - r.pv.value();
  // loop_mode: 0 normal, 1 local, 2 safe (LoopMode), so that the fleet center sees the state.
  const double values[] = {r.grid.value(),
                           r.pv.value(),
                           r.battery.value(),
                           r.load.value(),
                           r.soc_pct,
                           r.window_average.value(),
                           baseline,
                           static_cast<double>(static_cast<int>(r.mode)),
                           r.generator.value(),
                           r.thermal_electric.value()};
  static_assert(std::size(values) == std::size(kPoints));
  std::vector<Sample> samples;
  for (size_t i = 0; i < std::size(kPoints); ++i) {
    const auto it = points_.find(kPoints[i][0]);
    if (it == points_.end()) continue;
    const bool good = std::isfinite(values[i]);
    samples.push_back(Sample{it->second, r.time, good ? values[i] : std::numeric_limits<double>::quiet_NaN(),
                             good ? SampleQuality::kGood : SampleQuality::kBad});
  }
  // A refused flush keeps the store's buffer for the next one; the alarm stays until one succeeds.
  const Status appended = writer_.Append(samples);
  Wrote("samples", appended, r.time);
  // Offered unless the store refused them as invalid: a failed flush keeps them in the store's
  // buffer, so they are the site's record, and an uplink that skipped them would acknowledge past
  // them (its cursor) and never send them.
  if (config_.uplink != nullptr && (appended || appended.error().code != ErrorCode::kInvalidInput)) {
    config_.uplink->OfferSamples(samples);
  }
}

bool LiveSite::Wrote(std::string_view what, const Status& status, Instant now) {
  if (!status) {
    std::lock_guard lock(mutex_);
    ++metrics_.store_write_failures;
  }
  const StoreWriteAlarm::Change change = store_alarm_.Record(what, status, now);
  if (change == StoreWriteAlarm::Change::kNone) return static_cast<bool>(status);
  // The refusal of events itself cannot be an event: the store alarm shows it.
  if (change == StoreWriteAlarm::Change::kFailed && what == "events") return false;
  const Event e = change == StoreWriteAlarm::Change::kFailed
                      ? Event{now, config_.id, "store", Severity::kWarning,
                              fmt::format("the store refused {}: {}", what, status.error().message)}
                      : Event{now, config_.id, "store", Severity::kInfo, fmt::format("the store takes {} again", what)};
  // Recorded without a further event, so that a refusal here cannot recurse.
  const Status logged = writer_.AppendEvents({&e, 1});
  store_alarm_.Record("events", logged, now);
  if (logged && config_.uplink != nullptr) config_.uplink->OfferEvents({&e, 1});
  return static_cast<bool>(status);
}

void LiveSite::Log(const std::vector<Event>& events, Instant now) {
  if (events.empty()) return;
  if (Wrote("events", writer_.AppendEvents(events), now) && config_.uplink != nullptr) {
    config_.uplink->OfferEvents(events);
  }
}

void LiveSite::UpdateAlarms(const CycleRecord& r) {
  // Two passes at most: when the events of the first pass's changes are refused, the store
  // alarm is raised at once (its own event is then refused too, and only counted).
  for (int pass = 0; pass < 2; ++pass) {
    std::map<std::string, AlarmView> active = CycleAlarms(r, config_.thresholds);
    const std::optional<AlarmView> store = store_alarm_.Alarm();
    if (store) active[store->kind] = *store;
    std::vector<AlarmChange> changes;
    {
      std::lock_guard lock(mutex_);
      changes = alarms_.Update(active, r.time);
    }
    std::vector<Event> events;
    for (const AlarmChange& c : changes) {
      events.push_back(AlarmEvent(c, config_.id));
      if (config_.on_alarm) config_.on_alarm(c.alarm, c.raised);
    }
    Log(events, r.time);
    if (store.has_value() == store_alarm_.Alarm().has_value()) return;
  }
}

// Month to date from the store's quarter-hour rollups of grid_kw (with OpenMEG) and baseline_kw
// (battery idle), priced by center/month_bill.h.
void LiveSite::UpdateBill(Instant now) {
  if (const Status flushed = writer_.Flush(); !Wrote("flush", flushed, now)) {
    std::lock_guard lock(mutex_);
    bill_error_ = "the store refused a flush: " + flushed.error().message;
    return;
  }
  const MonthToDate range = MonthToDateOf(now);
  auto with = writer_.Query(points_.at("grid_kw"), range.month_start, range.closed, Resolution::kQuarter);
  auto without = writer_.Query(points_.at("baseline_kw"), range.month_start, range.closed, Resolution::kQuarter);
  const MonthBillTerms terms{config_.book, config_.calendar, config_.tariff, config_.site->contract_power};
  Result<BillView> bill = !with      ? Result<BillView>(with.error())
                          : !without ? Result<BillView>(without.error())
                                     : MonthToDateBill(terms, *with, *without, now);
  if (!bill) {
    std::lock_guard lock(mutex_);
    bill_error_ = bill.error().message;
    return;
  }
  bill->ratchet_kw = ratchet_kw_;
  // The generator's fuel less its heat, on its metered output this month (a quarter-hour's mean
  // output x 0.25 h each).
  if (config_.site->generator) {
    auto generated = writer_.Query(points_.at("generator_kw"), range.month_start, range.closed, Resolution::kQuarter);
    if (!generated) {
      std::lock_guard lock(mutex_);
      bill_error_ = generated.error().message;
      return;
    }
    double kwh = 0;
    for (const Bucket& b : *generated) {
      if (b.count > 0 && std::isfinite(b.mean)) kwh += std::max(0.0, b.mean) * 0.25;
    }
    bill->generator_krw = std::llround(kwh * GeneratorKrwPerKwh(*config_.site->generator));
  }
  const StoredBill stored{
      config_.id, range.month,
      fmt::format(
          R"({{"through":"{}","with_openmeg_krw":{},"without_openmeg_krw":{},"generator_krw":{},"peak_kw":{:.1f},"billing_demand_kw":{:.0f},"ratchet_kw":{:.1f},"energy_kwh":{:.1f}}})",
          FormatKst(ToTimestamp(range.closed)), bill->with_openmeg_krw, bill->without_openmeg_krw, bill->generator_krw,
          bill->peak_kw, bill->billing_demand_kw, bill->ratchet_kw, bill->energy_kwh)};
  if (Wrote("bill", writer_.PutBill(stored), now) && config_.uplink != nullptr) config_.uplink->OfferBill(stored);
  std::lock_guard lock(mutex_);
  bill_ = std::move(*bill);
}

Result<PowerSeries> LiveSite::MeteredGrid(Timestamp from, Timestamp to, Instant now) {
  if (const Status flushed = writer_.Flush(); !Wrote("flush", flushed, now)) return flushed.error();
  if (to <= from) return PowerSeries(from, kInterval, {});
  auto buckets = writer_.Query(points_.at("grid_kw"), ToInstant(from), ToInstant(to), Resolution::kQuarter);
  if (!buckets) return buckets.error();
  std::vector<std::optional<Kilowatts>> v(static_cast<size_t>((to - from) / kInterval));
  for (const Bucket& b : *buckets) {
    const auto i = static_cast<size_t>((ToTimestamp(b.start) - from) / kInterval);
    if (i < v.size() && b.count > 0) v[i] = Kilowatts(b.mean);
  }
  return PowerSeries(from, kInterval, std::move(v));
}

// DR calls (market/dr_desk.h): at the issue time, the CBL of what the store has metered becomes
// the loop's commitments (audited by the loop); once the event's last quarter-hour is in the
// store, the call is settled on it. Each step is an event for the operator.
void LiveSite::BeforeCycle(Instant now, ControlLoop& loop) {
  for (size_t k : dr_.DueForIssue(ToTimestamp(now))) IssueDr(k, loop, now);
}

void LiveSite::SettleDueDr(Instant now) {
  for (size_t k : dr_.DueForSettlement(ToTimestamp(now))) SettleDr(k, now);
}

Result<std::vector<DrCommitment>> LiveSite::PlanDrCall(size_t k, ControlLoop& loop, Instant now) {
  const DrCall& call = dr_.calls()[k];
  const Timestamp t = ToTimestamp(now);
  auto metered = MeteredGrid(IntervalStart(call.start - kCblHistory), IntervalStart(t), now);
  if (!metered) {
    dr_.MarkNotIssued(k, "the store's meter could not be read: " + metered.error().message);
    return metered.error();
  }
  MEG_TRY_ASSIGN(commitments, dr_.Issue(k, *metered, t, *config_.calendar));  // the desk notes a failure
  if (Status added = loop.AddDrCommitments(commitments, now, "dr:" + call.resource_id); !added) {
    dr_.MarkNotIssued(k, "the loop refused its commitments: " + added.error().message);
    return added.error();
  }
  return commitments;
}

void LiveSite::IssueDr(size_t k, ControlLoop& loop, Instant now) {
  const auto planned = PlanDrCall(k, loop, now);
  const DrCall& call = dr_.calls()[k];
  std::string message;
  {
    std::lock_guard lock(mutex_);
    DrEventView& v = dr_views_[k];
    if (planned) {
      v.status = "planned";
      for (size_t h = 0; h < planned->size() && h < v.hours.size(); ++h) {
        const DrCommitment& c = (*planned)[h];
        v.hours[h].import_cap_kw = c.import_cap.value();
        v.hours[h].cbl_kwh = (c.import_cap.value() + call.requested.value()) * v.hours[h].minutes / 60.0;
      }
      message = fmt::format("DR call {} {:.0f} kW {} to {}: planned, import capped at {:.0f} kW", v.kind,
                            v.requested_kw, FormatKst(call.start), Hhmm(call.end), planned->front().import_cap.value());
    } else {
      v.status = "no_cbl";
      message = fmt::format("DR call {} to {}: not planned: {}", FormatKst(call.start), Hhmm(call.end),
                            planned.error().message);
    }
    v.message = message;
  }
  Log({Event{now, config_.id, "dr", planned ? Severity::kInfo : Severity::kWarning, message}}, now);
}

// Settled once the quarter-hour after the end has begun (the event's last one is then closed).
void LiveSite::SettleDr(size_t k, Instant now) {
  const DrCall call = dr_.calls()[k];
  auto metered = MeteredGrid(IntervalStart(call.start - kCblHistory), call.end, now);
  if (!metered) dr_.MarkNotSettled(k, "the store's meter could not be read: " + metered.error().message);
  const Result<DrCallOutcome> outcome =
      metered ? dr_.Settle(k, *metered, *config_.calendar) : Result<DrCallOutcome>(metered.error());
  std::string message;
  {
    std::lock_guard lock(mutex_);
    DrEventView& v = dr_views_[k];
    if (outcome) {
      const DrEventSettlement& st = outcome->settlement;
      v.status = "settled";
      for (size_t h = 0; h < v.hours.size() && h < st.hours.size(); ++h) {
        if (h < outcome->cbl.hours.size()) {
          v.hours[h].cbl_kwh = outcome->cbl.hours[h].baseline.value();
          if (outcome->cbl.hours[h].actual) v.hours[h].metered_kwh = outcome->cbl.hours[h].actual->value();
        }
        v.hours[h].reduction_kwh = st.hours[h].measured.value();
        v.hours[h].payment_krw = static_cast<double>(st.hours[h].energy_payment.value());
      }
      v.performance_pct = st.performance * 100;
      v.energy_payment_krw = static_cast<double>(st.energy_payment.value());
      message = fmt::format("DR call {} settled: {:.1f} of {:.1f} kWh reduced ({:.0f} %), energy payment {} KRW",
                            FormatKst(call.start), st.measured.value(), st.requested.value(), st.performance * 100,
                            st.energy_payment.value());
      for (const std::string& n : st.notes) message += "; " + n;
    } else {
      message = fmt::format("DR call {}: not settled: {}", FormatKst(call.start), outcome.error().message);
    }
    v.message = message;
  }
  Log({Event{now, config_.id, "dr", outcome ? Severity::kInfo : Severity::kWarning, message}}, now);
}

// A DR call from the API, checked by the dispatch rules of a 표준DR resource (제12.4.3.1조), alone
// and with the calls of its day already held; `issued` defaults to the site's time now.
Status LiveSite::TakeDrCall(const DrCallRequest& r, Instant now, ControlLoop& loop) {
  if (r.revision) return ReviseDrCall(r, now, loop);
  MEG_TRY_ASSIGN(kind, ParseDrCallKind(r.kind));
  DrCall call{kind,
              "api:" + r.user,
              ToTimestamp(r.issued.value_or(now)),
              ToTimestamp(r.start),
              ToTimestamp(r.end),
              Kilowatts(r.requested_kw)};
  MEG_TRY_ASSIGN(k, dr_.Add(call, DrDispatchRules::For(DrResourceType::kStandard), *config_.calendar));
  AddDrView(dr_.calls()[k]);
  Log({Event{now, config_.id, "dr", Severity::kInfo,
             fmt::format("{}: DR call {} {:.0f} kW {} to {} received", r.user, DrCallKindName(call.kind),
                         call.requested.value(), FormatKst(call.start), Hhmm(call.end))}},
      now);
  return Ok{};
}

// A revision of the site's share (DrDesk::Revise): the call of that kind held over `start` and
// ending at `end` (the latest such) is cut at `start`; its commitments from there are withdrawn
// from the loop, and the continuation is issued in the next cycle (BeforeCycle).
Status LiveSite::ReviseDrCall(const DrCallRequest& r, Instant now, ControlLoop& loop) {
  MEG_TRY_ASSIGN(kind, ParseDrCallKind(r.kind));
  const Timestamp from = ToTimestamp(r.start), end = ToTimestamp(r.end);
  std::optional<size_t> held;
  for (size_t k = 0; k < dr_.calls().size(); ++k) {
    const DrCall& c = dr_.calls()[k];
    const bool open = dr_.state(k) == DrCallState::kWaiting || dr_.state(k) == DrCallState::kIssued;
    if (open && c.kind == kind && c.start < from && from < c.end && c.end == end) held = k;
  }
  if (!held) {
    return InvalidInput(fmt::format("no open {} DR call over {} ending at {} to revise", DrCallKindName(kind),
                                    FormatKst(from), FormatKst(end)));
  }
  const bool issued = dr_.state(*held) == DrCallState::kIssued;
  if (issued) MEG_TRY(loop.WithdrawDrCommitments(from, end, now, "dr:" + r.user));
  MEG_TRY_ASSIGN(k, dr_.Revise(*held, from, Kilowatts(r.requested_kw), ToTimestamp(now)));
  {
    std::lock_guard lock(mutex_);
    DrEventView& v = dr_views_[*held];
    v.end = r.start;
    std::vector<DrEventView::Hour> hours;
    for (DrEventView::Hour h : v.hours) {
      if (h.start >= r.start) continue;
      const auto covered = std::chrono::duration_cast<std::chrono::minutes>(r.start - std::max(h.start, v.start));
      if (covered.count() < h.minutes) {
        h.requested_kwh *= static_cast<double>(covered.count()) / h.minutes;
        if (h.cbl_kwh) *h.cbl_kwh *= static_cast<double>(covered.count()) / h.minutes;
        h.minutes = static_cast<int>(covered.count());
      }
      hours.push_back(h);
    }
    v.hours = std::move(hours);
  }
  AddDrView(dr_.calls()[k]);
  Log({Event{now, config_.id, "dr", Severity::kInfo,
             fmt::format("{}: DR call {} revised to {:.0f} kW from {} to {}", r.user,
                         FormatKst(dr_.calls()[*held].start), r.requested_kw, Hhmm(from), Hhmm(end))}},
      now);
  return Ok{};
}

Status LiveSite::SeedHistory(const PowerSeries& load, const PowerSeries& pv, Timestamp from, Timestamp to) {
  // Quarter-hours the store has metered already (a restart on the same store) keep their data.
  if (auto st = writer_.Flush(); !st) return st;
  auto metered = writer_.Query(points_.at("grid_kw"), ToInstant(from), ToInstant(to), Resolution::kQuarter);
  if (!metered) return metered.error();
  std::set<Instant> have;
  for (const Bucket& b : *metered) {
    if (b.count > 0) have.insert(b.start);
  }
  std::vector<Sample> samples;
  int quarters = 0;
  for (Timestamp t = IntervalStart(from); t < to; t += std::chrono::seconds(kInterval)) {
    if (have.contains(ToInstant(t))) continue;
    const auto i = load.IndexOf(t);
    const auto j = pv.IndexOf(t);
    if (!i || !j || !load.at(*i) || !pv.at(*j)) continue;
    const double l = load.at(*i)->value(), p = pv.at(*j)->value();
    const std::pair<const char*, double> values[] = {{"grid_kw", l - p}, {"pv_kw", p},           {"battery_kw", 0},
                                                     {"load_kw", l},     {"baseline_kw", l - p}, {"generator_kw", 0},
                                                     {"thermal_kw", 0}};
    for (const auto& [name, value] : values) samples.push_back(Sample{points_.at(name), ToInstant(t), value});
    ++quarters;
  }
  if (auto st = writer_.Append(samples); !st) return st;
  if (auto st = writer_.Flush(); !st) return st;
  const Event e{ToInstant(to), config_.id, "history", Severity::kInfo,
                fmt::format("the site twin's {} quarter-hours from {} were stored as meter history (battery idle)",
                            quarters, FormatKst(from))};
  if (auto st = writer_.AppendEvents({&e, 1}); !st) return st;
  UpdateBill(ToInstant(to));  // the month to date is known before the first quarter-hour closes
  return Ok{};
}

Result<std::vector<std::pair<Month, double>>> LiveSite::RecordedPeaks(Timestamp before) {
  if (auto st = writer_.Flush(); !st) return st.error();
  const Timestamp from = StartOfKstMonth(KstMonthOf(before) - std::chrono::months{12});
  auto quarters = writer_.Query(points_.at("grid_kw"), ToInstant(from), ToInstant(before), Resolution::kQuarter);
  if (!quarters) return quarters.error();
  return MeteredMonthPeaks(*quarters, *config_.book, *config_.calendar, config_.tariff);
}

void LiveSite::RunCommands(ControlLoop& loop, Instant now) {
  // Taken under the lock, in one step with the server threads' withdrawals: a withdrawn one was
  // answered "not carried out" and is dropped; every one taken here is carried out and answered.
  std::vector<std::shared_ptr<Pending>> todo;
  {
    std::lock_guard lock(mutex_);
    for (std::shared_ptr<Pending>& p : pending_) {
      if (p->state != Pending::State::kPending) continue;
      p->state = Pending::State::kTaken;
      todo.push_back(std::move(p));
    }
    pending_.clear();
  }
  for (const std::shared_ptr<Pending>& p : todo) {
    if (const auto* c = std::get_if<OperatorCommand>(&p->work)) {
      p->done.set_value(RunCommand(loop, *c, now));
    } else {
      p->done.set_value(TakeDrCall(std::get<DrCallRequest>(p->work), now, loop));
    }
  }
}

Status LiveSite::RunCommand(ControlLoop& loop, const OperatorCommand& c, Instant now) {
  Status st = Ok{};
  switch (c.kind) {
    case OperatorCommand::Kind::kSetpoint:
      st = loop.SetManualOverride(Kilowatts(c.battery_kw), now,
                                  now + std::chrono::duration_cast<Millis>(
                                            std::chrono::duration<double, std::ratio<60>>(c.minutes)),
                                  c.user);
      break;
    case OperatorCommand::Kind::kAuto: st = loop.SetManualOverride(std::nullopt, now, now, c.user); break;
    case OperatorCommand::Kind::kSchedule:
      st = loop.SetSchedule(ScheduleEntry{now, Kilowatts(c.battery_kw), Kilowatts(-1), Kilowatts(0),
                                          "operator:" + c.user},
                            c.user);
      break;
    case OperatorCommand::Kind::kEvSession:
      st = loop.SetEvSessionNeed(c.charger, c.connector, KilowattHours(c.energy_kwh), c.departure, now, c.user);
      break;
    case OperatorCommand::Kind::kEvCharger: {
      const auto call = ParseEvChargerCall(c.action);
      st = call ? loop.CallCharger(c.charger, c.connector, *call, c.id_tag, now, c.user)
                : Status(InvalidInput(fmt::format("charger call '{}' is not known", c.action)));
      break;
    }
    case OperatorCommand::Kind::kBatteryMode: {
      auto kind = ParseBatteryModeKind(c.mode);
      if (!kind) {
        st = kind.error();
        break;
      }
      BatteryMode mode;
      mode.kind = *kind;
      mode.from = c.from == Instant{} ? now : c.from;
      mode.until = c.until;
      mode.soc_pct = c.soc_pct;
      mode.power = Kilowatts(c.battery_kw);
      st = loop.SetBatteryMode(mode, now, c.user);
      break;
    }
    case OperatorCommand::Kind::kBackupReserve: st = loop.SetBackupReserve(c.soc_pct, now, c.user); break;
  }
  if (!st) return st;
  std::string what;
  switch (c.kind) {
    case OperatorCommand::Kind::kSetpoint:
      what = fmt::format("battery {:.1f} kW for {:.0f} min", c.battery_kw, c.minutes);
      break;
    case OperatorCommand::Kind::kAuto: what = "back to automatic control"; break;
    case OperatorCommand::Kind::kSchedule: what = fmt::format("schedule {:.1f} kW", c.battery_kw); break;
    case OperatorCommand::Kind::kEvSession:
      what = fmt::format("charger {} connector {}: {:.1f} kWh by {}", c.charger, c.connector, c.energy_kwh,
                         FormatKst(ToTimestamp(c.departure)));
      break;
    case OperatorCommand::Kind::kEvCharger:
      what = fmt::format("charger {} connector {}: {}", c.charger, c.connector, c.action);
      break;
    case OperatorCommand::Kind::kBatteryMode: what = "battery mode " + DescribeBatteryMode(loop.battery_mode()); break;
    case OperatorCommand::Kind::kBackupReserve:
      what = c.soc_pct == 0 ? std::string("no backup reserve") : fmt::format("backup reserve {:g} %", c.soc_pct);
      break;
  }
  Log({Event{now, config_.id, "command", Severity::kInfo, fmt::format("{}: {}", c.user, what)}}, now);
  return st;
}

// ---------------------------------------------------------------------------------------------
// Server threads

LiveValues LiveSite::Live() const {
  std::lock_guard lock(mutex_);
  return live_;
}

std::optional<SiteMetrics> LiveSite::Metrics() const {
  SiteMetrics m;
  {
    std::lock_guard lock(mutex_);
    m = metrics_;
  }
  if (config_.weather != nullptr) {
    const WeatherFeedStatus w = config_.weather->Health();
    m.weather_fetches = static_cast<std::uint64_t>(w.fetched);
    m.weather_fetch_failures = static_cast<std::uint64_t>(w.failed);
  }
  return m;
}

LiveValues LiveSite::WaitForNewer(std::uint64_t version, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  published_.wait_for(lock, timeout, [&] { return live_.version > version; });
  return live_;
}

std::vector<std::string> LiveSite::Points() const {
  std::vector<std::string> out;
  for (const auto& [name, id] : points_) out.push_back(name);
  return out;
}

Result<std::vector<Bucket>> LiveSite::Telemetry(const std::string& point, Instant from, Instant to,
                                                Resolution resolution) const {
  const auto it = points_.find(point);
  if (it == points_.end()) {
    std::string known;
    for (const auto& [name, id] : points_) known += (known.empty() ? "" : ", ") + name;
    return NotFound(fmt::format("no point '{}' (known: {})", point, known));
  }
  MEG_TRY_ASSIGN(reader, readers_.Acquire());
  return reader.store().Query(it->second, from, to, resolution);
}

ScheduleView LiveSite::Schedule() const {
  std::lock_guard lock(mutex_);
  return schedule_;
}

Result<ForecastView> LiveSite::Forecast() const {
  const LiveForecastSource source{config_.planned, config_.planned_method, config_.history_load, config_.history_pv};
  const QuarterHourReader read = [this](std::string_view point, Instant from,
                                        Instant to) -> Result<std::vector<Bucket>> {
    MEG_TRY_ASSIGN(reader, readers_.Acquire());
    return reader.store().Query(points_.at(std::string(point)), from, to, Resolution::kQuarter);
  };
  auto view = LiveForecast(source, read, Live().time);
  if (!view || config_.weather == nullptr || config_.site->pv.empty() || view->intervals.empty()) return view;
  // The PV of the forecast view on the live weather forecast (or its fallback), where it has one.
  const Timestamp from = ToTimestamp(view->intervals.front().start);
  const Timestamp to = ToTimestamp(view->intervals.back().start) + kInterval;
  auto pv = config_.weather->Pv(from, to);
  if (!pv) {
    view->method += "; PV not from the weather forecast: " + pv.error().message;
    return view;
  }
  if (pv->forecast_hours == 0 && pv->file_hours == 0) return view;
  for (ForecastView::Interval& iv : view->intervals) {
    const auto i = pv->pv.IndexOf(ToTimestamp(iv.start));
    if (i && pv->pv.at(*i)) iv.pv_kw = pv->pv.at(*i)->value();
  }
  view->method += "; PV from the PV model on " + pv->basis;
  return view;
}

Result<BillView> LiveSite::Bill() const {
  std::lock_guard lock(mutex_);
  if (!bill_) return NotFound("no bill yet: " + bill_error_);
  return *bill_;
}

Result<std::vector<Event>> LiveSite::Events(int limit) const {
  MEG_TRY_ASSIGN(reader, readers_.Acquire());
  const Instant now = Live().time;
  auto events = reader.store().Events(config_.id, now - std::chrono::hours(24 * 31), now + std::chrono::hours(1));
  if (!events) return events.error();
  std::reverse(events->begin(), events->end());
  if (events->size() > static_cast<size_t>(limit)) events->resize(static_cast<size_t>(limit));
  return events;
}

std::vector<AlarmView> LiveSite::Alarms() const {
  std::lock_guard lock(mutex_);
  return alarms_.Active();
}

Result<std::vector<AuditView>> LiveSite::Audit(int limit) const {
  MEG_TRY_ASSIGN(reader, readers_.Acquire());
  auto records = reader.store().NewestAudit(static_cast<size_t>(limit));
  if (!records) return records.error();
  std::vector<AuditView> out;
  for (const auto& r : *records) out.push_back(AuditView{r.seq, r.record});
  return out;
}

Status LiveSite::Command(const OperatorCommand& command) { return HandToControlThread(command, "the command"); }

Status LiveSite::SubmitDrCall(const DrCallRequest& call) { return HandToControlThread(call, "the DR call"); }

void LiveSite::NoteRefusal(const std::string& message) {
  std::lock_guard lock(mutex_);
  if (refusals_.size() < 1000) {
    refusals_.push_back(message);
  } else {
    ++refusals_dropped_;
  }
}

void LiveSite::LogRefusals(Instant now) {
  std::vector<Event> events;
  {
    std::lock_guard lock(mutex_);
    for (auto& m : refusals_) events.push_back(Event{now, config_.id, "access", Severity::kWarning, std::move(m)});
    if (refusals_dropped_ > 0) {
      events.push_back(
          Event{now, config_.id, "access", Severity::kWarning,
                fmt::format("{} more refused requests in one cycle were not recorded", refusals_dropped_)});
    }
    refusals_.clear();
    refusals_dropped_ = 0;
  }
  Log(events, now);
}

std::vector<DrEventView> LiveSite::DrEvents() const {
  std::lock_guard lock(mutex_);
  return dr_views_;
}

Status LiveSite::HandToControlThread(std::variant<OperatorCommand, DrCallRequest> work, std::string_view what) {
  auto pending = std::make_shared<Pending>();
  pending->work = std::move(work);
  std::future<Status> done = pending->done.get_future();
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(pending);
  }
  if (done.wait_for(config_.command_wait) != std::future_status::ready) {
    {
      std::lock_guard lock(mutex_);
      if (pending->state == Pending::State::kPending) {
        pending->state = Pending::State::kWithdrawn;
        std::erase(pending_, pending);  // gone at once: a stalled loop does not pile up withdrawn work
        return IoError(
            fmt::format("the control loop did not take {} within {} ms; it was withdrawn and will not be "
                        "carried out",
                        what, config_.command_wait.count()));
      }
    }
    // Taken: the control thread is carrying it out now; its verdict is the answer.
  }
  return done.get();
}

}  // namespace meg
