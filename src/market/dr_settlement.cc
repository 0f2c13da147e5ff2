#include "market/dr_settlement.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

namespace meg {
namespace {

// Won of `kwh` at `price`, rounded half away from zero to the won. 별표26 writes MW-h x 원/kWh x
// 1000; with kWh the factor 1000 is already in. KPX's rounding of the hourly amount is not in the
// text: rounding to the won is this code's choice (docs/dr.md).
Won Amount(KilowattHours kwh, WonPerKwh price) {
  return Won(std::llround(kwh.value() * static_cast<double>(price.milli_won()) / 1000.0));
}

Won RoundWon(double won) { return Won(std::llround(won)); }

std::string Hhmm(Timestamp t) {
  const int m = ToKst(t).minute_of_day;
  return fmt::format("{:02}:{:02}", m / 60, m % 60);
}

Status CheckHour(const DrSettlementHourInput& h) {
  const std::string at = FormatKst(h.hour_start);
  if (h.event_minutes != 15 && h.event_minutes != 30 && h.event_minutes != 45 &&
      h.event_minutes != 60) {
    return InvalidInput(
        fmt::format("hour {}: event_minutes = {} is not 15, 30, 45 or 60", at, h.event_minutes));
  }
  if (!(h.requested.value() > 0.0)) {
    return InvalidInput(
        fmt::format("hour {}: requested = {} kWh must be > 0", at, h.requested.value()));
  }
  // 별표26 Ⅰ.2: DR = CBL - ME floors neither term: a CBL may be negative after SAA (별표28 2.2) and
  // the metered energy of a site that exports is negative. Only non-numbers are refused.
  if ((h.cbl && !std::isfinite(h.cbl->value())) || (h.metered && !std::isfinite(h.metered->value()))) {
    return InvalidInput(fmt::format("hour {}: CBL and metered energy must be finite numbers of kWh", at));
  }
  return Ok{};
}

DrHourSettlement SettleHour(DrCallKind kind, const DrSettlementHourInput& in,
                            const DrEnergyRules& rules, std::vector<std::string>& notes) {
  DrHourSettlement out;
  out.hour_start = in.hour_start;
  out.event_minutes = in.event_minutes;
  out.requested = in.requested;
  // 제12.5.2.3조 ③ 1호, ④: a meter gap or a CBL that cannot be computed gives a reduction of 0.
  out.data_missing = !in.cbl || !in.metered;
  if (out.data_missing) {
    notes.push_back(
        fmt::format("{}: CBL or meter data missing; reduction taken as 0 "
                    "(제12.5.2.3조 ③ ④)",
                    Hhmm(in.hour_start)));
  } else {
    out.measured = *in.cbl - *in.metered;  // DCLR = DCBL - ME; SCLR likewise (SRF = 1)
  }
  const KilowattHours positive{std::max(out.measured.value(), 0.0)};
  out.performance = out.measured / in.requested;

  if (kind == DrCallKind::kEconomic) {
    // 별표26 Ⅰ.1 가: SLR = Min{Max(SR - DLR, 0), SSR}, DLR = 0 (no reliability call in the hour);
    // SLRP = SLR x SMP x 1000. Ⅰ.5 가 1): PPC = {SSR - Min{Max(SR,0), SSR}} x SMP x PPCF x 1000.
    out.recognised = std::min(positive, in.requested);
    out.shortfall = in.requested - out.recognised;
    out.price = in.smp;
    out.energy_payment = Amount(out.recognised, in.smp);
    out.performance_penalty = Amount(out.shortfall * rules.economic_penalty_factor, in.smp);
    return out;
  }
  // 별표26 Ⅰ.2 가: DLR = Min[Max(DR,0), RSO x 1.2] x (1 - XRSOF) + Max(DR,0) x XRSOF.
  out.recognised =
      in.beyond_obligation ? positive : std::min(positive, in.requested * rules.cap_multiple);
  // Ⅰ.5 나: DRD = Max(RSO x 0.97 - DR, 0), with DR as measured (a negative DR raises it).
  out.shortfall = KilowattHours{
      std::max((in.requested * rules.shortfall_threshold - out.measured).value(), 0.0)};
  // Ⅰ.2 가: DRP = DLR x {SMP x DRTF + MGP x (1 - DRTF)} x 1000; DRTF = 1 for tests.
  if (kind == DrCallKind::kTest) {
    out.price = in.smp;
  } else if (in.mgp) {
    out.price = *in.mgp;
  } else {
    out.price = in.smp;
    notes.push_back(fmt::format("{}: MGP not given; SMP used, a lower estimate (별표26 Ⅰ.2 가)",
                                Hhmm(in.hour_start)));
  }
  out.energy_payment = Amount(out.recognised, out.price);
  return out;
}

// Sum over the month's 평일 obligation hours of RCP x RCF x TCF_h (원 per kW of capacity).
double MonthlyCapacityPricePerKw(const DrCapacityConfig& c, int obligation_days) {
  double per_day = 0.0;
  for (size_t h = 0; h < 24; ++h) {
    if (c.obligation_hours[h]) per_day += c.rcp.won() * c.rcf * c.tcf[h];  // DRHCF_t
  }
  return per_day * obligation_days;
}

Status CheckConfig(const DrCapacityConfig& c) {
  if (c.rcp.milli_won() < 0 || c.rcf < 0.0 || c.fixed_pcf < 0.0 || c.penalty_pcf < 0.0 ||
      c.penalty_factor < 0.0) {
    return InvalidInput("DR capacity config: RCP, RCF, FPCF, BPPCF and BPCF must be >= 0");
  }
  if (std::any_of(c.tcf.begin(), c.tcf.end(), [](double x) { return x < 0.0; })) {
    return InvalidInput("DR capacity config: TCF must be >= 0 in every hour");
  }
  if (c.max_reduction_hours <= 0 || c.trading_months <= 0) {
    return InvalidInput(
        fmt::format("DR capacity config: MRT = {} h and DRTM = {} months must be "
                    "> 0",
                    c.max_reduction_hours, c.trading_months));
  }
  return Ok{};
}

}  // namespace

DrSettlementHourInput SettlementInput(const CblHour& cbl_hour, KilowattHours requested,
                                      WonPerKwh smp, std::optional<WonPerKwh> mgp) {
  DrSettlementHourInput in;
  in.hour_start = cbl_hour.hour_start;
  in.event_minutes = cbl_hour.event_minutes;
  in.cbl = cbl_hour.baseline;
  in.metered = cbl_hour.actual;
  in.requested = requested;
  in.smp = smp;
  in.mgp = mgp;
  return in;
}

Result<DrEventSettlement> SettleDrEvent(DrCallKind kind,
                                        const std::vector<DrSettlementHourInput>& hours,
                                        const DrEnergyRules& rules) {
  if (hours.empty()) return InvalidInput("DR event settlement: the event has no trading hours");
  DrEventSettlement ev;
  ev.kind = kind;
  for (const auto& in : hours) {
    MEG_TRY(CheckHour(in));
    DrHourSettlement h = SettleHour(kind, in, rules, ev.notes);
    ev.requested += h.requested;
    ev.measured += h.measured;
    ev.recognised += h.recognised;
    ev.shortfall += h.shortfall;
    ev.energy_payment += h.energy_payment;
    ev.performance_penalty += h.performance_penalty;
    ev.hours.push_back(std::move(h));
  }
  ev.performance = ev.measured / ev.requested;
  ev.below_restriction_threshold = ev.performance < 0.8;
  return ev;
}

Result<DrMonthSettlement> SettleDrMonth(const DrCapacityConfig& config, Month month,
                                        Kilowatts obligated_capacity,
                                        const std::vector<DrEventSettlement>& events,
                                        const HolidayCalendar& calendar,
                                        Won excess_from_previous_month) {
  MEG_TRY(CheckConfig(config));
  if (!(obligated_capacity.value() > 0.0)) {
    return InvalidInput(fmt::format("DR month {}: obligated capacity = {} kW must be > 0",
                                    FormatMonth(month), obligated_capacity.value()));
  }
  DrMonthSettlement out;
  out.month = month;
  const Date first = month / std::chrono::day{1};
  const Date last = month / std::chrono::last;
  if (!calendar.Covers(first) || !calendar.Covers(last)) {
    return InvalidInput(fmt::format("DR month {}: the holiday calendar does not cover the month",
                                    FormatMonth(month)));
  }
  for (int d = 0; d < DaysInMonth(month); ++d) {
    if (IsDrWeekday(AddDays(first, d), calendar)) ++out.obligation_days;
  }
  for (const auto& ev : events) {
    if (!ev.hours.empty() && KstMonthOf(ev.hours.front().hour_start) != month) {
      return InvalidInput(fmt::format("DR month {}: an event of {} belongs to another month",
                                      FormatMonth(month), FormatKst(ev.hours.front().hour_start)));
    }
    out.energy_payments += ev.energy_payment;
    out.performance_penalties += ev.performance_penalty;
    if (ev.kind != DrCallKind::kEconomic) out.shortfall += ev.shortfall;
  }

  // 별표26 Ⅰ.4 가: FBP = sum over t in DRT of ORC x DRHCF_t x FPCF x 1000 (ORC in MW), with
  // DRHCF_t = RCP x RCF x TCF_t. In kW the factor 1000 is already in.
  const double price_per_kw = MonthlyCapacityPricePerKw(config, out.obligation_days);
  const double kw = obligated_capacity.value();
  out.fixed_capacity_payment = RoundWon(kw * price_per_kw * config.fixed_pcf);
  // Ⅰ.4 나: DBP = sum over t in DRT of ORC x DRHCF_t x (DPCF - FPCF) x 1000.
  if (config.differential_pcf) {
    out.differential_accrued =
        RoundWon(kw * price_per_kw * (*config.differential_pcf - config.fixed_pcf));
  }
  // Ⅰ.5 나 (reconstructed, docs/dr.md): IBPC = (sum over t in DRT of DRHCF_t x BPPCF)
  //   x (sum of DRD_t) / (MRT / DRTM) x BPCF x 1000.
  const double hours_per_month =
      static_cast<double>(config.max_reduction_hours) / config.trading_months;
  out.penalty_before_cap = RoundWon(price_per_kw * config.penalty_pcf * out.shortfall.value() /
                                    hours_per_month * config.penalty_factor);
  // Ⅰ.5 나 and 제12.6.1.3조 ②: FBPCC = Min(last month's excess, FBP);
  // IFBPC = Min(IBPC, FBP - FBPCC); the excess IBPC - IFBPC is deducted next month.
  const Won fbp = out.fixed_capacity_payment;
  const Won carry = std::max(excess_from_previous_month, Won{0});
  out.carried_in_penalty = std::min(carry, fbp);
  out.uncovered_carry = carry - out.carried_in_penalty;
  out.penalty_charged = std::min(out.penalty_before_cap, fbp - out.carried_in_penalty);
  out.excess_penalty = out.penalty_before_cap - out.penalty_charged;
  out.total = fbp - out.carried_in_penalty - out.penalty_charged + out.energy_payments -
              out.performance_penalties;
  return out;
}

}  // namespace meg
