// The local 15-minute double auction (pay-as-clear) and its ledger: hand-computed books, edge
// cases, invalid input, and properties over random books (fixed seed).
#include "market/local_market.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <vector>

namespace meg {
namespace {

const Timestamp kT = FromKst(std::chrono::year{2024} / 8 / 12, 12 * 60);  // 12:00 KST

WonPerKwh Krw(double krw) { return LimitPriceFromKrw(krw).value(); }

MarketOrder Buy(std::string site, double kwh, double krw, Timestamp t = kT) {
  return {std::move(site), t, OrderSide::kBuy, KilowattHours(kwh), Krw(krw)};
}
MarketOrder Sell(std::string site, double kwh, double krw, Timestamp t = kT) {
  return {std::move(site), t, OrderSide::kSell, KilowattHours(kwh), Krw(krw)};
}

const LedgerEntry& Entry(const MarketClearing& m, const std::string& site, Timestamp t = kT) {
  for (const auto& e : m.ledger) {
    if (e.site == site && e.interval == t) return e;
  }
  ADD_FAILURE() << "no ledger entry for " << site;
  return m.ledger.front();
}

// Bids H 10 kWh @ 150, O 5 @ 120; asks P 8 @ 80, Q 6 @ 130.
// Walk: H150 x P80: 8 kWh (P done, H has 2 left); H150 x Q130: 2 kWh (H done, Q has 4 left);
// O120 < Q130: stop. Volume 10 kWh; last matched bid 150, ask 130; left over: bid O 120, ask Q
// 130. Clearing range [max(130, 120), min(150, 130)] = [130, 130]: price 130 KRW/kWh.
// Value 10 x 130 = 1,300 KRW: H pays 1,300; P receives 8 x 130 = 1,040, Q 2 x 130 = 260.
TEST(LocalMarketTest, HandComputedBook) {
  const std::vector<MarketOrder> orders = {Buy("H", 10, 150), Buy("O", 5, 120), Sell("P", 8, 80),
                                           Sell("Q", 6, 130)};
  auto m = ClearLocalMarket(orders);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->intervals.size(), 1u);
  const IntervalClearing& c = m->intervals[0];
  EXPECT_EQ(c.volume_wh, 10'000);
  ASSERT_TRUE(c.price);
  EXPECT_EQ(*c.price, Krw(130));
  EXPECT_EQ(c.value, Won(1300));
  EXPECT_EQ(m->awarded_wh, (std::vector<std::int64_t>{10'000, 0, 8'000, 2'000}));
  EXPECT_EQ(Entry(*m, "H").paid, Won(1300));
  EXPECT_EQ(Entry(*m, "O").paid, Won(0));
  EXPECT_EQ(Entry(*m, "P").received, Won(1040));
  EXPECT_EQ(Entry(*m, "Q").received, Won(260));
  EXPECT_EQ(Entry(*m, "Q").sold_wh, 2'000);
}

// One bid 5 kWh @ 200, one ask 5 @ 100, nothing left over: range [100, 200], midpoint 150.
// Value 5 x 150 = 750 KRW.
TEST(LocalMarketTest, MidpointOfTheClearingRange) {
  auto m = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 5, 200), Sell("B", 5, 100)});
  ASSERT_TRUE(m);
  EXPECT_EQ(*m->intervals[0].price, Krw(150));
  EXPECT_EQ(m->intervals[0].price_low, Krw(100));
  EXPECT_EQ(m->intervals[0].price_high, Krw(200));
  EXPECT_EQ(Entry(*m, "A").paid, Won(750));
  EXPECT_EQ(Entry(*m, "B").received, Won(750));
}

// The midpoint is rounded down to the milli-won: [100.000, 100.001] -> 100.000.
TEST(LocalMarketTest, MidpointRoundsDownToTheMilliWon) {
  auto m = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 5, 100.001), Sell("B", 5, 100)});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->intervals[0].price->milli_won(), 100'000);
}

