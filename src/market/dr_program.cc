#include "market/dr_program.h"

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

// The CBL options of `call`: the site's registered method and SAA, with the days that may not be
// reference days (earlier event days, 별표28 3.2; for economic DR the bid day, 3.3) and, for a
// second call of the day with SAA, the first call's SAA (3.2.5), from `usage`.
Result<CblOptions> OptionsFor(const DrCall& call, const DrProgram& program, const IntervalSeries<KilowattHours>& usage,
                              const HolidayCalendar& calendar) {
  CblOptions o = program.cbl;
  const Date day = ToKst(call.start).date;
  const DrCall* first_of_day = nullptr;
  for (const DrCall& other : program.calls) {
    const Date d = ToKst(other.start).date;
    if (d < day) o.excluded_days.push_back(d);
    if (d == day && other.start < call.start && other.kind != DrCallKind::kEconomic &&
        (first_of_day == nullptr || other.start < first_of_day->start)) {
      first_of_day = &other;
    }
  }
  if (call.kind == DrCallKind::kEconomic && ToKst(call.issued).date < day)
    o.excluded_days.push_back(ToKst(call.issued).date);
  if (o.saa && call.kind != DrCallKind::kEconomic && first_of_day != nullptr) {
    MEG_TRY_ASSIGN(first_options, OptionsFor(*first_of_day, program, usage, calendar));
    auto first = ComputeCbl(usage, calendar, DrWindow{first_of_day->start, first_of_day->end}, first_options);
    if (first && first->saa) o.first_event_saa = first->saa->per_hour;
  }
  return o;
}

// The CBL of `call` on the meter as known at `until` (later readings unknown).
Result<CblResult> CblAt(const DrCall& call, const DrProgram& program, const PowerSeries& metered, Timestamp until,
                        const HolidayCalendar& calendar) {
  const Timestamp from = std::max(metered.start(), call.start - kCblHistory);
  const IntervalSeries<KilowattHours> usage = UsageUntil(metered.Slice(from, call.end), until);
  MEG_TRY_ASSIGN(options, OptionsFor(call, program, usage, calendar));
  return ComputeCbl(usage, calendar, DrWindow{call.start, call.end}, options);
}

}  // namespace

Result<std::vector<DrCommitment>> CommitmentsOf(const DrCall& call, const DrProgram& program,
                                                const PowerSeries& metered, Timestamp now,
                                                const HolidayCalendar& calendar) {
  auto cbl = CblAt(call, program, metered, now, calendar);
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
    // What a kWh beyond the request earns and a kWh short of it costs (별표26 Ⅰ.1, Ⅰ.2, Ⅰ.5):
    // reliability calls are paid at MGP (SMP when not given) up to 1.2 x the request; tests at
    // SMP (DRTF = 1); economic DR only up to its plan (SLR = Min{Max(SR, 0), SSR}), a shortfall
    // losing SMP and paying SMP x PPCF (1). The shortfall price is never below the extra price,
    // or the LP could book phantom reduction.
    const double smp = program.smp.won();
    switch (call.kind) {
      case DrCallKind::kReliability:
        c.extra_cap = Kilowatts(call.requested.value() * 0.2);
        c.extra_krw_per_kwh = program.mgp.value_or(program.smp).won();
        break;
      case DrCallKind::kTest:
        c.extra_cap = Kilowatts(call.requested.value() * 0.2);
        c.extra_krw_per_kwh = smp;
        break;
      case DrCallKind::kEconomic:
        c.extra_cap = Kilowatts(0);
        c.extra_krw_per_kwh = smp;
        break;
    }
    c.shortfall_krw_per_kwh = std::max(
        {program.shortfall_krw_per_kwh, c.extra_krw_per_kwh, call.kind == DrCallKind::kEconomic ? 2 * smp : 0.0});
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
  auto cbl = CblAt(call, program, metered, call.end, calendar);
  // 제12.5.2.3조 ④: only a CBL without reference days counts as a reduction of 0; any other error
  // (a calendar that does not cover the lookback, a bad window) is the caller's to see.
  if (!cbl && cbl.error().code != ErrorCode::kNotFound) {
    return Error{cbl.error().code, fmt::format("DR call at {}: {}", FormatKst(call.start), cbl.error().message)};
  }
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
    return Error{settled.error().code,
                 fmt::format("DR call at {}: {}", FormatKst(call.start), settled.error().message)};
  }
  outcome.settlement = std::move(*settled);
  if (!cbl)
    outcome.settlement.notes.push_back("no CBL (reduction counted as 0, 제12.5.2.3조 ④): " + cbl.error().message);
  return outcome;
}

}  // namespace meg
