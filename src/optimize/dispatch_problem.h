// The dispatch problem of one site over a horizon of 15-minute intervals (a day, 48 h): when to
// charge and discharge the battery, run the generator, import, export and use PV so that the
// tariff's energy and demand charges, battery wear, the generator's fuel (less its heat) and
// starts, and the value left in the battery at the end cost least.
// BuildDispatchProblem makes the LP (or, with `no_simultaneous`, the MILP) as an LpModel;
// DecodeSchedule reads a solution back. Pure functions over values; thread-safe.
//
//   DispatchInput in{...};                                 // load and PV of the horizon, site, tariff
//   auto problem = BuildDispatchProblem(in);
//   auto report = solver.Solve(problem->model, {});        // e.g. ClpCbcSolver
//   Schedule s = DecodeSchedule(*problem, *report);
#pragma once

#include <limits>

#include <optional>
#include <vector>

#include "core/battery_mode.h"
#include "core/calendar.h"
#include "core/ev.h"
#include "core/result.h"
#include "core/series.h"
#include "core/site.h"
#include "core/time.h"
#include "core/units.h"
#include "optimize/dr_commitment.h"
#include "optimize/lp.h"
#include "tariff/tariff_book.h"

namespace meg {

// The battery's size as a decision (as REopt sizes it): usable energy E (kWh) with power E /
// energy_to_power_h, its annualised cost in the objective; the site's [ess] gives the rest (SoC
// window and start as shares of E, efficiencies, wear). No ramp limit, no peak reserve.
struct BatterySizing {
  double max_kwh = 0;             // E in [0, max_kwh]
  double energy_to_power_h = 2;   // kWh per kW of charge and discharge power
  double annual_krw_per_kwh = 0;  // capex x capital recovery factor + O&M, per kWh of E, a year
  double annual_krw_per_kw = 0;   // the same per kW of power
  double horizon_years = 1;       // the share of a year the horizon stands for (the annual costs x this)
};

// What a kWh stored at the horizon's end is worth above the cost of storing it again (KRW per
// kWh), and what a kWh held stored is worth a day (KRW per kWh-day, counted at the end of every
// interval): with the default terminal value (DispatchInput::terminal_krw_per_kwh), a battery is
// refilled at the first of equally cheap hours rather than the last (a plan re-solved every 15
// minutes would otherwise put the charge off for ever).
inline constexpr double kReadyKrwPerKwh = 1.0;
inline constexpr double kReadyKrwPerKwhDay = 1.0;

// Everything one solve needs. Signs: load + consumption, PV + available production (kW).
struct DispatchInput {
  const Site* site = nullptr;  // ESS ratings and SoC window, contract power, export rules
  const TariffBook* book = nullptr;
  const HolidayCalendar* calendar = nullptr;
  TariffId tariff;
  PowerSeries load;         // the horizon: 15-minute intervals, no gaps
  PowerSeries pv;           // same grid as `load`, no gaps
  KilowattHours soc_start;  // stored energy at the start; REQUIRES: within the SoC window
  // R: the grid demand already standing for 요금적용전력 (billing demand, art. 68 ①): the larger of
  // this month's peak so far and the ratchet of the demand months before. Keeping the horizon's
  // counted demand below R costs nothing more; every kW above it costs the basic charge.
  Kilowatts standing_peak;
  // How many monthly bills one kW of new peak raises: 12 in a demand month (Dec, Jan, Feb, Jul,
  // Aug, Sep: its peak ratchets into the next 11 bills), 1 otherwise. See MonthsBinding().
  // `standing_peak` and `months_binding` price the horizon's first KST month.
  double months_binding = 1;
  // R of a later month the horizon reaches (a horizon that crosses midnight at a month end): its
  // 12-month ratchet as far as known, with the first month's peak when that is a demand month.
  // nullopt: `standing_peak`. A later month's peak is its own variable, priced at that month's
  // basic rate x MonthsBinding(that month): shaving today's peak and tomorrow's are two decisions.
  std::optional<Kilowatts> later_standing_peak;
  // The 12-month ratchet as the first month's own peak meets it, when that month is a demand month
  // (not with bill_months_only): the standing peak each of the next 11 bills has without it, kW
  // (from the demand months before, as they drop out of the window). Non-empty: the first month's
  // own peak O (>= its counted imports and `first_month_peak`) costs its basic rate in its own
  // bill on P - R, and in each later bill on O - that bill's standing peak, instead of
  // months_binding x (P - R): a peak below an old ratchet that is about to drop out is not free
  // (docs/results.md, issue 18). Empty: months_binding.
  std::vector<double> first_month_later_standing_kw;
  // Value of a kWh left stored at the horizon end, KRW per kWh. nullopt: what it would cost to
  // store that kWh again, (the horizon's cheapest energy price + the charge's half of the wear) /
  // charge efficiency, and kReadyKrwPerKwh more, so that the optimiser does not empty the battery
  // for nothing and, among plans that cost the same, keeps it full: ready for a load above the
  // forecast (without the wear and the won, a battery left low by a peak on a flat energy rate was
  // never refilled: docs/results.md, issue 18). Where no peak of the horizon can bind (every
  // counted interval's load - PV + peak reserve below its month's standing peak; for the first
  // month with first_month_later_standing_kw, below the higher of first_month_peak and the lowest
  // of those levels), at most what it can save in the horizon: (the dearest price - the
  // discharge's half of the wear) x discharge efficiency, and kReadyKrwPerKwh more.
  std::optional<double> terminal_krw_per_kwh;
  // Price energy and demand with VAT and the electricity fund (x (1 + VAT + fund)).
  bool with_taxes = false;
  // Price the demand charge as the bills of the horizon's own months and no others (the exact
  // objective of a backtest that bills just those months: the oracle's). Each month pays its basic
  // rate once, prorated by the days the horizon covers of it (art. 80), on its billing demand: the
  // largest of its standing peak, its own counted peak and the peak of every demand month of the
  // horizon in the 11 months before it (art. 68 ①: the ratchet, here a variable that links the
  // months). `months_binding` is not used.
  bool bill_months_only = false;
  // bill_months_only: where the billed run starts, for the proration (a re-plan in the middle of a
  // month still pays that month's whole basic charge). nullopt: the horizon's start.
  std::optional<Timestamp> billed_from;
  // R of each later month the horizon reaches, by month (e.g. the ratchet each will carry from the
  // months before the horizon); a month not listed takes later_standing_peak.
  std::vector<std::pair<Month, double>> later_standing_by_month;
  // bill_months_only: the first month's own peak realised so far (kW; its standing_peak may be an
  // older ratchet), the floor of its own_peak.
  Kilowatts first_month_peak;
  // Forbid simultaneous charge and discharge with a binary per interval (makes a MILP). The LP
  // never profits from it unless prices are negative, so the default is the LP.
  bool no_simultaneous = false;
  // Energy to keep for a load above the forecast, kW per interval (empty: none), e.g. the load's
  // P90 - P50: at every moment the battery holds, above its SoC minimum, the extra discharge that
  // the counted intervals of the next 2 hours would need to keep the import at the month's peak P
  // if each carried its reserve on top of the forecast load. The controller's peak guard spends it
  // when the real demand calls for it.
  std::vector<double> peak_reserve_kw;
  // Battery power of the interval before the horizon (+ discharge / - charge), for the ramp
  // limit of the first interval; nullopt leaves the first interval free.
  std::optional<Kilowatts> previous_battery;
  // The generator's output before the horizon (kW), for its ramp and its start in the first
  // interval; nullopt: stopped.
  std::optional<Kilowatts> previous_generator;
  // The generator's commitment (running or not, with its minimum load and start cost) as a binary
  // per interval: unit commitment, a MILP. Off: the LP relaxation (a commitment between 0 and 1,
  // so an output below the minimum load is possible); FixCommitment then rounds it and the LP is
  // solved again (what the controllers do: two LPs instead of a MILP every quarter-hour).
  bool unit_commitment = false;
  // The cooling plant, one value per interval of `load` (both empty: no cold store planned): the
  // cooling demand (kW of cooling) and the plant's COP for a discharge (`cop`: the average COP
  // serving the demand, ChillerPlantCop) and for a charge (`charge_cop`, empty: `cop`; the COP of
  // the spare capacity, ChillerChargeCop, before the ice factor; taken at most `cop`, or a charge
  // and a discharge in one interval would make electricity from nothing). With the site's
  // [thermal_storage] and [cooling], the store is planned: its charge and discharge (kW of
  // cooling), its level from `thermal_start`, the demand met in every interval (discharge <=
  // demand, the chillers make the rest and the charge within their capacity), its electricity in
  // the balance (discharge / cop, charge / (charge_cop x charge_cop_pct / 100)).
  std::vector<double> cooling_kw_th;
  std::vector<double> cop;
  std::vector<double> charge_cop;
  KilowattHours thermal_start;
  // The battery's size as a variable (nullopt: the site's [ess] as it is). REQUIRES: the site has
  // an [ess] (the template), no peak reserve, no simultaneity binary.
  std::optional<BatterySizing> sizing;
  // DR commitments; those overlapping the horizon shape it (the grid import at most the cap,
  // shortfall priced, extra reduction rewarded). Intervals must not overlap two commitments.
  // REQUIRES (checked): 0 <= extra_krw_per_kwh <= shortfall_krw_per_kwh, a finite cap.
  std::vector<DrCommitment> dr;
  // EV charging sessions under way: their power is planned with the battery's, in the balance
  // and the peak; energy short of a session's need by its departure costs this a kWh (default: a
  // few times any energy price, so the plan gives every car its energy unless the contract power
  // cannot).
  std::vector<EvFlexLoad> ev;
  double ev_shortfall_krw_per_kwh = 2000;
  // The operator's battery mode and backup reserve (core/battery_mode.h), as bounds of the
  // battery's columns (the problem's shape does not change, so a warm start carries over):
  //  * hold-soc: no charge and no discharge in the intervals it covers;
  //  * discharge-window: no charge, the discharge up to its power with a bonus of
  //    kModeDischargeBonusKrwPerKwh a kWh (it discharges its power while there is energy);
  //  * charge-to: at the end of the interval holding `until` the stored energy is at least its SoC,
  //    or as much of it as charging at full power from the start could reach; the charge before is
  //    the LP's (the cheapest hours);
  //  * the reserve: no interval ends below min(reserve, the start's SoC).
  BatteryMode battery_mode;
  double battery_reserve_pct = 0;
};

// Above what a kWh can save anywhere else (a kW of new peak in a demand month costs 12 months of
// basic charge, about 100,000 KRW): the operator's window comes first, as a DR call's cap does.
inline constexpr double kModeDischargeBonusKrwPerKwh = 1'000'000;

// Months a kW of new peak in `m` is billed: 12 for a demand month (art. 68 ①: Dec, Jan, Feb,
// Jul, Aug, Sep), 1 otherwise. (An upper estimate: a later, higher peak would replace it.)
double MonthsBinding(Month m);

// Per-interval data of the built problem and the column of each decision.
struct DispatchInterval {
  Timestamp start;
  double load_kw = 0, pv_kw = 0;
  double price_krw_per_kwh = 0;  // energy + climate + fuel (x taxes if asked)
  bool demand_counts = false;    // 중간/최대부하 of a non-holiday
  size_t month = 0;              // index into DispatchProblem::months
  int charge = -1, discharge = -1, soc = -1, grid_import = -1, grid_export = -1, pv_used = -1;
  int mode = -1;  // binary: 1 = may charge, 0 = may discharge (MILP only)
  // Generator: output (kW), commitment (1 = running; binary with unit_commitment) and start (a
  // commitment rising from 0), -1 without a generator (commitment and start: without a minimum
  // load or start cost).
  int generator = -1, committed = -1, start_up = -1;
  // Cold store: charge and discharge (kW of cooling) and the level at the interval's end (kWh).
  int thermal_charge = -1, thermal_discharge = -1, thermal_level = -1;
  double cooling_kw_th = 0, cop = 0, charge_cop = 0;
  int row_balance = -1, row_soc = -1, row_peak = -1, row_ramp = -1;  // -1: no such row
  int extra = -1;  // reserve scenario: extra discharge needed at this counted interval, kW
  int row_extra = -1, row_extra_power = -1, row_reserve_soc = -1;
  // DR: the reduction beyond the request and the shortfall (kW), and the cap row.
  int dr_extra = -1, dr_shortfall = -1, row_dr = -1;
};

// The demand charge of one KST (billing) month the horizon touches.
struct DispatchMonth {
  Month month;
  int peak_excess = -1;  // kW of the month's counted demand above its standing peak
  int bill_excess = -1;  // bill_months_only, after a demand month: kW of billing demand above R
  // bill_months_only, a demand month whose peak ratchets into a later month of the horizon: its
  // own peak (kW; >= every counted import of the month and its realised peak). What ratchets is
  // the month's own peak, not its billing demand: a month standing on an older ratchet must not
  // pass that ratchet on as its own.
  int own_peak = -1;
  double standing_peak_kw = 0;  // R
  double months_binding = 1;
  double demand_krw_per_kw = 0;  // basic rate of the month's first horizon day x months binding (x taxes)
                                 // (bill_months_only: x the share of the month's days billed)
};

// The columns of one EV session: its power in each interval before its departure, and the energy
// it is short of its need.
struct DispatchEv {
  std::vector<int> power;  // by interval; -1 after its departure
  int shortfall = -1;
  int row_energy = -1;
};

struct DispatchProblem {
  LpModel model;
  std::vector<DispatchEv> ev;  // as DispatchInput::ev
  std::vector<DispatchInterval> intervals;
  std::vector<DispatchMonth> months;  // in time order; months.front() is the first interval's
  // first_month_later_standing_kw: per standing peak, the column of O above it and its cost, KRW/kW
  std::vector<std::pair<int, double>> ratchet_excess;
  double soc_start_kwh = 0;
  double degradation_krw_per_kwh = 0;
  double terminal_krw_per_kwh = 0;
  double ready_krw_per_kwh = 0;      // per kWh stored at the end of every interval (kReadyKrwPerKwhDay)
  double generator_krw_per_kwh = 0;  // GeneratorKrwPerKwh of the site's generator (0: none)
  double generator_start_krw = 0;
  double generator_min_kw = 0;
  int battery_kwh = -1;                     // sizing: the column of E, the usable energy chosen (kWh)
  double thermal_terminal_krw_per_kwh = 0;  // value of a kWh of cooling left stored at the end
};

// Rounds a solution's generator commitment and fixes it in `problem` (to solve again as an LP):
// running where the solution's output reaches half the minimum load, stopped elsewhere. With
// unit commitment, or without a minimum load and a start cost, nothing changes. Returns how many
// intervals' commitments it fixed (0: nothing to solve again).
int FixCommitment(DispatchProblem& problem, const std::vector<double>& primal);

// Builds the problem (a site without ESS gets zero battery bounds). The energy price of each
// interval is PriceDay's price of its slot (tariff/slot_price.h; x (1 + VAT + fund) with
// `with_taxes`); the basic rate of each month that of its first day in the horizon.
// Errors (kInvalidInput / kNotFound): an empty horizon, gaps in load or PV, PV not on the load's
// grid, a start SoC outside the window, or a day the tariff book, fuel table or calendar does not
// cover.
Result<DispatchProblem> BuildDispatchProblem(const DispatchInput& input);

// A warm start for `to` from the basis of the solved `from` (a receding horizon moved on): an
// interval at the same time keeps the statuses of its variables and rows, a month its peak's; a
// new interval starts with its rows basic and its variables at their lower bounds. Returns an
// empty basis when `basis` does not fit `from`.
LpBasis ShiftBasis(const DispatchProblem& from, const LpBasis& basis, const DispatchProblem& to);

// The schedule a solution describes. Objective parts in KRW (the optimiser's estimate, not a
// bill: a bill rounds kWh and won by the supply terms).
struct ScheduleInterval {
  Timestamp start;
  Kilowatts charge, discharge;  // AC, both >= 0
  KilowattHours soc_end;        // stored energy at the interval end
  Kilowatts grid_import, grid_export, pv_used;
  Kilowatts generator;  // generator output, AC (0 without one)
  Kilowatts thermal;    // cold store, kW of cooling, + discharge / - charge (0 without one)
  KilowattHours thermal_level_end;
  double price_krw_per_kwh = 0;
  bool demand_counts = false;
  Kilowatts ev;  // the EV sessions' planned power, in all
  // P of this interval's month: the peak the plan accepts (the first month's own peak O when it is
  // priced with its later bills: first_month_later_standing_kw)
  Kilowatts month_peak;
  std::optional<Kilowatts> dr_cap;  // the DR import cap in force, if any
};

struct Schedule {
  std::vector<ScheduleInterval> intervals;
  Kilowatts peak;  // P of the first month = max(standing peak, counted grid import)
  // first_month_later_standing_kw: the first month's own peak O the plan accepts (its realised
  // peak or its counted import, not the older ratchet); NaN otherwise
  Kilowatts own_peak{std::numeric_limits<double>::quiet_NaN()};
  double energy_krw = 0;              // sum price x import x dt
  double demand_krw = 0;              // sum over months of demand rate x (P - R)
  double degradation_krw = 0;         // wear x (charge + discharge) / 2 x dt
  double terminal_krw = 0;            // - value of the energy left stored and held ready (<= 0)
  double dr_krw = 0;                  // DR: shortfall cost - reward for the reduction beyond the request
  double generator_krw = 0;           // fuel less heat value, x generated kWh, plus starts
  double ev_krw = 0;                  // the EV sessions' energy short of their need x its price
  double objective_krw = 0;           // the sum of the seven
  KilowattHours ev_short;             // the EV sessions' energy short of their need, in all
  KilowattHours charged, discharged;  // AC energy
  KilowattHours generated;            // generator output, AC
  int starts = 0;                     // generator starts (commitment rising above 0.5)
  KilowattHours soc_min, soc_max;     // over the interval ends
};

// REQUIRES: report.primal.size() == problem.model.num_variables().
Schedule DecodeSchedule(const DispatchProblem& problem, const SolveReport& report);

}  // namespace meg