// Excess demand at the margin: bids A 5 @ 200, B 5 @ 190; asks C 4 @ 10, D 4 @ 20 (all cross).
// Walk: A x C 4; A x D 1; B x D 3; asks exhausted: volume 8 kWh, B has 2 kWh left at 190.
// Range [max(20, 190), min(190, none)] = [190, 190]: the marginal bid sets the price, 190.
// A 5 kWh (5 x 190 = 950 KRW), B 3 kWh (570 KRW); C 4 kWh (760), D 4 kWh (760). Value 1,520.
TEST(LocalMarketTest, AllCrossExcessDemandPricedAtTheMarginalBid) {
  auto m = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 5, 200), Buy("B", 5, 190),
                                                     Sell("C", 4, 10), Sell("D", 4, 20)});
  ASSERT_TRUE(m);
  EXPECT_EQ(*m->intervals[0].price, Krw(190));
  EXPECT_EQ(m->intervals[0].volume_wh, 8'000);
  EXPECT_EQ(m->intervals[0].value, Won(1520));
  EXPECT_EQ(Entry(*m, "A").paid, Won(950));
  EXPECT_EQ(Entry(*m, "B").paid, Won(570));
  EXPECT_EQ(Entry(*m, "C").received, Won(760));
  EXPECT_EQ(Entry(*m, "D").received, Won(760));
}

// No cross: bid 100 < ask 120: nothing trades, no price, zero ledger entries for both.
TEST(LocalMarketTest, NoCross) {
  auto m = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 5, 100), Sell("B", 5, 120)});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->intervals[0].volume_wh, 0);
  EXPECT_FALSE(m->intervals[0].price);
  ASSERT_EQ(m->ledger.size(), 2u);
  EXPECT_EQ(Entry(*m, "A").bought_wh, 0);
  EXPECT_EQ(Entry(*m, "B").received, Won(0));
}

// Only buyers: no trade.
TEST(LocalMarketTest, OneSidedBook) {
  auto m = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 5, 100), Buy("B", 5, 120)});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->intervals[0].volume_wh, 0);
  EXPECT_EQ(m->intervals[0].asks, 0u);
}

// Tie at the margin, pro rata: bids A 6 @ 150, B 3 @ 150; ask S 6 @ 100. Volume 6 kWh; the bid
// level 150 holds 9 kWh: A gets 6 x 6/9 = 4 kWh, B 6 x 3/9 = 2 kWh, whatever the input order.
// Range [max(100, 150), 150]: price 150; A pays 600, B 300, S receives 900.
TEST(LocalMarketTest, TiesAtTheMarginAreProRata) {
  for (bool reversed : {false, true}) {
    std::vector<MarketOrder> orders = {Buy("A", 6, 150), Buy("B", 3, 150), Sell("S", 6, 100)};
    if (reversed) std::swap(orders[0], orders[1]);
    auto m = ClearLocalMarket(orders);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m->intervals[0].price, Krw(150));
    EXPECT_EQ(Entry(*m, "A").bought_wh, 4'000);
    EXPECT_EQ(Entry(*m, "B").bought_wh, 2'000);
    EXPECT_EQ(Entry(*m, "A").paid, Won(600));
    EXPECT_EQ(Entry(*m, "B").paid, Won(300));
    EXPECT_EQ(Entry(*m, "S").received, Won(900));
  }
}

// Pro rata with a Wh left over: three 1 Wh bids @ 100, one 2 Wh ask @ 50. Volume 2 Wh; each bid
// gets floor(2 x 1/3) = 0 Wh with equal remainders; the 2 Wh go to the two earliest orders.
TEST(LocalMarketTest, ProRataRemainderToTheEarliestOrders) {
  auto m = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 0.001, 100), Buy("B", 0.001, 100),
                                                     Buy("C", 0.001, 100), Sell("S", 0.002, 50)});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->awarded_wh, (std::vector<std::int64_t>{1, 1, 0, 2}));
}

// Won rounding: price 33.333, buyers X, Y, Z 1 kWh each, seller S 3 kWh. Value 3 x 33.333 =
// 99.999 -> 100 KRW. Each buyer's exact 33.333 -> 33 won, 99 in all; the won left over goes to
// the largest remainder, all equal (0.333), so to the first site by name: X 34, Y 33, Z 33.
// S receives 100. Paid == received.
TEST(LocalMarketTest, WonRoundingBalancesExactly) {
  auto m = ClearLocalMarket(std::vector<MarketOrder>{Buy("Z", 1, 33.333), Buy("X", 1, 33.333),
                                                     Buy("Y", 1, 33.333), Sell("S", 3, 33.333)});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->intervals[0].value, Won(100));
  EXPECT_EQ(Entry(*m, "X").paid, Won(34));
  EXPECT_EQ(Entry(*m, "Y").paid, Won(33));
  EXPECT_EQ(Entry(*m, "Z").paid, Won(33));
  EXPECT_EQ(Entry(*m, "S").received, Won(100));
}

