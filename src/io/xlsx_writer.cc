#include "io/xlsx_writer.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/text.h"
#include "io/text_file.h"

namespace meg {
namespace {

// "A", "B", ..., "Z", "AA", ...: the letters of a 0-based column.
std::string ColumnLetters(size_t col) {
  std::string out;
  for (size_t c = col + 1; c > 0; c = (c - 1) / 26) out.insert(out.begin(), static_cast<char>('A' + (c - 1) % 26));
  return out;
}

// The Excel serial of an instant as KST civil time (1900 date system).
double ExcelSerialKst(Timestamp t) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<double>(seconds + 9 * 3600) / 86400.0 + 25569.0;
}

}  // namespace

Result<XlsxTable> TableFromCsv(std::string sheet, const std::string& csv) {
  auto lines = SplitLines(csv, sheet);
  if (!lines) return lines.error();
  XlsxTable table;
  table.sheet = std::move(sheet);
  bool header = true;
  for (const auto& line : *lines) {
    if (Trim(line.text).empty()) continue;
    auto cells = SplitCsv(line.text);
    if (!cells) return cells.error();
    if (header) {
      for (auto& c : *cells) table.columns.push_back(XlsxColumn{std::move(c)});
      header = false;
      continue;
    }
    std::vector<XlsxValue> row;
    for (const auto& c : *cells) {
      if (c.empty()) {
        row.emplace_back(std::monostate{});
      } else if (auto v = ParseFiniteDouble(c)) {
        row.emplace_back(*v);
      } else if (auto t = ParseIso8601(c)) {
        row.emplace_back(*t);
      } else {
        row.emplace_back(c);
      }
    }
    table.rows.push_back(std::move(row));
  }
  for (auto& c : table.columns) {
    if (c.header.size() > 12) c.width = static_cast<double>(DisplayWidth(c.header)) + 2;
  }
  return table;
}

Status WriteXlsx(const std::string& path, const std::vector<XlsxTable>& tables) {
  lxw_workbook* book = workbook_new(path.c_str());
  if (book == nullptr) return IoError(fmt::format("{}: cannot start an .xlsx workbook", path));
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  format_set_text_wrap(bold);
  lxw_format* when = workbook_add_format(book);
  format_set_num_format(when, "yyyy-mm-dd hh:mm");
  lxw_format* bold_number = workbook_add_format(book);
  format_set_bold(bold_number);
  format_set_num_format(bold_number, "#,##0.###");
  std::vector<lxw_format*> number_formats;
  const auto number_format = [&](const char* code) {
    lxw_format* f = workbook_add_format(book);
    format_set_num_format(f, code);
    number_formats.push_back(f);
    return f;
  };
  std::string problem;
  const auto check = [&](lxw_error e, std::string_view what) {
    if (e != LXW_NO_ERROR && problem.empty()) problem = fmt::format("{}: {}", what, lxw_strerror(e));
  };
  for (const auto& t : tables) {
    if (const lxw_error e = workbook_validate_sheet_name(book, t.sheet.c_str()); e != LXW_NO_ERROR) {
      workbook_close(book);
      return InvalidInput(fmt::format("{}: sheet name '{}': {}", path, Excerpt(t.sheet), lxw_strerror(e)));
    }
    lxw_worksheet* ws = workbook_add_worksheet(book, t.sheet.c_str());
    std::vector<lxw_format*> formats;
    for (size_t c = 0; c < t.columns.size(); ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      formats.push_back(number_format(t.columns[c].number_format));
      check(worksheet_set_column(ws, col, col, t.columns[c].width, nullptr), t.sheet);
      check(worksheet_write_string(ws, 0, col, t.columns[c].header.c_str(), bold), t.sheet);
    }
    worksheet_freeze_panes(ws, 1, 0);
    std::vector<double> sums(t.columns.size(), 0.0);
    for (size_t r = 0; r < t.rows.size(); ++r) {
      const auto row = static_cast<lxw_row_t>(r + 1);
      for (size_t c = 0; c < t.rows[r].size() && c < t.columns.size(); ++c) {
        const auto col = static_cast<lxw_col_t>(c);
        const XlsxValue& v = t.rows[r][c];
        if (const auto* d = std::get_if<double>(&v)) {
          check(worksheet_write_number(ws, row, col, *d, formats[c]), t.sheet);
          sums[c] += *d;
        } else if (const auto* s = std::get_if<std::string>(&v)) {
          check(worksheet_write_string(ws, row, col, s->c_str(), nullptr), t.sheet);
        } else if (const auto* ts = std::get_if<Timestamp>(&v)) {
          check(worksheet_write_number(ws, row, col, ExcelSerialKst(*ts), when), t.sheet);
        }
      }
    }
    if (t.total_row && !t.rows.empty()) {
      const auto row = static_cast<lxw_row_t>(t.rows.size() + 1);
      check(worksheet_write_string(ws, row, 0, "합계 total", bold), t.sheet);
      for (size_t c = 1; c < t.columns.size(); ++c) {
        if (!t.columns[c].total) continue;
        const auto letters = ColumnLetters(c);
        const auto formula = fmt::format("=SUM({}2:{}{})", letters, letters, t.rows.size() + 1);
        check(worksheet_write_formula_num(ws, row, static_cast<lxw_col_t>(c), formula.c_str(), bold_number, sums[c]),
              t.sheet);
      }
    }
  }
  const lxw_error closed = workbook_close(book);
  if (!problem.empty()) return IoError(fmt::format("{}: {}", path, problem));
  if (closed != LXW_NO_ERROR)
    return IoError(fmt::format("{}: cannot write the workbook: {}", path, lxw_strerror(closed)));
  return Ok{};
}

Result<std::string> XlsxBytes(const std::vector<XlsxTable>& tables, const std::string& tmp_dir) {
  std::string path = tmp_dir + "/openmeg-XXXXXX.xlsx";
  const int fd = mkstemps(path.data(), 5);
  if (fd < 0) return IoError(fmt::format("{}: cannot make a temporary file for the workbook", tmp_dir));
  close(fd);
  auto written = WriteXlsx(path, tables);
  auto bytes = written ? ReadTextFile(path) : Result<std::string>(written.error());
  std::remove(path.c_str());
  return bytes;
}

}  // namespace meg
