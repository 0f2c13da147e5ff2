#include "control/explain_plan.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace meg {
namespace {

constexpr double kIdleKw = 0.05;       // battery power below this is idle (solver noise)
constexpr size_t kRankIntervals = 96;  // the price rank spans 24 h

std::uint8_t SharePct(size_t part, size_t whole) {
  return static_cast<std::uint8_t>(std::lround(100.0 * static_cast<double>(part) / static_cast<double>(whole)));
}

// The reason's fields every code shares.
DecisionReason Base(const DecisionContext& c) {
  DecisionReason r;
  r.band = c.band;
  r.demand_counts = c.demand_counts;
  r.month_peak_kw = static_cast<float>(c.month_peak.value());
  r.ratchet_kw = static_cast<float>(c.ratchet.value());
  r.planned_kw = static_cast<float>(c.planned.value());
  r.battery_kw = static_cast<float>(c.decided.value());
  if (c.dr_cap) r.dr_cap_kw = static_cast<float>(c.dr_cap->value());
  return r;
}

}  // namespace

std::vector<PlannedReserve> PlannedReserves(const DispatchProblem& p, const std::vector<double>& primal, size_t count) {
  MEG_CHECK(primal.size() == static_cast<size_t>(p.model.num_variables()));
  count = std::min(count, p.intervals.size());
  std::vector<PlannedReserve> out(count);
  // Which interval each reserve-scenario column (DispatchInterval::extra) belongs to.
  std::vector<int> interval_of(primal.size(), -1);
  for (size_t u = 0; u < p.intervals.size(); ++u) {
    if (p.intervals[u].extra >= 0) interval_of[static_cast<size_t>(p.intervals[u].extra)] = static_cast<int>(u);
  }
  for (size_t t = 0; t < count; ++t) {
    if (p.intervals[t].extra >= 0)
      out[t].extra_kw = static_cast<float>(primal[static_cast<size_t>(p.intervals[t].extra)]);
    const int row = p.intervals[t].row_reserve_soc;
    if (row < 0) continue;
    // The row reads s_t - sum_u x_u dt / eta_d (+ any other terms) >= SoC min: what it holds back
    // is every term but the stored energy s_t, negated.
    const int soc = t > 0 ? p.intervals[t - 1].soc : -1;
    double kept = 0;
    int first = -1, last = -1;
    for (const LpTerm& term : p.model.rows()[static_cast<size_t>(row)].terms) {
      if (term.var == soc) continue;
      const double x = primal[static_cast<size_t>(term.var)];
      kept -= term.coef * x;
      const int u = interval_of[static_cast<size_t>(term.var)];
      if (u >= 0 && x > 1e-6) {
        first = first < 0 ? u : std::min(first, u);
        last = std::max(last, u);
      }
    }
    if (kept <= 1e-6 || first < 0) continue;
    out[t].kwh = static_cast<float>(kept);
    out[t].from = static_cast<std::uint8_t>(std::min<size_t>(255, static_cast<size_t>(first) - t));
    out[t].to = static_cast<std::uint8_t>(std::min<size_t>(255, static_cast<size_t>(last) + 1 - t));
  }
  return out;
}

DecisionReason ExplainPlannedInterval(const Schedule& plan, size_t i, const PlannedReserve& reserve,
                                      const DecisionContext& c) {
  MEG_CHECK(i < plan.intervals.size());
  const ScheduleInterval& step = plan.intervals[i];
  DecisionReason r = Base(c);
  r.price_krw_per_kwh = static_cast<float>(step.price_krw_per_kwh);
  r.peak_kw = static_cast<float>(step.month_peak.value());
  r.reserve_kwh = reserve.kwh;
  r.reserve_from = reserve.from;
  r.reserve_to = reserve.to;
  if (step.dr_cap && !c.dr_cap) r.dr_cap_kw = static_cast<float>(step.dr_cap->value());
  // The price against the plan's next 24 h.
  const size_t end = std::min(plan.intervals.size(), i + kRankIntervals);
  size_t below = 0, above = 0;
  for (size_t u = i; u < end; ++u) {
    below += plan.intervals[u].price_krw_per_kwh <= step.price_krw_per_kwh + 1e-9 ? 1 : 0;
    above += plan.intervals[u].price_krw_per_kwh >= step.price_krw_per_kwh - 1e-9 ? 1 : 0;
  }
  r.cheaper_pct = SharePct(below, end - i);
  r.dearer_pct = SharePct(above, end - i);
  r.rank_hours = static_cast<std::uint8_t>((end - i + 3) / 4);
  // What the energy is for: the plan's next discharge (when charging, or idle with energy stored).
  const bool stored = step.soc_end.value() > c.soc_floor.value() + 0.5;
  for (size_t u = i + 1; u < end && (stored || c.decided.value() < -kIdleKw); ++u) {
    if (plan.intervals[u].discharge.value() > kIdleKw) {
      r.next_discharge = static_cast<std::uint8_t>(u - i);
      break;
    }
  }

  const double planned = c.planned.value(), guarded = c.guarded.value(), decided = c.decided.value();
  if (decided > guarded + kIdleKw) {
    r.code = DecisionCode::kDischargeDr;
    return r;
  }
  const bool level = std::isfinite(c.plan_peak.value());
  if (guarded > planned + kIdleKw || (level && guarded > -kIdleKw)) {
    r.code = guarded > kIdleKw || level ? DecisionCode::kPeakGuard : DecisionCode::kChargeHeld;
    r.peak_kw = static_cast<float>(c.held.value());
    r.demand_kw = static_cast<float>(c.demand.value());
    if (level) r.plan_peak_kw = static_cast<float>(c.plan_peak.value());
    return r;
  }
  if (decided > kIdleKw) {
    const double import = step.grid_import.value();
    if (step.dr_cap && import >= step.dr_cap->value() - kIdleKw) {
      r.code = DecisionCode::kDischargeDr;
    } else if (step.demand_counts && (import >= step.month_peak.value() - kIdleKw || reserve.extra_kw > kIdleKw)) {
      r.code = DecisionCode::kDischargePeak;
    } else {
      r.code = DecisionCode::kDischargePrice;
    }
  } else if (decided < -kIdleKw) {
    r.code = step.grid_import.value() <= kIdleKw && step.pv_used.value() > kIdleKw ? DecisionCode::kChargePv
                                                                                   : DecisionCode::kChargeCheap;
  } else {
    r.code = reserve.kwh > kIdleKw ? DecisionCode::kIdleReserve : DecisionCode::kIdle;
  }
  return r;
}

DecisionReason FallbackReason(const DecisionContext& context, Kilowatts battery) {
  DecisionContext c = context;
  c.decided = battery;
  c.planned = battery;
  DecisionReason r = Base(c);
  r.code = DecisionCode::kFallback;
  return r;
}

}  // namespace meg