// Negative prices (a midday PV glut): bid 5 @ -10, ask 5 @ -30: price -20, value -100 KRW: the
// buyer "pays" -100 (is paid 100), the seller "receives" -100.
TEST(LocalMarketTest, NegativePrices) {
  auto m = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 5, -10), Sell("B", 5, -30)});
  ASSERT_TRUE(m);
  EXPECT_EQ(*m->intervals[0].price, Krw(-20));
  EXPECT_EQ(Entry(*m, "A").paid, Won(-100));
  EXPECT_EQ(Entry(*m, "B").received, Won(-100));
}

// Zero quantities are valid and never awarded; the site still has a (zero) ledger entry.
TEST(LocalMarketTest, ZeroQuantities) {
  auto m = ClearLocalMarket(
      std::vector<MarketOrder>{Buy("A", 0, 200), Sell("B", 5, 100), Buy("C", 2, 150)});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->awarded_wh, (std::vector<std::int64_t>{0, 2'000, 2'000}));
  EXPECT_EQ(m->intervals[0].bids, 1u);
  EXPECT_EQ(Entry(*m, "A").bought_wh, 0);
  // An interval with only zero orders: no clearing row, zero ledger entries.
  auto empty = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 0, 200), Sell("B", 0, 100)});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->intervals.empty());
  EXPECT_EQ(empty->ledger.size(), 2u);
}

// Intervals clear independently; a site buys in one and sells in another.
TEST(LocalMarketTest, IntervalsAreIndependent) {
  const Timestamp t2 = kT + kInterval;
  auto m = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 5, 200), Sell("B", 5, 100),
                                                     Sell("A", 2, 90, t2), Buy("B", 2, 110, t2)});
  ASSERT_TRUE(m);
  ASSERT_EQ(m->intervals.size(), 2u);
  EXPECT_EQ(*m->intervals[0].price, Krw(150));
  EXPECT_EQ(*m->intervals[1].price, Krw(100));
  EXPECT_EQ(Entry(*m, "A", t2).sold_wh, 2'000);
  EXPECT_EQ(Entry(*m, "A", t2).received, Won(200));
}

TEST(LocalMarketTest, InvalidInput) {
  EXPECT_FALSE(LimitPriceFromKrw(std::nan("")));
  EXPECT_FALSE(LimitPriceFromKrw(INFINITY));
  EXPECT_FALSE(LimitPriceFromKrw(2e6));
  auto negative = ClearLocalMarket(std::vector<MarketOrder>{Buy("A", -1, 100)});
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().code, ErrorCode::kInvalidInput);
  EXPECT_FALSE(ClearLocalMarket(std::vector<MarketOrder>{Buy("A", std::nan(""), 100)}));
  EXPECT_FALSE(
      ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 1, 100, kT + std::chrono::minutes{5})}));
  EXPECT_FALSE(ClearLocalMarket(std::vector<MarketOrder>{Buy("", 1, 100)}));
  EXPECT_FALSE(ClearLocalMarket(std::vector<MarketOrder>{Buy("A", 1, 100), Sell("A", 1, 50)}));
  MarketOrder huge = Buy("A", 1, 100);
  huge.limit = WonPerKwh::FromMilliWon(2'000'000'000);
  EXPECT_FALSE(ClearLocalMarket(std::vector<MarketOrder>{huge}));
}

// The site of the SiteOrders tests: import 100 kW, export 40 kW, a 100 kWh battery in 10..90 %,
// 20 kW each way, 95 % each way, stored value 150 KRW/kWh.
SiteTradingLimits TestLimits() {
  SiteTradingLimits l;
  l.site = "S";
  l.import_limit = Kilowatts(100);
  l.export_limit = Kilowatts(40);
  l.battery_kwh = KilowattHours(100);
  l.soc_min_pct = 10;
  l.soc_max_pct = 90;
  l.charge_limit = l.discharge_limit = Kilowatts(20);
  l.charge_efficiency = l.discharge_efficiency = 0.95;
  l.stored_value = Krw(150);
  return l;
}

