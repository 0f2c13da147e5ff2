// Rendering of year backtests: the text report (monthly bills without and with each controller,
// savings, peaks, PV and battery figures), the 15-minute CSV series and the offline HTML report.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/site.h"
#include "io/xlsx_writer.h"
#include "sim/backtest.h"
#include "sim/site_inputs.h"

namespace meg {

struct SimulationReport {
  const Site* site = nullptr;
  int year = 0;
  // The first day of the meter history before the year (--history-from); nullopt: a cold start.
  std::optional<Date> history_from;
  double backup_reserve_pct = 0;  // --backup-reserve-pct (0: none)
  TariffId tariff;
  const SiteInputs* inputs = nullptr;
  const BacktestResult* grid_only = nullptr;  // no PV, no battery: for reference
  const BacktestResult* baseline = nullptr;   // "none": PV only, the bill without OpenMEG
  std::vector<const BacktestResult*> runs;    // each requested controller
  // The HTML report's day view (--day); nullopt or outside the year: the day of the highest
  // baseline demand.
  std::optional<Date> day;
};

std::string RenderSimulationText(const SimulationReport& report);

// The sheets of `meg simulate --xlsx`: "절감 savings" (a row a controller: bill, saving, after
// wear, peak reduction, cycles, share of the oracle's saving after wear), "월별 청구 monthly
// bills" (with SUM totals), "연간 요금항목 year by line" and, per controller, its 15-minute series
// ("15분 <controller>", the columns of RenderSeriesCsv).
Result<std::vector<XlsxTable>> SimulationTables(const SimulationReport& report);

// A controller's year without the DR calls (`plain`; nullptr if not run) and answering them.
struct DrRunPair {
  const BacktestResult* plain = nullptr;
  const BacktestResult* with_dr = nullptr;
};
// The DR section: per call and controller the CBL, metered usage, reduction, performance and
// settlement per trading hour, and the effect on the month's bill.
std::string RenderDrText(const DrProgram& program, const std::vector<DrRunPair>& runs);
std::string RenderSeriesCsv(const BacktestResult& run);
std::string RenderSimulationHtml(const SimulationReport& report);

}  // namespace meg
