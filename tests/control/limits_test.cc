// SafetyLimits as a table of cycles: image + wish -> what the site does.
#include "control/limits.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

namespace meg {
namespace {

SiteImage Image(double load, double pv, double max_dis, double max_ch, bool export_allowed = false,
                double export_limit = 0) {
  SiteImage i;
  i.load = Kilowatts(load);
  i.pv_available = Kilowatts(pv);
  i.has_battery = true;
  i.battery_max_discharge = Kilowatts(max_dis);
  i.battery_max_charge = Kilowatts(max_ch);
  i.contract_power = Kilowatts(1000);
  i.export_allowed = export_allowed;
  i.export_limit = Kilowatts(export_limit);
  return i;
}

TEST(SafetyLimitsTest, TableOfCycles) {
  struct Row {
    const char* what;
    SiteImage image;
    double wish_battery, wish_pv_limit;
    double battery, pv_used, grid;
  };
  const Row rows[] = {
      {"within limits", Image(800, 100, 300, 300), 200, -1, 200, 100, 500},
      {"battery rating", Image(800, 100, 300, 300), 500, -1, 300, 100, 400},
      {"charge rating", Image(500, 0, 300, 250), -400, -1, -250, 0, 750},
      {"charge under contract", Image(900, 0, 300, 300), -300, -1, -100, 0, 1000},
      {"no charging over contract", Image(1100, 0, 300, 300), -300, -1, 0, 0, 1100},
      {"no export: discharge cut", Image(300, 200, 300, 300), 250, -1, 100, 200, 0},
      {"no export: PV curtailed", Image(100, 300, 300, 0), 0, -1, 0, 100, 0},
      {"export allowed to its limit", Image(100, 300, 300, 0, true, 50), 0, -1, 0, 150, -50},
      {"controller curtails PV", Image(500, 300, 300, 300), 0, 100, 0, 100, 400},
  };
  for (const Row& r : rows) {
    const auto out = ApplySafetyLimits(r.image, Setpoints{Kilowatts(r.wish_battery), Kilowatts(r.wish_pv_limit)});
    EXPECT_DOUBLE_EQ(out.battery.value(), r.battery) << r.what;
    EXPECT_DOUBLE_EQ(out.pv_used.value(), r.pv_used) << r.what;
    EXPECT_DOUBLE_EQ(out.grid.value(), r.grid) << r.what;
    EXPECT_DOUBLE_EQ(out.grid.value(), r.image.load.value() - out.pv_used.value() - out.battery.value()) << r.what;
  }
}

// While a PV limit is in force the image assumes the PV at its rating (70 kW here) but it gives
// `pv_now`: the assumed part is curtailed before a discharge is cut (by hand: load 60, discharge
// 30, PV at its rating 70 would export 40; capping the PV at the 30 it gives leaves grid 0).
TEST(SafetyLimitsTest, AssumedPvIsCurtailedBeforeADischarge) {
  struct Row {
    const char* what;
    double load, pv_now, wish_battery;
    double battery, pv_used, grid;
    bool clamped;
  };
  const Row rows[] = {
      {"the cap at what PV gives makes room for the whole discharge", 60, 30, 30, 30, 30, 0, false},
      {"the discharge is cut by what the PV it gives would export", 60, 40, 30, 20, 40, 0, true},
      {"import even at the rating: the limit is lifted", 100, 30, 20, 20, 70, 10, false},
      {"no discharge: PV capped at the load", 20, 30, 0, 0, 20, 0, true},
      {"unknown pv_now: all of the rating counts as produced", 60, std::nan(""), 30, 0, 60, 0, true},
  };
  for (const Row& r : rows) {
    SiteImage image = Image(r.load, 70, 300, 300);
    image.pv_now = Kilowatts(r.pv_now);
    const auto out = ApplySafetyLimits(image, Setpoints{Kilowatts(r.wish_battery), Kilowatts(-1)});
    EXPECT_DOUBLE_EQ(out.battery.value(), r.battery) << r.what;
    EXPECT_DOUBLE_EQ(out.pv_used.value(), r.pv_used) << r.what;
    EXPECT_DOUBLE_EQ(out.grid.value(), r.grid) << r.what;
    EXPECT_EQ(out.clamped, r.clamped) << r.what;
    if (r.battery != r.wish_battery) {
      EXPECT_EQ(out.limit, LimitStage::kExport) << r.what;
    }
  }
}

// Ramp (100 kW/min at a 1 s cycle = 1.667 kW per cycle; 30 kW per step here to keep the
// arithmetic plain): away from the previous command by at most the step, toward zero freely.
TEST(SafetyLimitsTest, RampHoldsMovesAwayButNeverAStop) {
  struct Row {
    const char* what;
    double previous, step, wish, battery;
  };
  const Row rows[] = {
      {"up by more than the step: previous + step", 100, 30, 250, 130},
      {"up within the step", 100, 30, 120, 120},
      {"down toward zero: free", 250, 30, 10, 10},
      {"stop: free", 250, 30, 0, 0},
      {"through zero: stops at 0 first", 50, 30, -200, 0},
      {"from rest: step either way", 0, 30, -200, -30},
      {"charging harder: held", -100, 30, -250, -130},
      {"untrusted step: no move away", 100, std::numeric_limits<double>::quiet_NaN(), 200, 100},
      {"untrusted previous reads 0", std::numeric_limits<double>::quiet_NaN(), 30, 200, 30},
  };
  for (const Row& r : rows) {
    SiteImage i = Image(800, 0, 300, 300);
    i.battery_previous = Kilowatts(r.previous);
    i.battery_ramp_step = Kilowatts(r.step);
    EXPECT_DOUBLE_EQ(ApplySafetyLimits(i, Setpoints{Kilowatts(r.wish), Kilowatts(-1)}).battery.value(), r.battery)
        << r.what;
  }
}

TEST(SafetyLimitsTest, NoBatteryMeansNoBatteryPower) {
  SiteImage i = Image(500, 0, 300, 300);
  i.has_battery = false;
  const auto out = ApplySafetyLimits(i, Setpoints{Kilowatts(200), Kilowatts(-1)});
  EXPECT_DOUBLE_EQ(out.battery.value(), 0);
  EXPECT_TRUE(out.clamped);
}

}  // namespace
}  // namespace meg

