#include "control/control_loop.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "control/ev_share.h"
#include "control/site_image.h"
#include "core/ess.h"
#include "core/text.h"

namespace meg {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr const char* kActor = "control-loop";

double HoursOf(Millis d) { return static_cast<double>(d.count()) / 3'600'000.0; }

std::string FormatKw(Kilowatts k) { return fmt::format("{:.1f}", k.value()); }

std::string CommandDetail(const Command& c, DeviceKind kind) {
  if (kind == DeviceKind::kBattery) return "battery_kw=" + FormatKw(c.battery_power.value_or(Kilowatts(0)));
  if (kind == DeviceKind::kGenerator) return "generator_kw=" + FormatKw(c.generator_power.value_or(Kilowatts(0)));
  if (kind == DeviceKind::kThermalStorage) return "thermal_kw_th=" + FormatKw(c.thermal_power.value_or(Kilowatts(0)));
  return c.pv_limit ? "pv_limit_kw=" + FormatKw(*c.pv_limit) : std::string("pv_limit_kw=none");
}

bool SameCommand(const Command& a, const Command& b, double deadband) {
  const auto near = [&](const std::optional<Kilowatts>& x, const std::optional<Kilowatts>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || std::abs(x->value() - y->value()) < deadband;
  };
  return near(a.battery_power, b.battery_power) && near(a.pv_limit, b.pv_limit) &&
         near(a.generator_power, b.generator_power) && near(a.thermal_power, b.thermal_power);
}

}  // namespace

// The frozen process image of one cycle.
struct ControlLoop::Measured {
  bool all_fresh = true;
  std::string stale;  // "ess1 (timeout), pv2 (lost)"
  int fresh = 0, stale_count = 0;
  double grid = 0, pv = 0, battery = 0, generator = 0;
  int generators = 0;           // fresh generator devices
  double generator_rating = 0;  // the fresh generators' reported ratings (infinity where one says none)
  // Cold stores (fresh ones): the electricity they save (+) or cost (-), their SoC, COP and limits.
  double thermal = 0;
  int thermals = 0;
  double thermal_soc_sum = 0, thermal_cop = std::numeric_limits<double>::quiet_NaN();
  double thermal_cooling_load = std::numeric_limits<double>::quiet_NaN();
  double thermal_max_discharge = 0, thermal_max_charge = 0;
  bool meter_seen = false;
  double soc_sum = 0;
  int soc_n = 0;
  double pv_rating = 0;  // what the PV could produce if its limits were lifted
  // The meters' energy registers summed, when every fresh meter has one.
  std::optional<double> meter_energy_kwh;
  // Per battery (index into devices_): what it can take or give now; 0 when not fresh.
  std::vector<double> can_discharge, can_charge;
  std::vector<std::string> implausible;  // CycleRecord::implausible
};

ControlLoop::ControlLoop(LoopSite site, std::vector<Device*> devices, AuditLog& audit, LoopConfig config)
    : site_(site),
      audit_(audit),
      config_(config),
      battery_mode_(site.site->ess ? &*site.site->ess : nullptr),
      peak_guard_(config.demand_target, config.peak_guard_margin_pct),
      controllers_{&follower_, &battery_mode_, &override_, &peak_guard_, &dr_guard_, &export_limiter_} {
  for (Device* d : devices) {
    DeviceState state;
    state.device = d;
    state.bounds = BoundsOf(*site.site, d->kind());
    state.problem = "no reading yet";
    devices_.push_back(std::move(state));
  }
}

void ControlLoop::SetPlanner(Controller* planner, std::function<int()> failures) {
  planner_ = planner;
  planner_failures_ = std::move(failures);
  planner_failures_seen_ = planner_failures_ ? planner_failures_() : 0;
}

Status ControlLoop::SetSchedule(ScheduleEntry schedule, const std::string& actor) {
  const AuditRecord r{schedule.made, actor, "schedule", "site",
                      fmt::format("battery_kw={} pv_limit_kw={}{} source={}", FormatKw(schedule.battery),
                                  schedule.pv_limit.value() < 0 ? "none" : FormatKw(schedule.pv_limit),
                                  (site_.site->generator ? " generator_kw=" + FormatKw(schedule.generator) : "") +
                                      (site_.site->thermal_storage ? " thermal_kw_th=" + FormatKw(schedule.thermal)
                                                                   : ""),
                                  schedule.source)};
  if (auto s = audit_.Append({&r, 1}); !s) return s;
  schedule_ = std::move(schedule);
  return Ok{};
}

Status ControlLoop::SetManualOverride(std::optional<Kilowatts> battery, Instant now, Instant until,
                                      const std::string& actor) {
  const AuditRecord r{now, actor, "override", "site",
                      battery ? fmt::format("battery_kw={} until={}", FormatKw(*battery), FormatKst(ToTimestamp(until)))
                              : std::string("cleared")};
  if (auto s = audit_.Append({&r, 1}); !s) return s;
  override_.Set(battery, until);
  return Ok{};
}

Status ControlLoop::SetBatteryMode(const BatteryMode& mode, Instant now, const std::string& actor) {
  if (!site_.site->ess) return NotFound("the site has no battery");
  if (auto st = CheckBatteryMode(mode, *site_.site->ess, now); !st) return st;
  const AuditRecord r{now, actor, "battery-mode", "site", DescribeBatteryMode(mode)};
  if (auto s = audit_.Append({&r, 1}); !s) return s;
  battery_mode_.Set(mode);
  planned_window_ = {};  // the planner plans the mode at the next cycle
  return Ok{};
}

