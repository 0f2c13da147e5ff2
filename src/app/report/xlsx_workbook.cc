#include "app/report/xlsx_workbook.h"

#include <xlsxwriter.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/text.h"

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

// The Korean name of a --json key, where a reader expects one.
std::string KoreanName(std::string_view key) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"tariff", "요금제"},
      {"tariff_alias", "별칭"},
      {"contract_kw", "계약전력"},
      {"total_krw", "연간 요금"},
      {"basic_krw", "기본요금"},
      {"energy_climate_fuel_krw", "전력량·기후·연료"},
      {"over_contract_krw", "초과사용부가금"},
      {"billing_demand_kw", "요금적용전력"},
      {"floor_months", "최저 적용 월수"},
      {"over_contract_months", "초과 월수"},
      {"hotter_total_krw", "더운 여름 연간 요금"},
      {"hotter_over_contract_krw", "더운 여름 초과사용부가금"},
      {"hotter_over_contract_months", "더운 여름 초과 월수"},
      {"usable_kwh", "가용 용량"},
      {"power_kw", "출력"},
      {"payback_years", "회수 기간"},
      {"irr_pct", "내부수익률"},
      {"npv_krw", "순현재가치"},
  };
  for (const auto& [k, ko] : kNames) {
    if (k == key) return std::string(ko) + " ";
  }
  return "";
}

std::string UnitOfKey(std::string_view key) {
  for (const auto& [suffix, unit] :
       {std::pair{"_krw", "KRW"}, std::pair{"_kwh", "kWh"}, std::pair{"_kw", "kW"}, std::pair{"_kwp", "kWp"},
        std::pair{"_pct", "%"}, std::pair{"_years", "years"}, std::pair{"_months", "months"}}) {
    if (key.ends_with(suffix)) return fmt::format(" ({})", unit);
  }
  return "";
}

}  // namespace

XlsxTable TableFromJsonRows(std::string sheet, const nlohmann::json& rows) {
  XlsxTable table;
  table.sheet = std::move(sheet);
  if (!rows.is_array() || rows.empty() || !rows[0].is_object()) return table;
  std::vector<std::string> keys;
  for (const auto& [key, value] : rows[0].items()) keys.push_back(key);
  // JSON objects keep their keys sorted; a reader wants what a row is about first.
  const std::vector<std::string> first = {"tariff", "tariff_alias", "contract_kw", "usable_kwh", "power_kw"};
  std::stable_sort(keys.begin(), keys.end(), [&](const std::string& a, const std::string& b) {
    const auto rank = [&](const std::string& k) {
      return static_cast<size_t>(std::find(first.begin(), first.end(), k) - first.begin());
    };
    return rank(a) < rank(b);
  });
  for (const auto& key : keys) {
    XlsxColumn c{KoreanName(key) + key + UnitOfKey(key)};
    c.width = std::max(12.0, static_cast<double>(DisplayWidth(c.header)) * 0.6);
    if (key.ends_with("_krw")) c.number_format = "#,##0";
    table.columns.push_back(std::move(c));
  }
  for (const auto& row : rows) {
    std::vector<XlsxValue> cells;
    for (const auto& key : keys) {
      const auto it = row.find(key);
      if (it == row.end() || it->is_null()) {
        cells.emplace_back(std::monostate{});
      } else if (it->is_number()) {
        cells.emplace_back(it->get<double>());
      } else if (it->is_string()) {
        cells.emplace_back(it->get<std::string>());
      } else if (it->is_boolean()) {
        cells.emplace_back(std::string(it->get<bool>() ? "TRUE" : "FALSE"));
      } else {
        cells.emplace_back(it->dump());
      }
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

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

}  // namespace meg
