// Small-scale power brokerage (소규모전력중개): the KPX renewable generation forecast incentive
// (재생에너지 발전량 예측제도 정산금, 전력시장운영규칙 ch. 14 and 별표2) of an aggregated resource
// (예측형 집합전력자원) settled per hour and in total, and its distribution by the broker to the
// members. Pure functions over values; thread-safe. docs/trading-brokerage-market.md.
//
//   std::vector<BrokerageMember> members = ...;     // hourly forecast and metered kWh, capacity
//   auto s = SettleForecastIncentive(members, ForecastIncentiveRules{});
//   if (s) fmt::print("{} KRW, first member {} KRW\n", s->incentive.value(),
//                     s->members[0].incentive.value());
//
// The rule, as ch. 14 states it (../shared/reference/kpx-market-rules-2024-02_ch14-renewable-
// forecast.txt), judged on the AGGREGATE (보유자원), never per member:
//  * capacity C_h = the sum of the members' available capacities (설비용량 less outages,
//    제14.1.1조 11호, 12호); forecast F_h = the sum of the members' day-ahead forecasts (the broker
//    submits them per member, 제14.1.3조 ③); metered M_h = the sum of their metered energy
//    (전력거래량).
//  * capacity factor CF_h = M_h / C_h (11호); the hour qualifies when CF_h >= 10 % (제14.4.2조 ②).
//  * error e_h = |F_h - M_h| / C_h (12호).
//  * a qualifying hour earns rate x M_h, on the METERED energy (정산금 is paid on 전력거래량,
//    제14.1.1조 2호, 3호; 제14.5.1.1조 2호): e_h <= 6 % -> 4 KRW/kWh, 6 % < e_h <= 8 % -> 3
//    KRW/kWh, else 0 (별표2, rates as summarised in ../shared/reference/korea-energy-market.md 3.5;
//    the annex itself is not in the reference texts). Jeju resources x 0.5 (same source).
//  * entry: the aggregate's PV/wind capacity must exceed 20 MW (제14.1.1조 5호).
//  * a member under a curtailment order (출력제어) that hour is removed from C_h, F_h and M_h
//    (제14.4.2조 ③ 3호).
// Where the text is silent the choice is an option below (missing data, rounding, distribution).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

// One member of the aggregated resource: a 소규모재생전력자원 (PV or wind) of the broker.
// The three series are on one 1-hour grid, the same for every member; an hour is named by its
// start. Gaps (nullopt) are missing data; values are kWh of the hour, >= 0.
struct BrokerageMember {
  std::string name;
  Kilowatts capacity;                      // available capacity (설비용량), kW, > 0
  IntervalSeries<KilowattHours> forecast;  // the D-1 forecast submitted for the hour (예측발전량)
  IntervalSeries<KilowattHours> metered;  // metered energy sold in the hour (전력거래량)
  // Hours under a curtailment order (출력제어, 제14.4.2조 ③): empty means none; else one per hour.
  std::vector<bool> curtailed;
};

// What to do with a member whose forecast or metered value of an hour is missing. The text
// (제14.4.1조 ② 4호) fills a missing forecast with the previous submission; data missing in our
// inputs is not modelled by KPX, so the choice is ours.
enum class MissingMemberData {
  kSkipHour,       // the aggregate's hour is not settled (no incentive claimed without evidence)
  kExcludeMember,  // the member is removed from the hour as if curtailed (제14.4.2조 ③ 3호 by
                   // analogy)
};

// How the broker passes the aggregate's incentive on to the members (the rules are silent: the
// brokerage contract decides). Every option splits each paid hour's incentive among the members
// included in that hour; the member totals are then rounded so that they sum to the aggregate's.
enum class IncentiveDistribution {
  kMeteredEnergy,  // pro rata to each member's metered kWh in the hour (default)
  kCapacity,       // pro rata to each member's capacity
  kOwnAccuracy,  // pro rata to metered kWh x the rate the member's OWN error would earn (0 when it
                 // would earn nothing); the hour falls back to kMeteredEnergy if every weight is 0
};

