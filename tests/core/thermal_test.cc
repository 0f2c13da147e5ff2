// Cold storage quantities (core/thermal.h), worked by hand for an ice store of 6,000 kWh of
// cooling, 1,000 kW each way, 0.5 % lost an hour, ice made at 70 % of the chillers' COP.
#include "core/thermal.h"

#include <gtest/gtest.h>

namespace meg {
namespace {

ThermalStorageSpec Ice() {
  ThermalStorageSpec s;
  s.kind = "ice";
  s.capacity_kwh_th = KilowattHours(6000);
  s.charge_kw_th = Kilowatts(1000);
  s.discharge_kw_th = Kilowatts(1000);
  s.loss_pct_per_h = 0.5;
  s.charge_cop_pct = 70;
  return s;
}

TEST(ThermalTest, CopFollowsTheOutdoorTemperature) {
  CoolingSpec c;
  c.cop = 5;
  c.rated_temp_c = 35;
  c.cop_change_pct_per_c = 2;
  EXPECT_DOUBLE_EQ(ChillerCop(c, 35), 5.0);
  EXPECT_DOUBLE_EQ(ChillerCop(c, 25), 6.0);   // 10 C cooler: 5 x (1 + 0.2)
  EXPECT_DOUBLE_EQ(ChillerCop(c, 40), 4.5);   // 5 C hotter: 5 x (1 - 0.1)
  EXPECT_DOUBLE_EQ(ChillerCop(c, -200), 15);  // held at 3 x
  EXPECT_DOUBLE_EQ(ChillerCop(c, 200), 1.5);  // held at 0.3 x
}

TEST(ThermalTest, LimitsLevelAndElectricity) {
  const ThermalStorageSpec s = Ice();
  EXPECT_DOUBLE_EQ(ThermalStoredAt(s, 50).value(), 3000);
  EXPECT_DOUBLE_EQ(ThermalSocPct(s, KilowattHours(1500)), 25);
  const Hours q(0.25);
  EXPECT_DOUBLE_EQ(ThermalKeep(s, q), 1 - 0.005 * 0.25);
  // 100 kWh stored, a quarter-hour: 100 x 0.99875 / 0.25 = 399.5 kW; its rating 1,000; a demand
  // of 300 kW: the store serves at most the demand.
  EXPECT_DOUBLE_EQ(ThermalMaxDischarge(s, KilowattHours(100), q, Kilowatts(5000)).value(), 399.5);
  EXPECT_DOUBLE_EQ(ThermalMaxDischarge(s, KilowattHours(100), q, Kilowatts(300)).value(), 300);
  // Nearly full: (6,000 - 5,900 x 0.99875) / 0.25 = 429.5 kW of room; the chillers (3,600) serving
  // 3,400 have 200 to spare.
  EXPECT_NEAR(ThermalMaxCharge(s, KilowattHours(5900), q, Kilowatts(0), Kilowatts(10000)).value(), 429.5, 1e-9);
  EXPECT_DOUBLE_EQ(ThermalMaxCharge(s, KilowattHours(5900), q, Kilowatts(3400), Kilowatts(3600)).value(), 200);
  // Holding 400 kW of discharge for a quarter-hour from 3,000: 3,000 x 0.99875 - 100 = 2,896.25.
  EXPECT_DOUBLE_EQ(ThermalNext(s, KilowattHours(3000), Kilowatts(400), q).value(), 2896.25);
  EXPECT_DOUBLE_EQ(ThermalNext(s, KilowattHours(3000), Kilowatts(-400), q).value(), 3096.25);
  // At COP 5: 400 kW of cooling discharged saves 80 kW; 350 charged costs 350 / (5 x 0.7) = 100.
  EXPECT_DOUBLE_EQ(ThermalElectric(s, Kilowatts(400), 5).value(), 80);
  EXPECT_DOUBLE_EQ(ThermalElectric(s, Kilowatts(-350), 5).value(), -100);
}

// Two 1,000 kW machines at a full-load COP of 5 (200 kW of electricity each at full load) on
// EnergyPlus's DOE-2 centrifugal part-load curve (f(p) = 0.222903 + 0.313387 p + 0.463710 p^2,
// f(1) = 1), cycling below 20 % of a machine.
CoolingSpec TwoCentrifugals() {
  CoolingSpec c;
  c.chiller_kw_th = Kilowatts(2000);
  c.chillers = 2;
  c.part_load_curve = {0.222903, 0.313387, 0.463710};
  c.min_part_load_pct = 20;
  return c;
}

TEST(ThermalTest, ChillerPlantAtPartLoad) {
  const CoolingSpec c = TwoCentrifugals();
  EXPECT_FALSE(ChillerPlantIsLinear(c));
  // 1,000 kW: one machine at full load draws 200 kW; two at half load 2 x 200 x f(0.5) =
  // 400 x (0.222903 + 0.1566935 + 0.1159275) = 400 x 0.495524 = 198.2096 kW: two run.
  EXPECT_NEAR(ChillerPlantElectric(c, 5, Kilowatts(1000)).value(), 198.2096, 1e-9);
  // 1,500 kW: both at 0.75: 400 x (0.222903 + 0.23504025 + 0.260836875) = 287.51205 kW.
  EXPECT_NEAR(ChillerPlantElectric(c, 5, Kilowatts(1500)).value(), 287.51205, 1e-9);
  // 100 kW: below 20 % a machine cycles at f(0.2) / 0.2 of its full-load rate per unit of load:
  // f(0.2) = 0.222903 + 0.0626774 + 0.0185484 = 0.3041288; 200 x 0.3041288 x 0.1 / 0.2 =
  // 30.41288 kW (one or two machines alike), an average COP of 100 / 30.41288.
  EXPECT_NEAR(ChillerPlantElectric(c, 5, Kilowatts(100)).value(), 30.41288, 1e-9);
  EXPECT_NEAR(ChillerPlantCop(c, 5, Kilowatts(100)), 100 / 30.41288, 1e-9);
  EXPECT_NEAR(ChillerPlantCop(c, 5, Kilowatts(0)), 100 / 30.41288, 1e-6);  // the first kW's rate
  // Beyond the 2,000 kW of the plant: at the full-load COP, 2,500 / 5.
  EXPECT_NEAR(ChillerPlantElectric(c, 5, Kilowatts(2500)).value(), 500, 1e-9);
  EXPECT_DOUBLE_EQ(ChillerPlantElectric(c, 5, Kilowatts(0)).value(), 0);
  // The inverse: the cooling behind a metered 198.2096 kW is 1,000 kW.
  EXPECT_NEAR(ChillerCoolingFor(c, 5, Kilowatts(198.2096)).value(), 1000, 1e-6);
  EXPECT_NEAR(ChillerCoolingFor(c, 5, Kilowatts(30.41288)).value(), 100, 1e-6);
  // The spare above 1,000 kW: 1,000 kW more for 400 - 198.2096 = 201.7904 kW.
  EXPECT_NEAR(ChillerChargeCop(c, 5, Kilowatts(1000)), 1000 / 201.7904, 1e-9);
  EXPECT_DOUBLE_EQ(ChillerChargeCop(c, 5, Kilowatts(2000)), 5);  // no spare: the full-load COP
}

// No step when the load needs one more machine: just above 1,000 kW one machine at full load and a
// second cycling with the rest (200 + 200 x 0.3041288 x (1/1,000) / 0.2 per kW), unless two at
// half load are better (they are here: 198.2096 at 1,000 kW).
TEST(ThermalTest, ChillerPlantHasNoStepAtAMachinesCapacity) {
  CoolingSpec c = TwoCentrifugals();
  // ASHRAE 90.1's water-cooled positive-displacement curve: full load is a machine's best.
  c.part_load_curve = {0.310965, 0.322519, 0.372745};
  const double at = ChillerPlantElectric(c, 5, Kilowatts(1000)).value();
  EXPECT_NEAR(at, 200, 1e-9);  // one machine at full load
  const double above = ChillerPlantElectric(c, 5, Kilowatts(1001)).value();
  // f(0.2) = 0.310965 + 0.0645038 + 0.0149098 = 0.3903786; f(1) = 1.006229: one more kW on a
  // cycling machine costs 200 x 0.3903786 / 1.006229 / 0.2 / 1,000 = 0.38796 kW.
  EXPECT_NEAR(above - at, 200 * 0.3903786 / 1.006229 / 0.2 / 1000, 1e-6);
}

// The limit stage's margin: with the DOE-2 curve the best part-load factor is at p = sqrt(a / c) =
// 0.693319: 0.693319 / (0.222903 + 0.217277 + 0.222903) = 1.045600; the steepest rate is cycling,
// 0.3041288 / 0.2 = 1.520644 (the slope at full load 0.313387 + 2 x 0.46371 = 1.240807): 1.589985.
TEST(ThermalTest, CopMarginBoundsEveryActionsElectricity) {
  const CoolingSpec c = TwoCentrifugals();
  const double margin = ChillerCopMargin(c);
  EXPECT_NEAR(margin, 1.045600 * 1.520644, 2e-5);
  CoolingSpec flat;
  EXPECT_DOUBLE_EQ(ChillerCopMargin(flat), 1);
  // Every action from every demand on a grid: its electricity within |action| / (reported COP /
  // margin), the reported COP the plant's average at the demand.
  const ThermalStorageSpec water = [] {
    ThermalStorageSpec s = Ice();
    s.charge_cop_pct = 100;
    return s;
  }();
  for (double d = 0; d <= 2000; d += 50) {
    const double safe = ChillerPlantCop(c, 5, Kilowatts(d)) / margin;
    for (double a = -std::min(1000.0, 2000 - d); a <= d; a += 25) {
      const double e = ThermalPlantElectric(water, c, 5, Kilowatts(d), Kilowatts(a)).value();
      EXPECT_LE(std::abs(e), std::abs(a) / safe + 1e-9) << d << " kW demand, action " << a;
    }
  }
}

TEST(ThermalTest, AStoreActionAtPartLoad) {
  const CoolingSpec c = TwoCentrifugals();
  const ThermalStorageSpec s = Ice();  // ice made at 70 % of the COP
  // Discharging 500 of a 1,500 kW demand: E(1,500) - E(1,000) = 287.51205 - 198.2096 = 89.30245 kW
  // saved (500 / 5 = 100 at a COP that did not change with load).
  EXPECT_NEAR(ThermalPlantElectric(s, c, 5, Kilowatts(1500), Kilowatts(500)).value(), 89.30245, 1e-9);
  // Charging 500 beside a 1,000 kW demand: the same 89.30245 kW more, / 0.7 for ice.
  EXPECT_NEAR(ThermalPlantElectric(s, c, 5, Kilowatts(1000), Kilowatts(-500)).value(), -89.30245 / 0.7, 1e-9);
  // A plant whose COP does not change with load: ThermalElectric's 400 / 5.
  CoolingSpec flat;
  flat.chiller_kw_th = Kilowatts(2000);
  EXPECT_TRUE(ChillerPlantIsLinear(flat));
  EXPECT_DOUBLE_EQ(ThermalPlantElectric(s, flat, 5, Kilowatts(300), Kilowatts(400)).value(), 80);
  EXPECT_DOUBLE_EQ(ChillerCoolingFor(flat, 5, Kilowatts(80)).value(), 400);
}

}  // namespace
}  // namespace meg
