#include "io/xlsx.h"

#include <expat.h>
#include <zip.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "core/text.h"
#include "core/time.h"

namespace meg {
namespace {

// ---- the zip

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct ParserFree {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};

// The element or attribute name without its namespace prefix ("x:sheet" -> "sheet").
std::string_view Local(const XML_Char* name) {
  std::string_view n(name);
  const auto colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

std::optional<std::string_view> Attr(const XML_Char** atts, std::string_view name) {
  for (size_t i = 0; atts[i] != nullptr; i += 2) {
    if (Local(atts[i]) == name) return std::string_view(atts[i + 1]);
  }
  return std::nullopt;
}

// An integer attribute (a style or format index); 0 when absent or not a number, as Excel reads it.
int IntAttr(const XML_Char** atts, std::string_view name) {
  const auto v = Attr(atts, name);
  return v ? std::atoi(std::string(*v).c_str()) : 0;
}

// The state every part's handlers share: where an error stopped the parse.
struct PartState {
  XML_Parser parser = nullptr;
  std::string error;
  void Fail(std::string what) {
    if (error.empty()) error = std::move(what);
    XML_StopParser(parser, XML_FALSE);
  }
};

// The user data of a part's parser is its state, of type S (a PartState).
template <typename S>
void XMLCALL RefuseDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<S*>(data)->Fail("it declares a DTD, which no workbook part has");
}

class Workbook {
 public:
  Workbook(std::string_view source, const XlsxLimits& limits) : source_(source), limits_(limits) {}

  Status Open(std::string_view bytes) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
    if (src == nullptr) {
      const std::string why = zip_error_strerror(&err);
      zip_error_fini(&err);
      return InvalidInput(fmt::format("{}: not a readable zip ({})", source_, why));
    }
    zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &err);
    if (z == nullptr) {
      zip_source_free(src);
      const std::string why = zip_error_strerror(&err);
      zip_error_fini(&err);
      return InvalidInput(fmt::format("{}: not a readable zip, so not an .xlsx workbook ({})", source_, why));
    }
    zip_error_fini(&err);
    zip_.reset(z);
    return Ok{};
  }

  bool Has(const std::string& part) const { return zip_name_locate(zip_.get(), part.c_str(), 0) >= 0; }

  // Streams the part through `parser`, whose handlers take `state` as their user data; refuses a
  // part that inflates beyond the bounds, whatever its header says.
  template <typename S>
  Status Parse(const std::string& part, XML_Parser parser, S& state) {
    const zip_int64_t index = zip_name_locate(zip_.get(), part.c_str(), 0);
    if (index < 0) return InvalidInput(fmt::format("{}: the workbook has no part {}", source_, part));
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(index), 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
        st.size > limits_.max_part_bytes) {
      return TooBig(part, st.size);
    }
    std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(index), 0));
    if (!file) {
      return InvalidInput(
          fmt::format("{}: the part {} cannot be opened ({})", source_, part, zip_strerror(zip_.get())));
    }
    XML_SetUserData(parser, &state);
    XML_SetStartDoctypeDeclHandler(parser, RefuseDoctype<S>);
    state.parser = parser;
    char buf[64 * 1024];
    size_t part_bytes = 0;
    for (;;) {
      const zip_int64_t n = zip_fread(file.get(), buf, sizeof buf);
      if (n < 0) {
        return InvalidInput(
            fmt::format("{}: the part {} is corrupt ({})", source_, part, zip_file_strerror(file.get())));
      }
      part_bytes += static_cast<size_t>(n);
      total_bytes_ += static_cast<size_t>(n);
      if (part_bytes > limits_.max_part_bytes || total_bytes_ > limits_.max_total_bytes) {
        return TooBig(part, part_bytes);
      }
      if (XML_Parse(parser, buf, static_cast<int>(n), n == 0 ? XML_TRUE : XML_FALSE) == XML_STATUS_ERROR) {
        if (!state.error.empty()) return InvalidInput(fmt::format("{}: {}: {}", source_, part, state.error));
        return InvalidInput(fmt::format("{}: {} line {}: {}", source_, part, XML_GetCurrentLineNumber(parser),
                                        XML_ErrorString(XML_GetErrorCode(parser))));
      }
      if (n == 0) break;
    }
    if (!state.error.empty()) return InvalidInput(fmt::format("{}: {}: {}", source_, part, state.error));
    return Ok{};
  }

  const std::string& source() const { return source_; }
  const XlsxLimits& limits() const { return limits_; }

 private:
  Error TooBig(const std::string& part, size_t bytes) const {
    return InvalidInput(
        fmt::format("{}: the part {} inflates to {} bytes or more, beyond the bound of {} MiB a part "
                    "and {} MiB in all (a zip bomb, or a sheet far larger than meter data)",
                    source_, part, bytes, limits_.max_part_bytes >> 20, limits_.max_total_bytes >> 20));
  }

  std::string source_;
  XlsxLimits limits_;
  std::unique_ptr<zip_t, ZipDiscard> zip_;
  size_t total_bytes_ = 0;
};

