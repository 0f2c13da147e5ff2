// The local energy market among the sites of one operator: a sealed-bid double auction per
// 15-minute interval with one uniform clearing price (pay-as-clear), its settlement ledger, and
// the derivation of a site's orders from its forecast and physical limits. Pure functions over
// values; thread-safe. docs/trading-brokerage-market.md.
//
//   std::vector<MarketOrder> orders = SiteOrders(limits, positions).value();   // per site, joined
//   auto m = ClearLocalMarket(orders);
//   for (const IntervalClearing& c : m->intervals) if (c.price) ... c.volume_wh ...
//   for (const LedgerEntry& e : m->ledger) ... e.bought_wh, e.paid, e.sold_wh, e.received ...
//
// Clearing, per interval (documented in full in the doc):
//  1. Bids sorted by limit descending, asks ascending; walk both stacks matching while
//     bid >= ask. The walk fixes the volume Q (Wh), the last matched bid b* and ask a*, and the
//     best orders left over, b' (bid) and a' (ask; a partly filled order counts as left over).
//  2. Every price in [max(a*, b'), min(b*, a')] clears the market (no left-over order wants to
//     trade at it, every matched order does); the price is the midpoint of that range, rounded
//     down to the milli-won. So it is never above a matched bid nor below a matched ask.
//  3. Awards: every order priced strictly better than the marginal level of its side (b* for
//     bids, a* for asks) is filled in full; the orders AT the marginal level share what is left
//     pro rata to their quantity (largest remainder in Wh, ties to the earlier order). Input
//     order never matters otherwise: no time priority.
// Units: quantities are traded in whole Wh (an order's kWh is floored to the Wh, so an award
// never exceeds the offer); prices are exact milli-won per kWh. Money: the interval's value
// V = price x volume is rounded half up to the won; V is split among the buyers in proportion
// to their exact amounts (largest remainder, ties by site name), and again among the sellers, so
// paid == received in every interval exactly; each site's amount is within 1 won of exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

enum class OrderSide { kBuy, kSell };

// One order of one site for one 15-minute interval. A site may send several orders of one side
// in an interval (a stepped curve), and buy in one interval and sell in another, but not both
// in the same interval.
struct MarketOrder {
  std::string site;
  Timestamp interval;  // start of the 15-minute interval (UTC, aligned)
  OrderSide side = OrderSide::kBuy;
  KilowattHours quantity;  // energy in the interval, >= 0 (0 is allowed and never awarded)
  WonPerKwh limit;         // buy: the most it pays; sell: the least it accepts (may be < 0)
};

// A limit price from a decimal KRW/kWh (outside input): rounded half away from zero to the
// milli-won. Errors: not finite, or |price| > 1,000,000 KRW/kWh.
Result<WonPerKwh> LimitPriceFromKrw(double krw_per_kwh);

// The result of one interval.
struct IntervalClearing {
  Timestamp interval;
  size_t bids = 0;  // orders with quantity > 0
  size_t asks = 0;
  std::int64_t volume_wh = 0;
  std::optional<WonPerKwh> price;   // nullopt when nothing cleared (no cross, or an empty side)
  WonPerKwh price_low, price_high;  // the range of clearing prices the price is the middle of
  Won value;                        // paid by the buyers = received by the sellers
  KilowattHours volume() const { return KilowattHours(static_cast<double>(volume_wh) / 1000.0); }
};

// One site in one interval. Every site with an order in the interval has an entry.
struct LedgerEntry {
  Timestamp interval;
  std::string site;
  std::int64_t bought_wh = 0;
  std::int64_t sold_wh = 0;
  Won paid;
  Won received;
  KilowattHours bought() const { return KilowattHours(static_cast<double>(bought_wh) / 1000.0); }
  KilowattHours sold() const { return KilowattHours(static_cast<double>(sold_wh) / 1000.0); }
  Won net() const { return received - paid; }  // + the site is paid
};

struct MarketClearing {
  std::vector<IntervalClearing> intervals;  // in time order, one per interval with an order > 0 Wh
  std::vector<std::int64_t> awarded_wh;     // per input order, same index
  std::vector<LedgerEntry> ledger;          // by interval, then site name
};

// Clears every interval of `orders` independently (see the header comment).
// Errors (kInvalidInput): an empty site name, an interval not on the 15-minute grid, a quantity
// that is negative, not finite or above 1e9 kWh, a limit outside +-1,000,000 KRW/kWh, a site
// buying and selling in the same interval.
Result<MarketClearing> ClearLocalMarket(std::span<const MarketOrder> orders);

// What a site expects in one interval, from its forecasts and tariff.
struct SiteInterval {
  Timestamp interval;
  KilowattHours net_load;  // forecast load - PV over the interval: + to import, - surplus
  WonPerKwh grid_price;    // what a kWh from the grid costs the site (KEPCO: PriceDay's slot price)
  WonPerKwh export_value;  // what a kWh exported earns (e.g. SMP; 0 without export contract)
  double soc_pct = 0;      // battery state of charge at the interval's start (its plan)
};

// A site's physical limits for trading. Sign conventions of docs/conventions.md do not apply
// here: every quantity is a magnitude.
struct SiteTradingLimits {
  std::string site;
  Kilowatts import_limit;  // contract power: imports (grid + neighbours) never exceed it
  Kilowatts export_limit;  // exports (grid + neighbours) never exceed it; 0 without export
  // Battery flexibility offered to the market on top of the site's own plan; none when
  // stored_value is nullopt or battery_kwh is 0.
  KilowattHours battery_kwh;  // nameplate energy
  double soc_min_pct = 0;
  double soc_max_pct = 100;
  Kilowatts charge_limit;
  Kilowatts discharge_limit;
  double charge_efficiency = 1.0;         // grid kWh -> stored kWh
  double discharge_efficiency = 1.0;      // stored kWh -> grid kWh
  std::optional<WonPerKwh> stored_value;  // what a kWh delivered from the battery later is worth
};

// The orders of one site, interval by interval (dt = 15 min):
//  net_load > 0: buy min(net_load, import_limit x dt) at grid_price (cheaper than KEPCO or not
//    at all); with a battery, also buy min(charge room, import room left) at
//    min(grid_price, stored_value x charge_efficiency x discharge_efficiency) (what a kWh bought
//    is worth once stored and given back).
//  net_load < 0: sell min(-net_load, export_limit x dt) at export_value (dearer than exporting
//    or not at all); with a battery, also sell min(discharge energy, export room left) at
//    max(export_value, stored_value).
//  net_load == 0: only the battery's charge bid.
// Charge room = min(charge_limit x dt, ((soc_max - soc) x kWh - stored kWh the earlier charge
// offers would add) / charge_efficiency); discharge energy = min(discharge_limit x dt,
// ((soc - soc_min) x kWh - stored kWh the earlier discharge offers would take) x
// discharge_efficiency): whatever the auction awards over the horizon, the SoC stays in its
// window (`soc` is the site's planned SoC of each interval, before any award).
// Orders of 0 kWh are left out. Errors: an empty site name, a negative or non-finite limit or
// value, efficiencies outside (0, 1], a SoC window outside 0..100 or soc outside it by more
// than 1e-6, an interval off the 15-minute grid.
Result<std::vector<MarketOrder>> SiteOrders(const SiteTradingLimits& limits, std::span<const SiteInterval> intervals);

}  // namespace meg
