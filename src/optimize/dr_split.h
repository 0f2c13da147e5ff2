// The split of an aggregated DR resource's call across its member sites (수요관리사업자, KPX
// 전력시장운영규칙 제12장): an LP that gives each member a share of the reduction in each trading
// hour, within what the member can deliver, at least cost, so that the shares add up to the
// request plus an over-commitment margin. Pure functions over values; thread-safe (the LpSolver
// is the caller's, one per thread). docs/dr.md "Aggregated DR" has the model and an example.
//
//   DrSplitInput in{.hours = {{60, 500}, {60, 500}}, .members = {...}, .margin = 0.05};
//   auto split = SplitDrCall(in, solver);   // e.g. ClpCbcSolver
//   if (!split->Meets()) ...split->shortfall_kw[h]...
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "optimize/lp.h"

namespace meg {

// One trading hour of the call: the part of it the call covers (15, 30, 45 or 60 minutes) and
// the reduction asked of the resource, a mean power over those minutes (kW).
struct DrSplitHour {
  int minutes = 60;
  double requested_kw = 0;
};

// What one member can deliver and what a kWh of its reduction costs.
struct DrSplitMember {
  std::string id;
  // The reduction it can deliver in each hour of the call, kW (>= 0; one per hour).
  std::vector<double> capacity_kw;
  // What a kWh of its reduction costs the aggregator (a declared price, battery wear, the energy
  // it would otherwise sell...), KRW/kWh; may be 0 (a reduction it makes anyway).
  double cost_krw_per_kwh = 0;
  // The energy it can deliver over the whole call, kWh (a battery's energy above its reserve):
  // sum over hours of share x minutes / 60 <= energy. nullopt: no limit beyond capacity_kw.
  std::optional<double> energy_kwh;
};

struct DrSplitInput {
  std::vector<DrSplitHour> hours;
  std::vector<DrSplitMember> members;
  // Over-commitment: the shares must add up to requested x (1 + margin) in each hour. A member
  // that delivers a little less than its share (forecast error, a slow battery) then leaves the
  // resource at or above its request; at 0.03 the resource stays above the 97 % of 별표26 Ⅰ.5 나
  // (no 기본위약금) even when every member delivers 3 % less than asked. The recognised
  // reduction is capped at 1.2 x the request (별표26 Ⅰ.2 가), so a margin above 0.2 is wasted.
  double margin = 0.05;
  // One share per member for the whole call (the same kW in every hour), as a member's DR desk
  // holds one request per call (core/dr_commitment.h). false: a share per member and hour.
  bool constant_shares = false;
};

// The split. share_kw[m][h] is member m's share in hour h (kW). When the members cannot deliver
// the target in some hour, the split delivers as much as they can (the least total shortfall of
// energy over the call) and, among such splits, costs least.
struct DrSplit {
  SolveStatus status = SolveStatus::kError;   // of the solve (kOptimal when a split was found)
  std::string message;                        // why, when not kOptimal
  std::vector<std::vector<double>> share_kw;  // [member][hour]
  std::vector<double> target_kw;              // [hour] requested x (1 + margin)
  std::vector<double> committed_kw;           // [hour] sum of the shares
  std::vector<double> shortfall_kw;           // [hour] Max(requested - committed, 0)
  std::vector<double> margin_shortfall_kw;    // [hour] Max(target - committed, 0)
  double cost_krw = 0;                        // sum of cost x share x minutes / 60
  // True when every hour's target (margin included) is committed.
  bool Meets() const;
};

// The LP whose optimum is the cheapest split with at most `max_shortfall_kwh` of target energy
// not committed over the call (0: every hour's target met). Variables x_m_h (or x_m with
// constant_shares), the share in kW, within [0, capacity]; u_h >= 0 the target not committed.
// Rows: hour_h: sum_m x_m_h + u_h >= target_h; energy_m: sum_h x_m_h dt_h <= energy_m;
// short: sum_h u_h dt_h <= max_shortfall_kwh. Objective: sum cost_m x_m_h dt_h (KRW), dt_h =
// minutes / 60. Written by WriteLpFormat, the same model glpsol solves.
// Errors: no hours, no members, a member without one capacity per hour, negative or non-finite
// numbers, minutes outside 1..60.
Result<LpModel> BuildDrSplitModel(const DrSplitInput& input, double max_shortfall_kwh);

// The split: first the least shortfall (an LP that minimises sum u_h dt_h), then the cheapest
// split that commits that much (BuildDrSplitModel). Errors: the input's, or the solver could not
// run; a solve that finds no optimum is a status in the split.
Result<DrSplit> SplitDrCall(const DrSplitInput& input, LpSolver& solver);

}  // namespace meg
