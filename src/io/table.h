// A table of text cells as a file holds it: a CSV's lines or a sheet's rows, each with its line
// or row number for messages. Shared by the CSV and .xlsx readers of meter downloads.
#pragma once

#include <string>
#include <vector>

namespace meg {

struct TableRow {
  int number = 0;                  // the line (CSV) or row (sheet), 1-based
  std::vector<std::string> cells;  // the cells from the first column on; a missing cell is ""
};

}  // namespace meg
