#include "app/report/brokerage_report.h"

#include <fmt/format.h>

#include <cmath>

#include "core/text.h"

namespace meg {
namespace {

std::string Num(double v, int decimals = 1) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : "n/a"; }

}  // namespace

std::string RenderBrokerText(const BrokerageSettlement& s, const std::string& period, const std::string& forecaster,
                             const std::vector<std::string>& excluded, const ForecastIncentiveRules& rules) {
  std::string out = fmt::format(
      "Small-scale brokerage: the KPX renewable forecast incentive (전력시장운영규칙 ch. 14) of "
      "the "
      "healthy GIST PV systems as one aggregated resource (예측형 집합전력자원), {}, forecaster "
      "{}.\n"
      "Aggregate capacity {:.1f} kWp: {} the 20 MW entry size (제14.1.1조 5호); settled as if "
      "admitted.\n\n",
      period, forecaster, s.capacity.value(), s.admitted ? "above" : "BELOW");
  out += fmt::format("{:<18}{:>8}{:>11}{:>7}{:>7}{:>7}{:>9}{:>12}{:>12}\n", "member", "kWp", "metered", "CF>=10",
                     "<=6%", "<=8%", "err %", "alone KRW", "share KRW");
  for (const MemberSettlement& m : s.members) {
    out += fmt::format("{}{:>8.1f}{:>11.0f}{:>7}{:>7}{:>7}{:>9}{:>12.0f}{:>12}\n", PadToWidth(m.name, 18),
                       m.capacity.value(), m.metered.value(), m.qualifying_hours, m.within_6pct, m.within_8pct,
                       Num(m.mean_error_pct), static_cast<double>(m.standalone_incentive.value()) / 1000.0,
                       m.incentive.value());
  }
  Won shares;
  MilliWon alone;
  for (const MemberSettlement& m : s.members) {
    shares += m.incentive;
    alone += m.standalone_incentive;
  }
  out +=
      fmt::format("{:<18}{:>8.1f}{:>11.0f}{:>7}{:>7}{:>7}{:>9}{:>12.0f}{:>12}\n", "members (sum)", s.capacity.value(),
                  s.metered.value(), "", "", "", "", static_cast<double>(alone.value()) / 1000.0, shares.value());
  out += fmt::format("{:<18}{:>8.1f}{:>11.0f}{:>7}{:>7}{:>7}{:>9}{:>12}{:>12}\n", "aggregate", s.capacity.value(),
                     s.metered.value(), s.qualifying_hours, s.within_6pct, s.within_8pct, Num(s.mean_error_pct), "",
                     s.incentive.value());
  out += fmt::format(
      "\nAggregate: {} settled hours, {} with capacity factor >= 10 %, {} within 6 % (4 KRW/kWh), "
      "{} within 8 % (3 KRW/kWh){}; paid on {:.0f} kWh metered: {} KRW ({:.3f} KRW exact).\n",
      s.settled_hours, s.qualifying_hours, s.within_6pct, s.within_8pct - s.within_6pct,
      rules.jeju ? ", Jeju x 0.5" : "", s.paid_kwh.value(), s.incentive.value(),
      static_cast<double>(s.incentive_exact.value()) / 1000.0);
  out +=
      "\nThe incentive is judged on the aggregate only: forecast = sum of the members' forecasts, "
      "metered = sum of their metered energy, error = |forecast - metered| / capacity, paid on "
      "the metered kWh of the qualifying hours. 'alone KRW' is what a member would earn judged "
      "alone (information, not a payment); 'share KRW' is the broker's split of the aggregate's "
      "incentive (" +
      std::string(rules.distribution == IncentiveDistribution::kMeteredEnergy
                      ? "pro rata to metered kWh in each paid hour"
                  : rules.distribution == IncentiveDistribution::kCapacity
                      ? "pro rata to capacity in each paid hour"
                      : "pro rata to metered kWh x the member's own rate in each paid hour") +
      "). GIST samples are instantaneous kW at the clock hour and stand for the hour's kWh; "
      "capacities are kWp fitted by energy before the first forecast (registered capacities are "
      "not in the data); logger-loss hours are not settled. See "
      "docs/trading-brokerage-market.md.\n";
  if (!excluded.empty()) {
    out += "\nExcluded by the data screen (as `meg pv-validate`):\n";
    for (const auto& e : excluded) out += "- " + e + "\n";
  }
  return out;
}

nlohmann::json BrokerJson(const BrokerageSettlement& s, const std::string& month, const std::string& forecaster,
                          const std::vector<std::string>& excluded) {
  nlohmann::json members = nlohmann::json::array();
  for (const MemberSettlement& m : s.members) {
    members.push_back({{"name", m.name},
                       {"capacity_kw", m.capacity.value()},
                       {"metered_kwh", m.metered.value()},
                       {"metered_in_paid_hours_kwh", m.metered_in_paid_hours.value()},
                       {"hours", m.hours},
                       {"qualifying_hours", m.qualifying_hours},
                       {"within_6pct_hours", m.within_6pct},
                       {"within_8pct_hours", m.within_8pct},
                       {"mean_error_pct",
                        std::isfinite(m.mean_error_pct) ? nlohmann::json(m.mean_error_pct) : nlohmann::json(nullptr)},
                       {"standalone_incentive_krw", static_cast<double>(m.standalone_incentive.value()) / 1000.0},
                       {"incentive_krw", m.incentive.value()}});
  }
  return {{"month", month},
          {"forecaster", forecaster},
          {"capacity_kw", s.capacity.value()},
          {"admitted", s.admitted},
          {"settled_as_if_admitted", !s.admitted && s.paid},
          {"aggregate",
           {{"settled_hours", s.settled_hours},
            {"qualifying_hours", s.qualifying_hours},
            {"within_6pct_hours", s.within_6pct},
            {"within_8pct_hours", s.within_8pct},
            {"mean_error_pct",
             std::isfinite(s.mean_error_pct) ? nlohmann::json(s.mean_error_pct) : nlohmann::json(nullptr)},
            {"metered_kwh", s.metered.value()},
            {"paid_kwh", s.paid_kwh.value()},
            {"incentive_exact_krw", static_cast<double>(s.incentive_exact.value()) / 1000.0},
            {"incentive_krw", s.incentive.value()}}},
          {"members", members},
          {"excluded", excluded}};
}

}  // namespace meg