std::unique_ptr<XML_ParserStruct, ParserFree> NewParser() {
  return std::unique_ptr<XML_ParserStruct, ParserFree>(XML_ParserCreate("UTF-8"));
}

// ---- workbook.xml and its relationships

struct SheetRef {
  std::string name;
  std::string rel_id;
};

struct WorkbookState : PartState {
  std::vector<SheetRef> sheets;
  bool date1904 = false;
};

void XMLCALL WorkbookStart(void* data, const XML_Char* name, const XML_Char** atts) {
  auto* s = static_cast<WorkbookState*>(data);
  const auto n = Local(name);
  if (n == "sheet") {
    const auto sheet_name = Attr(atts, "name");
    const auto id = Attr(atts, "id");
    if (!sheet_name || !id) return s->Fail("a <sheet> without name or r:id");
    if (s->sheets.size() >= 10000) return s->Fail("more than 10,000 sheets");
    s->sheets.push_back(SheetRef{std::string(*sheet_name), std::string(*id)});
  } else if (n == "workbookPr") {
    const auto d = Attr(atts, "date1904");
    s->date1904 = d && (*d == "1" || *d == "true");
  }
}

struct RelsState : PartState {
  std::map<std::string, std::string> targets;
};

void XMLCALL RelsStart(void* data, const XML_Char* name, const XML_Char** atts) {
  auto* s = static_cast<RelsState*>(data);
  if (Local(name) != "Relationship") return;
  const auto id = Attr(atts, "Id");
  const auto target = Attr(atts, "Target");
  if (id && target && s->targets.size() < 100000) s->targets[std::string(*id)] = std::string(*target);
}

// ---- sharedStrings.xml

struct StringsState : PartState {
  size_t max_strings = 0;
  std::vector<std::string> strings;
  int phonetic = 0;   // inside <rPh>: the reading of a Kanji/Hanja run, not text
  bool in_t = false;  // inside <t>
  bool in_si = false;
};

void XMLCALL StringsStart(void* data, const XML_Char* name, const XML_Char**) {
  auto* s = static_cast<StringsState*>(data);
  const auto n = Local(name);
  if (n == "si") {
    if (s->strings.size() >= s->max_strings) return s->Fail(fmt::format("more than {} shared strings", s->max_strings));
    s->strings.emplace_back();
    s->in_si = true;
  } else if (n == "rPh") {
    ++s->phonetic;
  } else if (n == "t") {
    s->in_t = true;
  }
}

void XMLCALL StringsEnd(void* data, const XML_Char* name) {
  auto* s = static_cast<StringsState*>(data);
  const auto n = Local(name);
  if (n == "si") {
    s->in_si = false;
  } else if (n == "rPh") {
    --s->phonetic;
  } else if (n == "t") {
    s->in_t = false;
  }
}

void XMLCALL StringsText(void* data, const XML_Char* text, int len) {
  auto* s = static_cast<StringsState*>(data);
  if (s->in_si && s->in_t && s->phonetic == 0) s->strings.back().append(text, static_cast<size_t>(len));
}

// ---- styles.xml: which cell styles show a date

bool DateFormatCode(std::string_view code) {
  bool quoted = false;
  int bracket = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (quoted) {
      continue;
    } else if (c == '\\') {
      ++i;
    } else if (c == '[') {
      ++bracket;
    } else if (c == ']') {
      --bracket;
    } else if (bracket == 0) {
      const char l = static_cast<char>(c | 0x20);
      if (l == 'y' || l == 'd' || l == 'h' || l == 's' || l == 'm') return true;
    }
  }
  return false;
}

