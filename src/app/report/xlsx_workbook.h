// Excel sheets of a command's --json rows (meg advise --xlsx). The workbook itself is written by
// io/xlsx_writer.h. Pure.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "io/xlsx_writer.h"

namespace meg {

// A table of a JSON array of flat objects (the rows of a command's --json): a column per key of
// the first row, headed by its Korean and English name where known and its unit from the key's
// suffix (_krw, _kw, _kwh, _pct, _years, _months); numbers as numbers, booleans as TRUE/FALSE,
// nested values as their JSON text.
XlsxTable TableFromJsonRows(std::string sheet, const nlohmann::json& rows);

}  // namespace meg
