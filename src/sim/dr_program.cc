#include "sim/dr_program.h"

#include <algorithm>

#include <fmt/format.h>

namespace meg {
namespace {

// Metered energy per 15 minutes (kWh) from the grid power, up to `until` (later values unknown).
IntervalSeries<KilowattHours> UsageUntil(const PowerSeries& metered, Timestamp until) {
  std::vector<std::optional<KilowattHours>> v(metered.size());
  for (size_t i = 0; i < metered.size(); ++i) {
    if (metered.TimeAt(i) + kInterval > until || !metered.at(i)) continue;
    v[i] = *metered.at(i) * kIntervalHours;
  }
  return IntervalSeries<KilowattHours>(metered.start(), metered.step(), std::move(v));
}

CblOptions OptionsFor(const DrCall& call, const DrProgram& program) {
  CblOptions o = program.cbl;
  const Date day = ToKst(call.start).date;
  for (const DrCall& other : program.calls) {  // 3.2: earlier event days are not reference days
    const Date d = ToKst(other.start).date;
    if (d < day) o.excluded_days.push_back(d);
  }
  return o;
}

}  // namespace

Result<std::vector<DrCommitment>> CommitmentsOf(const DrCall& call, const DrProgram& program,
                                                const PowerSeries& metered, Timestamp now,
                                                const HolidayCalendar& calendar) {
  const Timestamp from = std::max(metered.start(), call.start - std::chrono::days(45));
  const PowerSeries window = metered.Slice(from, call.end);
  auto cbl = ComputeCbl(UsageUntil(window, now), calendar, DrWindow{call.start, call.end}, OptionsFor(call, program));
  if (!cbl) return cbl.error();
  const std::vector<DrCallHour> asked = TradingHours(call);
  std::vector<DrCommitment> out;
  for (const CblHour& h : cbl->hours) {
    const double hours = h.event_minutes / 60.0;
    const Timestamp start = std::max(h.hour_start, call.start);
    DrCommitment c;
    c.known_from = call.issued;
    c.start = start;
    c.end = start + std::chrono::minutes(h.event_minutes);
    // The CBL is energy over the covered part of the hour; as a mean power, less the request.
    c.import_cap = Kilowatts(h.baseline.value() / hours - call.requested.value());
    c.extra_cap = Kilowatts(call.requested.value() * 0.2);  // recognised up to 1.2 x the request
    c.extra_krw_per_kwh = program.mgp.value_or(program.smp).won();
    c.shortfall_krw_per_kwh = program.shortfall_krw_per_kwh;
    out.push_back(c);
  }
  if (out.size() != asked.size()) {
    return InvalidInput(fmt::format("call at {}: the CBL has {} trading hours, the call {}", FormatKst(call.start),
                                    out.size(), asked.size()));
  }
  return out;
}

Result<DrCallOutcome> SettleDrCall(const DrCall& call, const DrProgram& program, const PowerSeries& metered,
                                   const HolidayCalendar& calendar) {
  const Timestamp from = std::max(metered.start(), call.start - std::chrono::days(45));
  const PowerSeries window = metered.Slice(from, call.end);
  auto cbl = ComputeCbl(UsageUntil(window, call.end), calendar, DrWindow{call.start, call.end},
                        OptionsFor(call, program));
  const std::vector<DrCallHour> asked = TradingHours(call);
  std::vector<DrSettlementHourInput> hours;
  DrCallOutcome outcome{call, {}, {}};
  if (cbl) {
    outcome.cbl = std::move(*cbl);
    for (size_t k = 0; k < outcome.cbl.hours.size() && k < asked.size(); ++k) {
      hours.push_back(SettlementInput(outcome.cbl.hours[k], asked[k].requested, program.smp, program.mgp));
    }
  } else {
    // 제12.5.2.3조 ④: without a CBL the reduction counts as 0.
    for (const DrCallHour& h : asked) {
      DrSettlementHourInput in;
      in.hour_start = h.hour_start;
      in.event_minutes = h.event_minutes;
      in.requested = h.requested;
      in.smp = program.smp;
      in.mgp = program.mgp;
      hours.push_back(in);
    }
  }
  auto settled = SettleDrEvent(call.kind, hours);
  if (!settled) {
    return Error{settled.error().code, fmt::format("DR call at {}: {}", FormatKst(call.start), settled.error().message)};
  }
  outcome.settlement = std::move(*settled);
  if (!cbl) outcome.settlement.notes.push_back("no CBL (reduction counted as 0, 제12.5.2.3조 ④): " + cbl.error().message);
  return outcome;
}

Result<std::vector<DrCallOutcome>> SettleDrProgram(const DrProgram& program, const PowerSeries& metered,
                                                   const HolidayCalendar& calendar) {
  std::vector<DrCallOutcome> out;
  for (const DrCall& call : program.calls) {
    if (call.start < metered.start() || call.end > metered.end()) continue;
    auto outcome = SettleDrCall(call, program, metered, calendar);
    if (!outcome) return outcome.error();
    out.push_back(std::move(*outcome));
  }
  return out;
}

}  // namespace meg