Status ControlLoop::SetBackupReserve(double reserve_pct, Instant now, const std::string& actor) {
  if (!site_.site->ess) return NotFound("the site has no battery");
  if (auto st = CheckBackupReserve(reserve_pct, *site_.site->ess); !st) return st;
  const AuditRecord r{now, actor, "backup-reserve", "site",
                      reserve_pct == 0 ? std::string("none") : fmt::format("soc_pct={:g}", reserve_pct)};
  if (auto s = audit_.Append({&r, 1}); !s) return s;
  backup_reserve_pct_ = reserve_pct;
  planned_window_ = {};
  return Ok{};
}

Status ControlLoop::AddDrCommitments(std::vector<DrCommitment> commitments, Instant now, const std::string& actor) {
  if (commitments.empty()) return InvalidInput("a DR call needs at least one trading hour");
  for (const DrCommitment& c : commitments) {
    if (!(c.start < c.end) || !std::isfinite(c.import_cap.value())) {
      return InvalidInput(fmt::format("DR commitment at {}: empty or without a finite cap", FormatKst(c.start)));
    }
    for (const DrCommitment& held : dr_) {
      if (c.start < held.end && held.start < c.end) {
        return InvalidInput(
            fmt::format("DR commitment at {} overlaps the one held at {}", FormatKst(c.start), FormatKst(held.start)));
      }
    }
  }
  std::vector<AuditRecord> records;
  for (const DrCommitment& c : commitments) {
    records.push_back({now, actor, "dr-call", "site",
                       fmt::format("start={} end={} import_cap_kw={}", FormatKst(c.start), FormatKst(c.end),
                                   FormatKw(c.import_cap))});
  }
  if (auto s = audit_.Append(records); !s) return s;
  dr_.insert(dr_.end(), commitments.begin(), commitments.end());
  planned_window_ = {};  // plan again with the call
  return Ok{};
}

Status ControlLoop::WithdrawDrCommitments(Timestamp from, Timestamp to, Instant now, const std::string& actor) {
  const AuditRecord r{now, actor, "dr-withdraw", "site", fmt::format("from={} to={}", FormatKst(from), FormatKst(to))};
  if (auto s = audit_.Append({&r, 1}); !s) return s;
  std::vector<DrCommitment> kept;
  for (const DrCommitment& c : dr_) {
    if (!(c.start < to && from < c.end)) {
      kept.push_back(c);
      continue;
    }
    if (c.start < from) {
      DrCommitment before = c;
      before.end = from;
      kept.push_back(before);
    }
    if (to < c.end) {
      DrCommitment after = c;
      after.start = to;
      kept.push_back(after);
    }
  }
  dr_ = std::move(kept);
  planned_window_ = {};  // plan again without them
  return Ok{};
}

const DayProfile* ControlLoop::Profile(Instant now) {
  const Date date = ToKst(ToTimestamp(now)).date;
  if (!day_ || day_->date != date) {
    auto p = ProfileDay(*site_.book, *site_.calendar, site_.tariff, date);
    if (!p) {
      day_.reset();
      return nullptr;
    }
    day_ = *p;
  }
  return &*day_;
}

