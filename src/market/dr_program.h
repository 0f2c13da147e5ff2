// A site's demand-response participation in the year backtest and the live loop alike: at each
// call's issue time the customer baseline load (market/cbl.h) of the metered grid import so far
// becomes the planner's commitments (core/dr_commitment.h); after the event the call is
// settled (market/dr_settlement.h) on the metered import. Pure functions; thread-compatible.
// The lifecycle of the calls (when to issue, when to settle, what became of each) is DrDesk's
// (market/dr_desk.h).
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "core/calendar.h"
#include "core/dr_commitment.h"
#include "core/result.h"
#include "core/series.h"
#include "market/cbl.h"
#include "market/dr_event.h"
#include "market/dr_settlement.h"

namespace meg {

// What the site registered and the prices it plans with.
struct DrProgram {
  std::vector<DrCall> calls;     // validated (ParseDrCalls)
  CblOptions cbl;                // method and options the site registered (별표28 3.1)
  WonPerKwh smp;                 // SMP assumed for the energy payment (the planner's and settlement's)
  std::optional<WonPerKwh> mgp;  // MGP, when known (reliability calls are paid at it, 별표26 Ⅰ.2 가)
  // What the plan counts for a kWh short of the request: the payment lost plus the penalty the
  // shortfall risks (기본위약금, 별표26 Ⅰ.5 나; the trading restriction after three events below
  // 80 %). A planning weight (`--dr-shortfall-krw-per-kwh`, 1,000 by default in the commands);
  // CommitmentsOf never prices it below what a kWh of extra reduction earns.
  double shortfall_krw_per_kwh = 0;
};

// The meter history a call's CBL reads: from this long before the event's start. It covers the
// 20-weekday lookback of Mid(6/10) (별표28 3.2.1, about 4 weeks) with room for earlier event days,
// which do not count toward the lookback.
inline constexpr std::chrono::days kCblHistory{45};

// The commitments (one per trading hour) of `call`, from the metered grid import (kW, 15-minute,
// + import) measured before `now`. The CBL excludes the dates of the program's other calls before
// this one (별표28 3.2). Errors: ComputeCbl's (e.g. too little history).
Result<std::vector<DrCommitment>> CommitmentsOf(const DrCall& call, const DrProgram& program,
                                                const PowerSeries& metered, Timestamp now,
                                                const HolidayCalendar& calendar);

// One call after the fact: its CBL on the whole metered series, and its settlement.
struct DrCallOutcome {
  DrCall call;
  CblResult cbl;
  DrEventSettlement settlement;
};

// Settles `call` (one of `program`'s) on the metered grid import. A call whose CBL cannot be
// computed (too little history) is settled with a reduction of 0 and a note (제12.5.2.3조 ④).
Result<DrCallOutcome> SettleDrCall(const DrCall& call, const DrProgram& program, const PowerSeries& metered,
                                   const HolidayCalendar& calendar);

}  // namespace meg