// Excel's built-in date and time formats (ECMA-376 18.8.30), with the East Asian locales' (27-36,
// 50-58), which a Korean Excel writes for its dates.
bool BuiltinDateFormat(int id) {
  return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58);
}

struct StylesState : PartState {
  std::map<int, bool> custom_is_date;  // numFmtId -> is a date
  std::vector<bool> xf_is_date;        // cellXfs index -> is a date
  int in_cell_xfs = 0;
};

void XMLCALL StylesStart(void* data, const XML_Char* name, const XML_Char** atts) {
  auto* s = static_cast<StylesState*>(data);
  const auto n = Local(name);
  if (n == "numFmt") {
    const auto id = Attr(atts, "numFmtId");
    const auto code = Attr(atts, "formatCode");
    if (id && code) s->custom_is_date[IntAttr(atts, "numFmtId")] = DateFormatCode(*code);
  } else if (n == "cellXfs") {
    ++s->in_cell_xfs;
  } else if (n == "xf" && s->in_cell_xfs > 0) {
    if (s->xf_is_date.size() >= 100000) return s->Fail("more than 100,000 cell styles");
    const int fmt_id = IntAttr(atts, "numFmtId");
    const auto custom = s->custom_is_date.find(fmt_id);
    s->xf_is_date.push_back(custom != s->custom_is_date.end() ? custom->second : BuiltinDateFormat(fmt_id));
  }
}

void XMLCALL StylesEnd(void* data, const XML_Char* name) {
  auto* s = static_cast<StylesState*>(data);
  if (Local(name) == "cellXfs") --s->in_cell_xfs;
}

// ---- the sheet

// "B12" -> column 2 (1-based) and row 12; fails beyond XFD or row 1,048,576.
bool ParseCellRef(std::string_view ref, int& column, int& row) {
  size_t i = 0;
  column = 0;
  while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z') {
    column = column * 26 + (ref[i] - 'A' + 1);
    if (column > kXlsxMaxColumns) return false;
    ++i;
  }
  if (i == 0) return false;
  row = 0;
  const size_t digits = i;
  while (i < ref.size() && ref[i] >= '0' && ref[i] <= '9') {
    row = row * 10 + (ref[i] - '0');
    if (row > kXlsxMaxRows) return false;
    ++i;
  }
  return i == ref.size() && i > digits && row >= 1;
}

struct SheetState : PartState {
  const std::vector<std::string>* strings = nullptr;
  const std::vector<bool>* xf_is_date = nullptr;
  bool date1904 = false;
  size_t max_cells = 0;
  size_t cells = 0;  // <c> elements read
  size_t held = 0;   // cells held in `rows`, the empty ones before a cell included
  std::vector<TableRow> rows;
  int row = 0;          // the current row's number
  int next_column = 1;  // where a cell without r= goes
  // The current cell.
  bool in_cell = false;
  int column = 0;
  std::string type;
  int style = 0;
  std::string value;
  bool in_v = false, in_is = false, in_t = false;
};

std::string FormatSerialDate(double serial, bool date1904) {
  using namespace std::chrono;
  // 1900 system: serial 1 is 1900-01-01 and Excel counts a 1900-02-29 that never was (serial 60),
  // so from serial 61 on day 0 is 1899-12-30.
  const sys_days base = date1904 ? sys_days{year{1904} / 1 / 1}
                                 : (serial >= 61 ? sys_days{year{1899} / 12 / 30} : sys_days{year{1899} / 12 / 31});
  const auto total = static_cast<long long>(std::llround(serial * 86400.0));
  const long long days = total / 86400;
  const long long secs = total % 86400;
  const Date d{base + std::chrono::days{days}};
  const auto hh = secs / 3600, mm = secs / 60 % 60, ss = secs % 60;
  return ss == 0 ? fmt::format("{} {:02d}:{:02d}", FormatDate(d), hh, mm)
                 : fmt::format("{} {:02d}:{:02d}:{:02d}", FormatDate(d), hh, mm, ss);
}