ControlLoop::Measured ControlLoop::ReadDevices(Instant now) {
  Measured m;
  const Millis stale_after = config_.cycle * config_.stale_after_cycles;
  const EssSpec* ess = site_.site->ess ? &*site_.site->ess : nullptr;
  size_t batteries = 0;
  for (const DeviceState& d : devices_) batteries += d.device->kind() == DeviceKind::kBattery ? 1 : 0;
  m.pv_rating = PvAcRating(*site_.site).value();
  const Hours cycle_h(HoursOf(config_.cycle));
  m.can_discharge.assign(devices_.size(), 0.0);
  m.can_charge.assign(devices_.size(), 0.0);
  // Every read starts at once (a device that reads in the background, device/async_device.h),
  // then each is collected: the cycle waits for the slowest at most one read wait.
  for (DeviceState& d : devices_) d.device->StartRead(now);
  for (size_t i = 0; i < devices_.size(); ++i) {
    DeviceState& d = devices_[i];
    Result<Telemetry> t = d.device->Read(now);
    // The site's bounds hold for every driver alike: a reading beyond them is a lie, kept out of
    // last_good (so out of the demand meter and the store) and named in the record.
    std::optional<std::string> beyond = t && t->quality == Quality::kGood ? CheckPlausible(*t, d.bounds) : std::nullopt;
    if (beyond) {
      t->quality = Quality::kBad;
      m.implausible.push_back(fmt::format("{}: {}", d.device->id(), *beyond));
    }
    if (t && t->quality == Quality::kGood && std::isfinite(t->power.value())) {
      d.last_good = *t;
    } else if (beyond) {
      d.problem = "implausible telemetry: " + *beyond;
    } else if (t) {
      d.problem = "implausible telemetry";
    } else {
      d.problem = t.error().message;
    }
    const DeviceHealth health = d.device->Health();
    // A failed read leaves the last good reading in use until it is stale_after old (a blip is
    // ridden through); a device that reports itself lost, that did not answer within the read
    // wait (late), or a reading that fails its plausibility check (a lie), is distrusted at once.
    const bool lying = t && (t->quality != Quality::kGood || !std::isfinite(t->power.value()));
    const bool gone = health.state == HealthState::kLost || health.state == HealthState::kLate;
    d.fresh = d.last_good && now - d.last_good->time <= stale_after && !gone && !lying;
    if (d.fresh && (d.device->kind() == DeviceKind::kBattery || d.device->kind() == DeviceKind::kThermalStorage) &&
        (!d.last_good->soc_pct || !std::isfinite(*d.last_good->soc_pct))) {
      d.fresh = false;
      d.problem = "no state of charge";
    }
    if (!d.fresh) {
      if (gone) {
        d.problem = fmt::format("{}: {}", HealthStateName(health.state), health.last_error);
      } else if (!lying && d.last_good && now - d.last_good->time > stale_after) {
        d.problem =
            fmt::format("telemetry {:.1f} s old", static_cast<double>((now - d.last_good->time).count()) / 1000.0);
      }
      m.all_fresh = false;
      ++m.stale_count;
      m.stale += fmt::format("{}{} ({})", m.stale.empty() ? "" : ", ", d.device->id(), d.problem);
      continue;
    }
    ++m.fresh;
    const Telemetry& g = *d.last_good;
    switch (d.device->kind()) {
      case DeviceKind::kMeter:
        m.grid += g.power.value();
        if (!m.meter_seen) m.meter_energy_kwh = 0.0;
        if (m.meter_energy_kwh && g.net_import_energy && std::isfinite(g.net_import_energy->value())) {
          *m.meter_energy_kwh += g.net_import_energy->value();
        } else {
          m.meter_energy_kwh.reset();
        }
        m.meter_seen = true;
        break;
      case DeviceKind::kPv: m.pv += g.power.value(); break;
      case DeviceKind::kThermalStorage:
        m.thermal += g.power.value();
        ++m.thermals;
        m.thermal_soc_sum += g.soc_pct.value_or(0.0);
        if (g.cop && std::isfinite(*g.cop) && *g.cop > 0) m.thermal_cop = *g.cop;
        if (g.cooling_load && std::isfinite(g.cooling_load->value()) && g.cooling_load->value() >= 0) {
          m.thermal_cooling_load = g.cooling_load->value();
        }
        m.thermal_max_discharge += g.max_discharge ? std::max(0.0, g.max_discharge->value()) : kInf;
        m.thermal_max_charge += g.max_charge ? std::max(0.0, g.max_charge->value()) : kInf;
        break;
      case DeviceKind::kGenerator:
        m.generator += g.power.value();
        ++m.generators;
        m.generator_rating += g.rated_power ? std::max(0.0, g.rated_power->value()) : kInf;
        break;
      case DeviceKind::kBattery: {
        m.battery += g.power.value();
        const double soc = *g.soc_pct;
        m.soc_sum += soc;
        ++m.soc_n;
        // The battery's share of the site's ESS: its ratings and what its energy allows for one
        // cycle (core/ess.h), its own rating and BMS limits where it reports them.
        double dis = 0, cha = 0;
        if (ess) {
          const EssSpec share = ShareOf(*ess, static_cast<int>(batteries));
          const KilowattHours stored = StoredAt(share, soc);
          dis = MaxDischarge(share, stored, cycle_h, std::nullopt).value();
          cha = MaxCharge(share, stored, cycle_h, std::nullopt).value();
        }
        if (g.rated_power) {
          dis = std::min(dis, g.rated_power->value());
          cha = std::min(cha, g.rated_power->value());
        }
        if (g.max_discharge) dis = std::min(dis, g.max_discharge->value());
        if (g.max_charge) cha = std::min(cha, g.max_charge->value());
        m.can_discharge[i] = std::isfinite(dis) ? std::max(0.0, dis) : 0.0;
        m.can_charge[i] = std::isfinite(cha) ? std::max(0.0, cha) : 0.0;
        break;
      }
    }
  }
  if (!m.meter_seen && m.all_fresh) {
    m.all_fresh = false;
    m.stale = "no grid meter";
  }
  return m;
}

void ControlLoop::UpdateMode(Instant now, const Measured& m, std::vector<AuditRecord>& audit) {
  LoopMode want = LoopMode::kNormal;
  std::string why;
  if (!m.all_fresh) {
    want = LoopMode::kSafe;
    why = "telemetry: " + m.stale;
  } else if (planner_failed_) {
    want = LoopMode::kLocal;
    why = "planner failed";
  } else if (!schedule_ || now - schedule_->made > config_.schedule_horizon) {
    want = LoopMode::kLocal;
    why = schedule_ ? fmt::format("schedule from {} is older than its horizon", FormatKst(ToTimestamp(schedule_->made)))
                    : std::string("no schedule yet");
  }
  // Worse at once; better only after recover_after_cycles good cycles in a row.
  if (static_cast<int>(want) >= static_cast<int>(mode_)) {
    better_cycles_ = 0;
    if (want != mode_) {
      audit.push_back(
          {now, kActor, "mode", "site", fmt::format("{} -> {}: {}", LoopModeName(mode_), LoopModeName(want), why)});
    }
    mode_ = want;
    reason_ = why;
    return;
  }
  if (++better_cycles_ < config_.recover_after_cycles) return;
  audit.push_back({now, kActor, "mode", "site",
                   fmt::format("{} -> {}: {}", LoopModeName(mode_), LoopModeName(want),
                               want == LoopMode::kNormal ? std::string("recovered") : "recovered to " + why)});
  mode_ = want;
  reason_ = why;
  better_cycles_ = 0;
}