// SiteOrders over a horizon: whatever is awarded, the battery stays in its window. 100 kWh at a
// planned SoC of 12 % with a 10 % floor holds 2 stored kWh, 2 x 0.95 = 1.9 kWh deliverable; with
// 20 kW (5 kWh per 15 min) of discharge, four surplus intervals offer 1.9 kWh in the first and
// nothing after (not 1.9 in each). Charging: at 88 % with a 90 % ceiling, 2 stored kWh of room,
// 2 / 0.95 = 2.105 kWh to buy, offered once.
TEST(LocalMarketTest, BatteryOffersOverAHorizonStayInTheSocWindow) {
  SiteTradingLimits l = TestLimits();
  std::vector<SiteInterval> out, in;
  for (int k = 0; k < 4; ++k) {
    out.push_back({kT + kInterval * k, KilowattHours(-1), Krw(200), Krw(80), 12});
    in.push_back({kT + kInterval * k, KilowattHours(1), Krw(200), Krw(80), 88});
  }
  const auto battery_total = [](const std::vector<MarketOrder>& orders, OrderSide side, WonPerKwh limit) {
    double kwh = 0;
    for (const MarketOrder& o : orders) kwh += o.side == side && o.limit == limit ? o.quantity.value() : 0;
    return kwh;
  };
  auto sells = SiteOrders(l, out);
  ASSERT_TRUE(sells) << sells.error().message;
  EXPECT_NEAR(battery_total(*sells, OrderSide::kSell, Krw(150)), 1.9, 1e-9);
  auto buys = SiteOrders(l, in);
  ASSERT_TRUE(buys) << buys.error().message;
  EXPECT_NEAR(battery_total(*buys, OrderSide::kBuy, Krw(135.375)), 2.0 / 0.95, 1e-9);
}

// SiteOrders: import 100 kW (25 kWh per 15 min), export 40 kW (10 kWh), battery 100 kWh in
// 10..90 %, 20 kW (5 kWh) each way, 95 % each way, stored value 150; grid 200, export 80.
//  1. net +30, SoC 50: buy min(30, 25) = 25 @ 200; no import room left for the battery.
//  2. net +10, SoC 50: buy 10 @ 200; battery charge min(5, 40 % x 100 / 0.95 = 42.1, 25 - 10)
//     = 5 @ min(200, 150 x 0.95 x 0.95 = 135.375) = 135.375 (a kWh bought is worth 150 only
//     after both losses).
//  3. net -8, SoC 50: sell 8 @ 80; battery min(5, 40 % x 100 x 0.95 = 38, 10 - 8 = 2) = 2 @
//     max(80, 150) = 150.
//  4. net -20: sell min(20, 10) = 10 @ 80; no export room left.
//  5. net 0, SoC 90 (full): no order.
TEST(LocalMarketTest, SiteOrdersFromForecastAndLimits) {
  SiteTradingLimits l = TestLimits();
  std::vector<SiteInterval> iv;
  const double net[] = {30, 10, -8, -20, 0};
  const double soc[] = {50, 50, 50, 50, 90};
  for (int k = 0; k < 5; ++k) {
    iv.push_back({kT + kInterval * k, KilowattHours(net[k]), Krw(200), Krw(80), soc[k]});
  }
  auto o = SiteOrders(l, iv);
  ASSERT_TRUE(o) << o.error().message;
  ASSERT_EQ(o->size(), 6u);
  auto expect = [&](size_t k, int interval, OrderSide side, double kwh, double krw) {
    EXPECT_EQ((*o)[k].interval, kT + kInterval * interval) << k;
    EXPECT_EQ((*o)[k].side, side) << k;
    EXPECT_NEAR((*o)[k].quantity.value(), kwh, 1e-9) << k;
    EXPECT_EQ((*o)[k].limit, Krw(krw)) << k;
  };
  expect(0, 0, OrderSide::kBuy, 25, 200);
  expect(1, 1, OrderSide::kBuy, 10, 200);
  expect(2, 1, OrderSide::kBuy, 5, 135.375);
  expect(3, 2, OrderSide::kSell, 8, 80);
  expect(4, 2, OrderSide::kSell, 2, 150);
  expect(5, 3, OrderSide::kSell, 10, 80);
  // Without a stored value the battery is not offered.
  l.stored_value.reset();
  EXPECT_EQ(SiteOrders(l, iv)->size(), 4u);
  l.charge_efficiency = 0;
  EXPECT_FALSE(SiteOrders(l, iv));
}

