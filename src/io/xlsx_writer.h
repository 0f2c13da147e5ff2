// Writing reports as Excel workbooks (--xlsx FILE) with Debian's libxlsxwriter: one sheet per
// table, a bold header row (units in the header, Korean with English), numbers as numbers, times
// as Excel date-times in KST, frozen header, and a 합계 total row of SUM formulas (with their
// values cached) under the columns that add up. Not thread-safe per workbook.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace meg {

using XlsxValue = std::variant<std::monostate, double, std::string, Timestamp>;

struct XlsxColumn {
  std::string header;                       // "사용량 energy (kWh)"
  bool total = false;                       // a SUM in the total row
  double width = 14;                        // characters
  const char* number_format = "#,##0.###";  // for numbers; times take "yyyy-mm-dd hh:mm"
};

struct XlsxTable {
  std::string sheet;  // at most 31 characters, none of []:*?/\ (checked)
  std::vector<XlsxColumn> columns;
  std::vector<std::vector<XlsxValue>> rows;  // each at most columns.size() cells
  bool total_row = false;                    // add "합계 total" with SUM under the total columns
};

// A table of a CSV text with a header line: the header as column names, numbers as numbers, ISO
// 8601 times as date-times, other cells as text (the backtest's 15-minute series).
Result<XlsxTable> TableFromCsv(std::string sheet, const std::string& csv);

// Writes the workbook; fails naming the path and libxlsxwriter's reason.
Status WriteXlsx(const std::string& path, const std::vector<XlsxTable>& tables);

// The workbook's bytes, for an HTTP answer (written through a temporary file in `tmp_dir`).
Result<std::string> XlsxBytes(const std::vector<XlsxTable>& tables, const std::string& tmp_dir = "/tmp");

}  // namespace meg
