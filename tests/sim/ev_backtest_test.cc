// EV charging in the backtest: the chargers' twin replays a session file through the live loop;
// managed (the limit stage shares the headroom, control/ev_share.h) against unmanaged (every car
// at its connector's power from arrival). A flat 400 kW building, so every figure is by hand.
#include <algorithm>
#include <cmath>
#include <iostream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "control/optimal_controllers.h"
#include "control/rule_controllers.h"
#include "optimize/coin/clp_cbc_solver.h"
#include "sim/backtest.h"
#include "tariff/tariff_fixture.h"

namespace meg {
namespace {

class EvBacktestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    book_ = testing::LoadShippedBook();
    calendar_ = testing::LoadSharedCalendar();
    const Timestamp from = FromKst(testing::Ymd(2024, 7, 1)), to = FromKst(testing::Ymd(2024, 8, 1));
    std::vector<std::optional<Kilowatts>> flat(static_cast<size_t>((to - from) / std::chrono::seconds(kInterval)),
                                               Kilowatts(400));
    load_ = PowerSeries(from, kInterval, std::move(flat));
    site_.name = "flat building with a car park";
    site_.contract_power = Kilowatts(500);
    for (int k = 1; k <= 4; ++k) {
      ChargerSpec c;  // 3 x 230 V x 32 A = 22.08 kW, 6 A = 4.14 kW
      c.id = "cp" + std::to_string(k);
      site_.chargers.push_back(c);
    }
    // Every day of July, each charger: a car from 09:00 to 18:00 KST wanting 30 kWh.
    for (int day = 1; day <= 31; ++day) {
      for (const ChargerSpec& c : site_.chargers) {
        EvSessionPlan p;
        p.charger = c.id;
        p.arrival = FromKst(testing::Ymd(2024, 7, day)) + std::chrono::hours(9);
        p.departure = FromKst(testing::Ymd(2024, 7, day)) + std::chrono::hours(18);
        p.energy = KilowattHours(30);
        sessions_.push_back(p);
      }
    }
    tariff_ = book_.FindTariff("일반용(을) 고압A 선택III").value();
  }

  Result<BacktestResult> Run(bool managed, Controller* planner = nullptr) {
    BacktestRequest r;
    r.book = &book_;
    r.calendar = &calendar_;
    r.tariff = tariff_;
    r.site = &site_;
    r.load = &load_;
    r.ev_sessions = &sessions_;
    r.manage_ev = managed;
    r.demand_history = history_;
    NoBattery none;
    return RunBacktest(r, planner != nullptr ? *planner : static_cast<Controller&>(none));
  }

  static double CountedPeak(const BacktestResult& r) {
    double peak = 0;
    for (const StepRecord& s : r.steps) {
      if (s.demand_counts) peak = std::max(peak, static_cast<double>(s.grid_kw));
    }
    return peak;
  }

  TariffBook book_;
  HolidayCalendar calendar_;
  PowerSeries load_;
  Site site_;
  std::vector<EvSessionPlan> sessions_;
  TariffId tariff_;
  const DemandHistory* history_ = nullptr;
};

TEST_F(EvBacktestTest, UnmanagedCarsLiftTheDemandByTheirWholePower) {
  auto run = Run(false);
  ASSERT_TRUE(run) << run.error().message;
  // Four cars at 22.08 kW from 09:00: 400 + 88.32 = 488.32 kW over 09:00-09:15, for 30 / 22.08 =
  // 1.359 h, all of it delivered.
  EXPECT_NEAR(CountedPeak(*run), 488.32, 1e-3);
  EXPECT_NEAR(run->ev_energy.value(), 31 * 4 * 30, 1e-6);
  EXPECT_EQ(run->ev_sessions, 124);
  EXPECT_EQ(run->ev_short, 0);
  EXPECT_EQ(run->bills.at(0).billing_demand_kw, 488);  // 요금적용전력: 488.32 kW to the whole kW
  // The cars are full at 09:00 + 1.359 h = 10:21:32, within the step 10:15-10:30 on 1 July: its
  // cars' mean is 88.32 x (1.359 - 1.25) h / 0.25 h.
  const StepRecord& s = run->steps[4 * 10 + 1];
  EXPECT_NEAR(s.ev_kw, 88.32 * (30.0 / 22.08 - 1.25) / 0.25, 1e-3);
}

