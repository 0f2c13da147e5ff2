#include "sim/backtest.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "device/sim/ev_twin.h"
#include "device/sim/twin.h"
#include "market/dr_desk.h"
#include "tariff/tou.h"

namespace meg {

Won BilledTotal(const BacktestResult& r) {
  Won total;
  for (const MonthlyBill& b : r.bills) total += b.total;
  return total;
}
namespace {

Status CheckRequest(const BacktestRequest& r) {
  const PowerSeries& load = *r.load;
  if (load.step() != kInterval) return InvalidInput("the backtest needs 15-minute load data");
  if (r.pv != nullptr &&
      (r.pv->start() != load.start() || r.pv->size() != load.size() || r.pv->step() != load.step())) {
    return InvalidInput("PV and load series must cover the same 15-minute intervals");
  }
  if ((r.cooling_kw_th != nullptr &&
       (r.cooling_kw_th->start() != load.start() || r.cooling_kw_th->size() != load.size())) ||
      (r.cop != nullptr && (r.cop->start() != load.start() || r.cop->size() != load.size()))) {
    return InvalidInput("the cooling demand and COP must cover the load's 15-minute intervals");
  }
  if (!IsIntervalAligned(load.start()) || ToKst(load.start()).minute_of_day != 0) {
    return InvalidInput("the load must start at a KST midnight");
  }
  const Millis quarter = std::chrono::duration_cast<Millis>(std::chrono::seconds(kInterval));
  if (r.cycle <= Millis(0) || quarter % r.cycle != Millis(0)) {
    return InvalidInput(fmt::format("the cycle ({} ms) must divide 15 minutes", r.cycle.count()));
  }
  for (size_t i = 0; i < load.size(); ++i) {
    if (!load.at(i)) return InvalidInput(fmt::format("the load has a gap at {}", FormatKst(load.TimeAt(i))));
  }
  return Ok{};
}

// The step's reason: the planner's, from the schedule it made at the step's start, and the first
// limit the limit stage applied in the step's cycles (that moved the battery by half a kW or more).
void NoteReason(const ControlLoop& loop, const CycleRecord& rec, bool interval_start, DecisionReason& reason) {
  if (interval_start) {
    const auto& entry = loop.schedule();
    reason = entry && entry->made == rec.time && entry->reason ? *entry->reason : DecisionReason{};
  }
  // A battery power changed by less than half a kW (a plan a hair beyond a rating) is not news.
  const bool moved = std::abs(rec.battery_command.value() - reason.battery_kw) >= 0.5 ||
                     rec.limit == LimitStage::kExport || rec.limit == LimitStage::kUntrusted;
  if (rec.limit != LimitStage::kNone && moved && reason.limit == LimitStage::kNone) {
    reason.limit = rec.limit;
    reason.limited_kw = static_cast<float>(rec.battery_command.value());
  }
}

}  // namespace

Result<BacktestResult> RunBacktest(const BacktestRequest& r, Controller& controller,
                                   const std::function<void(const CycleRecord&)>& on_cycle) {
  MEG_CHECK(r.book && r.calendar && r.site && r.load);
  if (auto s = CheckRequest(r); !s) return s.error();
  const PowerSeries& load = *r.load;
  const Site& site = *r.site;
  const bool has_battery = r.use_battery && site.ess.has_value();
  Site loop_site = site;  // the loop sees the site as the twin has it
  if (!has_battery) loop_site.ess.reset();
  const bool has_pv = r.pv != nullptr && !r.pv->empty();
  if (!has_pv) loop_site.pv.clear();
  if (!r.use_generator) loop_site.generator.reset();
  const bool has_thermal =
      r.use_thermal_storage && site.thermal_storage && site.cooling && r.cooling_kw_th != nullptr && r.cop != nullptr;
  if (!has_thermal) loop_site.thermal_storage.reset();

  // The twin: one meter, one PV inverter, one battery; the loop reads and commands it as live. A
  // PV gap produces nothing.
  std::vector<std::optional<Kilowatts>> pv_values;
  if (has_pv) {
    pv_values.reserve(r.pv->size());
    for (size_t i = 0; i < r.pv->size(); ++i) pv_values.push_back(r.pv->at(i).value_or(Kilowatts(0)));
  }
  SiteTwin twin(load, has_pv ? PowerSeries(load.start(), kInterval, std::move(pv_values)) : PowerSeries(),
                loop_site.ess, 1, 1, ToInstant(load.start()));
  if (loop_site.generator) twin.AddGenerator(*loop_site.generator);
  if (has_thermal) twin.AddThermalStorage(*site.thermal_storage, *site.cooling, *r.cooling_kw_th, *r.cop);
  std::optional<EvTwin> ev;
  if (r.ev_sessions != nullptr && !site.chargers.empty()) {
    ev.emplace(site.chargers, *r.ev_sessions, r.manage_ev, ToInstant(load.start()));
    twin.AddEvChargers(&*ev);
  }
  std::vector<std::unique_ptr<Device>> owned = twin.MakeDevices();
  std::vector<Device*> devices;
  for (auto& d : owned) devices.push_back(d.get());
  DiscardAuditLog audit;  // no trail: no real device is commanded
  LoopConfig config;
  config.cycle = r.cycle;
  ControlLoop loop(LoopSite{&loop_site, r.book, r.calendar, r.tariff}, devices, audit, config);
  loop.SetPlanner(&controller);
  if (ev && r.manage_ev) loop.SetEvChargers(&*ev);  // unmanaged chargers take no limit
  if (r.demand_history != nullptr) loop.RestoreDemand(r.demand_history->Peaks());
  if (has_battery && r.backup_reserve_pct > 0) {
    MEG_TRY(loop.SetBackupReserve(r.backup_reserve_pct, ToInstant(load.start()), "meg simulate"));
  }
  if (has_battery && r.battery_mode)
    MEG_TRY(loop.SetBatteryMode(*r.battery_mode, ToInstant(load.start()), "meg simulate"));

  BacktestResult out;
  out.controller = std::string(controller.name());
  out.start = load.start();
  out.steps.resize(load.size());
  std::vector<std::optional<Kilowatts>> grid(load.size());
  // The site's DR calls, each issued at its time and settled after the year, by the live
  // site's DrDesk.
  DrDesk desk(r.dr != nullptr ? *r.dr : DrProgram{});
  // At the start of each cycle, as the live site does (LiveSite::BeforeCycle): the calls whose
  // issue time has come, their CBL on what the meter has recorded so far.
  loop.SetBeforeCycle([&](Instant now) {
    const Timestamp t = ToTimestamp(now);
    for (const size_t k : desk.DueForIssue(t)) {
      auto c = desk.Issue(k, PowerSeries(load.start(), kInterval, grid), t, *r.calendar);
      if (!c) continue;  // noted by the desk
      if (auto added = loop.AddDrCommitments(std::move(*c), now, "dr-program"); !added) {
        desk.MarkNotIssued(k, "the loop refused its commitments: " + added.error().message);
      }
    }
  });
  std::optional<DayProfile> day;
  SiteTwin::Energy before = twin.energy();
  // Interval i closed: its means from the twin's energy, as its meter and inverters measured them.
  const auto close_interval = [&](size_t i) {
    const SiteTwin::Energy& e = twin.energy();
    const auto mean = [](KilowattHours now, KilowattHours then) {
      return static_cast<float>((now - then).value() / 0.25);
    };
    StepRecord& s = out.steps[i];
    s.load_kw = mean(e.load, before.load);
    s.pv_available_kw = has_pv && r.pv->at(i) ? static_cast<float>(r.pv->at(i)->value()) : 0.0f;
    s.pv_used_kw = mean(e.pv, before.pv);
    s.battery_kw = mean(e.battery, before.battery);
    s.generator_kw = mean(e.generator, before.generator);
    s.thermal_kw_th = static_cast<float>(
        ((e.thermal_discharged - before.thermal_discharged) - (e.thermal_charged - before.thermal_charged)).value() /
        0.25);
    s.thermal_electric_kw = mean(e.thermal_electric, before.thermal_electric);
    s.thermal_soc_pct = has_thermal ? static_cast<float>(twin.thermal_soc_pct()) : 0.0f;
    s.grid_kw = mean(e.grid, before.grid);
    s.ev_kw = mean(e.ev, before.ev);
    s.soc_pct = has_battery ? static_cast<float>(twin.soc_pct(0)) : 0.0f;
    grid[i] = Kilowatts((e.grid - before.grid).value() / 0.25);
    out.load_energy += e.load - before.load;
    out.pv_used_energy += e.pv - before.pv;
    if (s.grid_kw < 0) out.export_energy += KilowattHours(-(e.grid - before.grid).value());
    if (has_pv && r.pv->at(i)) out.pv_available_energy += *r.pv->at(i) * kIntervalHours;
    before = e;
  };

  const size_t n = load.size();
  const double cycle_h = static_cast<double>(r.cycle.count()) / 3'600'000.0;
  const size_t report_every = std::max<size_t>(1, n / 50);
  const Instant end = ToInstant(load.end());
  size_t interval = 0;
  for (Instant now = ToInstant(load.start()); now < end; now += r.cycle) {
    const Timestamp t = ToTimestamp(now);
    const bool interval_start = IsIntervalAligned(t) && now == ToInstant(t);
    if (interval_start) {
      const KstDateTime k = ToKst(t);
      if (!day || day->date != k.date) {
        auto p = ProfileDay(*r.book, *r.calendar, r.tariff, k.date);
        if (!p) return p.error();
        day = *p;
      }
      interval = static_cast<size_t>((t - load.start()) / std::chrono::seconds(kInterval));
      const auto slot = static_cast<size_t>(k.minute_of_day / 15);
      out.steps[interval].band = day->energy_band[slot];
      out.steps[interval].demand_counts = day->demand_counts[slot];
    }
    // The twin's physics up to `now` (the cycle's own reading would move it there just the same):
    // the interval before it has closed and is metered.
    if (auto moved = twin.AdvanceTo(now); !moved) return moved.error();
    if (interval_start && now > ToInstant(load.start())) close_interval(interval - 1);
    const CycleRecord rec = loop.RunCycle(now);
    out.clamped_steps += rec.clamped ? 1 : 0;
    NoteReason(loop, rec, interval_start, out.steps[interval].reason);
    const double changed_kw = std::abs(rec.battery_wish.value() - rec.battery_command.value());
    if (std::isfinite(changed_kw)) {
      out.clamped_energy += KilowattHours(changed_kw * cycle_h);
      out.steps[interval].limit_kwh += static_cast<float>(changed_kw * cycle_h);
    }
    if (on_cycle) on_cycle(rec);
    if (r.progress && interval_start && interval % report_every == 0) {
      r.progress(static_cast<double>(interval) / static_cast<double>(n));
    }
  }
  if (auto s = twin.AdvanceTo(end); !s) return s.error();
  close_interval(n - 1);
  if (has_battery) {
    const Battery& b = twin.battery(0);
    out.charged = b.charged();
    out.discharged = b.discharged();
    out.battery_cycles = b.Cycles();
    const double throughput = (out.charged.value() + out.discharged.value()) / 2.0;
    out.degradation_cost = Won(std::llround(throughput * site.ess->degradation_cost.won()));
  }
  out.grid = PowerSeries(load.start(), kInterval, std::move(grid));
  if (ev) {
    for (size_t k = 0; k < ev->plans().size(); ++k) {
      const EvTwin::Outcome& o = ev->outcomes()[k];
      const EvSessionPlan& p = ev->plans()[k];
      if (p.arrival < load.start() || p.arrival >= load.end()) continue;
      ++out.ev_sessions;
      out.ev_energy += o.delivered;
      const double short_kwh = p.energy.value() - o.delivered.value();
      if (short_kwh > 0.01) {
        out.ev_unmet += KilowattHours(short_kwh);
        ++out.ev_short;
      }
      out.ev_refused += o.refused ? 1 : 0;
    }
  }
  if (has_thermal) {
    out.thermal_charged = twin.energy().thermal_charged;
    out.thermal_discharged = twin.energy().thermal_discharged;
    out.thermal_electric = twin.energy().thermal_electric;
  }
  if (loop_site.generator) {
    const GeneratorSpec& g = *loop_site.generator;
    const SiteTwin::Energy& e = twin.energy();
    out.generated = e.generator;
    out.generator_starts = e.generator_starts;
    const double fuel_kwh = e.generator.value() / (g.electric_efficiency_pct / 100.0);
    out.generator_fuel_cost = Won(std::llround(fuel_kwh * g.fuel_krw_per_kwh));
    out.generator_heat_value = Won(std::llround(fuel_kwh * g.heat_recovery_pct / 100.0 * g.heat_krw_per_kwh));
    out.generator_start_cost = Won(std::llround(e.generator_starts * g.start_krw));
  }

  // Price every whole month with the one bill engine.
  std::vector<Month> months;
  for (const Month m : MonthsCovered(out.grid, site.reading_day)) {
    if (CoversWholeMonth(out.grid, m, site.reading_day)) months.push_back(m);
  }
  BillRequest bill;
  bill.reading_day = site.reading_day;
  bill.tariff = r.tariff;
  bill.contract_power = site.contract_power;
  bill.usage = &out.grid;
  DemandHistory history = r.demand_history != nullptr ? *r.demand_history : DemandHistory{};
  auto bills = BillMonths(*r.book, *r.calendar, bill, months, history);
  if (!bills) return bills.error();
  out.bills = std::move(*bills);
  out.demand = std::move(history);
  // Every call whose event the run metered, in the program's order, on the whole metered year.
  for (size_t k = 0; k < desk.calls().size(); ++k) {
    const DrCall& call = desk.calls()[k];
    const DrCallState state = desk.state(k);
    if (call.start < out.grid.start() || call.end > out.grid.end()) continue;
    if (state != DrCallState::kIssued && state != DrCallState::kNotIssued) continue;
    auto settled = desk.Settle(k, out.grid, *r.calendar);
    if (!settled) return settled.error();
    out.dr.push_back(std::move(*settled));
  }
  out.dr_notes = desk.notes();
  if (r.progress) r.progress(1.0);
  return out;
}

}  // namespace meg