SiteImage ControlLoop::LimitImage(Instant now, const Measured& m) const {
  SiteReading r;
  r.start = ToTimestamp(now);
  r.dt = meg::Hours(HoursOf(config_.cycle));
  // In safe mode nothing is trusted: an unknown load makes the limit stage idle the batteries
  // and hold PV to what export allows at zero load.
  const bool trusted = mode_ != LoopMode::kSafe && m.all_fresh;
  r.load = Kilowatts(trusted ? m.grid + m.pv + m.battery + m.generator + m.thermal : kNaN);
  // While a PV limit is in force the PV could rise to its rating once it is lifted: the export
  // check assumes it does. Without one, what PV gives now is what it can give.
  bool pv_limited = false;
  for (const DeviceState& d : devices_) {
    pv_limited = pv_limited || (d.device->kind() == DeviceKind::kPv && d.last_sent && d.last_sent->pv_limit);
  }
  r.pv_available = Kilowatts(pv_limited ? std::max(m.pv, m.pv_rating) : m.pv);
  if (pv_limited) r.pv_now = Kilowatts(m.pv);
  if (m.soc_n > 0) r.battery = MeasuredBattery(m);
  r.generator = MeasuredGenerator(m);
  r.thermal = MeasuredThermal(m);
  return MakeSiteImage(*site_.site, r, nullptr, &demand_, {});
}

BatteryReading ControlLoop::MeasuredBattery(const Measured& m) const {
  BatteryReading b;
  b.soc_pct = m.soc_sum / m.soc_n;
  b.previous = previous_battery_;
  double dis = 0, cha = 0;
  for (size_t k = 0; k < devices_.size(); ++k) {
    dis += m.can_discharge[k];
    cha += m.can_charge[k];
  }
  b.device_max_discharge = Kilowatts(dis);
  b.device_max_charge = Kilowatts(cha);
  b.reserve_pct = backup_reserve_pct_;
  return b;
}

std::optional<GeneratorReading> ControlLoop::MeasuredGenerator(const Measured& m) const {
  // A generator is in use when every generator device is fresh (a stale one may be running or
  // not: the limit stage then plans none, and the export check sees what it measured).
  size_t devices = 0;
  for (const DeviceState& d : devices_) devices += d.device->kind() == DeviceKind::kGenerator ? 1 : 0;
  if (devices == 0 || static_cast<size_t>(m.generators) != devices) return std::nullopt;
  GeneratorReading g;
  g.now = Kilowatts(std::max(0.0, m.generator));
  g.previous = previous_generator_;
  g.device_max = Kilowatts(m.generator_rating);
  return g;
}

std::optional<ThermalReading> ControlLoop::MeasuredThermal(const Measured& m) const {
  size_t devices = 0;
  for (const DeviceState& d : devices_) devices += d.device->kind() == DeviceKind::kThermalStorage ? 1 : 0;
  if (devices == 0 || static_cast<size_t>(m.thermals) != devices) return std::nullopt;
  ThermalReading t;
  t.soc_pct = m.thermal_soc_sum / m.thermals;
  t.cop = m.thermal_cop;
  t.cooling_load = Kilowatts(m.thermal_cooling_load);
  t.device_max_discharge = Kilowatts(m.thermal_max_discharge);
  t.device_max_charge = Kilowatts(m.thermal_max_charge);
  return t;
}

PlanRun ControlLoop::MaybePlan(Instant now, const Measured& m) {
  PlanRun run;
  if (planner_ == nullptr || !m.all_fresh) return run;
  const Timestamp window = demand_.window_start();
  if (window == planned_window_ && schedule_) return run;
  planned_window_ = window;
  run.ran = true;
  const DayProfile* day = Profile(now);
  if (day == nullptr) {
    planner_failed_ = true;
    run.failed = true;
    return run;
  }
  // The coming interval's load and PV as measured now (persistence); the real-time guards
  // correct within the interval.
  SiteReading r;
  r.start = window;
  r.dt = kIntervalHours;
  r.load = Kilowatts(m.grid + m.pv + m.battery + m.generator + m.thermal);
  r.pv_available = Kilowatts(m.pv);
  r.generator = MeasuredGenerator(m);
  r.thermal = MeasuredThermal(m);
  if (r.thermal) {
    // The plant's limits are for a cycle; over the quarter-hour the store's energy bounds it.
    r.thermal->device_max_discharge = Kilowatts(std::numeric_limits<double>::infinity());
    r.thermal->device_max_charge = Kilowatts(std::numeric_limits<double>::infinity());
  }
  if (m.soc_n > 0) {
    r.battery = MeasuredBattery(m);
    // The devices' limits are for one cycle; over the quarter-hour the energy bounds it.
    r.battery->device_max_discharge = Kilowatts(std::numeric_limits<double>::infinity());
    r.battery->device_max_charge = Kilowatts(std::numeric_limits<double>::infinity());
  }
  SiteImage image = MakeSiteImage(*site_.site, r, day, &demand_, dr_);
  image.month_peaks = demand_.MonthPeaks();  // the planner's image only: the per-cycle ones need none
  image.battery_mode = battery_mode_.mode();
  if (ev_ != nullptr) {
    // The cars the loop can steer, for a planner that plans them; what they all draw now.
    for (const EvSession& e : ev_->Sessions(now)) {
      image.ev_power += Kilowatts(std::max(0.0, e.power.value()));
      if (!e.connected || !e.follows_limit) continue;
      image.ev.push_back(EvFlexLoad{e.max_power.value(), EnergyLeft(e).value(), ToTimestamp(e.departure)});
    }
  }
  const std::chrono::nanoseconds began = stopwatch_ ? stopwatch_() : std::chrono::nanoseconds{0};
  const Setpoints plan = planner_->Decide(image);
  if (stopwatch_) run.work = stopwatch_() - began;
  const int failures = planner_failures_ ? planner_failures_() : 0;
  planner_failed_ = failures > planner_failures_seen_;
  planner_failures_seen_ = failures;
  run.failed = planner_failed_;
  run.fallback = planner_->reason() != nullptr && planner_->reason()->code == DecisionCode::kFallback;
  if (planner_failed_) return run;
  const double planned_pv = plan.pv_limit.value() >= 0 ? std::min(plan.pv_limit.value(), m.pv) : m.pv;
  ScheduleEntry s{.made = now,
                  .battery = plan.battery,
                  .pv_limit = plan.pv_limit,
                  .planned_grid = Kilowatts(image.load.value() - planned_pv - plan.battery.value() -
                                            std::max(0.0, plan.generator.value()) -
                                            ApplySafetyLimits(image, plan).thermal_electric.value()),
                  .source = "planner:" + std::string(planner_->name()),
                  .generator = plan.generator,
                  .thermal = plan.thermal,
                  .reason = planner_->reason() ? std::optional(*planner_->reason()) : std::nullopt,
                  .ev = plan.ev};
  // The planner's schedule is audited like any other; a refused audit keeps the old one.
  if (!SetSchedule(std::move(s), kActor)) planner_failed_ = true;
  run.failed = planner_failed_;
  return run;
}

