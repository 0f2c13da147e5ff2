#include "market/brokerage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <set>

namespace meg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool SameGrid(const IntervalSeries<KilowattHours>& a, const IntervalSeries<KilowattHours>& b) {
  return a.start() == b.start() && a.step() == b.step() && a.size() == b.size();
}

Status ValidateSeries(const BrokerageMember& m, const IntervalSeries<KilowattHours>& s,
                      const char* what) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!s.at(i)) continue;
    const double v = s.at(i)->value();
    if (!std::isfinite(v) || v < 0) {
      return InvalidInput(
          fmt::format("brokerage: member {} {} at {} is {} kWh; it must be a finite "
                      "number >= 0 (a gap is a missing value)",
                      m.name, what, FormatKst(s.TimeAt(i)), v));
    }
  }
  return Ok{};
}

Status Validate(const std::vector<BrokerageMember>& members) {
  if (members.empty()) return InvalidInput("brokerage: the aggregated resource has no member");
  std::set<std::string> names;
  const auto& grid = members.front().metered;
  for (const BrokerageMember& m : members) {
    if (!names.insert(m.name).second) {
      return InvalidInput(fmt::format("brokerage: member name {} appears twice", m.name));
    }
    if (!std::isfinite(m.capacity.value()) || m.capacity.value() <= 0) {
      return InvalidInput(fmt::format("brokerage: member {} capacity {} kW must be > 0", m.name,
                                      m.capacity.value()));
    }
    if (m.metered.step() != std::chrono::hours{1} || !SameGrid(m.metered, grid) ||
        !SameGrid(m.forecast, grid)) {
      return InvalidInput(fmt::format(
          "brokerage: member {}: forecast and metered series must be on one hourly grid shared "
          "by every member (that of {})",
          m.name, members.front().name));
    }
    if (!m.curtailed.empty() && m.curtailed.size() != grid.size()) {
      return InvalidInput(fmt::format("brokerage: member {}: curtailed has {} hours, the series {}",
                                      m.name, m.curtailed.size(), grid.size()));
    }
    MEG_TRY(ValidateSeries(m, m.forecast, "forecast"));
    MEG_TRY(ValidateSeries(m, m.metered, "metered"));
  }
  return Ok{};
}

bool Curtailed(const BrokerageMember& m, size_t h) {
  return !m.curtailed.empty() && m.curtailed[h];
}
bool HasData(const BrokerageMember& m, size_t h) { return m.forecast.at(h) && m.metered.at(h); }

// rate x kWh in milli-won, rounded half away from zero to the milli-won.
MilliWon Amount(WonPerKwh rate, KilowattHours kwh) {
  return MilliWon(std::llround(static_cast<double>(rate.milli_won()) * kwh.value()));
}

// Splits `total` won among `shares` (>= 0, not all 0 unless total is 0) by the largest remainder
// method: each member gets the floor of its exact part, the won left over go one each to the
// largest fractional parts, ties to the earlier member. The result sums to `total` exactly.
std::vector<Won> SplitByLargestRemainder(Won total, const std::vector<double>& shares) {
  std::vector<Won> out(shares.size());
  const double sum = std::accumulate(shares.begin(), shares.end(), 0.0);
  if (sum <= 0 || total.value() == 0) return out;
  const double t = static_cast<double>(total.value());
  std::vector<double> frac(shares.size());
  std::int64_t given = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    const double exact = t * shares[i] / sum;
    const double whole = std::floor(exact);
    out[i] = Won(static_cast<std::int64_t>(whole));
    frac[i] = exact - whole;
    given += out[i].value();
  }
  std::vector<size_t> order(shares.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return frac[a] > frac[b]; });
  // Binary error can leave `given` a won off either way; these loops settle the difference.
  for (size_t k = 0; given < total.value(); k = (k + 1) % order.size(), ++given) {
    out[order[k]] += Won(1);
  }
  for (size_t j = order.size(); given > total.value() && j-- > 0;) {
    if (out[order[j]].value() > 0) {
      out[order[j]] = out[order[j]] - Won(1);
      --given;
    }
  }
  MEG_CHECK(given == total.value());
  return out;
}

}  // namespace

IncentiveTier IncentiveTierOf(double capacity_factor_pct, double error_pct,
                              const ForecastIncentiveRules& rules) {
  if (!(capacity_factor_pct >= rules.min_capacity_factor_pct - kIncentiveTolerancePct)) {
    return IncentiveTier::kNone;
  }
  if (error_pct <= rules.tier1_max_error_pct + kIncentiveTolerancePct) return IncentiveTier::kTier1;
  if (error_pct <= rules.tier2_max_error_pct + kIncentiveTolerancePct) return IncentiveTier::kTier2;
  return IncentiveTier::kNone;
}

