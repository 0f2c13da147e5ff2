#include "market/economic_dr.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "market/dr_event.h"

namespace meg {
namespace {

Status CheckInputs(const std::vector<EconomicDrHourInput>& hours, const EconomicDrConfig& c) {
  if (hours.size() != 24) {
    return InvalidInput(
        fmt::format("economic DR bid: {} hourly inputs; give 24 (KST hours 0-23)", hours.size()));
  }
  for (size_t h = 0; h < hours.size(); ++h) {
    const auto& in = hours[h];
    if (in.forecast_load.value() < 0.0 || in.curtailable.value() < 0.0 ||
        in.battery.value() < 0.0) {
      return InvalidInput(
          fmt::format("economic DR bid: hour {:02}: forecast load, curtailable "
                      "and battery must be >= 0",
                      h));
    }
  }
  if (c.battery_energy && c.battery_energy->value() < 0.0) {
    return InvalidInput("economic DR bid: battery_energy must be >= 0 kWh");
  }
  if (!(c.quantity_step.value() > 0.0) || c.min_per_hour.value() < 0.0) {
    return InvalidInput("economic DR bid: quantity_step must be > 0 and min_per_hour >= 0");
  }
  return Ok{};
}

// The battery energy (kWh) each hour may offer: its power for one hour, limited by the day's
// energy, spent on the dearest expected hours first (earliest first without prices).
std::vector<double> BatteryPerHour(const std::vector<EconomicDrHourInput>& hours,
                                   const EconomicDrConfig& c) {
  std::vector<double> out(hours.size());
  for (size_t h = 0; h < hours.size(); ++h) out[h] = hours[h].battery.value();
  if (!c.battery_energy) return out;
  std::vector<size_t> order(hours.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto pa = hours[a].expected_smp.value_or(WonPerKwh{});
    const auto pb = hours[b].expected_smp.value_or(WonPerKwh{});
    return pa > pb;
  });
  double left = c.battery_energy->value();
  for (size_t h : order) {
    out[h] = std::min(out[h], left);
    left -= out[h];
  }
  return out;
}

}  // namespace

Result<EconomicDrBid> BuildEconomicDrBid(Date day, const std::vector<EconomicDrHourInput>& hours,
                                         const EconomicDrConfig& config,
                                         const HolidayCalendar& calendar) {
  MEG_TRY(CheckInputs(hours, config));
  if (!calendar.Covers(day)) {
    return InvalidInput(
        fmt::format("economic DR bid: the holiday calendar does not cover {}", FormatDate(day)));
  }
  EconomicDrBid bid;
  bid.day = day;
  bid.deadline = EconomicDrBidDeadline(day);
  if (!IsDrWeekday(day, calendar)) {
    bid.no_bid_reason = fmt::format(
        "{} is a Saturday, Sunday or 공휴일: economic DR bids only for "
        "평일 (제12.4.2.1조 ① 1호)",
        FormatDate(day));
    return bid;
  }
  const WonPerKwh price = std::max(config.own_price, config.net_benefit_price);
  const std::vector<double> battery = BatteryPerHour(hours, config);
  const double step = config.quantity_step.value();
  double best = 0.0;
  for (size_t h = 0; h < hours.size(); ++h) {
    const double offer =
        std::min(hours[h].curtailable.value() + battery[h], hours[h].forecast_load.value());
    // 1e-9 absorbs binary error so that 100.0 from 60 + 40 is a whole step.
    const double quantity = std::floor(offer / step + 1e-9) * step;
    best = std::max(best, quantity);
    if (quantity < config.min_per_hour.value() || quantity <= 0.0) continue;
    bid.hours.push_back(
        EconomicDrBidHour{FromKst(day, static_cast<int>(h) * 60), KilowattHours{quantity}, price});
  }
  if (bid.hours.empty()) {
    bid.no_bid_reason = fmt::format(
        "no hour reaches the minimum {} kWh (0.1 MW-h, 제12.4.2.1조 "
        "① 2호); the largest offer is {} kWh",
        config.min_per_hour.value(), best);
  }
  return bid;
}

Timestamp EconomicDrBidDeadline(Date day) { return FromKst(AddDays(day, -1), 11 * 60); }

bool IsEconomicDrBidOnTime(Timestamp submitted, Date day) {
  return submitted <= EconomicDrBidDeadline(day);
}

}  // namespace meg