TEST_F(EvBacktestTest, ManagedCarsKeepPaceAndAreFullByTheirDeparture) {
  auto managed = Run(true);
  ASSERT_TRUE(managed) << managed.error().message;
  // 1 July: no room under the 396 kW target (the month peak 400 kW less the guard's 1 % margin):
  // each car waits until its pace, 30 kWh by 17:45, reaches the 4.14 kW minimum (30 / 4.14 = 7.25 h
  // before 17:45: 10:30; at the 10:45 cycle, 30 / 7.0 = 4.29 kW), then keeps that pace. Four cars
  // at 4.14 kW or more lift the demand by at least 16.56 kW; on later days they share the room
  // under the new peak (less its margin) and keep pace above it, so it creeps up by a few kW, far
  // from the unmanaged 88.32.
  const double peak = CountedPeak(*managed);
  EXPECT_GT(peak, 400 + 4 * 4.14);
  EXPECT_LT(peak, 420);
  EXPECT_EQ(managed->ev_short, 0);
  EXPECT_NEAR(managed->ev_energy.value(), 31 * 4 * 30, 1e-3);
  EXPECT_EQ(managed->ev_refused, 0);
  // 09:00-10:45 the cars wait.
  for (int q = 36; q < 43; ++q) EXPECT_NEAR(managed->steps[q].ev_kw, 0, 1e-9) << q;
  EXPECT_GT(managed->steps[43].ev_kw, 4 * 4.14 - 1e-9);
  auto unmanaged = Run(false);
  ASSERT_TRUE(unmanaged);
  EXPECT_LT(BilledTotal(*managed), BilledTotal(*unmanaged));
}

// With a planner that plans the cars, their energy goes where it is cheapest. The flat building
// carries a 500 kW ratchet from January (a demand month), so there is 95 kW of room under the
// demand locked in (500 less the guard's 1 %, less 400): the cars never lift it. Each car comes at
// 13:00, in 최대부하 (13:00-18:00 on July's working days), and leaves at 22:00 wanting 20 kWh.
// Sharing the room, the four charge at once at 22.08 kW and are full by 13:55, at the peak price
// on the 23 working days: 4 x 20 x 23 = 1,840 kWh. Planned (mpc on the building's perfect
// forecast), they wait for 중간부하 at 18:00, except what the floors that keep each car on pace
// give from about 16:55 (20 kWh by 21:45 at the 4.14 kW minimum takes 4.83 h): at most 4 cars x
// 5.33 kW x 65 min x 23 days = 531 kWh at the peak price. All are full either way, the ratchet
// is not lifted, and the bill is lower.
TEST_F(EvBacktestTest, APlanThatPlansTheCarsPutsTheirEnergyWhereItIsCheapest) {
  for (EvSessionPlan& p : sessions_) {
    const Date day = ToKst(p.arrival).date;
    p.arrival = FromKst(day, 13 * 60);
    p.departure = FromKst(day, 22 * 60);
    p.energy = KilowattHours(20);
  }
  auto history = DemandHistory::ParseCsv("month,peak_kw\n2024-01,500\n", "history.csv");
  ASSERT_TRUE(history) << history.error().message;
  history_ = &*history;
  ClpCbcSolver solver;
  const PowerSeries no_pv(load_.start(), kInterval, std::vector<std::optional<Kilowatts>>(load_.size(), Kilowatts(0)));
  PlanningController mpc(PlanningController::Mode::kRecedingHorizon, site_, book_, calendar_, tariff_, load_, no_pv,
                         solver);
  auto planned = Run(true, &mpc);
  ASSERT_TRUE(planned) << planned.error().message;
  EXPECT_EQ(mpc.failures(), 0) << mpc.last_failure();
  auto shared = Run(true);
  ASSERT_TRUE(shared);
  const auto peak_band_kwh = [](const BacktestResult& r) {
    double kwh = 0;
    for (const StepRecord& s : r.steps) kwh += s.band == Band::kPeak ? s.ev_kw * 0.25 : 0.0;
    return kwh;
  };
  EXPECT_NEAR(peak_band_kwh(*shared), 4 * 20 * 23, 1e-3);
  EXPECT_GT(peak_band_kwh(*planned), 0);
  EXPECT_LT(peak_band_kwh(*planned), 4 * 20.0 / 3.75 * (65.0 / 60) * 23);
  for (const BacktestResult* r : {&*planned, &*shared}) {
    EXPECT_EQ(r->ev_short, 0);
    EXPECT_NEAR(r->ev_energy.value(), 4 * 20 * 31, 1e-3);
    EXPECT_EQ(r->bills.at(0).billing_demand_kw, 500);  // the ratchet: the cars lifted nothing
  }
  EXPECT_LT(BilledTotal(*planned), BilledTotal(*shared));
  std::cout << fmt::format("[ figures  ] July, the cars' bill: planned {} KRW, sharing the room {} KRW\n",
                           BilledTotal(*planned).value(), BilledTotal(*shared).value());
}

}  // namespace
}  // namespace meg
