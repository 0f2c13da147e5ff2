// KPX system marginal price (SMP) files as EPSIS publishes them (../shared/data/market): one row per
// day, `구분,1h,...,24h,최소,최대,평균`, the date as YYYYMMDD, prices in KRW/kWh, column Nh = the hour
// ending at N:00 KST. Pure functions; thread-safe.
#pragma once

#include <array>
#include <string_view>

#include "core/result.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

// The 24 hourly prices of `date`, index h = the hour [h:00, h+1:00) KST. Errors: no row for the
// date (kNotFound), a price that is not a number (with the file and line).
Result<std::array<WonPerKwh, 24>> KpxSmpOfDay(std::string_view text, std::string_view source, Date date);

}  // namespace meg
