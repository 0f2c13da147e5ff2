// Settlement of a DR resource by KPX 전력시장운영규칙 별표26 (수요반응자원의 정산 기준), mainland
// 표준DR / 중소형DR: the energy payment of each event (실적정산금: DRP for reliability calls and
// tests, SLRP for economic DR), the 실적위약금 of economic DR, and the month's capacity payment
// (기본정산금) net of the non-performance penalty (기본위약금) with its carry-over.
// Pure functions over values; thread-safe. docs/dr.md lists the formulas and what is simplified.
//
//   auto event = SettleDrEvent(DrCallKind::kReliability, hours);  // hours: per trading hour
//   auto month = SettleDrMonth(config, 2024y / 8, Kilowatts{1000}, {*event}, calendar,
//                              /*excess_from_previous_month=*/Won{0});
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/time.h"
#include "core/units.h"
#include "market/cbl.h"
#include "market/dr_event.h"

namespace meg {

// One trading hour (거래시간) of one event, as settlement sees it. Energies are over the part of
// the hour the event covers.
struct DrSettlementHourInput {
  Timestamp hour_start;
  int event_minutes = 60;
  // The CBL (DCBL / SCBL) and the metered usage (ME), + consumption. nullopt when the CBL could
  // not be computed (제12.5.2.3조 ④) or the meter has a gap (③ 1호): the reduction is then 0.
  std::optional<KilowattHours> cbl;
  std::optional<KilowattHours> metered;
  // RSO_t for reliability calls and tests; the 감축계획량 SSR_t for economic DR. > 0.
  KilowattHours requested{0};
  WonPerKwh smp;                 // regional (육지) SMP of the hour
  std::optional<WonPerKwh> mgp;  // MGP of the hour: reliability calls are paid at it
  // XRSOF_t: KPX ordered reduction beyond the obligated capacity under a Yellow/Orange alert
  // (별표12): the 1.2 x cap does not apply (별표26 Ⅰ.2 가 단서).
  bool beyond_obligation = false;
};

// The input of one hour from the CBL result of the hour (market/cbl.h).
DrSettlementHourInput SettlementInput(const CblHour& cbl_hour, KilowattHours requested,
                                      WonPerKwh smp, std::optional<WonPerKwh> mgp = std::nullopt);

// The rule constants of 별표26 that apply per hour. The defaults are the text's values.
struct DrEnergyRules {
  double cap_multiple = 1.2;             // DLR: Min[Max(DR,0), RSO x 1.2]
  double shortfall_threshold = 0.97;     // DRD = Max(RSO x 0.97 - DR, 0) (Ⅰ.5 나)
  double economic_penalty_factor = 1.0;  // PPCF "1을 적용" (Ⅰ.5 가)
};

struct DrHourSettlement {
  Timestamp hour_start;
  int event_minutes = 60;
  KilowattHours requested{0};
  // DR_t (SR_t for economic DR) = CBL - metered; may be negative; 0 when data are missing.
  KilowattHours measured{0};
  // DLR_t = Min[Max(DR,0), RSO x 1.2] (Max(DR,0) when beyond_obligation);
  // economic: SLR_t = Min{Max(SR,0), SSR} (no reliability call in the same hour).
  KilowattHours recognised{0};
  // Reliability / test: DRD_t = Max(RSO x 0.97 - DR, 0), the 기본위약금 quantity.
  // Economic: SSR - Min{Max(SR,0), SSR}, the 실적위약금 quantity.
  KilowattHours shortfall{0};
  double performance = 0.0;  // 감축이행률 of the hour: measured / requested
  WonPerKwh price;           // MGP (reliability) or SMP (test, economic)
  Won energy_payment;        // DRP_t or SLRP_t
  Won performance_penalty;   // PPC_t (economic only)
  bool data_missing = false;
};

struct DrEventSettlement {
  DrCallKind kind = DrCallKind::kReliability;
  std::vector<DrHourSettlement> hours;
  KilowattHours requested{0};
  KilowattHours measured{0};
  KilowattHours recognised{0};
  KilowattHours shortfall{0};
  // 평균 감축이행률: sum of measured / sum of requested (제12.5.2.4조 ⑤ form).
  double performance = 0.0;
  // Below 80 %: the event counts toward the trading restriction (제12.4.3.2조 ①, reliability and
  // tests; 제12.4.2.6조 ①, economic).
  bool below_restriction_threshold = false;
  Won energy_payment;
  Won performance_penalty;         // economic DR only
  std::vector<std::string> notes;  // e.g. "14:00: MGP not given; SMP used (lower estimate)"
};

// Settles one event hour by hour (별표26 Ⅰ.1 가, Ⅰ.2 가, Ⅰ.5 가).
// Errors: no hours, event_minutes not 15/30/45/60, requested <= 0, or negative energy.
Result<DrEventSettlement> SettleDrEvent(DrCallKind kind,
                                        const std::vector<DrSettlementHourInput>& hours,
                                        const DrEnergyRules& rules = {});

// The capacity side of 별표26 Ⅰ.4 and Ⅰ.5 나. Prices and coefficients come from the KPX notices
// (비용평가위원회, 제12.4.1.2조); the defaults are placeholders: configure from the KPX notice.
struct DrCapacityConfig {
  // RCP: 육지 기준용량가격, 원 per kWh of capacity-hour (원/kW per hour). Configure from the KPX
  // notice.
  WonPerKwh rcp = WonPerKwh::FromMilliWon(10'000);
  double rcf = 1.0;  // RCF: 적정 설비예비력 가중치. Configure from the KPX notice.
  // TCF_t by KST hour of day: 시간대별 용량가격계수. Configure from the KPX notice.
  std::array<double, 24> tcf = [] {
    std::array<double, 24> a{};
    a.fill(1.0);
    return a;
  }();
  // The weekday obligation hours DRT (육지 09-12, 13-20): true for hour h = [h:00, h+1:00).
  std::array<bool, 24> obligation_hours = [] {
    std::array<bool, 24> a{};
    for (int h : {9, 10, 11, 13, 14, 15, 16, 17, 18, 19}) a[static_cast<size_t>(h)] = true;
    return a;
  }();
  double fixed_pcf = 1.0;  // FPCF_m: 고정성과연동형용량가격계수. Configure from the KPX notice.
  // DPCF_m: 차등성과연동형용량가격계수, when known. Configure from the KPX notice.
  std::optional<double> differential_pcf;
  double penalty_pcf = 1.0;      // BPPCF: "1을 적용"
  double penalty_factor = 2.0;   // BPCF: "2를 적용"
  int max_reduction_hours = 60;  // MRT: 60 h (30 h for additional resources), 제12.4.3.1조 ②
  int trading_months = 12;       // DRTM: 12 (initial), 6 (additional registration)
};

// The month's capacity settlement of one resource, with its events.
struct DrMonthSettlement {
  Month month;
  int obligation_days = 0;     // 평일 of the month
  Won fixed_capacity_payment;  // FBP_m (DRFBP)
  // DBP_m: this month's share of the differential payment, (DPCF - FPCF) x the fixed basis. It
  // is paid cumulatively in Feb, May, Aug and Nov only (DBPF); accrued, not in `total`.
  Won differential_accrued;
  Won penalty_before_cap;  // IBPC_m: 기본위약금 before the cap
  Won carried_in_penalty;  // FBPCC_m: last month's excess, deducted this month
  Won penalty_charged;     // IFBPC_m: this month's penalty, capped at FBP_m - FBPCC_m
  Won excess_penalty;      // IBPC_m - IFBPC_m: deducted next month (pass it on)
  // Last month's excess that this month's FBP could not absorb: 별표26 charges it against the
  // differential payment (RBPC -> DBPC); not settled here.
  Won uncovered_carry;
  Won energy_payments;         // sum of the events' DRP / SLRP
  Won performance_penalties;   // sum of the events' PPC
  KilowattHours shortfall{0};  // sum of DRD over reliability calls and tests
  // FBP - FBPCC - IFBPC + energy - PPC: the estimate of the month's settlement.
  Won total;
};

// Settles month `month`: FBP over the month's 평일 obligation hours, IBPC from the shortfall of
// the reliability calls and tests among `events`, the cap and the carry-over of
// 별표26 Ⅰ.5 나 and 제12.6.1.3조 ②. `excess_from_previous_month` is the previous month's
// `excess_penalty` (Won{0} for the first month).
// Errors: obligated capacity <= 0, a calendar not covering the month, bad coefficients.
Result<DrMonthSettlement> SettleDrMonth(const DrCapacityConfig& config, Month month,
                                        Kilowatts obligated_capacity,
                                        const std::vector<DrEventSettlement>& events,
                                        const HolidayCalendar& calendar,
                                        Won excess_from_previous_month);

}  // namespace meg