WonPerKwh IncentiveRate(IncentiveTier tier, const ForecastIncentiveRules& rules) {
  const WonPerKwh base = tier == IncentiveTier::kTier1   ? rules.tier1_rate
                         : tier == IncentiveTier::kTier2 ? rules.tier2_rate
                                                         : WonPerKwh::FromMilliWon(0);
  if (!rules.jeju) return base;
  // milli-won x milli-percent / 100,000; 4,000 x 50,000 / 100,000 = 2,000 (exact for the
  // published rates and factor).
  return WonPerKwh::FromMilliWon(base.milli_won() * rules.jeju_factor.milli_percent() / 100'000);
}

Result<BrokerageSettlement> SettleForecastIncentive(const std::vector<BrokerageMember>& members,
                                                    const ForecastIncentiveRules& rules) {
  MEG_TRY(Validate(members));
  BrokerageSettlement s;
  for (const BrokerageMember& m : members) s.capacity += m.capacity;
  s.admitted = s.capacity > rules.entry_capacity;
  s.paid = s.admitted || rules.settle_below_entry_capacity;

  const size_t n_hours = members.front().metered.size();
  const size_t n = members.size();
  std::vector<double> share_milli(n, 0.0);  // each member's exact share, milli-won
  std::vector<double> weight(n, 0.0);
  std::vector<bool> included(n, false);
  double error_sum = 0;
  std::vector<double> member_error_sum(n, 0.0);
  s.members.resize(n);
  for (size_t k = 0; k < n; ++k) {
    s.members[k].name = members[k].name;
    s.members[k].capacity = members[k].capacity;
  }

  for (size_t h = 0; h < n_hours; ++h) {
    AggregateHour hour;
    hour.start = members.front().metered.TimeAt(h);
    bool missing = false;
    for (size_t k = 0; k < n; ++k) {
      const BrokerageMember& m = members[k];
      MemberSettlement& ms = s.members[k];
      if (m.metered.at(h)) ms.metered += *m.metered.at(h);
      included[k] = !Curtailed(m, h) && HasData(m, h);
      if (!Curtailed(m, h) && !HasData(m, h)) missing = true;
      if (!included[k]) continue;
      // The member alone against its own capacity (information).
      const double cf = 100.0 * m.metered.at(h)->value() / m.capacity.value();
      const double err = 100.0 * std::fabs(m.forecast.at(h)->value() - m.metered.at(h)->value()) /
                         m.capacity.value();
      ++ms.hours;
      if (cf >= rules.min_capacity_factor_pct - kIncentiveTolerancePct) {
        ++ms.qualifying_hours;
        member_error_sum[k] += err;
        const IncentiveTier tier = IncentiveTierOf(cf, err, rules);
        if (tier != IncentiveTier::kNone) ++ms.within_8pct;
        if (tier == IncentiveTier::kTier1) ++ms.within_6pct;
        ms.standalone_incentive += Amount(IncentiveRate(tier, rules), *m.metered.at(h));
      }
      ++hour.members_included;
      hour.capacity += m.capacity;
      hour.forecast += *m.forecast.at(h);
      hour.metered += *m.metered.at(h);
    }
    hour.settled =
        hour.members_included > 0 && !(missing && rules.missing == MissingMemberData::kSkipHour);
    if (!hour.settled) {
      s.hours.push_back(hour);
      continue;
    }
    ++s.settled_hours;
    s.metered += hour.metered;
    hour.capacity_factor_pct = 100.0 * hour.metered.value() / hour.capacity.value();
    hour.error_pct =
        100.0 * std::fabs(hour.forecast.value() - hour.metered.value()) / hour.capacity.value();
    hour.qualifies =
        hour.capacity_factor_pct >= rules.min_capacity_factor_pct - kIncentiveTolerancePct;
    hour.tier = IncentiveTierOf(hour.capacity_factor_pct, hour.error_pct, rules);
    if (hour.qualifies) {
      ++s.qualifying_hours;
      error_sum += hour.error_pct;
      if (hour.tier != IncentiveTier::kNone) ++s.within_8pct;
      if (hour.tier == IncentiveTier::kTier1) ++s.within_6pct;
    }
    if (s.paid && hour.tier != IncentiveTier::kNone) {
      hour.rate = IncentiveRate(hour.tier, rules);
      hour.incentive = Amount(hour.rate, hour.metered);
      s.incentive_exact += hour.incentive;
      s.paid_kwh += hour.metered;
      // The broker's split of this hour among the members included in it.
      double weight_sum = 0;
      for (size_t k = 0; k < n; ++k) {
        weight[k] = 0;
        if (!included[k]) continue;
        const BrokerageMember& m = members[k];
        const double kwh = m.metered.at(h)->value();
        s.members[k].metered_in_paid_hours += *m.metered.at(h);
        switch (rules.distribution) {
          case IncentiveDistribution::kMeteredEnergy:
            weight[k] = kwh;
            break;
          case IncentiveDistribution::kCapacity:
            weight[k] = m.capacity.value();
            break;
          case IncentiveDistribution::kOwnAccuracy: {
            const double cf = 100.0 * kwh / m.capacity.value();
            const double err =
                100.0 * std::fabs(m.forecast.at(h)->value() - kwh) / m.capacity.value();
            weight[k] = kwh * IncentiveRate(IncentiveTierOf(cf, err, rules), rules).won();
            break;
          }
        }
        weight_sum += weight[k];
      }
      if (weight_sum <= 0) {  // kOwnAccuracy with no accurate member: by metered energy
        for (size_t k = 0; k < n; ++k) {
          weight[k] = included[k] ? members[k].metered.at(h)->value() : 0.0;
          weight_sum += weight[k];
        }
      }
      for (size_t k = 0; k < n; ++k) {
        if (weight[k] > 0) {
          share_milli[k] += static_cast<double>(hour.incentive.value()) * weight[k] / weight_sum;
        }
      }
    }
    s.hours.push_back(hour);
  }
  s.mean_error_pct =
      s.qualifying_hours == 0 ? kNaN : error_sum / static_cast<double>(s.qualifying_hours);
  for (size_t k = 0; k < n; ++k) {
    MemberSettlement& ms = s.members[k];
    ms.mean_error_pct = ms.qualifying_hours == 0
                            ? kNaN
                            : member_error_sum[k] / static_cast<double>(ms.qualifying_hours);
  }
  s.incentive =
      rules.truncate_to_won ? s.incentive_exact.TruncateToWon() : s.incentive_exact.RoundToWon();
  const std::vector<Won> split = SplitByLargestRemainder(s.incentive, share_milli);
  for (size_t k = 0; k < n; ++k) s.members[k].incentive = split[k];
  return s;
}

}  // namespace meg
