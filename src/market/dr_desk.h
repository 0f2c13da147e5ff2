// DrDesk: the lifecycle of a site's demand-response calls, one for the year backtest and the live
// site: each call waits for its issue time, is issued (its CBL on the meter so far becomes the
// planner's commitments, market/dr_program.h) and, once its last quarter-hour has closed, is
// settled on the metered import. Pure: the caller passes the time and the meter; nothing here
// reads a clock or a store. Not thread-safe: one owner (the control thread, or the backtest).
//
//   DrDesk desk(program);
//   for (size_t k : desk.DueForIssue(now))
//     if (auto c = desk.Issue(k, metered_so_far, now, calendar)) hold(*c);
//   for (size_t k : desk.DueForSettlement(now))
//     if (auto o = desk.Settle(k, metered, calendar)) report(*o);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/dr_commitment.h"
#include "core/result.h"
#include "core/series.h"
#include "market/dr_event.h"
#include "market/dr_program.h"

namespace meg {

// What became of one call. Each call moves forward only:
//   kWaiting -> kIssued | kNotIssued -> kSettled | kNotSettled.
enum class DrCallState {
  kWaiting,     // before its issue time
  kIssued,      // commitments made from the CBL at the issue time
  kNotIssued,   // no commitments (no CBL at issue, or the caller could not put them in force);
                // not retried, still settled (a reduction of 0 without a CBL, 제12.5.2.3조 ④)
  kSettled,     // settled on the metered import
  kNotSettled,  // the settlement failed (noted); not retried
};
std::string_view DrCallStateName(DrCallState state);  // "waiting", "issued", "not_issued", ...

// DrDesk holds a DrProgram (its calls, CBL options and prices) and one state per call, indexed
// as program().calls. Invariant: states_.size() == continuation_.size() == program_.calls.size().
class DrDesk {
 public:
  DrDesk() = default;
  explicit DrDesk(DrProgram program);

  // Adds a call that arrived after the start (e.g. through the API), checked by `rules` alone
  // and with the calls of its day the desk holds already (제12.4.3.1조). Returns its index.
  Result<size_t> Add(DrCall call, const DrDispatchRules& rules, const HolidayCalendar& calendar);

  // An aggregator's new share for the rest of call `call` (the fleet center's re-split when a
  // member of its resource fails mid-event, center/fleet_dr.h): `call` now ends at `from`, and a
  // continuation over [from, its old end) asking `requested`, issued at `now`, is added (due for
  // issue at once). KPX's dispatch rules (제12.4.3.1조: notice, calls a day, no overlap) bind
  // the resource's call, not a member's share of it: the continuation is not checked by them and
  // later calls are checked without it. Each part settles on its own window (별표28 3.2.4: a
  // partial trading hour is computed on the event's intervals). When `call` was issued, its
  // commitments from `from` on are the caller's to withdraw (ControlLoop::WithdrawDrCommitments).
  // Returns the continuation's index. Errors: `call` is not waiting or issued, `from` is off the
  // 15-minute grid or not inside (start, end), `now` is after `from`, `requested` <= 0.
  Result<size_t> Revise(size_t call, Timestamp from, Kilowatts requested, Timestamp now);
  // True for a continuation made by Revise.
  bool continuation(size_t call) const { return continuation_.at(call); }

  // The waiting calls whose issue time has come (issued <= now), earliest issued first.
  std::vector<size_t> DueForIssue(Timestamp now) const;
  // Issues waiting call `call`: its commitments from the metered grid import known before
  // `now` (kW per quarter-hour, + import; from at least kCblHistory before the event). On
  // success the call is kIssued; on failure (e.g. too little history) it is kNotIssued with a
  // note, and not retried. REQUIRES: state(call) == kWaiting.
  Result<std::vector<DrCommitment>> Issue(size_t call, const PowerSeries& metered_so_far, Timestamp now,
                                          const HolidayCalendar& calendar);
  // For a caller that could not use the commitments of an issued call (its meter could not be
  // read, the loop refused them): the call becomes kNotIssued, with `reason` as a note.
  // REQUIRES: state(call) is kWaiting or kIssued.
  void MarkNotIssued(size_t call, std::string_view reason);

  // The issued (or not issued) calls due for settlement: now >= end + 15 min, a quarter-hour
  // after the event, when its last quarter-hour is surely metered (as the live loop holds it).
  std::vector<size_t> DueForSettlement(Timestamp now) const;
  // Settles `call` on the metered grid import (which must cover the event and the CBL's
  // lookback). kSettled on success; kNotSettled with a note on failure, not retried.
  // REQUIRES: state(call) is kIssued or kNotIssued.
  Result<DrCallOutcome> Settle(size_t call, const PowerSeries& metered, const HolidayCalendar& calendar);

  // For a caller that could not settle a call due for settlement (its meter could not be read):
  // the call becomes kNotSettled, with `reason` as a note. REQUIRES: state(call) is kIssued or
  // kNotIssued.
  void MarkNotSettled(size_t call, std::string_view reason);

  DrCallState state(size_t call) const { return states_.at(call); }
  const std::vector<DrCall>& calls() const { return program_.calls; }
  const DrProgram& program() const { return program_; }
  // What went wrong, in order, e.g.
  // "DR call at 2024-08-12T14:00:00+09:00: no CBL at issue, not planned for: ...".
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  DrProgram program_;
  std::vector<DrCallState> states_;
  std::vector<bool> continuation_;
  std::vector<std::string> notes_;
};

}  // namespace meg