CycleRecord ControlLoop::RunCycle(Instant now) {
  if (before_cycle_) before_cycle_(now);
  std::vector<AuditRecord> audit;
  Measured m = ReadDevices(now);
  const DayProfile* day = Profile(now);
  const Timestamp window_start = IntervalStart(ToTimestamp(now));
  const bool counts = day != nullptr && day->demand_counts[static_cast<size_t>(ToKst(window_start).minute_of_day / 15)];
  // An energy register that moved more since the last cycle than the meters' power bounds allow
  // over that time (a cycle, or more when the loop skipped starts) lies too: the cycle is metered
  // on power instead, and the record names it.
  if (m.meter_seen && m.all_fresh && m.meter_energy_kwh && meter_energy_) {
    double bound_kw = 0;
    for (const DeviceState& d : devices_)
      bound_kw += d.device->kind() == DeviceKind::kMeter ? d.bounds.power_max.value() : 0.0;
    const Millis elapsed = std::max(config_.cycle, std::chrono::duration_cast<Millis>(now - meter_energy_time_));
    const double moved = *m.meter_energy_kwh - meter_energy_->value();
    if (!(std::abs(moved) <= bound_kw * HoursOf(elapsed))) {
      m.implausible.push_back(
          fmt::format("meter energy: {:.6g} kWh in {} ms is beyond {:.6g} kW", moved, elapsed.count(), bound_kw));
      m.meter_energy_kwh.reset();
      m.all_fresh = false;
      m.stale += fmt::format("{}meter energy register (implausible telemetry)", m.stale.empty() ? "" : ", ");
    }
  }
  // The meter's energy register where it has one (exact over the cycle), else its power held.
  if (m.meter_seen && m.all_fresh && m.meter_energy_kwh && meter_energy_) {
    demand_.AddEnergy(now, KilowattHours(*m.meter_energy_kwh) - *meter_energy_, counts);
  } else {
    demand_.Add(now, Kilowatts(m.meter_seen && m.all_fresh ? m.grid : kNaN), counts);
  }
  if (m.meter_seen && m.all_fresh && m.meter_energy_kwh) {
    meter_energy_ = KilowattHours(*m.meter_energy_kwh);
    meter_energy_time_ = now;
  } else {
    meter_energy_.reset();
  }
  const PlanRun plan_run = MaybePlan(now, m);
  UpdateMode(now, m, audit);

  CycleRecord rec;
  rec.time = now;
  rec.plan = plan_run;
  rec.mode = mode_;
  rec.reason = reason_;
  const bool known = m.all_fresh;
  rec.grid = Kilowatts(known ? m.grid : kNaN);
  rec.pv = Kilowatts(known ? m.pv : kNaN);
  rec.battery = Kilowatts(known ? m.battery : kNaN);
  rec.load = Kilowatts(known ? m.grid + m.pv + m.battery + m.generator + m.thermal : kNaN);
  rec.thermal_electric = Kilowatts(known ? m.thermal : kNaN);
  rec.generator = Kilowatts(known ? m.generator : kNaN);
  rec.soc_pct = m.soc_n > 0 ? m.soc_sum / m.soc_n : kNaN;
  rec.window_average = demand_.window_average();
  rec.month_peak = demand_.month_peak();
  rec.devices_fresh = m.fresh;
  rec.devices_stale = m.stale_count;
  rec.implausible = std::move(m.implausible);
  rec.dr_cap = Kilowatts(kNaN);
  std::erase_if(dr_, [&](const DrCommitment& c) { return c.end <= window_start; });

  // The real-time controllers, in priority order, each refining the wish.
  const SiteImage image = LimitImage(now, m);
  CycleView view;
  view.now = now;
  view.cycle = config_.cycle;
  view.mode = mode_;
  view.image = &image;
  view.pv_now = Kilowatts(m.pv);
  view.window_counts = counts;
  view.demand = &demand_;
  view.schedule = schedule_ ? &*schedule_ : nullptr;
  view.dr = &dr_;
  view.battery_held = battery_mode_.mode().kind == BatteryModeKind::kHoldSoc && InForce(battery_mode_.mode(), now);
  Setpoints wish{Kilowatts(0), Kilowatts(-1)};
  Kilowatts planned_battery = wish.battery;  // the plan's (or the operator's), before the guards
  for (CycleController* c : controllers_) {
    c->Run(view, wish, rec);
    if (c == &override_) planned_battery = wish.battery;
  }
  // The one limit stage.
  const LimitedSetpoints done = ApplySafetyLimits(image, wish);
  rec.battery_wish = wish.battery;
  rec.battery_command = done.battery;
  rec.generator_command = done.generator;
  rec.thermal_command = done.thermal;
  rec.clamped = done.clamped;
  rec.limit = done.limit;
  const bool pv_limited = done.pv_used.value() < image.pv_available.value() - 1e-9;
  rec.pv_limit_command = Kilowatts(pv_limited ? done.pv_used.value() : -1.0);

  // Dispatch to devices: batteries in proportion to what each can do in that direction, PV
  // limits in proportion to the inverters' share of the PV now (equal when it is all zero).
  std::vector<std::optional<Command>> commands(devices_.size());
  double cap_total = 0;
  const bool discharging = done.battery.value() > 0;
  for (size_t k = 0; k < devices_.size(); ++k) cap_total += discharging ? m.can_discharge[k] : m.can_charge[k];
  // The inverters' shares are of what they produce: an inverter reporting negative power (its
  // night draw) has no share and does not shrink the others' denominator, so shares sum to 1.
  size_t pv_count = 0;
  double pv_producing = 0;
  for (const DeviceState& d : devices_) {
    if (d.device->kind() != DeviceKind::kPv) continue;
    ++pv_count;
    if (d.last_good) pv_producing += std::max(0.0, d.last_good->power.value());
  }
  // Generators share the output in proportion to their reported ratings (equally where one
  // reports none); a generator not fresh gets 0.
  size_t generator_count = 0, store_count = 0;
  double generator_rated = 0;
  bool generator_ratings = true;
  for (const DeviceState& d : devices_) {
    store_count += d.device->kind() == DeviceKind::kThermalStorage ? 1 : 0;
    if (d.device->kind() != DeviceKind::kGenerator) continue;
    ++generator_count;
    if (d.last_good && d.last_good->rated_power) {
      generator_rated += std::max(0.0, d.last_good->rated_power->value());
    } else {
      generator_ratings = false;
    }
  }
  for (size_t k = 0; k < devices_.size(); ++k) {
    DeviceState& d = devices_[k];
    if (d.device->kind() == DeviceKind::kThermalStorage) {
      Command c;  // cold stores share the command equally
      c.thermal_power = Kilowatts(d.fresh ? done.thermal.value() / static_cast<double>(store_count) : 0.0);
      commands[k] = c;
    } else if (d.device->kind() == DeviceKind::kGenerator) {
      const double share = generator_ratings && generator_rated > 0
                               ? std::max(0.0, d.last_good->rated_power->value()) / generator_rated
                               : 1.0 / static_cast<double>(generator_count);
      Command c;
      c.generator_power = Kilowatts(d.fresh ? done.generator.value() * share : 0.0);
      commands[k] = c;
    } else if (d.device->kind() == DeviceKind::kBattery) {
      const double cap = discharging ? m.can_discharge[k] : m.can_charge[k];
      const double share = cap_total > 0 ? cap / cap_total : 0.0;
      commands[k] = Command{Kilowatts(d.fresh ? done.battery.value() * share : 0.0), std::nullopt};
    } else if (d.device->kind() == DeviceKind::kPv) {
      Command c;
      if (pv_limited) {
        const double own = d.last_good ? d.last_good->power.value() : 0.0;
        const double share =
            pv_producing > 1e-9 ? std::max(0.0, own) / pv_producing : 1.0 / static_cast<double>(pv_count);
        c.pv_limit = Kilowatts(done.pv_used.value() * share);
      }
      commands[k] = c;
    }
  }
  // The EV stage: the cars share what the limit stage leaves.
  const std::vector<EvLimit> ev_limits =
      ev_ != nullptr ? RunEvStage(now, counts, done, planned_battery, rec, audit) : std::vector<EvLimit>{};
  // Audit every setpoint that will be sent, then send: a refused audit sends nothing.
  std::vector<size_t> to_send;
  for (size_t k = 0; k < devices_.size(); ++k) {
    if (!commands[k]) continue;
    DeviceState& d = devices_[k];
    // A device that writes in the background reports what became of the last setpoint: a failed
    // one is sent again (as a refused one is); one still under way is not sent twice.
    if (d.last_sent) {
      const WriteOutcome w = d.device->LastWrite();
      if (w.progress == WriteProgress::kFailed) d.resend = true;
      rec.writes_pending += w.progress == WriteProgress::kPending ? 1 : 0;
    }
    const bool due = !d.last_sent || now - d.last_sent_time >= config_.setpoint_refresh ||
                     !SameCommand(*d.last_sent, *commands[k], config_.deadband_kw) || (d.resend && d.fresh);
    if (!due) continue;
    to_send.push_back(k);
    audit.push_back({now, kActor, "setpoint", d.device->id(), CommandDetail(*commands[k], d.device->kind())});
  }
  if (!audit.empty() && !audit_.Append(audit)) {
    rec.audit_failed = true;
    return rec;  // nothing is sent without its audit record; devices keep their last setpoint
  }
  for (size_t k : to_send) {
    DeviceState& d = devices_[k];
    // A failed write is tried again when the device is fresh again, when the command changes,
    // or at the refresh period (each attempt audited), not every cycle while it is down.
    d.resend = !d.device->Write(*commands[k], now);
    d.last_sent = commands[k];
    d.last_sent_time = now;
    rec.commands_sent += d.resend ? 0 : 1;
  }
  for (const EvLimit& l : ev_limits) {
    // A limit the chargers did not take is set again next cycle (nothing is recorded as sent).
    if (ev_->SetLimit(l.charger, l.connector, l.kw, now)) {
      ev_sent_[fmt::format("{}/{}", l.charger, l.connector)] = EvSent{l.tx, l.kw, now};
      ++rec.commands_sent;
    }
  }
  if (ev_ != nullptr) ev_->AcceptNewSessions(rec.ev_accepting);
  previous_battery_ = done.battery;
  previous_generator_ = done.generator;
  return rec;
}

