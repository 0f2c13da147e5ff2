// The plain 15-minute usage CSV that `meg bill` reads, and its validation and repairs.
// Format (docs/billing.md, The usage CSV):
//   timestamp,kW[,kvar]
//   2024-08-12T14:00:00+09:00,812.4
// one row per 15-minute interval, the timestamp (ISO 8601 with offset) naming the interval's
// start, kW the mean demand over the interval (+ import, - export), kvar optional mean reactive
// power (+ lagging, - leading) for the power-factor adjustment. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

// Bounds of a usage file, checked row by row before anything is allocated for the series:
// timestamps within the years kFirstUsageYear..kLastUsageYear (no tariff table, holiday
// calendar or market rule here reaches beyond), and the first and last rows at most
// kMaxUsageSpanDays apart (a bill covers months; ten years is 350,000 intervals, 10 MB).
inline constexpr int kFirstUsageYear = 2000;
inline constexpr int kLastUsageYear = 2099;
inline constexpr int kMaxUsageSpanDays = 3660;

struct UsageRepairs {
  // Fill missing intervals by linear interpolation between the neighbouring values
  // (holding the nearest value at the ends). Without it, a missing interval is an error.
  bool gaps = false;
  // Replace spikes (see spike_factor) by linear interpolation. Without it, a spike is an error.
  bool spikes = false;
  // Drop a row that repeats the previous row's timestamp with the same values. A repeated
  // timestamp with different values is always an error: which one is true cannot be known.
  bool duplicates = false;
};

struct UsageReadOptions {
  UsageRepairs repair;
  // A value whose magnitude exceeds spike_factor x the 90th percentile of |kW| is a spike
  // (a meter fault such as 1e6), not a demand. 20 keeps every real load shape we have seen.
  double spike_factor = 20.0;
  // Keep missing intervals as gaps (nullopt) in the result: neither an error nor interpolated,
  // for callers that treat a gap themselves (the CBL leaves a day with a gap out, 별표28 3.4.2).
  // Spikes repaired by interpolation are still filled.
  bool keep_gaps = false;
  // The site's contract power, when known: |kW| and |kvar| beyond kMaxDemandPerContract x this
  // (core/site.h) are refused as impossible. Without it the bound is kMaxPlausibleKw.
  std::optional<Kilowatts> contract_power;
};

struct UsageData {
  PowerSeries kw;                              // 15-minute mean demand
  std::optional<IntervalSeries<double>> kvar;  // mean reactive power, kvar, if given
  std::vector<std::string> repairs;            // one line per repair made, for the report
};

// Parses and validates usage CSV text; `source` (the path) prefixes every message, with the
// line number: "usage.csv:17: kW 'NaN' is not a finite number". Up to 20 problems are reported
// together, one per line. Refused: NaN, inf and values beyond the plausibility bound (see
// UsageReadOptions::contract_power), timestamps outside the years above or spanning more than
// kMaxUsageSpanDays. A field echoed in a message is cut to 60 bytes (core/text.h Excerpt).
Result<UsageData> ParseUsageCsv(std::string_view text, std::string_view source, const UsageReadOptions& options = {});

// One reading as a reader found it: the start of its 15-minute interval, the mean kW over it,
// the mean kvar if the file has one, and the line (or sheet row) it came from for messages.
struct UsageRow {
  int line = 0;
  Timestamp t;
  double kw = 0;
  std::optional<double> kvar;
};

// Checks the rows of any usage reader the way ParseUsageCsv checks its own (the years, the
// 15-minute grid, the plausibility bound, time order, duplicates, the span, gaps and spikes,
// with the same repairs) and builds the series; `has_kvar` says whether every row has kvar.
Result<UsageData> UsageFromRows(std::vector<UsageRow> rows, bool has_kvar, std::string_view source,
                                const UsageReadOptions& options = {});

// Formats a power series as usage CSV (gaps are omitted rows).
std::string FormatUsageCsv(const PowerSeries& kw);

}  // namespace meg
