// The fleet report of a month: each site's month-to-date bill with and without OpenMEG, its
// saving, its peak, billing demand and ratchet, its DR calls and their estimated payments, and
// the fleet's totals; rendered as CSV (one row per site, then a total row) and as a printable
// HTML page. Built from the sites' SiteBackends (any thread); rendering is pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "center/fleet_backend.h"
#include "io/xlsx_writer.h"

namespace meg {

struct FleetReportRow {
  std::string id, name, kind, tariff;
  double contract_kw = 0;
  std::string month;               // "2024-08"; empty when the site has no bill yet
  std::optional<Instant> through;  // the end of what the bill covers
  std::optional<std::int64_t> with_krw, without_krw;
  double peak_kw = 0, billing_demand_kw = 0, ratchet_kw = 0;
  int dr_calls = 0;           // DR calls of the month (any status)
  double dr_payment_krw = 0;  // settled energy payments (별표26 estimate) of the month's calls
  std::string note;           // why a value is missing, e.g. "no bill yet: ..."
  // A cheaper tariff the site may take on this month's use (BillView::cheaper_tariff), and by how
  // much this month so far; empty / 0 when the tariff in force is the cheapest.
  std::string cheaper_tariff;
  std::int64_t cheaper_by_krw = 0;
};

struct FleetReport {
  std::string title;
  std::vector<FleetReportRow> rows;
  std::int64_t with_krw = 0, without_krw = 0;  // over the rows with a bill
  double dr_payment_krw = 0;
  int sites_billed = 0;
  int sites_on_a_costlier_tariff = 0;
};

// The report over `ids` (in that order; ids the fleet does not have are skipped).
FleetReport BuildFleetReport(const FleetBackend& fleet, const std::vector<std::string>& ids, std::string title);

// CSV, UTF-8 with a header line; amounts in KRW, powers in kW; the last row is the total.
std::string FleetReportCsv(const FleetReport& report);
// The Excel sheet "현장별 sites": the CSV's columns with Korean and English headers and units,
// amounts as numbers, then a 합계 total row of SUM formulas (io/xlsx_writer.h).
std::vector<XlsxTable> FleetReportTables(const FleetReport& report);
// A self-contained HTML page (no script, no outside resource), every value HTML-escaped.
std::string FleetReportHtml(const FleetReport& report);

}  // namespace meg
