// Settlement of DR by KPX 전력시장운영규칙 별표26. Every expected value is computed by hand in the
// comment above it. Prices: SMP 150 원/kWh, MGP 300 원/kWh. Capacity: RCP 10 원/kWh, RCF = TCF =
// FPCF = 1, DRT 10 h a weekday (09-12, 13-20), MRT 60 h / DRTM 12 months = 5 h a month.
// August 2024 has 21 평일 (22 weekdays less 8/15 광복절; 8/1 is a Thursday, 8/31 a Saturday);
// September 2024 has 18 (21 weekdays less 추석 9/16-9/18).
#include "market/dr_settlement.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "market/calendar_2024.h"

namespace meg {
namespace {

using namespace std::chrono_literals;
using std::chrono::August;
using std::chrono::September;

using testing::T;
using testing::Calendar2024;

const WonPerKwh kSmp = WonPerKwh::FromMilliWon(150'000);
const WonPerKwh kMgp = WonPerKwh::FromMilliWon(300'000);

DrSettlementHourInput Hour(const char* start, double cbl, double metered, double requested,
                           std::optional<WonPerKwh> mgp = kMgp) {
  DrSettlementHourInput h;
  h.hour_start = T(start);
  h.cbl = KilowattHours{cbl};
  h.metered = KilowattHours{metered};
  h.requested = KilowattHours{requested};
  h.smp = kSmp;
  h.mgp = mgp;
  return h;
}

DrEventSettlement Settle(DrCallKind kind, std::vector<DrSettlementHourInput> hours) {
  auto r = SettleDrEvent(kind, hours);
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return *r;
}

// 별표26 Ⅰ.2 floors neither term of DR = CBL - ME. A site exporting 20 kWh in the hour (metered
// -20) against a CBL of 50: DR = 50 - (-20) = 70; RSO 50, DLR = Min(70, 50 x 1.2 = 60) = 60;
// DRP = 60 x MGP 300 = 18,000 원. A CBL made negative by SAA (-10) with metered -40: DR = 30 of 50
// asked; DLR = 30, DRP = 9,000 원; DRD = 50 x 0.97 - 30 = 18.5 kWh. Non-numbers are refused.
TEST(DrSettlementTest, NegativeCblAndExportAreSettledNotRefused) {
  const auto ev = Settle(DrCallKind::kReliability, {Hour("2024-08-12T14:00:00+09:00", 50, -20, 50),
                                                    Hour("2024-08-12T15:00:00+09:00", -10, -40, 50)});
  ASSERT_EQ(ev.hours.size(), 2u);
  EXPECT_DOUBLE_EQ(ev.hours[0].measured.value(), 70.0);
  EXPECT_DOUBLE_EQ(ev.hours[0].recognised.value(), 60.0);
  EXPECT_EQ(ev.hours[0].energy_payment, Won{18'000});
  EXPECT_DOUBLE_EQ(ev.hours[1].measured.value(), 30.0);
  EXPECT_EQ(ev.hours[1].energy_payment, Won{9'000});
  EXPECT_DOUBLE_EQ(ev.hours[1].shortfall.value(), 18.5);
  auto bad = Hour("2024-08-12T14:00:00+09:00", 50, 0, 50);
  bad.metered = KilowattHours{std::numeric_limits<double>::quiet_NaN()};
  EXPECT_FALSE(SettleDrEvent(DrCallKind::kReliability, {bad}));
}

TEST(DrSettlementTest, RecognisedReductionCappedAtOnePointTwoTimesTheRequest) {
  // RSO 1000 kWh; CBL 3000 - metered 1500 = DR 1500.
  // DLR = Min(Max(1500, 0), 1000 x 1.2) = 1200; DRP = 1200 x MGP 300 = 360,000 원.
  // DRD = Max(1000 x 0.97 - 1500, 0) = 0. Performance 1500 / 1000 = 1.5.
  const auto ev =
      Settle(DrCallKind::kReliability, {Hour("2024-08-12T14:00:00+09:00", 3000, 1500, 1000)});
  ASSERT_EQ(ev.hours.size(), 1u);
  EXPECT_DOUBLE_EQ(ev.hours[0].measured.value(), 1500.0);
  EXPECT_DOUBLE_EQ(ev.hours[0].recognised.value(), 1200.0);
  EXPECT_DOUBLE_EQ(ev.hours[0].shortfall.value(), 0.0);
  EXPECT_DOUBLE_EQ(ev.hours[0].performance, 1.5);
  EXPECT_EQ(ev.hours[0].price, kMgp);
  EXPECT_EQ(ev.energy_payment, Won{360'000});
  EXPECT_FALSE(ev.below_restriction_threshold);
  EXPECT_TRUE(ev.notes.empty());
}

TEST(DrSettlementTest, NoCapBeyondTheObligation) {
  // XRSOF = 1 (별표12 Yellow/Orange, extra reduction ordered): DLR = Max(DR, 0) = 1500;
  // DRP = 1500 x 300 = 450,000 원.
  auto h = Hour("2024-08-12T14:00:00+09:00", 3000, 1500, 1000);
  h.beyond_obligation = true;
  const auto ev = Settle(DrCallKind::kReliability, {h});
  EXPECT_DOUBLE_EQ(ev.recognised.value(), 1500.0);
  EXPECT_EQ(ev.energy_payment, Won{450'000});
}

TEST(DrSettlementTest, UnderPerformance) {
  // DR = 3000 - 2400 = 600 of RSO 1000: DLR 600, DRP = 600 x 300 = 180,000 원;
  // DRD = 1000 x 0.97 - 600 = 370 kWh; performance 0.6 < 0.8: counts toward 제12.4.3.2조.
  const auto ev =
      Settle(DrCallKind::kReliability, {Hour("2024-08-12T14:00:00+09:00", 3000, 2400, 1000)});
  EXPECT_DOUBLE_EQ(ev.recognised.value(), 600.0);
  EXPECT_NEAR(ev.shortfall.value(), 370.0, 1e-9);
  EXPECT_DOUBLE_EQ(ev.performance, 0.6);
  EXPECT_TRUE(ev.below_restriction_threshold);
  EXPECT_EQ(ev.energy_payment, Won{180'000});
}

TEST(DrSettlementTest, NegativeReduction) {
  // Usage rose: DR = 2000 - 2300 = -300. DLR = Min(Max(-300, 0), 1200) = 0, DRP = 0.
  // DRD = Max(970 - (-300), 0) = 1270 kWh: the text uses DR, not Max(DR, 0), in DRD.
  const auto ev =
      Settle(DrCallKind::kReliability, {Hour("2024-08-12T14:00:00+09:00", 2000, 2300, 1000)});
  EXPECT_DOUBLE_EQ(ev.measured.value(), -300.0);
  EXPECT_DOUBLE_EQ(ev.recognised.value(), 0.0);
  EXPECT_EQ(ev.energy_payment, Won{0});
  EXPECT_NEAR(ev.shortfall.value(), 1270.0, 1e-9);
  EXPECT_DOUBLE_EQ(ev.performance, -0.3);
}

TEST(DrSettlementTest, PenaltyThresholdIsNinetySevenPercent) {
  // DRD = Max(RSO x 0.97 - DR, 0) with RSO 1000: DR 970 -> 0; DR 980 -> 0; DR 960 -> 10.
  auto shortfall = [](double dr) {
    return Settle(DrCallKind::kReliability,
                  {Hour("2024-08-12T14:00:00+09:00", 2000, 2000 - dr, 1000)})
        .shortfall.value();
  };
  EXPECT_NEAR(shortfall(970), 0.0, 1e-9);
  EXPECT_NEAR(shortfall(980), 0.0, 1e-9);
  EXPECT_NEAR(shortfall(960), 10.0, 1e-9);
}

TEST(DrSettlementTest, TestsArePaidAtSmp) {
  // 감축시험 (DRTF = 1): DRP = DLR x SMP = 1000 x 150 = 150,000 원, whatever the MGP.
  const auto ev = Settle(DrCallKind::kTest, {Hour("2024-08-12T14:00:00+09:00", 3000, 2000, 1000)});
  EXPECT_EQ(ev.hours[0].price, kSmp);
  EXPECT_EQ(ev.energy_payment, Won{150'000});
}

TEST(DrSettlementTest, MissingMgpFallsBackToSmpWithANote) {
  // DLR 1000 x SMP 150 = 150,000 원, noted as a lower estimate.
  const auto ev = Settle(DrCallKind::kReliability,
                         {Hour("2024-08-12T14:00:00+09:00", 3000, 2000, 1000, std::nullopt)});
  EXPECT_EQ(ev.energy_payment, Won{150'000});
  ASSERT_EQ(ev.notes.size(), 1u);
  EXPECT_NE(ev.notes[0].find("14:00: MGP not given"), std::string::npos) << ev.notes[0];
}

TEST(DrSettlementTest, MissingMeterDataGivesZeroReduction) {
  // 제12.5.2.3조 ③ 1호: a meter gap gives reduction 0, so DLR 0 and DRD = 970.
  auto h = Hour("2024-08-12T14:00:00+09:00", 3000, 0, 1000);
  h.metered.reset();
  const auto ev = Settle(DrCallKind::kReliability, {h});
  EXPECT_TRUE(ev.hours[0].data_missing);
  EXPECT_DOUBLE_EQ(ev.measured.value(), 0.0);
  EXPECT_EQ(ev.energy_payment, Won{0});
  EXPECT_NEAR(ev.shortfall.value(), 970.0, 1e-9);
  ASSERT_EQ(ev.notes.size(), 1u);
}

TEST(DrSettlementTest, TwoHourEventPerformance) {
  // Hour 14: DR 1200 of 1000 -> DLR 1200 (cap 1200), DRD 0.
  // Hour 15: DR 600 of 1000 -> DLR 600, DRD 370.
  // Event: performance (1200 + 600) / 2000 = 0.9, not below 0.8; DLR 1800;
  // DRP = 1800 x 300 = 540,000 원; DRD 370.
  const auto ev =
      Settle(DrCallKind::kReliability, {Hour("2024-08-12T14:00:00+09:00", 3000, 1800, 1000),
                                        Hour("2024-08-12T15:00:00+09:00", 3000, 2400, 1000)});
  EXPECT_DOUBLE_EQ(ev.requested.value(), 2000.0);
  EXPECT_DOUBLE_EQ(ev.recognised.value(), 1800.0);
  EXPECT_DOUBLE_EQ(ev.performance, 0.9);
  EXPECT_FALSE(ev.below_restriction_threshold);
  EXPECT_NEAR(ev.shortfall.value(), 370.0, 1e-9);
  EXPECT_EQ(ev.energy_payment, Won{540'000});
}

TEST(DrSettlementTest, PartialHourUsesTheCoveredEnergy) {
  // A 30-minute part: RSO = 1000 kW x 0.5 h = 500 kWh; DR = 800 - 300 = 500 over that half hour.
  // DLR = Min(500, 600) = 500; DRP = 500 x 300 = 150,000 원.
  auto h = Hour("2024-08-12T14:00:00+09:00", 800, 300, 500);
  h.event_minutes = 30;
  const auto ev = Settle(DrCallKind::kReliability, {h});
  EXPECT_EQ(ev.energy_payment, Won{150'000});
  EXPECT_DOUBLE_EQ(ev.performance, 1.0);
}

TEST(DrSettlementTest, EconomicDrCappedAtThePlanAndPenalisedBelowIt) {
  // 별표26 Ⅰ.1 가, Ⅰ.5 가 1), SSR 1000 kWh, SMP 150:
  // SR 1300: SLR = Min(1300, 1000) = 1000, SLRP = 150,000 원, PPC = (1000 - 1000) x 150 = 0.
  // SR 700: SLR 700, SLRP = 105,000 원, PPC = (1000 - 700) x 150 = 45,000 원.
  // SR -100: SLR 0, SLRP 0, PPC = 1000 x 150 = 150,000 원.
  const auto over =
      Settle(DrCallKind::kEconomic, {Hour("2024-08-12T14:00:00+09:00", 3000, 1700, 1000)});
  EXPECT_EQ(over.energy_payment, Won{150'000});
  EXPECT_EQ(over.performance_penalty, Won{0});
  EXPECT_EQ(over.hours[0].price, kSmp);
  const auto under =
      Settle(DrCallKind::kEconomic, {Hour("2024-08-12T14:00:00+09:00", 3000, 2300, 1000)});
  EXPECT_EQ(under.energy_payment, Won{105'000});
  EXPECT_EQ(under.performance_penalty, Won{45'000});
  EXPECT_DOUBLE_EQ(under.shortfall.value(), 300.0);
  const auto negative =
      Settle(DrCallKind::kEconomic, {Hour("2024-08-12T14:00:00+09:00", 3000, 3100, 1000)});
  EXPECT_EQ(negative.energy_payment, Won{0});
  EXPECT_EQ(negative.performance_penalty, Won{150'000});
}

TEST(DrSettlementTest, EventInputErrors) {
  EXPECT_FALSE(SettleDrEvent(DrCallKind::kReliability, {}).has_value());
  auto h = Hour("2024-08-12T14:00:00+09:00", 3000, 2000, 1000);
  h.event_minutes = 20;
  auto r = SettleDrEvent(DrCallKind::kReliability, {h});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("event_minutes = 20"), std::string::npos);
  h = Hour("2024-08-12T14:00:00+09:00", 3000, 2000, 0);
  EXPECT_FALSE(SettleDrEvent(DrCallKind::kReliability, {h}).has_value());
  h = Hour("2024-08-12T14:00:00+09:00", std::numeric_limits<double>::infinity(), 2000, 1000);
  EXPECT_FALSE(SettleDrEvent(DrCallKind::kReliability, {h}).has_value());
}

TEST(DrSettlementTest, InputFromTheCblHour) {
  CblHour c;
  c.hour_start = T("2024-08-12T14:00:00+09:00");
  c.event_minutes = 45;
  c.baseline = KilowattHours{900};
  c.actual = KilowattHours{600};
  const auto in = SettlementInput(c, KilowattHours{300}, kSmp, kMgp);
  EXPECT_EQ(in.hour_start, c.hour_start);
  EXPECT_EQ(in.event_minutes, 45);
  EXPECT_DOUBLE_EQ(in.cbl->value(), 900.0);
  EXPECT_DOUBLE_EQ(in.metered->value(), 600.0);
  EXPECT_DOUBLE_EQ(in.requested.value(), 300.0);
  c.actual.reset();
  EXPECT_FALSE(SettlementInput(c, KilowattHours{300}, kSmp).metered.has_value());
}

// An event settlement as SettleDrMonth sees it, built by hand.
DrEventSettlement Event(const char* start, DrCallKind kind, double shortfall_kwh, Won energy,
                        Won ppc = Won{0}) {
  DrEventSettlement ev;
  ev.kind = kind;
  DrHourSettlement h;
  h.hour_start = T(start);
  ev.hours.push_back(h);
  ev.shortfall = KilowattHours{shortfall_kwh};
  ev.energy_payment = energy;
  ev.performance_penalty = ppc;
  return ev;
}

DrCapacityConfig Config() {
  DrCapacityConfig c;
  c.rcp = WonPerKwh::FromMilliWon(10'000);  // 10 원/kWh
  return c;
}

TEST(DrSettlementTest, MonthWithPenaltyBelowTheCapacityPayment) {
  // Capacity price of August: 10 원 x 10 h x 21 days = 2,100 원/kW; ORC 1000 kW ->
  // FBP = 2,100,000 원.
  // IBPC = 2,100 x DRD 370 / (60 / 12) x 2 = 2,100 x 370 / 5 x 2 = 310,800 원; all charged.
  // Total = 2,100,000 - 310,800 + energy 180,000 = 1,969,200 원.
  auto m = SettleDrMonth(
      Config(), 2024y / August, Kilowatts{1000},
      {Event("2024-08-12T14:00:00+09:00", DrCallKind::kReliability, 370, Won{180'000})},
      Calendar2024(), Won{0});
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->obligation_days, 21);
  EXPECT_EQ(m->fixed_capacity_payment, Won{2'100'000});
  EXPECT_EQ(m->penalty_before_cap, Won{310'800});
  EXPECT_EQ(m->penalty_charged, Won{310'800});
  EXPECT_EQ(m->excess_penalty, Won{0});
  EXPECT_EQ(m->energy_payments, Won{180'000});
  EXPECT_EQ(m->total, Won{1'969'200});
}

TEST(DrSettlementTest, PenaltyBeyondTheCapacityPaymentRollsOver) {
  // August: DRD 3000 kWh -> IBPC = 2,100 x 3000 / 5 x 2 = 2,520,000 원 > FBP 2,100,000:
  // charged 2,100,000, excess 420,000 to September; total 0.
  auto aug =
      SettleDrMonth(Config(), 2024y / August, Kilowatts{1000},
                    {Event("2024-08-12T14:00:00+09:00", DrCallKind::kReliability, 3000, Won{0})},
                    Calendar2024(), Won{0});
  ASSERT_TRUE(aug.has_value()) << aug.error().message;
  EXPECT_EQ(aug->penalty_before_cap, Won{2'520'000});
  EXPECT_EQ(aug->penalty_charged, Won{2'100'000});
  EXPECT_EQ(aug->excess_penalty, Won{420'000});
  EXPECT_EQ(aug->total, Won{0});
  // September: 10 x 10 x 18 = 1,800 원/kW -> FBP 1,800,000; carried in 420,000, no new penalty:
  // total = 1,800,000 - 420,000 = 1,380,000 원.
  auto sep = SettleDrMonth(Config(), 2024y / September, Kilowatts{1000}, {}, Calendar2024(),
                           aug->excess_penalty);
  ASSERT_TRUE(sep.has_value()) << sep.error().message;
  EXPECT_EQ(sep->obligation_days, 18);
  EXPECT_EQ(sep->fixed_capacity_payment, Won{1'800'000});
  EXPECT_EQ(sep->carried_in_penalty, Won{420'000});
  EXPECT_EQ(sep->uncovered_carry, Won{0});
  EXPECT_EQ(sep->total, Won{1'380'000});
}

TEST(DrSettlementTest, CarryLargerThanNextMonthsPayment) {
  // Carry 2,000,000 into September (FBP 1,800,000): FBPCC = 1,800,000, 200,000 uncovered (goes
  // to the differential payment in 별표26; not settled here). New DRD 100 kWh:
  // IBPC = 1,800 x 100 / 5 x 2 = 72,000; IFBPC = Min(72,000, 1,800,000 - 1,800,000) = 0;
  // excess 72,000 to October. Total 0.
  auto sep = SettleDrMonth(Config(), 2024y / September, Kilowatts{1000},
                           {Event("2024-09-10T14:00:00+09:00", DrCallKind::kTest, 100, Won{0})},
                           Calendar2024(), Won{2'000'000});
  ASSERT_TRUE(sep.has_value()) << sep.error().message;
  EXPECT_EQ(sep->carried_in_penalty, Won{1'800'000});
  EXPECT_EQ(sep->uncovered_carry, Won{200'000});
  EXPECT_EQ(sep->penalty_before_cap, Won{72'000});
  EXPECT_EQ(sep->penalty_charged, Won{0});
  EXPECT_EQ(sep->excess_penalty, Won{72'000});
  EXPECT_EQ(sep->total, Won{0});
}

TEST(DrSettlementTest, EconomicEventsAddPaymentAndPenaltyButNoCapacityPenalty) {
  // Economic: SLRP 105,000, PPC 45,000, its shortfall 300 does not enter IBPC.
  // Total = 2,100,000 + 105,000 - 45,000 = 2,160,000 원.
  auto m = SettleDrMonth(
      Config(), 2024y / August, Kilowatts{1000},
      {Event("2024-08-12T14:00:00+09:00", DrCallKind::kEconomic, 300, Won{105'000}, Won{45'000})},
      Calendar2024(), Won{0});
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->penalty_before_cap, Won{0});
  EXPECT_EQ(m->performance_penalties, Won{45'000});
  EXPECT_EQ(m->total, Won{2'160'000});
}

TEST(DrSettlementTest, TcfAndDifferentialCoefficient) {
  // TCF 2.0 at 14:00 only: per day 9 h x 10 + 1 h x 20 = 110 원/kW; x 21 days = 2,310 원/kW;
  // FBP = 1000 x 2,310 = 2,310,000 원. DPCF 1.1, FPCF 1.0: DBP = 2,310,000 x 0.1 = 231,000 원,
  // accrued and not in the total.
  DrCapacityConfig c = Config();
  c.tcf[14] = 2.0;
  c.differential_pcf = 1.1;
  auto m = SettleDrMonth(c, 2024y / August, Kilowatts{1000}, {}, Calendar2024(), Won{0});
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->fixed_capacity_payment, Won{2'310'000});
  EXPECT_EQ(m->differential_accrued, Won{231'000});
  EXPECT_EQ(m->total, Won{2'310'000});
}

TEST(DrSettlementTest, MonthInputErrors) {
  EXPECT_FALSE(SettleDrMonth(Config(), 2024y / August, Kilowatts{0}, {}, Calendar2024(), Won{0})
                   .has_value());
  EXPECT_FALSE(SettleDrMonth(Config(), 2025y / August, Kilowatts{1000}, {}, Calendar2024(), Won{0})
                   .has_value());
  auto m = SettleDrMonth(Config(), 2024y / August, Kilowatts{1000},
                         {Event("2024-09-10T14:00:00+09:00", DrCallKind::kReliability, 0, Won{0})},
                         Calendar2024(), Won{0});
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("belongs to another month"), std::string::npos);
  DrCapacityConfig bad = Config();
  bad.trading_months = 0;
  EXPECT_FALSE(
      SettleDrMonth(bad, 2024y / August, Kilowatts{1000}, {}, Calendar2024(), Won{0}).has_value());
}

}  // namespace
}  // namespace meg