void XMLCALL SheetStart(void* data, const XML_Char* name, const XML_Char** atts) {
  auto* s = static_cast<SheetState*>(data);
  const auto n = Local(name);
  if (n == "row") {
    int r = s->row + 1;
    if (const auto a = Attr(atts, "r")) {
      r = 0;
      for (char c : *a) {
        if (c < '0' || c > '9' || r > kXlsxMaxRows) return s->Fail(fmt::format("row number '{}'", Excerpt(*a)));
        r = r * 10 + (c - '0');
      }
    }
    if (r < 1 || r > kXlsxMaxRows) return s->Fail(fmt::format("row {} is beyond Excel's {} rows", r, kXlsxMaxRows));
    s->row = r;
    s->next_column = 1;
    s->rows.push_back(TableRow{r, {}});
  } else if (n == "c") {
    if (s->rows.empty()) return s->Fail("a cell outside a row");
    int column = s->next_column, row = s->row;
    if (const auto ref = Attr(atts, "r")) {
      if (!ParseCellRef(*ref, column, row)) {
        return s->Fail(fmt::format("cell '{}' is beyond Excel's {} columns and {} rows, or not a cell reference",
                                   Excerpt(*ref), kXlsxMaxColumns, kXlsxMaxRows));
      }
    }
    if (column > kXlsxMaxColumns) {
      return s->Fail(fmt::format("a row of more than {} columns", kXlsxMaxColumns));
    }
    if (++s->cells > s->max_cells) return s->Fail(fmt::format("more than {} cells", s->max_cells));
    s->in_cell = true;
    s->column = column;
    s->next_column = column + 1;
    s->type = std::string(Attr(atts, "t").value_or("n"));
    s->style = IntAttr(atts, "s");
    s->value.clear();
  } else if (s->in_cell && n == "v") {
    s->in_v = true;
  } else if (s->in_cell && n == "is") {
    s->in_is = true;
  } else if (s->in_is && n == "t") {
    s->in_t = true;
  } else if (s->in_is && n == "rPh") {
    s->in_t = false;  // phonetic runs are no text
  }
}

void XMLCALL SheetText(void* data, const XML_Char* text, int len) {
  auto* s = static_cast<SheetState*>(data);
  if (s->in_v || s->in_t) {
    if (s->value.size() + static_cast<size_t>(len) > 32767 * 4) return s->Fail("a cell of more than 32,767 characters");
    s->value.append(text, static_cast<size_t>(len));
  }
}

void XMLCALL SheetEnd(void* data, const XML_Char* name) {
  auto* s = static_cast<SheetState*>(data);
  const auto n = Local(name);
  if (n == "v") {
    s->in_v = false;
  } else if (n == "t") {
    s->in_t = false;
  } else if (n == "is") {
    s->in_is = false;
  } else if (n == "c" && s->in_cell) {
    s->in_cell = false;
    std::string text;
    if (s->type == "s") {
      const auto v = Trim(s->value);
      size_t index = 0;
      bool ok = !v.empty();
      for (char c : v) {
        if (c < '0' || c > '9' || index > s->strings->size()) {
          ok = false;
          break;
        }
        index = index * 10 + static_cast<size_t>(c - '0');
      }
      if (!ok || index >= s->strings->size()) {
        return s->Fail(fmt::format("row {}: shared string '{}' does not exist ({} strings)", s->row, Excerpt(s->value),
                                   s->strings->size()));
      }
      text = (*s->strings)[index];
    } else if (s->type == "b") {
      text = Trim(s->value) == "1" ? "TRUE" : "FALSE";
    } else if (s->type == "n") {
      text = std::string(Trim(s->value));
      const bool is_date =
          s->style >= 0 && static_cast<size_t>(s->style) < s->xf_is_date->size() && (*s->xf_is_date)[s->style];
      if (is_date && !text.empty()) {
        auto serial = ParseFiniteDouble(text);
        // Dates from 1900-03-01 to 9999-12-31; anything else stays the number it is.
        if (serial && *serial >= 61 && *serial < 2958466) text = FormatSerialDate(*serial, s->date1904);
      }
    } else {  // str (a formula's text), inlineStr, e (an error such as #N/A), d (ISO 8601 date)
      text = s->value;
    }
    auto& cells = s->rows.back().cells;
    if (cells.size() < static_cast<size_t>(s->column)) {
      // The empty cells before a far column are held too: they count against the bound.
      s->held += static_cast<size_t>(s->column) - cells.size();
      if (s->held > s->max_cells) {
        return s->Fail(fmt::format("more than {} cells, counting the empty ones left of each cell", s->max_cells));
      }
      cells.resize(static_cast<size_t>(s->column));
    }
    cells[static_cast<size_t>(s->column - 1)] = std::move(text);
  } else if (n == "row" && !s->rows.empty() && s->rows.back().cells.empty()) {
    s->rows.pop_back();
  }
}

