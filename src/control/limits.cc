#include "control/limits.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/thermal.h"

namespace meg {

namespace {

// A measured or rated quantity that must be a finite number >= 0; anything else (a device that
// lies or a controller bug: NaN, infinity, a negative rating) counts as 0, the safe reading.
double NonNegative(double v) { return std::isfinite(v) && v > 0 ? v : 0.0; }

}  // namespace

LimitedSetpoints ApplySafetyLimits(const SiteImage& image, const Setpoints& wish) {
  LimitedSetpoints out;
  // 0. What cannot be trusted is made safe: an unknown load (NaN, infinite, negative) allows no
  //    battery power and no PV beyond what a zero load could absorb; non-finite wishes are no
  //    battery power and no PV limit.
  const bool load_known = std::isfinite(image.load.value()) && image.load.value() >= 0;
  const double load = load_known ? image.load.value() : 0.0;
  const double pv_avail = NonNegative(image.pv_available.value());
  double pv = pv_avail;
  const double pv_limit = wish.pv_limit.value();
  if (std::isfinite(pv_limit) && pv_limit >= 0) pv = std::min(pv, pv_limit);
  double battery = image.has_battery && load_known && std::isfinite(wish.battery.value()) ? wish.battery.value() : 0.0;
  // The first stage that changes the battery or PV names the limit.
  LimitStage stage = !load_known || !std::isfinite(wish.battery.value()) ? LimitStage::kUntrusted
                     : battery != wish.battery.value()                   ? LimitStage::kBattery  // no battery
                                                                         : LimitStage::kNone;
  const auto note = [&](LimitStage s, double before) {
    if (stage == LimitStage::kNone && battery != before) stage = s;
  };
  double before = battery;
  // 1. The battery's own limits (power rating, SoC window, ramp) as the image states them.
  battery = std::clamp(battery, -NonNegative(image.battery_max_charge.value()),
                       NonNegative(image.battery_max_discharge.value()));
  note(LimitStage::kBattery, before);
  before = battery;
  //    Ramp: at most battery_ramp_step away from the previous command, while a move toward zero
  //    is always allowed (a stop is never held back). The allowed range always holds 0, so it
  //    meets the power range above and the result stays inside both. An unknown previous
  //    command reads as 0; an untrusted step (NaN, negative) as no change away from it.
  const double previous = std::isfinite(image.battery_previous.value()) ? image.battery_previous.value() : 0.0;
  const double step_raw = image.battery_ramp_step.value();
  const double step = step_raw == std::numeric_limits<double>::infinity() ? step_raw : NonNegative(step_raw);
  battery = std::clamp(battery, std::min(previous - step, std::min(previous, 0.0)),
                       std::max(previous + step, std::max(previous, 0.0)));
  note(LimitStage::kRamp, before);
  before = battery;
  // 1b. The generator: stopped, or between its minimum load and its rating; a rise at most
  //     generator_ramp_step above the command in force (a start may jump to the minimum load); a
  //     fall or a stop is never held back. A wish below the minimum load stops it (the safe side:
  //     less production). Without a generator, or with a wish that is not a number: 0.
  const double gen_wish = wish.generator.value();
  double gen = 0;
  if (image.has_generator && std::isfinite(gen_wish) && gen_wish > 0) {
    const double gmax = NonNegative(image.generator_max.value());
    const double gmin = std::min(NonNegative(image.generator_min.value()), gmax);
    const double gprev_raw = image.generator_previous.value();
    const double gprev = std::isfinite(gprev_raw) ? std::max(0.0, gprev_raw) : 0.0;
    const double gstep_raw = image.generator_ramp_step.value();
    const double gstep = gstep_raw == std::numeric_limits<double>::infinity() ? gstep_raw : NonNegative(gstep_raw);
    const double rise_to = gprev > 0 ? gprev + gstep : std::max(gmin, gstep);
    gen = std::min({gen_wish, gmax, rise_to});
    if (gen < gmin) gen = 0;
  }
  const auto gen_changed = [](double done, double wished) {
    return !(std::abs(done - (std::isfinite(wished) ? std::max(0.0, wished) : 0.0)) <= kClampToleranceKw);
  };
  if (stage == LimitStage::kNone && gen_changed(gen, gen_wish)) stage = LimitStage::kGenerator;
  // 1c. The cold store: within what it can give and take now (kW of cooling); nothing without a
  //     COP to price its electricity, or with an unknown load (as the battery). Its electricity
  //     is reckoned exactly on the plant's part-load curve when the plant says the cooling it
  //     serves, else at its COP / the part-load margin: no action draws or saves more.
  ThermalStorageSpec store;  // its ice factor, for core/thermal.h's conversions
  store.charge_cop_pct = std::clamp(image.thermal_charge_cop_pct, 1.0, 100.0);
  const double charge_factor = store.charge_cop_pct / 100.0;
  const bool exact = image.thermal_plant.has_value() && std::isfinite(image.thermal_cooling_load.value()) &&
                     image.thermal_cooling_load.value() >= 0;
  const double cop = image.thermal_cop / (exact ? 1.0 : std::max(1.0, image.thermal_cop_margin));
  const bool thermal_ok = image.has_thermal && load_known && std::isfinite(cop) && cop > 0;
  const double thermal_wish = wish.thermal.value();
  double thermal = thermal_ok && std::isfinite(thermal_wish)
                       ? std::clamp(thermal_wish, -NonNegative(image.thermal_max_charge.value()),
                                    NonNegative(image.thermal_max_discharge.value()))
                       : 0.0;
  // With the plant and its load: E(load) - E(load - a) (/ the ice factor for a charge) at the
  // full-load COP its reported average implies (core/thermal.h ThermalPlantElectric); without:
  // ThermalElectric at the COP.
  const double cop_full =
      exact && thermal_ok ? cop / ChillerPlantCop(*image.thermal_plant, 1.0, image.thermal_cooling_load) : cop;
  const auto electric = [&](double a) {
    if (!thermal_ok) return 0.0;
    if (exact) {
      return ThermalPlantElectric(store, *image.thermal_plant, cop_full, image.thermal_cooling_load, Kilowatts(a))
          .value();
    }
    return ThermalElectric(store, Kilowatts(a), cop).value();
  };
  // The action toward `a` (its sign, at most its size) whose electricity is at most `budget` kW
  // (<= 0: none); by bisection at part load (the electricity grows with the action's size).
  const auto within = [&](double a, double budget) {
    if (!(budget > 0)) return 0.0;
    if (std::abs(electric(a)) <= budget) return a;
    if (!exact) return a >= 0 ? budget * cop : -budget * cop * charge_factor;
    const double sign = a >= 0 ? 1.0 : -1.0;
    double lo = 0, hi = std::abs(a);
    for (int i = 0; i < 60; ++i) {
      const double mid = 0.5 * (lo + hi);
      (std::abs(electric(sign * mid)) <= budget ? lo : hi) = mid;
    }
    return sign * lo;
  };
  const auto thermal_changed = [&](double done) {
    return !(std::abs(done - (std::isfinite(thermal_wish) ? thermal_wish : 0.0)) <= kClampToleranceKw);
  };
  if (stage == LimitStage::kNone && thermal_changed(thermal)) stage = LimitStage::kThermal;
  // 2. Charging must not lift grid import above contract power (art. 67-3: over-contract), counting
  //    on the generator only for what it gives now (a start may fail); the battery's charge first,
  //    then the cold store's. An unknown contract power allows no charging.
  const double gen_now_raw = image.generator_now.value();
  const double gen_now = std::isfinite(gen_now_raw) ? std::clamp(gen_now_raw, 0.0, gen) : 0.0;
  if (battery < 0) {
    const double headroom = NonNegative(image.contract_power.value()) - (load - pv - gen_now);
    battery = std::max(battery, -std::max(0.0, headroom));
  }
  if (thermal < 0) {
    const double headroom = NonNegative(image.contract_power.value()) - (load - pv - gen_now - battery);
    const double before_thermal = thermal;
    thermal = within(thermal, headroom);
    if (stage == LimitStage::kNone && thermal != before_thermal) stage = LimitStage::kContract;
  }
  note(LimitStage::kContract, before);
  before = battery;
  // 3. Export: never below -export_limit (0 when export is not allowed or its limit is unknown).
  //    First the PV the image assumes above what it gives now is curtailed (a limit in force hides
  //    what it could give, so the image assumes its rating: that part is not produced, and a cap
  //    on it loses nothing); then the battery's discharge is cut; then the cold store's; then the
  //    generator (stopped when that leaves it below its minimum load); then the PV is curtailed.
  const double min_grid = image.export_allowed ? -NonNegative(image.export_limit.value()) : 0.0;
  const double pv_now_raw = image.pv_now.value();
  const double pv_now = std::isfinite(pv_now_raw) ? std::min(pv, NonNegative(pv_now_raw)) : pv;
  double grid = load - pv - battery - gen - electric(thermal);
  if (grid < min_grid && pv > pv_now) {
    pv = std::max(pv_now, pv - (min_grid - grid));
    grid = load - pv - battery - gen - electric(thermal);
  }
  if (grid < min_grid && battery > 0) {
    battery = std::max(0.0, battery - (min_grid - grid));
    grid = load - pv - battery - gen - electric(thermal);
  }
  note(LimitStage::kExport, before);
  if (grid < min_grid && thermal > 0) {  // a discharge that leaves the chillers too little to do
    thermal = within(thermal, electric(thermal) - (min_grid - grid));
    grid = load - pv - battery - gen - electric(thermal);
    if (stage == LimitStage::kNone) stage = LimitStage::kExport;
  }
  if (grid < min_grid && gen > 0) {
    const double gmin = std::min(NonNegative(image.generator_min.value()), NonNegative(image.generator_max.value()));
    gen = std::max(0.0, gen - (min_grid - grid));
    if (gen < gmin) gen = 0;
    grid = load - pv - battery - gen - electric(thermal);
    if (stage == LimitStage::kNone) stage = LimitStage::kExport;
    // A generator stopped for its minimum load takes away what the contract check counted on:
    // the charge comes down to keep the import within contract power.
    const double contract = NonNegative(image.contract_power.value());
    if (battery < 0 && grid > contract) {
      battery = std::min(0.0, battery + (grid - contract));
      grid = load - pv - battery - gen - electric(thermal);
    }
    if (thermal < 0 && grid > contract) {
      thermal = within(thermal, -electric(thermal) - (grid - contract));
      grid = load - pv - battery - gen - electric(thermal);
    }
  }
  const double pv_before = pv;
  if (grid < min_grid) {
    pv = std::max(0.0, pv - (min_grid - grid));
    grid = load - pv - battery - gen - electric(thermal);
  }
  if (stage == LimitStage::kNone && pv != pv_before) stage = LimitStage::kExport;
  out.battery = Kilowatts(battery);
  out.pv_used = Kilowatts(pv);
  out.generator = Kilowatts(gen);
  out.thermal = Kilowatts(thermal);
  out.thermal_electric = Kilowatts(electric(thermal));
  out.grid = Kilowatts(grid);
  // What the wish would have had of the PV: the assumed part above what it gives now is no loss.
  const double pv_real = std::isfinite(pv_now_raw) ? std::min(pv_avail, NonNegative(pv_now_raw)) : pv_avail;
  const double wished_pv = std::isfinite(pv_limit) && pv_limit >= 0 ? std::min(pv_real, pv_limit) : pv_real;
  // A change within kClampToleranceKw is the rounding of a plan's figures (an LP's solution sits
  // within its tolerance of a bound), not a limit; a wish that is not a number is always changed.
  const auto changed = [](double done, double wished) { return !(std::abs(done - wished) <= kClampToleranceKw); };
  out.clamped = changed(battery, wish.battery.value()) || changed(std::min(pv, pv_real), wished_pv) ||
                gen_changed(gen, gen_wish) || thermal_changed(thermal);
  out.limit = out.clamped ? (stage == LimitStage::kNone ? LimitStage::kUntrusted : stage) : LimitStage::kNone;
  return out;
}

}  // namespace meg
