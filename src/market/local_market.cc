#include "market/local_market.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <utility>

namespace meg {
namespace {

constexpr std::int64_t kMaxAbsPriceMilli = 1'000'000'000;  // 1,000,000 KRW/kWh
constexpr double kMaxQuantityKwh = 1e9;
constexpr std::int64_t kMicroPerWon = 1'000'000;  // milli-won/kWh x Wh = micro-won
__extension__ typedef __int128 Int128;            // GCC and Clang; no overflow of price x Wh

// Floor division for a possibly negative numerator, positive denominator.
Int128 FloorDiv(Int128 a, Int128 b) {
  const Int128 q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// kWh to whole Wh, floored (an award never exceeds the offer); 1e-6 Wh absorbs the binary error
// of decimal kWh, so 0.3 kWh is 300 Wh.
std::int64_t ToWh(KilowattHours q) {
  return static_cast<std::int64_t>(std::floor(q.value() * 1000.0 + 1e-6));
}

Status ValidateOrder(const MarketOrder& o, size_t index) {
  const auto where = [&] { return fmt::format("local market: order {} ({})", index, o.site); };
  if (o.site.empty()) return InvalidInput(fmt::format("local market: order {} has no site", index));
  if (!IsIntervalAligned(o.interval)) {
    return InvalidInput(fmt::format("{}: interval {} is not on the 15-minute grid", where(),
                                    FormatKst(o.interval)));
  }
  const double q = o.quantity.value();
  if (!std::isfinite(q) || q < 0 || q > kMaxQuantityKwh) {
    return InvalidInput(
        fmt::format("{}: quantity {} kWh must be a finite number in 0..1e9", where(), q));
  }
  if (o.limit.milli_won() > kMaxAbsPriceMilli || o.limit.milli_won() < -kMaxAbsPriceMilli) {
    return InvalidInput(
        fmt::format("{}: limit {} KRW/kWh is outside +-1,000,000", where(), o.limit.won()));
  }
  return Ok{};
}

// Awards `volume` Wh over one side's orders (`sorted`: best first, by limit): levels better than
// the marginal one in full, the marginal level pro rata (largest remainder, ties to the earlier
// input order).
void AwardSide(const std::vector<size_t>& sorted, std::span<const MarketOrder> orders,
               const std::vector<std::int64_t>& wh, std::int64_t volume,
               std::vector<std::int64_t>& awarded) {
  std::int64_t left = volume;
  for (size_t a = 0; a < sorted.size() && left > 0;) {
    size_t b = a;
    std::int64_t level_wh = 0;
    while (b < sorted.size() && orders[sorted[b]].limit == orders[sorted[a]].limit) {
      level_wh += wh[sorted[b]];
      ++b;
    }
    if (level_wh <= left) {
      for (size_t k = a; k < b; ++k) awarded[sorted[k]] = wh[sorted[k]];
      left -= level_wh;
    } else {
      std::vector<std::pair<std::int64_t, size_t>> remainder;  // (remainder, input index)
      std::int64_t given = 0;
      for (size_t k = a; k < b; ++k) {
        const size_t i = sorted[k];
        const Int128 num = static_cast<Int128>(left) * wh[i];
        awarded[i] = static_cast<std::int64_t>(num / level_wh);
        given += awarded[i];
        remainder.emplace_back(static_cast<std::int64_t>(num % level_wh), i);
      }
      std::sort(remainder.begin(), remainder.end(), [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first > y.first : x.second < y.second;
      });
      // left - given < number of orders at the level: one Wh each to the largest remainders.
      for (size_t k = 0; given < left; ++k, ++given) ++awarded[remainder[k].second];
      left = 0;
    }
    a = b;
  }
}

// Splits `total` won among `exact` micro-won amounts (floor each, then one won each to the
// largest remainders; ties to the earlier entry, i.e. the lower site name).
std::vector<Won> SplitWon(Won total, const std::vector<Int128>& exact) {
  std::vector<Won> out(exact.size());
  std::vector<std::pair<Int128, size_t>> remainder;
  std::int64_t given = 0;
  for (size_t k = 0; k < exact.size(); ++k) {
    const Int128 whole = FloorDiv(exact[k], kMicroPerWon);
    out[k] = Won(static_cast<std::int64_t>(whole));
    given += out[k].value();
    remainder.emplace_back(exact[k] - whole * kMicroPerWon, k);
  }
  std::sort(remainder.begin(), remainder.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  for (size_t k = 0; given < total.value(); ++k, ++given) {
    MEG_CHECK(k < remainder.size());
    out[remainder[k].second] += Won(1);
  }
  MEG_CHECK(given == total.value());
  return out;
}

// Clears one interval: the orders `idx` (all of one interval, quantity > 0).
IntervalClearing ClearInterval(Timestamp interval, const std::vector<size_t>& idx,
                               std::span<const MarketOrder> orders,
                               const std::vector<std::int64_t>& wh,
                               std::vector<std::int64_t>& awarded) {
  IntervalClearing c;
  c.interval = interval;
  std::vector<size_t> bids, asks;
  for (size_t i : idx) (orders[i].side == OrderSide::kBuy ? bids : asks).push_back(i);
  c.bids = bids.size();
  c.asks = asks.size();
  // stable: equal limits keep input order (only for the tie-break of the pro rata remainder).
  std::stable_sort(bids.begin(), bids.end(),
                   [&](size_t a, size_t b) { return orders[a].limit > orders[b].limit; });
  std::stable_sort(asks.begin(), asks.end(),
                   [&](size_t a, size_t b) { return orders[a].limit < orders[b].limit; });
  size_t i = 0, j = 0;
  std::int64_t bid_left = bids.empty() ? 0 : wh[bids[0]];
  std::int64_t ask_left = asks.empty() ? 0 : wh[asks[0]];
  WonPerKwh last_bid, last_ask;
  while (i < bids.size() && j < asks.size() && orders[bids[i]].limit >= orders[asks[j]].limit) {
    const std::int64_t q = std::min(bid_left, ask_left);
    c.volume_wh += q;
    bid_left -= q;
    ask_left -= q;
    last_bid = orders[bids[i]].limit;
    last_ask = orders[asks[j]].limit;
    if (bid_left == 0 && ++i < bids.size()) bid_left = wh[bids[i]];
    if (ask_left == 0 && ++j < asks.size()) ask_left = wh[asks[j]];
  }
  if (c.volume_wh == 0) return c;
  // The range of clearing prices: no left-over order would trade inside it.
  WonPerKwh lo = last_ask, hi = last_bid;
  if (i < bids.size()) lo = std::max(lo, orders[bids[i]].limit);
  if (j < asks.size()) hi = std::min(hi, orders[asks[j]].limit);
  MEG_CHECK(lo <= hi);
  c.price_low = lo;
  c.price_high = hi;
  c.price = WonPerKwh::FromMilliWon(
      static_cast<std::int64_t>(FloorDiv(static_cast<Int128>(lo.milli_won()) + hi.milli_won(), 2)));
  AwardSide(bids, orders, wh, c.volume_wh, awarded);
  AwardSide(asks, orders, wh, c.volume_wh, awarded);
  // V = price x volume, half up to the won.
  const Int128 exact = static_cast<Int128>(c.price->milli_won()) * c.volume_wh;
  c.value = Won(static_cast<std::int64_t>(FloorDiv(exact + kMicroPerWon / 2, kMicroPerWon)));
  return c;
}

}  // namespace

Result<WonPerKwh> LimitPriceFromKrw(double krw_per_kwh) {
  if (!std::isfinite(krw_per_kwh) || std::fabs(krw_per_kwh) > 1e6) {
    return InvalidInput(fmt::format(
        "local market: limit price {} KRW/kWh must be a finite number within +-1,000,000",
        krw_per_kwh));
  }
  return WonPerKwh::FromMilliWon(std::llround(krw_per_kwh * 1000.0));
}

Result<MarketClearing> ClearLocalMarket(std::span<const MarketOrder> orders) {
  std::vector<std::int64_t> wh(orders.size());
  std::map<Timestamp, std::vector<size_t>> by_interval;  // orders with quantity > 0
  std::map<std::pair<Timestamp, std::string>, std::pair<bool, bool>> sides;  // (buys, sells)
  for (size_t k = 0; k < orders.size(); ++k) {
    MEG_TRY(ValidateOrder(orders[k], k));
    wh[k] = ToWh(orders[k].quantity);
    auto& s = sides[{orders[k].interval, orders[k].site}];
    (orders[k].side == OrderSide::kBuy ? s.first : s.second) = true;
    if (s.first && s.second) {
      return InvalidInput(fmt::format("local market: site {} both buys and sells in interval {}",
                                      orders[k].site, FormatKst(orders[k].interval)));
    }
    if (wh[k] > 0) by_interval[orders[k].interval].push_back(k);
  }
  MarketClearing m;
  m.awarded_wh.assign(orders.size(), 0);
  for (const auto& [interval, idx] : by_interval) {
    m.intervals.push_back(ClearInterval(interval, idx, orders, wh, m.awarded_wh));
  }
  // The ledger: every (interval, site) with an order, in map order (interval, then site name).
  std::map<Timestamp, IntervalClearing*> clearing;
  for (IntervalClearing& c : m.intervals) clearing[c.interval] = &c;
  std::map<std::pair<Timestamp, std::string>, size_t> entry;
  for (const auto& [key, s] : sides) {
    entry[key] = m.ledger.size();
    m.ledger.push_back(LedgerEntry{key.first, key.second, 0, 0, Won(0), Won(0)});
  }
  for (size_t k = 0; k < orders.size(); ++k) {
    LedgerEntry& e = m.ledger[entry.at({orders[k].interval, orders[k].site})];
    (orders[k].side == OrderSide::kBuy ? e.bought_wh : e.sold_wh) += m.awarded_wh[k];
  }
  // Money, interval by interval: the buyers' amounts and the sellers' each sum to V exactly.
  for (size_t a = 0; a < m.ledger.size();) {
    size_t b = a;
    while (b < m.ledger.size() && m.ledger[b].interval == m.ledger[a].interval) ++b;
    const auto it = clearing.find(m.ledger[a].interval);
    if (it != clearing.end() && it->second->price) {
      const std::int64_t p = it->second->price->milli_won();
      std::vector<Int128> paid, received;
      for (size_t k = a; k < b; ++k) {
        paid.push_back(static_cast<Int128>(p) * m.ledger[k].bought_wh);
        received.push_back(static_cast<Int128>(p) * m.ledger[k].sold_wh);
      }
      const std::vector<Won> pay = SplitWon(it->second->value, paid);
      const std::vector<Won> get = SplitWon(it->second->value, received);
      for (size_t k = a; k < b; ++k) {
        m.ledger[k].paid = pay[k - a];
        m.ledger[k].received = get[k - a];
      }
    }
    a = b;
  }
  return m;
}

Result<std::vector<MarketOrder>> SiteOrders(const SiteTradingLimits& limits,
                                            std::span<const SiteInterval> intervals) {
  const auto bad = [&](const std::string& what) {
    return InvalidInput(fmt::format("local market: site {}: {}", limits.site, what));
  };
  if (limits.site.empty()) return InvalidInput("local market: a site has no name");
  for (const auto& [name, v] : {std::pair{"import_limit", limits.import_limit.value()},
                                std::pair{"export_limit", limits.export_limit.value()},
                                std::pair{"battery_kwh", limits.battery_kwh.value()},
                                std::pair{"charge_limit", limits.charge_limit.value()},
                                std::pair{"discharge_limit", limits.discharge_limit.value()}}) {
    if (!std::isfinite(v) || v < 0) return bad(fmt::format("{} {} must be >= 0", name, v));
  }
  for (double eff : {limits.charge_efficiency, limits.discharge_efficiency}) {
    if (!(eff > 0 && eff <= 1)) return bad(fmt::format("efficiency {} must be in (0, 1]", eff));
  }
  if (!(limits.soc_min_pct >= 0 && limits.soc_min_pct <= limits.soc_max_pct &&
        limits.soc_max_pct <= 100)) {
    return bad(fmt::format("SoC window {}..{} % must lie in 0..100", limits.soc_min_pct,
                           limits.soc_max_pct));
  }
  const bool battery = limits.stored_value && limits.battery_kwh.value() > 0;
  const double dt = kIntervalHours.value();
  std::vector<MarketOrder> out;
  auto add = [&](Timestamp t, OrderSide side, double kwh, WonPerKwh limit) {
    if (kwh * 1000.0 >= 1.0) out.push_back({limits.site, t, side, KilowattHours(kwh), limit});
  };
  // Battery offers over the whole horizon are bounded so that, whatever is awarded, the SoC stays
  // in its window: `offered_out` / `offered_in` are the stored kWh the discharge / charge offers
  // so far would take out / put in if all were awarded (the plan's own SoC path is given per
  // interval; an award moves the battery away from it).
  double offered_out = 0, offered_in = 0;
  // A kWh bought to charge is worth stored_value only after both losses (charge, then discharge).
  const std::optional<WonPerKwh> charge_value =
      battery ? std::optional<WonPerKwh>(WonPerKwh::FromMilliWon(static_cast<std::int64_t>(std::floor(
                    static_cast<double>(limits.stored_value->milli_won()) * limits.charge_efficiency *
                    limits.discharge_efficiency))))
              : std::nullopt;
  for (const SiteInterval& s : intervals) {
    if (!IsIntervalAligned(s.interval)) {
      return bad(fmt::format("interval {} is not on the 15-minute grid", FormatKst(s.interval)));
    }
    if (!std::isfinite(s.net_load.value()) || !std::isfinite(s.soc_pct) || s.soc_pct < -1e-6 ||
        s.soc_pct > 100 + 1e-6) {
      return bad(fmt::format("interval {}: net load {} kWh or SoC {} % is invalid",
                             FormatKst(s.interval), s.net_load.value(), s.soc_pct));
    }
    const double soc = std::clamp(s.soc_pct, limits.soc_min_pct, limits.soc_max_pct);
    const double kwh = limits.battery_kwh.value();
    const double charge_room =
        battery ? std::max(0.0, std::min(limits.charge_limit.value() * dt,
                                         ((limits.soc_max_pct - soc) / 100.0 * kwh - offered_in) /
                                             limits.charge_efficiency))
                : 0.0;
    const double discharge_energy =
        battery ? std::max(0.0, std::min(limits.discharge_limit.value() * dt,
                                         ((soc - limits.soc_min_pct) / 100.0 * kwh - offered_out) *
                                             limits.discharge_efficiency))
                : 0.0;
    const double net = s.net_load.value();
    if (net >= 0) {
      const double room = limits.import_limit.value() * dt;
      const double need = std::min(net, room);
      add(s.interval, OrderSide::kBuy, need, s.grid_price);
      if (battery) {
        const double charge = std::min(charge_room, room - need);
        add(s.interval, OrderSide::kBuy, charge, std::min(s.grid_price, *charge_value));
        offered_in += std::max(0.0, charge) * limits.charge_efficiency;
      }
    } else {
      const double room = limits.export_limit.value() * dt;
      const double surplus = std::min(-net, room);
      add(s.interval, OrderSide::kSell, surplus, s.export_value);
      if (battery) {
        const double discharge = std::min(discharge_energy, room - surplus);
        add(s.interval, OrderSide::kSell, discharge, std::max(s.export_value, *limits.stored_value));
        offered_out += std::max(0.0, discharge) / limits.discharge_efficiency;
      }
    }
  }
  return out;
}

}  // namespace meg
