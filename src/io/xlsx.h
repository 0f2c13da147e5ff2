// Reading one sheet of an Excel workbook (.xlsx: a zip of XML parts, ECMA-376) as a table of text
// cells, with Debian's libzip and expat: the workbook's sheet list and relationships, the shared
// strings (rich text joined, phonetic runs left out), inline strings, numbers as written, and
// date-formatted numbers as "YYYY-MM-DD HH:MM[:SS]" (1900 and 1904 date systems). Formulas give
// their cached value. Malformed or oversized files are refused with a clear error before they
// can exhaust memory: a part that inflates beyond the bound (a zip bomb), a cell beyond column
// XFD or row 1,048,576, too many cells or strings, a DTD in a part. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "io/table.h"

namespace meg {

struct XlsxLimits {
  size_t max_part_bytes = 256u << 20;   // one XML part, inflated
  size_t max_total_bytes = 512u << 20;  // all parts read, inflated
  size_t max_cells = 10'000'000;        // ten years of 15-minute rows with 28 columns
  size_t max_strings = 10'000'000;      // shared strings
};

// Excel's own bounds on a sheet.
inline constexpr int kXlsxMaxColumns = 16384;  // A .. XFD
inline constexpr int kXlsxMaxRows = 1'048'576;

struct XlsxSheet {
  std::string name;                      // the sheet read
  std::vector<std::string> sheet_names;  // every sheet of the workbook, in order
  std::vector<TableRow> rows;            // rows with at least one cell; TableRow::number is the row
};

// Whether `bytes` start as a zip file does (an .xlsx, or any zip).
bool LooksLikeZip(std::string_view bytes);

// Reads the sheet named `sheet` ("" is the first) of the workbook in `bytes`; `source` (the path)
// starts every message.
Result<XlsxSheet> ReadXlsxSheet(std::string_view bytes, std::string_view source, std::string_view sheet = "",
                                const XlsxLimits& limits = {});

}  // namespace meg