// Properties over 3,000 random books (fixed seed): conservation of Wh and won per interval, no
// award beyond an order's quantity, no buyer above its limit, no seller below its limit, each
// site's won within 1 won of limit x quantity (individual rationality up to the rounding), no
// left-over order that would trade at the price, the price inside its range, and the price and
// volume independent of the input order.
TEST(LocalMarketTest, RandomBooksKeepTheInvariants) {
  std::mt19937 rng(20240812);
  std::uniform_int_distribution<int> n_sites(1, 12), n_intervals(1, 4), n_orders(1, 3), coin(0, 1);
  std::uniform_int_distribution<int> wh(0, 50'000), price_step(0, 40), milli(0, 999);
  size_t traded = 0, rationed = 0;  // intervals with a trade; with a partly filled order
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<MarketOrder> orders;
    const int sites = n_sites(rng), intervals = n_intervals(rng);
    for (int t = 0; t < intervals; ++t) {
      for (int s = 0; s < sites; ++s) {
        const OrderSide side = coin(rng) ? OrderSide::kBuy : OrderSide::kSell;
        for (int k = n_orders(rng); k > 0; --k) {
          const int q = wh(rng) < 2'500 ? 0 : wh(rng);  // ~5 % zero quantities
          // Coarse prices (5 KRW steps, many ties) half of the time, milli-won otherwise.
          const std::int64_t p = 50'000 + price_step(rng) * 5'000 + (trial % 2 ? milli(rng) : 0);
          orders.push_back({fmt::format("s{}", s), kT + kInterval * t, side,
                            KilowattHours(q / 1000.0), WonPerKwh::FromMilliWon(p)});
        }
      }
    }
    auto m = ClearLocalMarket(orders);
    ASSERT_TRUE(m) << m.error().message;
    std::map<Timestamp, const IntervalClearing*> by_t;
    for (const auto& c : m->intervals) by_t[c.interval] = &c;
    // Orders: awards within quantity and limits; left-over orders do not want the price.
    std::map<std::pair<Timestamp, std::string>, std::int64_t> limit_value;  // micro-won
    for (size_t k = 0; k < orders.size(); ++k) {
      const MarketOrder& o = orders[k];
      const std::int64_t q = std::llround(o.quantity.value() * 1000);
      const std::int64_t a = m->awarded_wh[k];
      if (a > 0 && a < q) ++rationed;
      ASSERT_GE(a, 0);
      ASSERT_LE(a, q);
      limit_value[{o.interval, o.site}] += o.limit.milli_won() * a;
      const auto it = by_t.find(o.interval);
      if (it == by_t.end() || !it->second->price) {
        ASSERT_EQ(a, 0);
        continue;
      }
      const WonPerKwh p = *it->second->price;
      if (o.side == OrderSide::kBuy) {
        if (a > 0) {
          ASSERT_GE(o.limit, p);
        }
        if (a < q) {
          ASSERT_LE(o.limit, p);
        }
      } else {
        if (a > 0) {
          ASSERT_LE(o.limit, p);
        }
        if (a < q) {
          ASSERT_GE(o.limit, p);
        }
      }
    }
    // Intervals: conservation in Wh and in won.
    for (const auto& c : m->intervals) {
      std::int64_t bought = 0, sold = 0;
      Won paid, received;
      for (const auto& e : m->ledger) {
        if (e.interval != c.interval) continue;
        bought += e.bought_wh;
        sold += e.sold_wh;
        paid += e.paid;
        received += e.received;
      }
      ASSERT_EQ(bought, c.volume_wh);
      ASSERT_EQ(sold, c.volume_wh);
      ASSERT_EQ(paid, received);
      ASSERT_EQ(paid, c.value);
      if (c.price) {
        ++traded;
        ASSERT_LE(c.price_low, *c.price);
        ASSERT_LE(*c.price, c.price_high);
      }
    }
    // Sites: individual rationality within the won rounding (< 1 won).
    for (const auto& e : m->ledger) {
      const std::int64_t lim = limit_value[{e.interval, e.site}];
      if (e.bought_wh > 0) {
        ASSERT_LT(e.paid.value() * 1'000'000, lim + 1'000'000) << e.site;
      }
      if (e.sold_wh > 0) {
        ASSERT_GT(e.received.value() * 1'000'000, lim - 1'000'000) << e.site;
      }
    }
    // Input order does not change prices or volumes.
    std::shuffle(orders.begin(), orders.end(), rng);
    auto shuffled = ClearLocalMarket(orders);
    ASSERT_TRUE(shuffled);
    ASSERT_EQ(shuffled->intervals.size(), m->intervals.size());
    for (size_t i = 0; i < m->intervals.size(); ++i) {
      ASSERT_EQ(shuffled->intervals[i].volume_wh, m->intervals[i].volume_wh);
      ASSERT_EQ(shuffled->intervals[i].price, m->intervals[i].price);
    }
  }
  EXPECT_GT(traded, 3000u);  // the books do trade (about 7,500 intervals in all)
  EXPECT_GT(rationed, 1000u);
}

}  // namespace
}  // namespace meg