struct ForecastIncentiveRules {
  double min_capacity_factor_pct = 10.0;  // 제14.4.2조 ②
  double tier1_max_error_pct = 6.0;       // 별표2
  WonPerKwh tier1_rate = WonPerKwh::FromMilliWon(4000);
  double tier2_max_error_pct = 8.0;
  WonPerKwh tier2_rate = WonPerKwh::FromMilliWon(3000);
  bool jeju = false;  // Jeju resources: rates x jeju_factor
  Percent jeju_factor = Percent::FromMilliPercent(50'000);
  // Entry size: the aggregate's capacity must EXCEED this (제14.1.1조 5호: 20MW를 초과).
  Kilowatts entry_capacity{20'000};
  // When false, an aggregate at or below the entry size is scored but paid nothing (admitted is
  // false). True settles it as if admitted (what-if for a portfolio below 20 MW).
  bool settle_below_entry_capacity = false;
  MissingMemberData missing = MissingMemberData::kSkipHour;
  IncentiveDistribution distribution = IncentiveDistribution::kMeteredEnergy;
  // Rounding of the period total to the won (별표8, which governs it, is not in the reference
  // texts): half up by default, or truncated (원 미만 절사).
  bool truncate_to_won = false;
};

// Comparisons at the 6 %, 8 % and 10 % thresholds allow this many percentage points, so that a
// value exactly at a threshold from decimal kWh inputs is "at", not just above, it.
inline constexpr double kIncentiveTolerancePct = 1e-9;

enum class IncentiveTier { kNone, kTier2, kTier1 };  // kTier1: <= 6 %, kTier2: <= 8 %

// One hour of the aggregate.
struct AggregateHour {
  Timestamp start;
  bool settled = false;         // false: missing data under kSkipHour, or no member included
  size_t members_included = 0;  // not curtailed and (under kExcludeMember) with data
  Kilowatts capacity;           // C_h
  KilowattHours forecast;       // F_h
  KilowattHours metered;        // M_h
  double capacity_factor_pct = 0;
  double error_pct = 0;
  bool qualifies = false;  // settled and CF_h >= 10 %
  IncentiveTier tier = IncentiveTier::kNone;
  WonPerKwh rate;      // after the Jeju factor; 0 when not paid
  MilliWon incentive;  // rate x M_h, rounded to the milli-won; 0 when not admitted
};

// A member's own figures (information: the incentive is judged on the aggregate) and its share.
struct MemberSettlement {
  std::string name;
  Kilowatts capacity;
  KilowattHours metered;                // all hours with a metered value
  KilowattHours metered_in_paid_hours;  // hours where the aggregate earned an incentive
  // The member judged alone against its own capacity, over the hours with both values and not
  // curtailed: what its own forecast quality looks like. Not a payment.
  size_t hours = 0;
  size_t qualifying_hours = 0;
  size_t within_6pct = 0;
  size_t within_8pct = 0;         // includes the <= 6 % ones
  double mean_error_pct = 0;      // over its own qualifying hours (NaN if none)
  MilliWon standalone_incentive;  // as if it were admitted alone
  Won incentive;                  // its share of the aggregate's incentive
};

struct BrokerageSettlement {
  Kilowatts capacity;     // sum of the members' capacities (registered)
  bool admitted = false;  // capacity > entry_capacity
  bool paid = false;      // admitted, or settle_below_entry_capacity
  std::vector<AggregateHour> hours;
  size_t settled_hours = 0;
  size_t qualifying_hours = 0;
  size_t within_6pct = 0;
  size_t within_8pct = 0;     // includes the <= 6 % ones
  double mean_error_pct = 0;  // over the qualifying hours (NaN if none), as 제14.3.2조 ② averages
  KilowattHours metered;      // settled hours
  KilowattHours paid_kwh;     // metered energy of the hours that earned an incentive
  MilliWon incentive_exact;               // sum of the hours
  Won incentive;                          // rounded per rules.truncate_to_won
  std::vector<MemberSettlement> members;  // in input order; incentives sum to `incentive`
};

// Settles the incentive of the aggregate of `members` over their common hours.
// Errors (kInvalidInput): no members, duplicate names, a capacity that is not finite and > 0,
// series not on one common 1-hour grid, `curtailed` of the wrong length, a negative or
// non-finite kWh value.
Result<BrokerageSettlement> SettleForecastIncentive(const std::vector<BrokerageMember>& members,
                                                    const ForecastIncentiveRules& rules);

// The tier of one hour: error and capacity factor in percent.
IncentiveTier IncentiveTierOf(double capacity_factor_pct, double error_pct,
                              const ForecastIncentiveRules& rules);

// The rate of a tier after the Jeju factor, exact in milli-won (4 KRW x 50 % = 2.000).
WonPerKwh IncentiveRate(IncentiveTier tier, const ForecastIncentiveRules& rules);

}  // namespace meg