Status ControlLoop::SetEvSessionNeed(const std::string& charger, int connector, KilowattHours need, Instant departure,
                                     Instant now, const std::string& actor) {
  if (ev_ == nullptr) return NotFound("the site has no EV chargers");
  if (departure <= now) return InvalidInput("the departure must be after now");
  const AuditRecord record{now, actor, "ev-session", fmt::format("ev:{}/{}", charger, connector),
                           fmt::format("need_kwh={:.1f} departure={}", need.value(),
                                       FormatKst(ToTimestamp(departure)))};
  // Checked before the audit, so that a refused word leaves no record of a change.
  bool found = false;
  for (const EvSession& s : ev_->Sessions(now)) found |= s.charger == charger && s.connector == connector;
  if (!found) {
    return NotFound(fmt::format("no session is under way on charger '{}' connector {}", Excerpt(charger), connector));
  }
  MEG_TRY(audit_.Append({&record, 1}));
  return ev_->SetSessionNeed(charger, connector, need, departure);
}

Status ControlLoop::CallCharger(const std::string& charger, int connector, EvChargerCall call,
                                const std::string& id_tag, Instant now, const std::string& actor) {
  if (ev_ == nullptr) return NotFound("the site has no EV chargers");
  const auto spec = std::find_if(site_.site->chargers.begin(), site_.site->chargers.end(),
                                 [&](const ChargerSpec& c) { return c.id == charger; });
  if (spec == site_.site->chargers.end()) {
    return NotFound(fmt::format("charger '{}' is not in the site file", Excerpt(charger)));
  }
  if (connector < 1 || connector > spec->connectors) {
    return InvalidInput(fmt::format("charger '{}' has connectors 1..{}, not {}", charger, spec->connectors, connector));
  }
  const AuditRecord record{now, actor, "ev-call", fmt::format("ev:{}/{}", charger, connector),
                           fmt::format("call={}{}", EvChargerCallName(call),
                                       call == EvChargerCall::kRemoteStart ? " id_tag=" + id_tag : std::string())};
  MEG_TRY(audit_.Append({&record, 1}));
  return ev_->Call(charger, connector, call, id_tag);
}

