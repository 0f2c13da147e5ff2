#include "optimize/dr_split.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace meg {

namespace {

bool NonNegative(double v) { return std::isfinite(v) && v >= 0; }

Status CheckInput(const DrSplitInput& in) {
  if (in.hours.empty()) return InvalidInput("a DR split needs at least one hour");
  if (in.members.empty()) return InvalidInput("a DR split needs at least one member");
  if (!NonNegative(in.margin)) return InvalidInput(fmt::format("DR split margin {} is not >= 0", in.margin));
  for (size_t h = 0; h < in.hours.size(); ++h) {
    const DrSplitHour& hour = in.hours[h];
    if (hour.minutes < 1 || hour.minutes > 60) {
      return InvalidInput(fmt::format("DR split hour {}: {} minutes is outside 1..60", h, hour.minutes));
    }
    if (!NonNegative(hour.requested_kw)) {
      return InvalidInput(fmt::format("DR split hour {}: requested {} kW is not >= 0", h, hour.requested_kw));
    }
  }
  for (const DrSplitMember& m : in.members) {
    if (m.capacity_kw.size() != in.hours.size()) {
      return InvalidInput(
          fmt::format("DR split member {}: {} capacities for {} hours", m.id, m.capacity_kw.size(), in.hours.size()));
    }
    if (!std::all_of(m.capacity_kw.begin(), m.capacity_kw.end(), NonNegative)) {
      return InvalidInput(fmt::format("DR split member {}: a capacity is negative or not finite", m.id));
    }
    if (!std::isfinite(m.cost_krw_per_kwh)) {
      return InvalidInput(fmt::format("DR split member {}: cost is not finite", m.id));
    }
    if (m.energy_kwh && !NonNegative(*m.energy_kwh)) {
      return InvalidInput(fmt::format("DR split member {}: energy {} kWh is not >= 0", m.id, *m.energy_kwh));
    }
  }
  return Ok{};
}

double Hours(const DrSplitHour& h) { return h.minutes / 60.0; }

struct Variables {
  std::vector<std::vector<int>> share;  // [member][hour]: the same index in every hour when constant
  std::vector<int> unmet;               // [hour]
};

// The rows and variables common to both phases; `priced` puts the members' costs in the
// objective (phase 2), otherwise the unmet energy (phase 1).
Variables AddSplit(const DrSplitInput& in, bool priced, LpModel& m) {
  Variables v;
  const size_t hours = in.hours.size();
  for (size_t i = 0; i < in.members.size(); ++i) {
    const DrSplitMember& mem = in.members[i];
    std::vector<int> per_hour(hours);
    if (in.constant_shares) {
      const double cap = *std::min_element(mem.capacity_kw.begin(), mem.capacity_kw.end());
      double window_hours = 0;
      for (const DrSplitHour& h : in.hours) window_hours += Hours(h);
      const int x = m.AddVariable(fmt::format("x_{}", i), 0, cap, priced ? mem.cost_krw_per_kwh * window_hours : 0);
      std::fill(per_hour.begin(), per_hour.end(), x);
    } else {
      for (size_t h = 0; h < hours; ++h) {
        per_hour[h] = m.AddVariable(fmt::format("x_{}_{}", i, h), 0, mem.capacity_kw[h],
                                    priced ? mem.cost_krw_per_kwh * Hours(in.hours[h]) : 0);
      }
    }
    v.share.push_back(std::move(per_hour));
  }
  for (size_t h = 0; h < hours; ++h) {
    v.unmet.push_back(m.AddVariable(fmt::format("u_{}", h), 0, kLpInfinity, priced ? 0 : Hours(in.hours[h])));
  }
  for (size_t h = 0; h < hours; ++h) {
    std::vector<LpTerm> terms;
    for (const auto& member : v.share) terms.push_back({member[h], 1});
    terms.push_back({v.unmet[h], 1});
    m.AddRow(fmt::format("hour_{}", h), in.hours[h].requested_kw * (1 + in.margin), kLpInfinity, std::move(terms));
  }
  for (size_t i = 0; i < in.members.size(); ++i) {
    if (!in.members[i].energy_kwh) continue;
    std::vector<LpTerm> terms;
    if (in.constant_shares) {
      double window_hours = 0;
      for (const DrSplitHour& h : in.hours) window_hours += Hours(h);
      terms.push_back({v.share[i][0], window_hours});
    } else {
      for (size_t h = 0; h < hours; ++h) terms.push_back({v.share[i][h], Hours(in.hours[h])});
    }
    m.AddRow(fmt::format("energy_{}", i), -kLpInfinity, *in.members[i].energy_kwh, std::move(terms));
  }
  return v;
}

}  // namespace

