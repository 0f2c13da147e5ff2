// The DR options shared by `meg simulate`, `meg run` and `meg demo`: the call file, the CBL the
// site registered and the prices it plans and settles with.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "core/calendar.h"
#include "core/result.h"
#include "market/dr_program.h"

namespace meg {

struct DrOptions {
  std::string calls;  // DR call file (docs/dr.md); empty: no DR
  std::string cbl = "mid6/10";
  bool saa = false;
  std::string smp = "125.40";  // KRW/kWh: the 2024 mainland mean of the digest (derived, not official)
  std::string mgp;             // KRW/kWh; empty: reliability calls paid at SMP (a lower estimate)
  double shortfall_krw_per_kwh = 1000;
};

// Adds --dr-calls, --dr-cbl, --dr-saa, --dr-smp, --dr-mgp, --dr-shortfall-krw-per-kwh.
void AddDrOptions(CLI::App* cmd, DrOptions& o);

// The program of `o`: its CBL options and prices, and the calls of the call file (none without
// one). Errors name the option.
Result<DrProgram> LoadDrProgram(const DrOptions& o, const HolidayCalendar& calendar);

}  // namespace meg