std::vector<ControlLoop::EvLimit> ControlLoop::RunEvStage(Instant now, bool window_counts, const LimitedSetpoints& done,
                                                          Kilowatts planned_battery, CycleRecord& rec,
                                                          std::vector<AuditRecord>& audit) {
  const std::vector<EvSession> sessions = ev_->Sessions(now);
  std::vector<EvShareInput> in;
  double ev_now = 0;
  for (const EvSession& s : sessions) {
    in.push_back(ShareInputOf(s, now));
    ev_now += std::max(0.0, s.power.value());
  }
  rec.ev_power = Kilowatts(ev_now);
  rec.chargers = ev_->ChargerStates();
  const double contract = site_.site->contract_power.value();
  double min_connector = 0;
  for (const ChargerSpec& c : site_.site->chargers) {
    const double m = ConnectorMinKw(c).value();
    min_connector = min_connector == 0 ? m : std::min(min_connector, m);
  }
  EvShareResult share;
  double room_for_new = 0;  // kW of contract power a new car could have, the battery's charging given up
  if (mode_ == LoopMode::kSafe || !std::isfinite(done.grid.value())) {
    // Nothing is trusted: every session that can be steered is paused. Whether a new one may
    // start stays as it was (a car plugged in now waits, paused, for the loop to trust the site).
    share.sessions.resize(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      share.sessions[i].why = in[i].steerable ? EvShareReason::kSafe : EvShareReason::kNotSteerable;
      if (in[i].steerable) share.sessions[i].limit = Kilowatts(0);
    }
    rec.ev_accepting = ev_accepting_;
    rec.ev_target_room = Kilowatts(0);
  } else {
    // The grid without the cars, under this cycle's setpoints; the guards' extra discharge is not
    // room for the cars (it would drain the battery into them).
    const double base = done.grid.value() - ev_now + std::max(0.0, done.battery.value() - planned_battery.value());
    double target = contract;
    if (window_counts) {
      // Under the demand already locked in (the peak guard's target before the plan's import,
      // which holds the cars' own load and would let them lift the peak step by step); before
      // there is one (a month's first counted window, no ratchet), the cars lift no demand.
      const double locked = LockedInDemand(demand_, config_.demand_target, config_.peak_guard_margin_pct).value();
      target = locked > 0 ? std::min(contract, locked) : base;
    }
    if (std::isfinite(rec.dr_cap.value())) target = std::min(target, rec.dr_cap.value());
    // A plan that planned the cars decides when they charge: they take no more than it gave them
    // now (it put their energy where it is cheapest), never more than the room above, and the
    // floors that keep each on time still come first; those it could not see (not steerable) are
    // counted on top. The plan, made on a forecast, does not lift the ceiling: a demand the
    // forecast missed is not the cars' to take.
    const bool planned = mode_ == LoopMode::kNormal && schedule_ && schedule_->ev;
    if (planned) {
      double fixed = 0;
      for (size_t i = 0; i < in.size(); ++i) fixed += in[i].steerable ? 0.0 : std::max(0.0, in[i].power.value());
      target = std::min(target, base + schedule_->ev->value() + fixed);
    }
    // The floors that keep each car on pace hold with a plan too: a plan made on a forecast that
    // leaves the cars to the last moment lifts the peak when the forecast is low (measured on the
    // hospital: 17.8 M KRW saved with last-moment floors, 22.9 M with pace floors).
    share = ShareEvHeadroom(Kilowatts(target - base), Kilowatts(contract - base), in);
    rec.ev_target_room = Kilowatts(target - base);
    // A new car is refused only when the contract power has no room for its minimum even with the
    // battery's charging given up (the limit stage cuts that charge next cycle for the car's load).
    room_for_new = share.contract_room_left.value() + std::max(0.0, -done.battery.value());
    rec.ev_accepting = room_for_new >= min_connector;
  }
  double total = 0;
  std::vector<EvLimit> due;
  std::map<std::string, EvSent> still;
  for (size_t i = 0; i < sessions.size(); ++i) {
    const EvSession& s = sessions[i];
    const EvShareDecision& d = share.sessions[i];
    std::string text = EvShareText(in[i], d);
    total += d.limit ? d.limit->value() : std::max(0.0, s.power.value());
    const std::string key = fmt::format("{}/{}", s.charger, s.connector);
    const auto sent = ev_sent_.find(key);
    if (sent != ev_sent_.end() && sent->second.tx == s.transaction_id) still[key] = sent->second;
    if (d.limit) {
      // A new limit is sent when it changes by the deadband; the same one again only when the
      // charger does not hold it (refused, lost in a restart) after the refresh period.
      const bool held = s.limit && std::abs(s.limit->value() - d.limit->value()) < config_.deadband_kw;
      const bool is_due = sent == ev_sent_.end() || sent->second.tx != s.transaction_id ||
                          std::abs(sent->second.kw.value() - d.limit->value()) >= config_.deadband_kw ||
                          (!held && now - sent->second.time >= config_.setpoint_refresh);
      if (is_due) {
        audit.push_back({now, kActor, "setpoint", "ev:" + key,
                         fmt::format("ev_limit_kw={:.2f} tx={} reason={}: {}", d.limit->value(), s.transaction_id,
                                     EvShareReasonName(d.why), text)});
        due.push_back(EvLimit{s.charger, s.connector, s.transaction_id, *d.limit});
      }
    }
    rec.ev.push_back(CycleRecord::Ev{s, d, std::move(text)});
  }
  ev_sent_ = std::move(still);  // sessions over are forgotten
  rec.ev_limit = Kilowatts(total);
  if (rec.ev_accepting != ev_accepting_) {
    audit.push_back({now, kActor, "ev-sessions", "site",
                     rec.ev_accepting ? "new sessions accepted"
                                      : fmt::format("new sessions refused: {:.1f} kW left under the contract power, "
                                                    "less than a connector's minimum of {:.2f} kW",
                                                    room_for_new, min_connector)});
    ev_accepting_ = rec.ev_accepting;
  }
  return due;
}

void ControlLoop::Run(Clock& clock, const std::function<bool(const CycleRecord&)>& keep_going,
                      const std::function<std::chrono::nanoseconds()>& stopwatch) {
  Instant next = clock.Now();
  const AuditRecord start{next, kActor, "start", "site",
                          fmt::format("cycle_ms={} devices={}", config_.cycle.count(), devices_.size())};
  (void)audit_.Append({&start, 1});
  stopwatch_ = stopwatch;
  while (true) {
    const std::chrono::nanoseconds began = stopwatch ? stopwatch() : std::chrono::nanoseconds{0};
    CycleRecord rec = RunCycle(clock.Now());
    if (stopwatch) rec.work = stopwatch() - began;
    if (!keep_going(rec)) break;
    next += config_.cycle;
    // A cycle that overran skips the missed starts rather than bunching them.
    const Instant now = clock.Now();
    if (next < now) next = now - (now - next) % config_.cycle + config_.cycle;
    clock.SleepUntil(next);
  }
  const AuditRecord stop{clock.Now(), kActor, "stop", "site", fmt::format("mode={}", LoopModeName(mode_))};
  (void)audit_.Append({&stop, 1});
}

}  // namespace meg
