// Battery sizes priced over a site's year: for each usable energy of a grid (power from a fixed
// energy-to-power ratio), the year's bill saving of a planner (the oracle: the upper bound; mpc:
// the expected case) against the site without a battery, and what that saving is worth against
// the battery's cost: NPV, payback and IRR. The site's [ess] is the template (efficiencies, SoC
// window, wear cost); its energy, power and ramp are scaled. Runs the backtest of `meg simulate`;
// sizes run on up to `threads` worker threads, each with its own solver.
//
//   auto rows = SweepBatterySizes(loaded, inputs, {250, 500, 1000}, finance, "oracle", 2);
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/site_loader.h"
#include "core/result.h"
#include "core/units.h"
#include "sim/site_inputs.h"

namespace meg {

// The default installed costs are NREL's REopt defaults, which NREL sets from its Annual
// Technology Baseline 2024 (REopt.jl, ElectricStorage: 968 USD/kW, 253 USD/kWh, 222,115 USD a
// project, O&M 2.5 % of the capex a year; PV roof 250-750 kW: 2,250-2,050 USD/kW DC, O&M 24 USD/kW
// a year; a chilled-water tank 1.50 USD a gallon at 56/44 F), in KRW at the 2023 average rate of
// 1,306.7637 KRW/USD (US Federal Reserve, G.5A). US costs: a Korean quote is usually lower and is
// the number to use (docs/advise.md, "Default costs").
inline constexpr double kKrwPerUsd2023 = 1306.7637;

struct BatteryFinance {
  double energy_to_power_h = 2;                       // usable kWh per kW of charge and discharge power
  double capex_krw_per_kwh = 253 * kKrwPerUsd2023;    // per kWh of usable energy (cells, racks, BMS)
  double capex_krw_per_kw = 968 * kKrwPerUsd2023;     // per kW of power (PCS, transformer)
  double capex_krw_fixed = 222'115 * kKrwPerUsd2023;  // a project's costs that do not scale with size
  double om_pct_per_year = 2.5;                       // operation and maintenance, % of the capex a year
  double life_years = 15;                             // calendar life
  double cycle_life = 6000;                           // equivalent full cycles (as the backtest counts them) it lasts
  double discount_pct = 4.5;                          // a year
};

struct SizedBattery {
  double usable_kwh = 0, power_kw = 0;
  Won bill_saving;        // the year's bills (VAT and fund in) against the site without a battery
  Won degradation;        // the year's wear at the site's degradation cost (for reference: the life and
                          // the capex already pay for the cells; it is not subtracted again)
  double cycles = 0;      // equivalent full cycles in the year
  double life_years = 0;  // min(calendar life, cycle life / cycles a year)
  double capex_krw = 0;
  double npv_krw = 0;
  std::optional<double> payback_years;
  std::optional<double> irr;  // a year
};

// The battery's size as a variable of one LP over the whole period (the period oracle's problem,
// optimize/dispatch_problem.h BatterySizing): it chooses the usable energy that minimises the
// period's bills, the wear and the annualised capex (capex x (capital recovery factor over the
// calendar life at the discount rate + O&M), x the period's share of a year). A cross-check of the
// grid: NetOverPeriod of the grid's sizes is that objective's saving, so the grid's best should
// be the LP's size within the grid's step.
struct LpSizedBattery {
  double usable_kwh = 0, power_kw = 0;
  double objective_krw = 0;  // the LP's optimum: bills + wear + annualised capex over the period
  double seconds = 0;        // the solve's wall time
};
Result<LpSizedBattery> SizeBatteryByLp(const LoadedSite& site, const SiteInputs& inputs, const BatteryFinance& finance,
                                       double max_kwh);

// What a size of the grid nets over its period by the LP's measure: its bill saving less its wear
// and its annualised capex for the period (capex x (CRF + O&M) x `period_years`). The LP has no
// fixed cost (it would need a binary: build or not); the grid's capex has it, the same for every
// size, so it moves every size's net alike and not which is best.
double NetOverPeriod(const SizedBattery& b, const BatteryFinance& finance, double period_years);
// The period of `inputs` in years (365 days a year).
double PeriodYears(const SiteInputs& inputs);

// PV sizes: the site's arrays (and inverters) scaled to each DC size, their production with them
// (the PV model is linear in the array's size when its inverter scales with it), priced with no
// battery and no control (`none`) against the site without PV: the PV's own bill saving.
struct PvFinance {
  // Installed cost per kWp DC (modules, inverter, mounting, works): REopt's roof PV of 250-750 kW,
  // the middle of 2,250-2,050 USD/kW.
  double capex_krw_per_kwp = 2150 * kKrwPerUsd2023;
  double om_pct_per_year = 24.0 / 2150 * 100;  // 24 USD/kW a year of 2,150 USD/kW: 1.12 %
  // 20 years: the term of KPX's long-term fixed-price contracts for PV (SMP + REC, 장기고정가격계약)
  // over which Korean PV plants are financed.
  double life_years = 20;
  double discount_pct = 4.5;
};

struct SizedPv {
  double dc_kwp = 0, ac_kw = 0;
  KilowattHours available, used;  // the year's production available and used on site (no export)
  Won bill_saving;                // the year's bills against the site without PV
  double capex_krw = 0;
  double npv_krw = 0;
  std::optional<double> payback_years;
  std::optional<double> irr;
};

// Errors: the site has no [[pv]] to scale, a size or the finance out of range, a backtest failure.
Result<std::vector<SizedPv>> SweepPvSizes(const LoadedSite& site, const SiteInputs& inputs,
                                          const std::vector<double>& sizes_kwp, const PvFinance& finance);

// Cold-store sizes ([thermal_storage] scaled: capacity, and the charge and discharge ratings in the
// same hours), each run through the year by a planner with the store alone (the site's battery and
// generator removed, its PV kept) against the same site without the store: the store's own saving.
struct ThermalFinance {
  // Installed cost per kWh of cooling stored (tank, coils, pumps, controls); 0: the default of the
  // store's kind (kChilledWaterKrwPerKwhTh; ice has none with a source, so it must be given).
  double capex_krw_per_kwh_th = 0;
  double om_pct_per_year = 0;  // REopt's om_cost_per_gal is 0
  double life_years = 20;      // assumed (no sourced figure): a tank's structure outlives this
  double discount_pct = 4.5;
};
// REopt's chilled-water tank, 1.50 USD a gallon stored between 56 and 44 F: a gallon (3.785 kg)
// over 6.67 K holds 3.785 x 4.186 x 6.67 / 3600 = 0.02934 kWh of cooling: 51.13 USD/kWh_th.
inline constexpr double kChilledWaterKrwPerKwhTh = 1.50 / 0.0293395 * kKrwPerUsd2023;

struct SizedThermal {
  double capacity_kwh_th = 0, charge_kw_th = 0, discharge_kw_th = 0;
  KilowattHours discharged;  // cooling the store served in the year, kWh of cooling
  KilowattHours electric;    // the chillers' electricity it saved (+) net of what charging cost
  Won bill_saving;           // the year's bills against the site without the store
  double capex_krw = 0;
  double npv_krw = 0;
  std::optional<double> payback_years;
  std::optional<double> irr;
};

// Errors: the site has no [thermal_storage] or no cooling demand, a size or the finance out of
// range, a backtest failure.
Result<std::vector<SizedThermal>> SweepThermalSizes(const LoadedSite& site, const SiteInputs& inputs,
                                                    const std::vector<double>& sizes_kwh_th,
                                                    const ThermalFinance& finance, const std::string& controller,
                                                    int threads,
                                                    const std::function<void(size_t done, size_t total)>& progress);

// The cash flows of an investment of `capex`: -capex now, then each year `saving` less O&M
// (`om_pct` of the capex) for the whole years of its life and the fraction of the last. Battery
// and PV sizes alike.
std::vector<double> SizeCashFlows(double capex, double saving, double om_pct, double life_years);

// Errors: the site has no [ess] to scale, a size or the finance out of range, a backtest failure.
Result<std::vector<SizedBattery>> SweepBatterySizes(const LoadedSite& site, const SiteInputs& inputs,
                                                    const std::vector<double>& sizes_kwh, const BatteryFinance& finance,
                                                    const std::string& controller, int threads,
                                                    const std::function<void(size_t done, size_t total)>& progress);

}  // namespace meg
