// The D-1 bid of economic DR (자발적 수요감축, KPX 전력시장운영규칙 제12.4.2조): which trading
// hours of day D a site offers, how much and at what price, and whether a bid is on time.
// Pure functions over values; thread-safe.
//
//   auto bid = BuildEconomicDrBid(day, hours, config, calendar);
//   if (bid && bid->has_bid()) ... else show bid->no_bid_reason
//   bool ok = IsEconomicDrBidOnTime(submitted_at, day);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/calendar.h"
#include "core/result.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

// One KST hour of day D: [h:00, h+1:00).
struct EconomicDrHourInput {
  KilowattHours forecast_load{0};  // the site's forecast consumption in the hour, >= 0
  Kilowatts curtailable{0};        // load the site can shed for the whole hour, >= 0
  // Battery discharge the site can add in the hour (power limit after the SoC window), >= 0.
  Kilowatts battery{0};
  // Expected SMP of the hour, if known: the battery's daily energy goes to the dearest hours
  // first. Without it, to the earliest hours.
  std::optional<WonPerKwh> expected_smp;
};

struct EconomicDrConfig {
  // 수요반응자원 순편익가격: the lowest price a bid may carry (제12.1.1조 6호), published each
  // month by KPX (제12.4.2.1조 ②). Configure from the KPX notice for the month of D.
  WonPerKwh net_benefit_price = WonPerKwh::FromMilliWon(0);
  // The site's own price (its cost of reducing: lost tariff savings, battery wear). The bid
  // price is the larger of this and the net-benefit price.
  WonPerKwh own_price = WonPerKwh::FromMilliWon(0);
  // 제12.4.2.1조 ① 2호: at least 0.1 MW-h per trading hour.
  KilowattHours min_per_hour{100};
  // The battery's usable energy for the day (between the SoC limits, after losses), kWh.
  // nullopt: the battery power may be offered in every hour.
  std::optional<KilowattHours> battery_energy;
  // Bid quantities are rounded down to this step (kWh); the text gives no step (docs/dr.md).
  KilowattHours quantity_step{1};
};

struct EconomicDrBidHour {
  Timestamp hour_start;
  KilowattHours quantity{0};  // 감축가능용량 (MW-h in the bid form; kWh here)
  WonPerKwh price;            // 감축가격, >= the net-benefit price
};

// The bid for day D, or why there is none. A value, not an error: "no bid" is a normal outcome.
struct EconomicDrBid {
  Date day;
  Timestamp deadline;  // 11:00 KST on D-1 (제12.4.2.2조 ①)
  std::vector<EconomicDrBidHour> hours;
  std::string no_bid_reason;  // empty when hours is not
  bool has_bid() const { return !hours.empty(); }
};

// Builds the bid for day `day` from 24 hourly inputs (index = KST hour). An hour offers
// min(curtailable + battery, forecast_load): the site does not offer to export. Hours below
// `min_per_hour` are dropped (제12.4.2.1조 ① 2호); a Saturday, Sunday or 공휴일 gets no bid
// (① 1호). Errors: not 24 hours, negative inputs, a calendar not covering `day`.
// Not modelled: the emergency-generator permit (① 3호), the 8 price segments (제12.4.2.3조).
Result<EconomicDrBid> BuildEconomicDrBid(Date day, const std::vector<EconomicDrHourInput>& hours,
                                         const EconomicDrConfig& config,
                                         const HolidayCalendar& calendar);

// The bid deadline of trading day `day`: 11:00 KST on the day before (제12.4.2.2조 ① "거래일
// 전일 11시까지"), the calendar day before, whatever its kind.
Timestamp EconomicDrBidDeadline(Date day);

// True if a bid submitted at `submitted` is on time for trading day `day`: at or before the
// deadline. A later bid cannot change the bids (제12.4.2.4조).
bool IsEconomicDrBidOnTime(Timestamp submitted, Date day);

}  // namespace meg
