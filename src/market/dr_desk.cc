#include "market/dr_desk.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/check.h"

namespace meg {

std::string_view DrCallStateName(DrCallState state) {
  switch (state) {
    case DrCallState::kWaiting: return "waiting";
    case DrCallState::kIssued: return "issued";
    case DrCallState::kNotIssued: return "not_issued";
    case DrCallState::kSettled: return "settled";
    case DrCallState::kNotSettled: return "not_settled";
  }
  return "unknown";
}

DrDesk::DrDesk(DrProgram program)
    : program_(std::move(program)),
      states_(program_.calls.size(), DrCallState::kWaiting),
      continuation_(program_.calls.size(), false) {}

Result<size_t> DrDesk::Add(DrCall call, const DrDispatchRules& rules, const HolidayCalendar& calendar) {
  MEG_TRY(ValidateDrCall(call, rules, calendar));
  // The rules of the day see the calls KPX made: a continuation (Revise) is part of its call.
  std::vector<DrCall> all;
  for (size_t k = 0; k < program_.calls.size(); ++k) {
    if (!continuation_[k]) all.push_back(program_.calls[k]);
  }
  all.push_back(call);
  MEG_TRY(ValidateDrCallsOfDay(all, rules));
  program_.calls.push_back(std::move(call));
  states_.push_back(DrCallState::kWaiting);
  continuation_.push_back(false);
  return program_.calls.size() - 1;
}

Result<size_t> DrDesk::Revise(size_t call, Timestamp from, Kilowatts requested, Timestamp now) {
  if (call >= program_.calls.size()) return InvalidInput(fmt::format("no DR call {} to revise", call));
  DrCall& c = program_.calls[call];
  const std::string name = FormatKst(c.start);
  if (states_[call] != DrCallState::kWaiting && states_[call] != DrCallState::kIssued) {
    return InvalidInput(fmt::format("DR call at {} is {}: too late to revise", name, DrCallStateName(states_[call])));
  }
  if (IntervalStart(from) != from || !(c.start < from && from < c.end)) {
    return InvalidInput(
        fmt::format("DR call at {}: a revision from {} is not a quarter-hour inside the call", name, FormatKst(from)));
  }
  if (now > from) {
    return InvalidInput(
        fmt::format("DR call at {}: a revision from {} comes too late at {}", name, FormatKst(from), FormatKst(now)));
  }
  if (!(requested.value() > 0)) {
    return InvalidInput(fmt::format("DR call at {}: a revision must ask for more than 0 kW", name));
  }
  DrCall rest{c.kind, c.resource_id, now, from, c.end, requested};
  c.end = from;
  program_.calls.push_back(std::move(rest));
  states_.push_back(DrCallState::kWaiting);
  continuation_.push_back(true);
  return program_.calls.size() - 1;
}

std::vector<size_t> DrDesk::DueForIssue(Timestamp now) const {
  std::vector<size_t> due;
  for (size_t k = 0; k < states_.size(); ++k) {
    if (states_[k] == DrCallState::kWaiting && program_.calls[k].issued <= now) due.push_back(k);
  }
  std::stable_sort(due.begin(), due.end(),
                   [&](size_t a, size_t b) { return program_.calls[a].issued < program_.calls[b].issued; });
  return due;
}

Result<std::vector<DrCommitment>> DrDesk::Issue(size_t call, const PowerSeries& metered_so_far, Timestamp now,
                                                const HolidayCalendar& calendar) {
  MEG_CHECK(state(call) == DrCallState::kWaiting);
  const DrCall& c = program_.calls[call];
  auto commitments = CommitmentsOf(c, program_, metered_so_far, now, calendar);
  if (!commitments) {
    MarkNotIssued(call, fmt::format("no CBL at issue, not planned for: {}", commitments.error().message));
    return commitments.error();
  }
  states_[call] = DrCallState::kIssued;
  return commitments;
}

void DrDesk::MarkNotIssued(size_t call, std::string_view reason) {
  MEG_CHECK(state(call) == DrCallState::kWaiting || state(call) == DrCallState::kIssued);
  states_[call] = DrCallState::kNotIssued;
  notes_.push_back(fmt::format("DR call at {}: {}", FormatKst(program_.calls[call].start), reason));
}

std::vector<size_t> DrDesk::DueForSettlement(Timestamp now) const {
  std::vector<size_t> due;
  for (size_t k = 0; k < states_.size(); ++k) {
    const bool open = states_[k] == DrCallState::kIssued || states_[k] == DrCallState::kNotIssued;
    // A quarter-hour after the end: the event's last quarter-hour [end - 15 min, end) is in.
    if (open && now >= program_.calls[k].end + kInterval) due.push_back(k);
  }
  return due;
}

Result<DrCallOutcome> DrDesk::Settle(size_t call, const PowerSeries& metered, const HolidayCalendar& calendar) {
  MEG_CHECK(state(call) == DrCallState::kIssued || state(call) == DrCallState::kNotIssued);
  auto outcome = SettleDrCall(program_.calls[call], program_, metered, calendar);
  if (!outcome) {
    states_[call] = DrCallState::kNotSettled;
    notes_.push_back(outcome.error().message + " (not settled)");  // it names the call
    return outcome.error();
  }
  states_[call] = DrCallState::kSettled;
  return outcome;
}

void DrDesk::MarkNotSettled(size_t call, std::string_view reason) {
  MEG_CHECK(state(call) == DrCallState::kIssued || state(call) == DrCallState::kNotIssued);
  states_[call] = DrCallState::kNotSettled;
  notes_.push_back(fmt::format("DR call at {}: not settled: {}", FormatKst(program_.calls[call].start), reason));
}

}  // namespace meg
