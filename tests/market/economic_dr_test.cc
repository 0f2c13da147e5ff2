// The D-1 economic-DR bid (KPX 전력시장운영규칙 제12.4.2조). 2024-08-12 is a Monday,
// 2024-08-15 (광복절) a Thursday holiday, 2024-08-17 a Saturday.
#include "market/economic_dr.h"

#include <gtest/gtest.h>

#include <string>

#include "market/calendar_2024.h"

namespace meg {
namespace {

using namespace std::chrono_literals;
using std::chrono::August;

using testing::T;
using testing::Calendar2024;

EconomicDrConfig Config() {
  EconomicDrConfig c;
  c.net_benefit_price = WonPerKwh::FromMilliWon(120'000);  // 120 원/kWh
  c.own_price = WonPerKwh::FromMilliWon(100'000);          // 100 원/kWh
  return c;
}

std::vector<EconomicDrHourInput> Empty() { return std::vector<EconomicDrHourInput>(24); }

TEST(EconomicDrTest, SizesEachHourAndDropsHoursBelowTheMinimum) {
  auto hours = Empty();
  // 10:00: curtailable 250.6 kW, load 1000 kWh -> 250.6 rounded down to 250 kWh.
  hours[10] = {KilowattHours{1000}, Kilowatts{250.6}, Kilowatts{0}, std::nullopt};
  // 14:00: 60 curtailable + 40 battery = 100 kWh = 0.1 MW-h, the minimum: offered.
  hours[14] = {KilowattHours{500}, Kilowatts{60}, Kilowatts{40}, std::nullopt};
  // 15:00: 50 + 40 = 90 kWh < 100: dropped.
  hours[15] = {KilowattHours{500}, Kilowatts{50}, Kilowatts{40}, std::nullopt};
  // 16:00: 200 kW curtailable but only 80 kWh of load: min(200, 80) = 80 < 100: dropped.
  hours[16] = {KilowattHours{80}, Kilowatts{200}, Kilowatts{0}, std::nullopt};
  auto bid = BuildEconomicDrBid(2024y / August / 12, hours, Config(), Calendar2024());
  ASSERT_TRUE(bid.has_value()) << bid.error().message;
  ASSERT_TRUE(bid->has_bid());
  ASSERT_EQ(bid->hours.size(), 2u);
  EXPECT_EQ(bid->hours[0].hour_start, T("2024-08-12T10:00:00+09:00"));
  EXPECT_DOUBLE_EQ(bid->hours[0].quantity.value(), 250.0);
  EXPECT_EQ(bid->hours[1].hour_start, T("2024-08-12T14:00:00+09:00"));
  EXPECT_DOUBLE_EQ(bid->hours[1].quantity.value(), 100.0);
  // Price = max(own 100, net-benefit 120) = 120 원/kWh.
  EXPECT_EQ(bid->hours[0].price, WonPerKwh::FromMilliWon(120'000));
  EXPECT_TRUE(bid->no_bid_reason.empty());
  // Deadline: 11:00 KST on Sunday 2024-08-11.
  EXPECT_EQ(bid->deadline, T("2024-08-11T11:00:00+09:00"));
}

TEST(EconomicDrTest, PriceIsTheOwnPriceWhenAboveTheThreshold) {
  auto hours = Empty();
  hours[10] = {KilowattHours{1000}, Kilowatts{300}, Kilowatts{0}, std::nullopt};
  EconomicDrConfig c = Config();
  c.own_price = WonPerKwh::FromMilliWon(150'000);
  auto bid = BuildEconomicDrBid(2024y / August / 12, hours, c, Calendar2024());
  ASSERT_TRUE(bid.has_value());
  ASSERT_EQ(bid->hours.size(), 1u);
  EXPECT_EQ(bid->hours[0].price, WonPerKwh::FromMilliWon(150'000));
}

TEST(EconomicDrTest, BatteryEnergyGoesToTheDearestHours) {
  // 200 kW of battery in hours 10, 11, 12; 300 kWh for the day. Expected SMP 100, 200, 150:
  // hour 11 gets 200, hour 12 the remaining 100, hour 10 nothing (dropped).
  auto hours = Empty();
  const auto smp = [](int won) { return WonPerKwh::FromMilliWon(won * 1000); };
  hours[10] = {KilowattHours{1000}, Kilowatts{0}, Kilowatts{200}, smp(100)};
  hours[11] = {KilowattHours{1000}, Kilowatts{0}, Kilowatts{200}, smp(200)};
  hours[12] = {KilowattHours{1000}, Kilowatts{0}, Kilowatts{200}, smp(150)};
  EconomicDrConfig c = Config();
  c.battery_energy = KilowattHours{300};
  auto bid = BuildEconomicDrBid(2024y / August / 12, hours, c, Calendar2024());
  ASSERT_TRUE(bid.has_value());
  ASSERT_EQ(bid->hours.size(), 2u);
  EXPECT_EQ(bid->hours[0].hour_start, T("2024-08-12T11:00:00+09:00"));
  EXPECT_DOUBLE_EQ(bid->hours[0].quantity.value(), 200.0);
  EXPECT_EQ(bid->hours[1].hour_start, T("2024-08-12T12:00:00+09:00"));
  EXPECT_DOUBLE_EQ(bid->hours[1].quantity.value(), 100.0);
  // Without prices the earliest hours come first: 10 -> 200, 11 -> 100, 12 -> 0.
  for (int h : {10, 11, 12}) hours[static_cast<size_t>(h)].expected_smp.reset();
  bid = BuildEconomicDrBid(2024y / August / 12, hours, c, Calendar2024());
  ASSERT_TRUE(bid.has_value());
  ASSERT_EQ(bid->hours.size(), 2u);
  EXPECT_EQ(bid->hours[0].hour_start, T("2024-08-12T10:00:00+09:00"));
  EXPECT_DOUBLE_EQ(bid->hours[0].quantity.value(), 200.0);
  EXPECT_DOUBLE_EQ(bid->hours[1].quantity.value(), 100.0);
}

TEST(EconomicDrTest, NoBidOnSaturdaysAndHolidays) {
  auto hours = Empty();
  hours[10] = {KilowattHours{1000}, Kilowatts{300}, Kilowatts{0}, std::nullopt};
  for (const Date day : {Date{2024y / August / 17}, Date{2024y / August / 15}}) {
    auto bid = BuildEconomicDrBid(day, hours, Config(), Calendar2024());
    ASSERT_TRUE(bid.has_value());
    EXPECT_FALSE(bid->has_bid());
    EXPECT_NE(bid->no_bid_reason.find("제12.4.2.1조 ① 1호"), std::string::npos)
        << bid->no_bid_reason;
  }
}

TEST(EconomicDrTest, NoBidWhenNoHourReachesTheMinimum) {
  auto hours = Empty();
  hours[10] = {KilowattHours{1000}, Kilowatts{99}, Kilowatts{0}, std::nullopt};
  auto bid = BuildEconomicDrBid(2024y / August / 12, hours, Config(), Calendar2024());
  ASSERT_TRUE(bid.has_value());
  EXPECT_FALSE(bid->has_bid());
  EXPECT_NE(bid->no_bid_reason.find("0.1 MW-h"), std::string::npos) << bid->no_bid_reason;
  EXPECT_NE(bid->no_bid_reason.find("the largest offer is 99 kWh"), std::string::npos)
      << bid->no_bid_reason;
}

TEST(EconomicDrTest, InputErrors) {
  EXPECT_FALSE(BuildEconomicDrBid(2024y / August / 12, std::vector<EconomicDrHourInput>(23),
                                  Config(), Calendar2024())
                   .has_value());
  auto hours = Empty();
  hours[3].curtailable = Kilowatts{-1};
  EXPECT_FALSE(
      BuildEconomicDrBid(2024y / August / 12, hours, Config(), Calendar2024()).has_value());
  EXPECT_FALSE(
      BuildEconomicDrBid(2025y / August / 12, Empty(), Config(), Calendar2024()).has_value());
}

TEST(EconomicDrTest, DeadlineIsElevenOnTheDayBefore) {
  // Trading day Tuesday 2024-08-13: due by 2024-08-12 11:00 KST (= 02:00 UTC), inclusive.
  const Date day = 2024y / August / 13;
  EXPECT_EQ(EconomicDrBidDeadline(day), T("2024-08-12T02:00:00Z"));
  EXPECT_TRUE(IsEconomicDrBidOnTime(T("2024-08-12T10:59:59+09:00"), day));
  EXPECT_TRUE(IsEconomicDrBidOnTime(T("2024-08-12T11:00:00+09:00"), day));
  EXPECT_FALSE(IsEconomicDrBidOnTime(T("2024-08-12T11:00:01+09:00"), day));
  // On the trading day itself it is far too late.
  EXPECT_FALSE(IsEconomicDrBidOnTime(T("2024-08-13T08:00:00+09:00"), day));
  // Days before are on time.
  EXPECT_TRUE(IsEconomicDrBidOnTime(T("2024-08-10T18:00:00+09:00"), day));
}

}  // namespace
}  // namespace meg