// "worksheets/sheet1.xml" (relative to xl/) or "/xl/worksheets/sheet1.xml" -> the zip entry.
std::string PartPath(std::string_view target) {
  if (target.starts_with('/')) return std::string(target.substr(1));
  std::string path = "xl/";
  while (target.starts_with("../")) target.remove_prefix(3), path = "";
  return path + std::string(target);
}

}  // namespace

bool LooksLikeZip(std::string_view bytes) { return bytes.starts_with(std::string_view("PK\x03\x04", 4)); }

Result<XlsxSheet> ReadXlsxSheet(std::string_view bytes, std::string_view source, std::string_view sheet,
                                const XlsxLimits& limits) {
  Workbook book(source, limits);
  MEG_TRY(book.Open(bytes));
  if (!book.Has("xl/workbook.xml")) {
    return InvalidInput(fmt::format("{}: a zip without xl/workbook.xml is not an .xlsx workbook{}", source,
                                    book.Has("content.xml") ? " (an OpenDocument .ods? save it as .xlsx or CSV)" : ""));
  }
  WorkbookState wb;
  {
    auto p = NewParser();
    XML_SetStartElementHandler(p.get(), WorkbookStart);
    MEG_TRY(book.Parse("xl/workbook.xml", p.get(), wb));
  }
  if (wb.sheets.empty()) return InvalidInput(fmt::format("{}: the workbook has no sheet", source));
  XlsxSheet out;
  for (const auto& s : wb.sheets) out.sheet_names.push_back(s.name);
  const SheetRef* chosen = &wb.sheets.front();
  if (!sheet.empty()) {
    chosen = nullptr;
    for (const auto& s : wb.sheets) {
      if (s.name == sheet) chosen = &s;
    }
    if (chosen == nullptr) {
      std::string names;
      for (const auto& s : wb.sheets) names += (names.empty() ? "'" : ", '") + Excerpt(s.name) + "'";
      return InvalidInput(fmt::format("{}: no sheet '{}'; the workbook has {}", source, Excerpt(sheet), names));
    }
  }
  out.name = chosen->name;

  RelsState rels;
  if (book.Has("xl/_rels/workbook.xml.rels")) {
    auto p = NewParser();
    XML_SetStartElementHandler(p.get(), RelsStart);
    MEG_TRY(book.Parse("xl/_rels/workbook.xml.rels", p.get(), rels));
  }
  const auto target = rels.targets.find(chosen->rel_id);
  if (target == rels.targets.end()) {
    return InvalidInput(
        fmt::format("{}: the sheet '{}' has no part in the workbook's relationships", source, Excerpt(chosen->name)));
  }

  StringsState strings;
  strings.max_strings = limits.max_strings;
  if (book.Has("xl/sharedStrings.xml")) {
    auto p = NewParser();
    XML_SetElementHandler(p.get(), StringsStart, StringsEnd);
    XML_SetCharacterDataHandler(p.get(), StringsText);
    MEG_TRY(book.Parse("xl/sharedStrings.xml", p.get(), strings));
  }
  StylesState styles;
  if (book.Has("xl/styles.xml")) {
    auto p = NewParser();
    XML_SetElementHandler(p.get(), StylesStart, StylesEnd);
    MEG_TRY(book.Parse("xl/styles.xml", p.get(), styles));
  }

  SheetState state;
  state.strings = &strings.strings;
  state.xf_is_date = &styles.xf_is_date;
  state.date1904 = wb.date1904;
  state.max_cells = limits.max_cells;
  {
    auto p = NewParser();
    XML_SetElementHandler(p.get(), SheetStart, SheetEnd);
    XML_SetCharacterDataHandler(p.get(), SheetText);
    MEG_TRY(book.Parse(PartPath(target->second), p.get(), state));
  }
  out.rows = std::move(state.rows);
  return out;
}

}  // namespace meg
