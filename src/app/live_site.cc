#include "app/live_site.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "tariff/bill.h"
#include "tariff/tou.h"

namespace meg {

namespace {

constexpr const char* kPoints[][2] = {{"grid_kw", "kW"},     {"pv_kw", "kW"},   {"battery_kw", "kW"},
                                      {"load_kw", "kW"},     {"soc_pct", "%"}, {"demand_window_kw", "kW"},
                                      {"baseline_kw", "kW"}};

}  // namespace

Result<ThresholdAlarm> ParseThresholdAlarm(const std::string& text) {
  const auto op = text.find_first_of("<>");
  ThresholdAlarm a;
  a.text = text;
  const std::string usage =
      fmt::format("--alarm '{}': expected POINT<VALUE or POINT>VALUE, e.g. soc_pct<15 or grid_kw>1600 (points: "
                  "grid_kw, pv_kw, battery_kw, load_kw, soc_pct, demand_window_kw)",
                  text);
  if (op == std::string::npos || op == 0) return InvalidInput(usage);
  a.point = text.substr(0, op);
  a.above = text[op] == '>';
  static const char* kKnown[] = {"grid_kw", "pv_kw", "battery_kw", "load_kw", "soc_pct", "demand_window_kw"};
  if (std::find(std::begin(kKnown), std::end(kKnown), a.point) == std::end(kKnown)) return InvalidInput(usage);
  const std::string number = text.substr(op + 1);
  char* end = nullptr;
  a.value = std::strtod(number.c_str(), &end);
  if (number.empty() || end == nullptr || *end != '\0' || !std::isfinite(a.value)) return InvalidInput(usage);
  return a;
}

Result<std::unique_ptr<LiveSite>> LiveSite::Open(LiveSiteConfig config, TelemetryStore& writer) {
  std::unique_ptr<LiveSite> site(new LiveSite(std::move(config), writer));
  for (const auto& [name, unit] : kPoints) {
    auto id = writer.Point(site->config_.id, name, unit);
    if (!id) return id.error();
    site->points_[name] = *id;
  }
  return site;
}

LiveSite::LiveSite(LiveSiteConfig config, TelemetryStore& writer) : config_(std::move(config)), writer_(writer) {
  for (const DrCall& c : config_.dr.calls) AddDrView(c);
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

SiteSummary LiveSite::Summary() const {
  const Site& s = *config_.site;
  SiteSummary out;
  out.id = config_.id;
  out.name = s.name;
  out.tariff = s.tariff;
  out.contract_kw = s.contract_power.value();
  for (const auto& a : s.pv) out.pv_kw += a.inverter_kw.value();
  if (s.ess) {
    out.ess_kwh = s.ess->usable_kwh.value();
    out.ess_kw = s.ess->discharge_kw.value();
  }
  return out;
}

void LiveSite::OnCycle(const CycleRecord& r, ControlLoop& loop) {
  Store(r);
  UpdateAlarms(r);
  {
    std::lock_guard lock(mutex_);
    LiveValues& v = live_;
    ++v.version;
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
    v.pv_limit_kw = r.pv_limit_command.value() >= 0 ? std::optional<double>(r.pv_limit_command.value()) : std::nullopt;
    v.devices_fresh = r.devices_fresh;
    v.devices_stale = r.devices_stale;
    if (loop.override_battery() && loop.override_until() > r.time) {
      v.override_battery_kw = loop.override_battery()->value();
      v.override_until = loop.override_until();
    } else {
      v.override_battery_kw.reset();
      v.override_until.reset();
    }
    if (const auto& s = loop.schedule()) {
      schedule_ = ScheduleView{true, s->made, s->source, s->battery.value(),
                               s->pv_limit.value() >= 0 ? std::optional<double>(s->pv_limit.value()) : std::nullopt,
                               s->planned_grid.value()};
    }
  }
  // A new schedule is kept in the store too.
  if (const auto& s = loop.schedule(); s && s->made != last_schedule_made_) {
    last_schedule_made_ = s->made;
    (void)writer_.PutSchedule(StoredSchedule{
        config_.id, s->made,
        fmt::format(R"({{"source":"{}","battery_kw":{:.3f},"pv_limit_kw":{},"planned_grid_kw":{:.3f}}})", s->source,
                    s->battery.value(), s->pv_limit.value() >= 0 ? fmt::format("{:.3f}", s->pv_limit.value()) : "null",
                    s->planned_grid.value())});
  }
  // Once a day of site time, old data goes by the store's retention.
  const Date day = ToKst(ToTimestamp(r.time)).date;
  if (day != retention_day_) {
    retention_day_ = day;
    (void)writer_.ApplyRetention(r.time);
  }
  published_.notify_all();
  // A quarter-hour closed: make it durable and price the month so far.
  const Timestamp window = loop.demand().window_start();
  if (window != last_window_) {
    if (last_window_ != Timestamp{}) UpdateBill(r.time);
    last_window_ = window;
  }
  RunCommands(loop, r.time);
  UpdateDr(loop, r.time);
}

Result<PowerSeries> LiveSite::MeteredGrid(Timestamp from, Timestamp to) {
  if (auto st = writer_.Flush(); !st) return st.error();
  auto buckets = writer_.Query(points_.at("grid_kw"), ToInstant(from), ToInstant(to), Resolution::kQuarter);
  if (!buckets) return buckets.error();
  std::vector<std::optional<Kilowatts>> v(static_cast<size_t>((to - from) / kInterval));
  for (const Bucket& b : *buckets) {
    const auto i = static_cast<size_t>((ToTimestamp(b.start) - from) / kInterval);
    if (i < v.size() && b.count > 0) v[i] = Kilowatts(b.mean);
  }
  return PowerSeries(from, kInterval, std::move(v));
}

// DR calls: at the issue time, the CBL of what the store has metered becomes the loop's
// commitments (audited by the loop); once the event's last quarter-hour is in the store, the call
// is settled on it. Each step is an event for the operator.
void LiveSite::UpdateDr(ControlLoop& loop, Instant now) {
  const Timestamp t = ToTimestamp(now);
  dr_state_.resize(config_.dr.calls.size(), 0);
  for (size_t k = 0; k < config_.dr.calls.size(); ++k) {
    const DrCall& call = config_.dr.calls[k];
    if (dr_state_[k] == 0 && call.issued <= t) {
      dr_state_[k] = 1;
      const Timestamp from = IntervalStart(call.start - kCblHistory);
      auto metered = MeteredGrid(from, IntervalStart(t));
      Result<std::vector<DrCommitment>> commitments =
          metered ? CommitmentsOf(call, config_.dr, *metered, t, *config_.calendar)
                  : Result<std::vector<DrCommitment>>(metered.error());
      Status added = commitments ? loop.AddDrCommitments(*commitments, now, "dr:" + call.resource_id)
                                 : Status(commitments.error());
      std::string message;
      {
        std::lock_guard lock(mutex_);
        DrEventView& v = dr_views_[k];
        if (added) {
          v.status = "planned";
          for (size_t h = 0; h < commitments->size() && h < v.hours.size(); ++h) {
            const DrCommitment& c = (*commitments)[h];
            v.hours[h].import_cap_kw = c.import_cap.value();
            v.hours[h].cbl_kwh = (c.import_cap.value() + call.requested.value()) * v.hours[h].minutes / 60.0;
          }
          message = fmt::format("DR call {} {:.0f} kW {} to {}: planned, import capped at {:.0f} kW", v.kind,
                                v.requested_kw, FormatKst(call.start), FormatKst(call.end).substr(11, 5),
                                commitments->front().import_cap.value());
        } else {
          v.status = "no_cbl";
          message = fmt::format("DR call {} to {}: not planned: {}", FormatKst(call.start),
                                FormatKst(call.end).substr(11, 5), added.error().message);
        }
        v.message = message;
      }
      const Event e{now, config_.id, "dr", added ? Severity::kInfo : Severity::kWarning, message};
      (void)writer_.AppendEvents({&e, 1});
    }
    // Settle once the quarter-hour after the end has begun (the event's last one is then closed).
    if (dr_state_[k] == 1 && t >= call.end + std::chrono::seconds(kInterval)) {
      dr_state_[k] = 2;
      const Timestamp from = IntervalStart(call.start - kCblHistory);
      auto metered = MeteredGrid(from, call.end);
      auto outcome = metered ? SettleDrCall(call, config_.dr, *metered, *config_.calendar)
                             : Result<DrCallOutcome>(metered.error());
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
      const Event e{now, config_.id, "dr", outcome ? Severity::kInfo : Severity::kWarning, message};
      (void)writer_.AppendEvents({&e, 1});
    }
  }
}

// A DR call from the API, checked by the dispatch rules of a 표준DR resource (제12.4.3.1조), alone
// and with the calls of its day already held; `issued` defaults to the site's time now.
Status LiveSite::TakeDrCall(const DrCallRequest& r, Instant now) {
  MEG_TRY_ASSIGN(kind, ParseDrCallKind(r.kind));
  DrCall call{kind, "api:" + r.user, ToTimestamp(r.issued.value_or(now)), ToTimestamp(r.start), ToTimestamp(r.end),
              Kilowatts(r.requested_kw)};
  const DrDispatchRules rules = DrDispatchRules::For(DrResourceType::kStandard);
  MEG_TRY(ValidateDrCall(call, rules, *config_.calendar));
  std::vector<DrCall> all = config_.dr.calls;
  all.push_back(call);
  MEG_TRY(ValidateDrCallsOfDay(all, rules));
  config_.dr.calls.push_back(call);
  AddDrView(call);
  const Event e{now, config_.id, "dr", Severity::kInfo,
                fmt::format("{}: DR call {} {:.0f} kW {} to {} received", r.user, DrCallKindName(call.kind),
                            call.requested.value(), FormatKst(call.start), FormatKst(call.end).substr(11, 5))};
  (void)writer_.AppendEvents({&e, 1});
  return Ok{};
}

Status LiveSite::SubmitDrCall(const DrCallRequest& call) { return HandToControlThread(call, "the DR call"); }

std::vector<DrEventView> LiveSite::DrEvents() const {
  std::lock_guard lock(mutex_);
  return dr_views_;
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
    const std::pair<const char*, double> values[] = {
        {"grid_kw", l - p}, {"pv_kw", p}, {"battery_kw", 0}, {"load_kw", l}, {"baseline_kw", l - p}};
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
  const Month this_month = KstMonthOf(before);
  const Timestamp from = StartOfKstMonth(this_month - std::chrono::months{12});
  auto buckets = writer_.Query(points_.at("grid_kw"), ToInstant(from), ToInstant(before), Resolution::kQuarter);
  if (!buckets) return buckets.error();
  std::map<Month, double> peaks;
  std::optional<DayProfile> day;
  for (const Bucket& b : *buckets) {
    if (b.count == 0) continue;
    const KstDateTime k = ToKst(ToTimestamp(b.start));
    if (!day || day->date != k.date) {
      auto p = ProfileDay(*config_.book, *config_.calendar, config_.tariff, k.date);
      if (!p) return p.error();
      day = std::move(*p);
    }
    if (!day->demand_counts[static_cast<size_t>(k.minute_of_day / 15)]) continue;
    double& peak = peaks[k.date.year() / k.date.month()];
    peak = std::max(peak, b.mean);
  }
  return std::vector<std::pair<Month, double>>(peaks.begin(), peaks.end());
}

void LiveSite::Store(const CycleRecord& r) {
  const double baseline = r.load.value() - r.pv.value();  // the same load and PV, battery idle
  const double values[] = {r.grid.value(), r.pv.value(), r.battery.value(), r.load.value(), r.soc_pct,
                           r.window_average.value(), baseline};
  std::vector<Sample> samples;
  for (size_t i = 0; i < std::size(kPoints); ++i) {
    const auto it = points_.find(kPoints[i][0]);
    if (it == points_.end()) continue;
    const bool good = std::isfinite(values[i]);
    samples.push_back(Sample{it->second, r.time, good ? values[i] : std::numeric_limits<double>::quiet_NaN(),
                             good ? SampleQuality::kGood : SampleQuality::kBad});
  }
  (void)writer_.Append(samples);  // a failed flush keeps the buffer for the next one
}

void LiveSite::UpdateAlarms(const CycleRecord& r) {
  std::map<std::string, AlarmView> now;
  if (r.mode == LoopMode::kSafe) now["fail-safe"] = {"fail-safe", "critical", "safe mode: " + r.reason, r.time};
  if (r.mode == LoopMode::kLocal) now["local-mode"] = {"local-mode", "warning", "local rules: " + r.reason, r.time};
  if (r.devices_stale > 0) {
    now["stale-data"] = {"stale-data", "warning", fmt::format("{} device(s) stale or lost", r.devices_stale), r.time};
  }
  if (r.demand_target.value() > 0 && r.window_average.value() > 0.95 * r.demand_target.value()) {
    now["demand-near-target"] = {"demand-near-target", "warning",
                                 fmt::format("15-minute demand {:.1f} kW is above 95 % of the target {:.1f} kW",
                                             r.window_average.value(), r.demand_target.value()),
                                 r.time};
  }
  for (const ThresholdAlarm& t : config_.thresholds) {
    const double v = t.point == "grid_kw"      ? r.grid.value()
                     : t.point == "pv_kw"      ? r.pv.value()
                     : t.point == "battery_kw" ? r.battery.value()
                     : t.point == "load_kw"    ? r.load.value()
                     : t.point == "soc_pct"    ? r.soc_pct
                                               : r.window_average.value();
    if (std::isfinite(v) && (t.above ? v > t.value : v < t.value)) {
      now["threshold " + t.text] = {"threshold " + t.text, "warning",
                                    fmt::format("{} = {:.2f} is {} {:g}", t.point, v, t.above ? "above" : "below", t.value),
                                    r.time};
    }
  }
  std::vector<std::pair<AlarmView, bool>> changes;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [kind, a] : now) {
      if (!alarms_.count(kind)) {
        alarms_[kind] = a;
        changes.emplace_back(a, true);
      }
    }
    for (auto it = alarms_.begin(); it != alarms_.end();) {
      if (!now.count(it->first)) {
        AlarmView cleared = it->second;
        cleared.since = r.time;
        changes.emplace_back(cleared, false);
        it = alarms_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::vector<Event> events;
  for (const auto& [a, raised] : changes) {
    const Severity severity = !raised ? Severity::kInfo : a.severity == "critical" ? Severity::kAlarm : Severity::kWarning;
    events.push_back(Event{r.time, config_.id, a.kind, severity, (raised ? "raised: " : "cleared: ") + a.message});
    if (config_.on_alarm) config_.on_alarm(a, raised);
  }
  if (!events.empty()) (void)writer_.AppendEvents(events);
}

// Month to date from the store's quarter-hour rollups: grid_kw (with OpenMEG) and baseline_kw
// (the same load and PV with the battery idle), each priced by the bill engine over the days
// metered so far, quarter-hours not yet metered in them as 0 kWh. Today's cost is the month to
// date now less the month to date before today.
void LiveSite::UpdateBill(Instant now) {
  if (auto s = writer_.Flush(); !s) {
    std::lock_guard lock(mutex_);
    bill_error_ = "the store refused a flush: " + s.error().message;
    return;
  }
  // Closed quarter-hours only: the one that has just begun holds a few seconds, and their mean
  // is not a 15-minute demand (it would count as the month's peak).
  const Instant closed = ToInstant(IntervalStart(ToTimestamp(now)));
  const Month month = KstMonthOf(ToTimestamp(now));
  const Instant month_start = ToInstant(StartOfKstMonth(month));
  const Date today = ToKst(ToTimestamp(now)).date;
  const auto series_of = [&](const char* point) -> Result<PowerSeries> {
    auto buckets = writer_.Query(points_.at(point), month_start, closed, Resolution::kQuarter);
    if (!buckets) return buckets.error();
    if (buckets->empty()) return NotFound("no quarter-hour metered this month yet");
    const Date first = ToKst(ToTimestamp(buckets->front().start)).date;
    const Timestamp start = FromKst(first);
    const Timestamp end = FromKst(AddDays(today, 1));
    std::vector<std::optional<Kilowatts>> v(static_cast<size_t>((end - start) / kInterval), Kilowatts(0));
    for (const Bucket& b : *buckets) {
      const auto i = static_cast<size_t>((ToTimestamp(b.start) - start) / kInterval);
      if (i < v.size()) v[i] = Kilowatts(b.mean);
    }
    return PowerSeries(start, kInterval, std::move(v));
  };
  const auto price = [&](const PowerSeries& usage) -> Result<MonthlyBill> {
    BillRequest request;
    request.tariff = config_.tariff;
    request.contract_power = config_.site->contract_power;
    request.usage = &usage;
    request.allow_partial = true;
    return ComputeMonthlyBill(*config_.book, *config_.calendar, request, month, DemandHistory{});
  };
  auto with = series_of("grid_kw");
  auto without = series_of("baseline_kw");
  Result<MonthlyBill> with_bill = with ? price(*with) : Result<MonthlyBill>(with.error());
  Result<MonthlyBill> without_bill = without ? price(*without) : Result<MonthlyBill>(without.error());
  std::lock_guard lock(mutex_);
  if (!with_bill || !without_bill) {
    bill_error_ = !with_bill ? with_bill.error().message : without_bill.error().message;
    return;
  }
  BillView b;
  b.month = FormatMonth(month);
  b.from = ToInstant(with->start());
  b.through = closed;
  b.with_openmeg_krw = with_bill->total.value();
  b.without_openmeg_krw = without_bill->total.value();
  b.energy_kwh = static_cast<double>(with_bill->energy_kwh);
  b.peak_kw = static_cast<double>(with_bill->peak_kw);
  b.lines = {{"basic", with_bill->basic.value()},     {"energy", with_bill->energy.value()},
             {"climate", with_bill->climate.value()}, {"fuel", with_bill->fuel.value()},
             {"pf_adjustment", with_bill->pf_adjustment.value()}, {"over_contract", with_bill->over_contract.value()},
             {"vat", with_bill->vat.value()},         {"fund", with_bill->fund.value()}};
  b.notes = with_bill->notes;
  b.notes.push_back("month to date over the days metered by this control center; quarter-hours not yet metered "
                    "count as 0 kWh; without OpenMEG = the same load and PV with the battery idle");
  // Before today: the same series cut at today's start.
  b.today_cost_krw = b.with_openmeg_krw;
  if (with->start() < FromKst(today)) {
    const PowerSeries before = with->Slice(with->start(), FromKst(today));
    if (auto earlier = price(before)) b.today_cost_krw = b.with_openmeg_krw - earlier->total.value();
  }
  (void)writer_.PutBill(StoredBill{config_.id, month,
                                   fmt::format(R"({{"through":"{}","with_openmeg_krw":{},"without_openmeg_krw":{}}})",
                                               FormatKst(ToTimestamp(closed)), b.with_openmeg_krw, b.without_openmeg_krw)});
  bill_ = std::move(b);
}

void LiveSite::RunCommands(ControlLoop& loop, Instant now) {
  std::deque<Pending> todo;
  {
    std::lock_guard lock(mutex_);
    todo.swap(pending_);
  }
  for (Pending& p : todo) {
    if (const auto* c = std::get_if<OperatorCommand>(&p.work)) {
      p.done.set_value(RunCommand(loop, *c, now));
    } else {
      p.done.set_value(TakeDrCall(std::get<DrCallRequest>(p.work), now));
    }
  }
}

Status LiveSite::RunCommand(ControlLoop& loop, const OperatorCommand& c, Instant now) {
  Status st = Ok{};
  switch (c.kind) {
    case OperatorCommand::Kind::kSetpoint:
      st = loop.SetManualOverride(Kilowatts(c.battery_kw), now,
                                  now + std::chrono::duration_cast<Millis>(std::chrono::duration<double, std::ratio<60>>(c.minutes)),
                                  c.user);
      break;
    case OperatorCommand::Kind::kAuto:
      st = loop.SetManualOverride(std::nullopt, now, now, c.user);
      break;
    case OperatorCommand::Kind::kSchedule:
      st = loop.SetSchedule(ScheduleEntry{now, Kilowatts(c.battery_kw), Kilowatts(-1), Kilowatts(0), "operator:" + c.user},
                            c.user);
      break;
  }
  if (st) {
    const Event e{now, config_.id, "command", Severity::kInfo,
                  fmt::format("{}: {}", c.user,
                              c.kind == OperatorCommand::Kind::kSetpoint ? fmt::format("battery {:.1f} kW for {:.0f} min", c.battery_kw, c.minutes)
                              : c.kind == OperatorCommand::Kind::kAuto   ? std::string("back to automatic control")
                                                                         : fmt::format("schedule {:.1f} kW", c.battery_kw))};
    (void)writer_.AppendEvents({&e, 1});
  }
  return st;
}

LiveValues LiveSite::Live() const {
  std::lock_guard lock(mutex_);
  return live_;
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

Result<SqliteStore*> LiveSite::Reader() const {
  thread_local std::map<std::string, std::unique_ptr<SqliteStore>> readers;
  auto& r = readers[config_.store_path];
  if (!r) {
    auto opened = SqliteStore::OpenReader(config_.store_path);
    if (!opened) return opened.error();
    r = std::move(*opened);
  }
  return r.get();
}

Result<std::vector<Bucket>> LiveSite::Telemetry(const std::string& point, Instant from, Instant to,
                                                Resolution resolution) const {
  const auto it = points_.find(point);
  if (it == points_.end()) {
    std::string known;
    for (const auto& [name, id] : points_) known += (known.empty() ? "" : ", ") + name;
    return NotFound(fmt::format("no point '{}' (known: {})", point, known));
  }
  auto reader = Reader();
  if (!reader) return reader.error();
  return (*reader)->Query(it->second, from, to, resolution);
}

ScheduleView LiveSite::Schedule() const {
  std::lock_guard lock(mutex_);
  return schedule_;
}

Result<ForecastView> LiveSite::Forecast() const {
  const Instant now = Live().time;
  const Timestamp start = IntervalStart(ToTimestamp(now));
  ForecastView f;
  f.issued = now;
  if (config_.planned != nullptr) {
    if (const auto last = config_.planned->Last()) {
      const auto& [issued, planned] = *last;
      f.issued = ToInstant(issued);
      f.method = config_.planned_method;
      for (size_t i = 0; i < planned.load.size(); ++i) {
        const auto load = planned.load.at(i);
        if (!load) continue;
        const auto pv = i < planned.pv.size() ? planned.pv.at(i) : std::nullopt;
        f.intervals.push_back({ToInstant(planned.load.TimeAt(i)), load->value(), pv ? pv->value() : 0.0});
      }
      return f;
    }
  }
  if (config_.history_load != nullptr) {
    // The twin's own measured series: each interval as it was the day before.
    f.method = "persistence: the same quarter-hour yesterday";
    for (int i = 0; i < kIntervalsPerDay; ++i) {
      const Timestamp t = start + kInterval * i;
      const auto li = config_.history_load->IndexOf(t - std::chrono::hours(24));
      const auto pi = config_.history_pv != nullptr ? config_.history_pv->IndexOf(t - std::chrono::hours(24)) : std::nullopt;
      if (!li || !config_.history_load->at(*li)) continue;
      const double pv = pi && config_.history_pv->at(*pi) ? config_.history_pv->at(*pi)->value() : 0.0;
      f.intervals.push_back({ToInstant(t), config_.history_load->at(*li)->value(), pv});
    }
    return f;
  }
  // Real devices: yesterday as metered here.
  f.method = "persistence: the same quarter-hour yesterday, as metered";
  auto reader = Reader();
  if (!reader) return reader.error();
  const Instant from = ToInstant(start) - std::chrono::hours(24);
  auto load = (*reader)->Query(points_.at("load_kw"), from, from + std::chrono::hours(24), Resolution::kQuarter);
  auto pv = (*reader)->Query(points_.at("pv_kw"), from, from + std::chrono::hours(24), Resolution::kQuarter);
  if (!load) return load.error();
  if (!pv) return pv.error();
  if (load->empty()) return NotFound("no forecast yet: it needs yesterday's load, metered by this control center");
  std::map<Instant, double> pv_at;
  for (const Bucket& b : *pv) pv_at[b.start] = b.mean;
  for (const Bucket& b : *load) {
    f.intervals.push_back({b.start + std::chrono::hours(24), b.mean, pv_at.count(b.start) ? pv_at[b.start] : 0.0});
  }
  return f;
}

Result<BillView> LiveSite::Bill() const {
  std::lock_guard lock(mutex_);
  if (!bill_) return NotFound("no bill yet: " + bill_error_);
  return *bill_;
}

Result<std::vector<Event>> LiveSite::Events(int limit) const {
  auto reader = Reader();
  if (!reader) return reader.error();
  const Instant now = Live().time;
  auto events = (*reader)->Events(config_.id, now - std::chrono::hours(24 * 31), now + std::chrono::hours(1));
  if (!events) return events.error();
  std::reverse(events->begin(), events->end());
  if (events->size() > static_cast<size_t>(limit)) events->resize(static_cast<size_t>(limit));
  return events;
}

std::vector<AlarmView> LiveSite::Alarms() const {
  std::lock_guard lock(mutex_);
  std::vector<AlarmView> out;
  for (const auto& [kind, a] : alarms_) out.push_back(a);
  return out;
}

Result<std::vector<AuditView>> LiveSite::Audit(int limit) const {
  auto reader = Reader();
  if (!reader) return reader.error();
  auto records = (*reader)->NewestAudit(static_cast<size_t>(limit));
  if (!records) return records.error();
  std::vector<AuditView> out;
  for (const auto& r : *records) out.push_back(AuditView{r.seq, r.record});
  return out;
}

Status LiveSite::Command(const OperatorCommand& command) { return HandToControlThread(command, "the command"); }

Status LiveSite::HandToControlThread(std::variant<OperatorCommand, DrCallRequest> work, std::string_view what) {
  std::future<Status> done;
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(Pending{std::move(work), {}});
    done = pending_.back().done.get_future();
  }
  if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return IoError(fmt::format("the control loop did not take {} within 10 s; it was not carried out", what));
  }
  return done.get();
}

}  // namespace meg