namespace meg {
namespace {

// The generator, by hand: rating 400 kW, minimum load 150 kW, ramp 50 kW per cycle; load 800,
// no PV, a battery of 300 kW each way, contract 1,000 kW, no export.
TEST(SafetyLimitsTest, GeneratorKeepsItsRatingMinimumLoadRampAndTheExportLimit) {
  struct Row {
    const char* what;
    double load, previous, now, wish_gen, wish_battery;
    double gen, battery, grid;
    LimitStage limit;
  };
  const Row rows[] = {
      {"within limits", 800, 300, 300, 320, 0, 320, 0, 480, LimitStage::kNone},
      {"rating", 800, 400, 400, 500, 0, 400, 0, 400, LimitStage::kGenerator},
      {"ramp up from 300: 350", 800, 300, 300, 400, 0, 350, 0, 450, LimitStage::kGenerator},
      {"a start may jump to the minimum load", 800, 0, 0, 150, 0, 150, 0, 650, LimitStage::kNone},
      {"a start beyond it is ramped: max(min, step) = 150", 800, 0, 0, 400, 0, 150, 0, 650, LimitStage::kGenerator},
      {"a fall is never held", 800, 400, 400, 160, 0, 160, 0, 640, LimitStage::kNone},
      {"below the minimum load it stops", 800, 300, 300, 100, 0, 0, 0, 800, LimitStage::kGenerator},
      // 200 load, generator 300: export 100 is not allowed; the discharge of 50 goes first, then
      // the generator falls to 200 (no export), still above its minimum load.
      {"export: discharge cut, then the generator", 200, 300, 300, 300, 50, 200, 0, 0, LimitStage::kExport},
      // 100 load: the generator would have to fall to 100, below its 150 minimum: it stops.
      {"export: below the minimum it stops", 100, 300, 300, 300, 0, 0, 0, 100, LimitStage::kExport},
      // Charging counts on the generator only for what it gives now (0, still starting): 800 - 0
      // leaves 200 kW of headroom under contract, though the generator's 150 would leave 350.
      {"contract: a starting generator is not counted", 800, 0, 0, 150, -300, 150, -200, 850, LimitStage::kContract},
      {"contract: a running one is", 800, 300, 300, 300, -300, 300, -300, 800, LimitStage::kNone},
  };
  for (const Row& r : rows) {
    SiteImage i = Image(r.load, 0, 300, 300);
    i.has_generator = true;
    i.generator_max = Kilowatts(400);
    i.generator_min = Kilowatts(150);
    i.generator_previous = Kilowatts(r.previous);
    i.generator_now = Kilowatts(r.now);
    i.generator_ramp_step = Kilowatts(50);
    Setpoints w{Kilowatts(r.wish_battery), Kilowatts(-1)};
    w.generator = Kilowatts(r.wish_gen);
    const auto out = ApplySafetyLimits(i, w);
    EXPECT_DOUBLE_EQ(out.generator.value(), r.gen) << r.what;
    EXPECT_DOUBLE_EQ(out.battery.value(), r.battery) << r.what;
    EXPECT_DOUBLE_EQ(out.grid.value(), r.grid) << r.what;
    EXPECT_EQ(out.limit, r.limit) << r.what;
  }
  // A site without a generator: any wish is 0, and a clamp.
  SiteImage none = Image(800, 0, 300, 300);
  Setpoints w{Kilowatts(0), Kilowatts(-1)};
  w.generator = Kilowatts(200);
  const auto out = ApplySafetyLimits(none, w);
  EXPECT_EQ(out.generator.value(), 0.0);
  EXPECT_EQ(out.limit, LimitStage::kGenerator);
  // An unknown load (safe mode) reads as 0: with no export allowed, the generator stops.
  SiteImage unknown = Image(std::numeric_limits<double>::quiet_NaN(), 0, 300, 300);
  unknown.has_generator = true;
  unknown.generator_max = Kilowatts(400);
  unknown.generator_previous = Kilowatts(300);
  EXPECT_EQ(ApplySafetyLimits(unknown, w).generator.value(), 0.0);
}

// An image with `load` kW and a cold store reporting COP `cop`, ice made at 70 %, that may give
// 600 kW of cooling and take 700; contract 1,000 kW, no export.
SiteImage ColdStoreImage(double load, double cop) {
  SiteImage i = Image(load, 0, 0, 0);
  i.has_thermal = true;
  i.thermal_cop = cop;
  i.thermal_charge_cop_pct = 70;
  i.thermal_max_discharge = Kilowatts(600);
  i.thermal_max_charge = Kilowatts(700);
  return i;
}

// The limited command for a wish of `thermal` kW of cooling and nothing else.
LimitedSetpoints ColdStoreWish(const SiteImage& i, double thermal) {
  Setpoints w{Kilowatts(0), Kilowatts(-1)};
  w.thermal = Kilowatts(thermal);
  return ApplySafetyLimits(i, w);
}

// The cold store, by hand: load 800 kW (its chillers' electricity in it), no PV, no battery
// power, COP 5, ice made at 70 %: a discharge of S kW of cooling saves S / 5, a charge of C costs
// C / 3.5. It may give 600 kW of cooling and take 700; contract 1,000 kW, no export.
TEST(SafetyLimitsTest, ColdStoreKeepsItsLimitsContractAndExport) {
  struct Row {
    const char* what;
    double load, wish;
    double thermal, electric, grid;
    LimitStage limit;
  };
  const Row rows[] = {
      {"discharge", 800, 500, 500, 100, 700, LimitStage::kNone},
      {"discharge beyond what it may give", 800, 900, 600, 120, 680, LimitStage::kThermal},
      {"charge", 800, -350, -350, -100, 900, LimitStage::kNone},
      {"charge beyond what it may take", 800, -1000, -700, -200, 1000, LimitStage::kThermal},
      // 900 kW of load: 100 kW under contract, so at most 350 kW of cooling charged (100 x 3.5).
      {"charge held under contract", 900, -700, -350, -100, 1000, LimitStage::kContract},
      // 60 kW of load: a discharge saving 120 kW would export 60; it falls to 300 (saving 60).
      {"discharge held against export", 60, 600, 300, 60, 0, LimitStage::kExport},
  };
  for (const Row& r : rows) {
    const auto out = ColdStoreWish(ColdStoreImage(r.load, 5), r.wish);
    EXPECT_NEAR(out.thermal.value(), r.thermal, 1e-9) << r.what;
    EXPECT_NEAR(out.thermal_electric.value(), r.electric, 1e-9) << r.what;
    EXPECT_NEAR(out.grid.value(), r.grid, 1e-9) << r.what;
    EXPECT_EQ(out.limit, r.limit) << r.what;
  }
  // A plant at part load (a margin of 2): its cooling converted at 5 / 2 = 2.5. 900 kW of load:
  // at most 100 x 2.5 x 0.7 = 175 kW of cooling charged, reckoned as 100 kW; 60 kW of load: a
  // discharge at most 60 x 2.5 = 150 kW, reckoned to save 60.
  for (const auto& [load, wish, thermal, electric] :
       {std::tuple{900.0, -700.0, -175.0, -100.0}, std::tuple{60.0, 600.0, 150.0, 60.0}}) {
    SiteImage i = ColdStoreImage(load, 5);
    i.thermal_cop_margin = 2;
    const auto out = ColdStoreWish(i, wish);
    EXPECT_NEAR(out.thermal.value(), thermal, 1e-9) << load;
    EXPECT_NEAR(out.thermal_electric.value(), electric, 1e-9) << load;
  }
  // The plant at part load with the cooling it serves (two 1,000 kW machines on EnergyPlus's DOE-2
  // centrifugal curve f(p) = 0.222903 + 0.313387 p + 0.46371 p^2, full-load COP 5, serving 1,000
  // kW: two at half load draw 400 f(0.5) = 198.2096 kW, so it reports COP 1,000 / 198.2096). Its
  // electricity is reckoned exactly:
  // - 950 kW of load, 50 under contract: an ice charge C may add 50 x 0.7 = 35 kW to the chillers,
  //   400 f(p) = 233.2096 with p = (1,000 + C) / 2,000: 0.46371 p^2 + 0.313387 p - 0.360121 = 0,
  //   p = (-0.313387 + sqrt(0.313387^2 + 4 x 0.46371 x 0.360121)) / (2 x 0.46371) = 0.6059057:
  //   C = 211.811 kW of cooling (at the COP of 5.045 it would have been 123.6);
  // - 60 kW of load: a discharge S may save 60 kW: one machine serving 1,000 - S draws 138.2096 =
  //   200 f(p), p = (-0.313387 + sqrt(0.313387^2 + 4 x 0.46371 x 0.468145)) / (2 x 0.46371) =
  //   0.722158: S = 277.84 kW of cooling.
  for (const auto& [load, wish, thermal, electric] :
       {std::tuple{950.0, -700.0, -211.811443, -50.0}, std::tuple{60.0, 600.0, 277.842, 60.0}}) {
    SiteImage i = ColdStoreImage(load, 1000 / 198.2096);
    i.thermal_cop_margin = 2;  // not used: the plant and its load are known
    CoolingSpec plant;
    plant.chiller_kw_th = Kilowatts(2000);
    plant.chillers = 2;
    plant.part_load_curve = {0.222903, 0.313387, 0.463710};
    plant.min_part_load_pct = 20;
    i.thermal_plant = plant;
    i.thermal_cooling_load = Kilowatts(1000);
    const auto out = ColdStoreWish(i, wish);
    EXPECT_NEAR(out.thermal.value(), thermal, 2e-3) << load;
    EXPECT_NEAR(out.thermal_electric.value(), electric, 1e-6) << load;
  }
  // No COP to price its electricity, or an unknown load: it stands still.
  SiteImage no_cop = Image(800, 0, 0, 0);
  no_cop.has_thermal = true;
  no_cop.thermal_max_discharge = Kilowatts(600);
  Setpoints w{Kilowatts(0), Kilowatts(-1)};
  w.thermal = Kilowatts(500);
  EXPECT_EQ(ApplySafetyLimits(no_cop, w).thermal.value(), 0.0);
  SiteImage unknown = Image(std::numeric_limits<double>::quiet_NaN(), 0, 0, 0);
  unknown.has_thermal = true;
  unknown.thermal_cop = 5;
  unknown.thermal_max_discharge = Kilowatts(600);
  EXPECT_EQ(ApplySafetyLimits(unknown, w).thermal.value(), 0.0);
}

// Property test: random site images and controller wishes, a tenth of the numbers replaced by a
// lie (NaN, +/-infinity, a negative value); whatever comes in, the command that leaves the limit
// stage is finite and inside every limit of issue 6: the battery's charge and discharge power,
// PV within what is available and what the controller allowed, no charging above contract power,
// no export beyond the export limit (none when export is not allowed), and a grid figure that
// balances. An untrusted load allows no battery power at all.
TEST(SafetyLimitsPropertyTest, NoCommandLeavesTheLimits) {
  std::mt19937_64 rng(20261129);
  std::uniform_real_distribution<double> kw(0, 2000), wish(-3000, 3000), coin(0, 1);
  const double lies[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity(), -50.0};
  const auto maybe_lie = [&](double v) { return coin(rng) < 0.1 ? lies[static_cast<size_t>(coin(rng) * 4) % 4] : v; };
  const auto safe = [](double v) { return std::isfinite(v) && v > 0 ? v : 0.0; };
  for (int n = 0; n < 200'000; ++n) {
    SiteImage i;
    i.load = Kilowatts(maybe_lie(kw(rng)));
    i.pv_available = Kilowatts(maybe_lie(kw(rng) / 2));
    i.has_battery = coin(rng) < 0.9;
    i.battery_max_discharge = Kilowatts(maybe_lie(kw(rng) / 4));
    i.battery_max_charge = Kilowatts(maybe_lie(kw(rng) / 4));
    i.contract_power = Kilowatts(maybe_lie(kw(rng)));
    if (coin(rng) < 0.7) {  // the live loop's ramp; else the default (no ramp limit)
      i.battery_previous = Kilowatts(maybe_lie(wish(rng) / 4));
      i.battery_ramp_step = Kilowatts(maybe_lie(kw(rng) / 20));
    }
    if (coin(rng) < 0.3) i.pv_now = Kilowatts(maybe_lie(kw(rng) / 2));  // a PV limit in force
    i.export_allowed = coin(rng) < 0.5;
    i.export_limit = Kilowatts(maybe_lie(kw(rng) / 4));
    i.has_generator = coin(rng) < 0.5;
    i.generator_max = Kilowatts(maybe_lie(kw(rng) / 4));
    i.generator_min = Kilowatts(maybe_lie(kw(rng) / 8));
    i.generator_previous = Kilowatts(maybe_lie(kw(rng) / 4));
    i.generator_now = Kilowatts(maybe_lie(kw(rng) / 4));
    if (coin(rng) < 0.5) i.generator_ramp_step = Kilowatts(maybe_lie(kw(rng) / 20));
    i.has_thermal = coin(rng) < 0.5;
    i.thermal_max_discharge = Kilowatts(maybe_lie(kw(rng) / 4));
    i.thermal_max_charge = Kilowatts(maybe_lie(kw(rng) / 4));
    i.thermal_cop = maybe_lie(1 + 6 * coin(rng));
    i.thermal_charge_cop_pct = 60 + 40 * coin(rng);
    if (coin(rng) < 0.3) {  // a plant at part load that reports the cooling it serves
      CoolingSpec plant;
      plant.chiller_kw_th = Kilowatts(500 + kw(rng));
      plant.chillers = 1 + static_cast<int>(coin(rng) * 4);
      plant.part_load_curve = {0.222903, 0.313387, 0.463710};
      plant.min_part_load_pct = 20;
      i.thermal_plant = plant;
      i.thermal_cooling_load = Kilowatts(maybe_lie(kw(rng)));
    }
    Setpoints w{Kilowatts(maybe_lie(wish(rng))), Kilowatts(coin(rng) < 0.5 ? -1.0 : maybe_lie(kw(rng) / 2))};
    w.generator = Kilowatts(maybe_lie(wish(rng) / 4));
    w.thermal = Kilowatts(maybe_lie(wish(rng) / 4));
    const LimitedSetpoints out = ApplySafetyLimits(i, w);
    SCOPED_TRACE(n);
    const double battery = out.battery.value(), pv = out.pv_used.value(), grid = out.grid.value();
    const double gen = out.generator.value();
    ASSERT_TRUE(std::isfinite(battery) && std::isfinite(pv) && std::isfinite(grid) && std::isfinite(gen));
    // The generator: stopped, or within [min, max], risen at most a step (a start: to max(min, step)).
    if (!i.has_generator) {
      ASSERT_EQ(gen, 0.0);
    }
    if (gen != 0.0) {
      const double gmax = safe(i.generator_max.value());
      const double gmin = std::min(safe(i.generator_min.value()), gmax);
      ASSERT_LE(gen, gmax);
      ASSERT_GE(gen, gmin);
      const double gprev =
          std::isfinite(i.generator_previous.value()) ? std::max(0.0, i.generator_previous.value()) : 0;
      const double gstep = std::isinf(i.generator_ramp_step.value()) && i.generator_ramp_step.value() > 0
                               ? i.generator_ramp_step.value()
                               : safe(i.generator_ramp_step.value());
      ASSERT_LE(gen, gprev > 0 ? gprev + gstep + 1e-9 : std::max(gmin, gstep) + 1e-9);
    }
    const bool load_known = std::isfinite(i.load.value()) && i.load.value() >= 0;
    const double load = load_known ? i.load.value() : 0.0;
    if (!i.has_battery || !load_known) {
      ASSERT_EQ(battery, 0.0);
    }
    ASSERT_LE(battery, safe(i.battery_max_discharge.value()));
    ASSERT_GE(battery, -safe(i.battery_max_charge.value()));
    ASSERT_GE(pv, 0.0);
    ASSERT_LE(pv, safe(i.pv_available.value()));
    if (std::isfinite(w.pv_limit.value()) && w.pv_limit.value() >= 0) {
      ASSERT_LE(pv, w.pv_limit.value());
    }
    const double thermal = out.thermal.value(), thermal_electric = out.thermal_electric.value();
    ASSERT_TRUE(std::isfinite(thermal) && std::isfinite(thermal_electric));
    const bool thermal_ok = i.has_thermal && load_known && std::isfinite(i.thermal_cop) && i.thermal_cop > 0;
    if (!thermal_ok) {
      ASSERT_EQ(thermal, 0.0);
    }
    ASSERT_LE(thermal, safe(i.thermal_max_discharge.value()) + 1e-9);
    ASSERT_GE(thermal, -safe(i.thermal_max_charge.value()) - 1e-9);
    ASSERT_NEAR(grid, load - pv - battery - gen - thermal_electric, 1e-6);
    // Ramp: within step of the previous command, or between it and zero.
    const double prev = std::isfinite(i.battery_previous.value()) ? i.battery_previous.value() : 0.0;
    const double step = std::isinf(i.battery_ramp_step.value()) && i.battery_ramp_step.value() > 0
                            ? i.battery_ramp_step.value()
                            : safe(i.battery_ramp_step.value());
    const bool toward_zero =
        (prev >= 0 && battery >= 0 && battery <= prev) || (prev <= 0 && battery <= 0 && battery >= prev);
    ASSERT_TRUE(toward_zero || std::abs(battery - prev) <= step + 1e-9)
        << battery << " from " << prev << " step " << step;
    if (thermal < 0) {
      ASSERT_LE(grid, safe(i.contract_power.value()) + 1e-6);
    }
    if (battery < 0) {
      ASSERT_LE(grid, safe(i.contract_power.value()) + 1e-9);
      // Even if the generator gives only what it gave before the decision, unless the export limit
      // binds (it holds the export with the generator at its command, PV and generator cut to it).
      const double gen_now = std::isfinite(i.generator_now.value()) ? std::clamp(i.generator_now.value(), 0.0, gen) : 0;
      const double min_export_grid = i.export_allowed ? -safe(i.export_limit.value()) : 0.0;
      if (grid > min_export_grid + 1e-9) {
        ASSERT_LE(load - pv - gen_now - battery, safe(i.contract_power.value()) + 1e-9);
      }
    }
    const double min_grid = i.export_allowed ? -safe(i.export_limit.value()) : 0.0;
    ASSERT_GE(grid, min_grid - 1e-9);
  }
}

}  // namespace
}  // namespace meg
