// SafetyLimits as a table of cycles: image + wish -> what the site does.
#include "control/limits.h"

#include <cmath>
#include <limits>
#include <random>

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
    const Setpoints w{Kilowatts(maybe_lie(wish(rng))), Kilowatts(coin(rng) < 0.5 ? -1.0 : maybe_lie(kw(rng) / 2))};
    const LimitedSetpoints out = ApplySafetyLimits(i, w);
    SCOPED_TRACE(n);
    const double battery = out.battery.value(), pv = out.pv_used.value(), grid = out.grid.value();
    ASSERT_TRUE(std::isfinite(battery) && std::isfinite(pv) && std::isfinite(grid));
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
    ASSERT_NEAR(grid, load - pv - battery, 1e-9);
    // Ramp: within step of the previous command, or between it and zero.
    const double prev = std::isfinite(i.battery_previous.value()) ? i.battery_previous.value() : 0.0;
    const double step = std::isinf(i.battery_ramp_step.value()) && i.battery_ramp_step.value() > 0
                            ? i.battery_ramp_step.value()
                            : safe(i.battery_ramp_step.value());
    const bool toward_zero =
        (prev >= 0 && battery >= 0 && battery <= prev) || (prev <= 0 && battery <= 0 && battery >= prev);
    ASSERT_TRUE(toward_zero || std::abs(battery - prev) <= step + 1e-9)
        << battery << " from " << prev << " step " << step;
    if (battery < 0) {
      ASSERT_LE(grid, safe(i.contract_power.value()) + 1e-9);
    }
    const double min_grid = i.export_allowed ? -safe(i.export_limit.value()) : 0.0;
    ASSERT_GE(grid, min_grid - 1e-9);
  }
}

}  // namespace
}  // namespace meg