bool DrSplit::Meets() const {
  return status == SolveStatus::kOptimal &&
         std::all_of(margin_shortfall_kw.begin(), margin_shortfall_kw.end(), [](double s) { return s <= 1e-6; });
}

Result<LpModel> BuildDrSplitModel(const DrSplitInput& input, double max_shortfall_kwh) {
  MEG_TRY(CheckInput(input));
  if (!NonNegative(max_shortfall_kwh)) {
    return InvalidInput(fmt::format("DR split: max shortfall {} kWh is not >= 0", max_shortfall_kwh));
  }
  LpModel m;
  const Variables v = AddSplit(input, /*priced=*/true, m);
  std::vector<LpTerm> terms;
  for (size_t h = 0; h < input.hours.size(); ++h) terms.push_back({v.unmet[h], Hours(input.hours[h])});
  m.AddRow("short", -kLpInfinity, max_shortfall_kwh, std::move(terms));
  return m;
}

Result<DrSplit> SplitDrCall(const DrSplitInput& input, LpSolver& solver) {
  MEG_TRY(CheckInput(input));
  DrSplit out;
  // Phase 1: the least target energy the members cannot commit.
  LpModel least_short;
  AddSplit(input, /*priced=*/false, least_short);
  MEG_TRY_ASSIGN(first, solver.Solve(least_short, {}));
  if (first.status != SolveStatus::kOptimal) {
    out.status = first.status;
    out.message = "least-shortfall LP: " + first.message;
    return out;
  }
  // Phase 2: the cheapest split within that shortfall: none when phase 1 found none (below
  // 1e-9 kWh is the solver's rounding), else with a relative tolerance for that rounding.
  const double shortfall = first.objective > 1e-9 ? first.objective * (1 + 1e-9) : 0.0;
  MEG_TRY_ASSIGN(model, BuildDrSplitModel(input, shortfall));
  MEG_TRY_ASSIGN(second, solver.Solve(model, {}));
  out.status = second.status;
  if (second.status != SolveStatus::kOptimal) {
    out.message = "least-cost LP: " + second.message;
    return out;
  }
  // The variables are in AddSplit's order: the shares member by member, then u_h.
  const size_t hours = input.hours.size();
  int next = 0;
  for (size_t i = 0; i < input.members.size(); ++i) {
    std::vector<double> shares(hours);
    if (input.constant_shares) {
      std::fill(shares.begin(), shares.end(), std::max(0.0, second.primal[static_cast<size_t>(next++)]));
    } else {
      for (size_t h = 0; h < hours; ++h) shares[h] = std::max(0.0, second.primal[static_cast<size_t>(next++)]);
    }
    out.share_kw.push_back(std::move(shares));
  }
  for (size_t h = 0; h < hours; ++h) {
    double committed = 0;
    for (size_t i = 0; i < input.members.size(); ++i) {
      committed += out.share_kw[i][h];
      out.cost_krw += input.members[i].cost_krw_per_kwh * out.share_kw[i][h] * Hours(input.hours[h]);
    }
    const double target = input.hours[h].requested_kw * (1 + input.margin);
    out.target_kw.push_back(target);
    out.committed_kw.push_back(committed);
    // Below 1e-6 kW the difference is the solver's rounding.
    const auto gap = [](double d) { return d > 1e-6 ? d : 0.0; };
    out.shortfall_kw.push_back(gap(input.hours[h].requested_kw - committed));
    out.margin_shortfall_kw.push_back(gap(target - committed));
  }
  return out;
}

}  // namespace meg
