#include "io/meter_download.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "core/text.h"
#include "io/field_parse.h"
#include "io/text_file.h"
#include "io/xlsx.h"

namespace meg {
namespace {

constexpr size_t kMaxProblems = 20;
// The rows looked at to find the header and the columns: titles and the header come first.
constexpr size_t kHeaderSearchRows = 50;
constexpr size_t kSampleRows = 500;
// More columns than this is not a meter download (and would make the column profile slow).
constexpr size_t kMaxColumns = 1000;

// ---- encoding

class Iconv {
 public:
  Iconv(const char* to, const char* from) : cd_(iconv_open(to, from)) {}
  ~Iconv() {
    if (ok()) iconv_close(cd_);
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

int LineAt(std::string_view bytes, size_t offset) {
  return 1 + static_cast<int>(std::count(bytes.begin(), bytes.begin() + static_cast<long>(offset), '\n'));
}

Result<std::string> FromCp949(std::string_view bytes, std::string_view source) {
  Iconv cd("UTF-8", "CP949");
  if (!cd.ok()) {
    return IoError("iconv cannot convert from CP949 on this machine (glibc's gconv modules are missing?)");
  }
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  size_t done = 0;
  while (in_left > 0) {
    char* o = out.data() + done;
    size_t out_left = out.size() - done;
    const size_t r = iconv(cd.get(), &in, &in_left, &o, &out_left);
    done = out.size() - out_left;
    if (r != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    const auto offset = static_cast<size_t>(in - bytes.data());
    return InvalidInput(
        fmt::format("{}:{}: byte 0x{:02X} at offset {} is neither UTF-8 nor CP949 (EUC-KR){}; "
                    "save the file as UTF-8 or name its encoding",
                    source, LineAt(bytes, offset), static_cast<unsigned char>(bytes[offset]), offset,
                    errno == EINVAL ? " (the file ends inside a character)" : ""));
  }
  out.resize(done);
  return out;
}

// ---- labels

struct Label {
  std::optional<Date> date;
  int minute = -1;  // 0..1440 (1440 only as 24:00), or -1: no time of day in the cell
};

bool ReadDigits(std::string_view s, size_t& i, size_t min, size_t max, int& out) {
  size_t n = 0;
  int v = 0;
  while (i + n < s.size() && n < max && s[i + n] >= '0' && s[i + n] <= '9') {
    v = v * 10 + (s[i + n] - '0');
    ++n;
  }
  if (n < min) return false;
  i += n;
  out = v;
  return true;
}

// H:MM or HH:MM, optionally :SS (which must be 0: a meter's labels are whole minutes).
bool ReadTime(std::string_view s, size_t& i, int& minute) {
  int hh = 0, mm = 0, ss = 0;
  if (!ReadDigits(s, i, 1, 2, hh) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!ReadDigits(s, i, 2, 2, mm)) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!ReadDigits(s, i, 2, 2, ss)) return false;
  }
  if (mm > 59 || ss != 0 || hh > 24 || (hh == 24 && mm != 0)) return false;
  minute = hh * 60 + mm;
  return true;
}

// A meter's time label: "2024-01-01 00:15" (also with / or . between the date's parts, a T before
// the time, seconds :00, or compact 202401010015), "2024-01-01 24:00", a date alone or a time
// alone (a file with separate date and time columns).
std::optional<Label> ParseLabel(std::string_view text) {
  const auto s = Trim(text);
  if (s.empty()) return std::nullopt;
  Label out;
  size_t i = 0;
  int minute = 0;
  if (s.size() <= 8 && s.find(':') != std::string_view::npos) {  // a time alone
    if (!ReadTime(s, i, minute) || i != s.size()) return std::nullopt;
    out.minute = minute;
    return out;
  }
  int y = 0, m = 0, d = 0;
  if (!ReadDigits(s, i, 4, 4, y)) return std::nullopt;
  if (i < s.size() && (s[i] == '-' || s[i] == '/' || s[i] == '.')) {
    const char sep = s[i++];
    if (!ReadDigits(s, i, 1, 2, m) || i >= s.size() || s[i] != sep) return std::nullopt;
    ++i;
    if (!ReadDigits(s, i, 1, 2, d)) return std::nullopt;
    if (sep == '.' && i < s.size() && s[i] == '.') ++i;  // "2024.01.01."
  } else {
    if (!ReadDigits(s, i, 2, 2, m) || !ReadDigits(s, i, 2, 2, d)) return std::nullopt;
    int hhmm = 0;
    size_t j = i;
    if (j < s.size() && ReadDigits(s, j, 4, 4, hhmm) && j == s.size()) {  // 202401010015
      const int hh = hhmm / 100, mm = hhmm % 100;
      if (mm > 59 || hh > 24 || (hh == 24 && mm != 0)) return std::nullopt;
      minute = hh * 60 + mm;
      i = j;
      out.minute = minute;
    }
  }
  const Date date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  out.date = date;
  if (i == s.size()) return out;
  if (s[i] != ' ' && s[i] != 'T') return std::nullopt;
  while (i < s.size() && (s[i] == ' ' || s[i] == 'T')) ++i;
  if (!ReadTime(s, i, minute) || i != s.size()) return std::nullopt;
  out.minute = minute;
  return out;
}

bool FullLabel(const std::optional<Label>& l) { return l && l->date && l->minute >= 0; }

// ---- numbers and names

// A number as a sheet writes it: "1,234.5" (thousands commas) is 1234.5.
std::optional<double> ParseAmount(std::string_view text) {
  std::string s(Trim(text));
  if (s.find(',') != std::string::npos) {
    std::string plain;
    for (char c : s) {
      if (c != ',') plain += c;
    }
    s = plain;
  }
  if (s.empty()) return std::nullopt;
  auto v = ParseFiniteDouble(s);
  if (!v) return std::nullopt;
  return *v;
}

bool MissingCell(std::string_view text) {
  const auto t = Trim(text);
  return t.empty() || t == "-" || t == "--";
}

// A header name compared without spaces, quotes or case.
std::string Normalize(std::string_view name) {
  std::string out;
  for (char c : Lower(name)) {
    if (c != ' ' && c != '\t' && c != '"') out += c;
  }
  return out;
}

bool Has(const std::string& name, std::string_view part) { return name.find(part) != std::string::npos; }

enum class ColumnRole { kNone, kEnergy, kPower, kLagging, kLeading, kId };

// What a column's name says it holds, by the names KEPCO's and other meter exports use.
ColumnRole RoleOfName(const std::string& n) {
  if (Has(n, "계기번호") || Has(n, "고객번호") || Has(n, "meter") || Has(n, "customer")) return ColumnRole::kId;
  if (Has(n, "역방향") || Has(n, "피상") || Has(n, "export") || Has(n, "역률")) return ColumnRole::kNone;
  if (Has(n, "무효")) {
    if (Has(n, "지상")) return ColumnRole::kLagging;
    if (Has(n, "진상")) return ColumnRole::kLeading;
    return ColumnRole::kNone;
  }
  if (Has(n, "kwh") || Has(n, "전력량") || Has(n, "사용량") || Has(n, "usage") || Has(n, "energy")) {
    return ColumnRole::kEnergy;
  }
  if (n == "kw" || Has(n, "(kw)") || Has(n, "수요전력") || Has(n, "demand")) return ColumnRole::kPower;
  return ColumnRole::kNone;
}

bool TimeName(const std::string& n) {
  return Has(n, "검침일") || Has(n, "일시") || Has(n, "일자") || Has(n, "날짜") || Has(n, "시간") || Has(n, "시각") ||
         Has(n, "time") || Has(n, "date");
}

// ---- the reader

struct Column {
  size_t index = 0;  // 0-based
  std::string name;  // as the header writes it; "" without a header
  std::string Describe() const {
    return name.empty() ? fmt::format("column {}", index + 1) : fmt::format("column {} '{}'", index + 1, Excerpt(name));
  }
};

std::string Cell(const TableRow& row, size_t c) { return c < row.cells.size() ? row.cells[c] : std::string(); }

// The column an option names: a header name (compared as Normalize does) or a 1-based number.
Result<size_t> ResolveColumn(std::string_view option, std::string_view what, const std::vector<std::string>& header,
                             size_t width) {
  int number = 0;
  size_t i = 0;
  if (ReadDigits(option, i, 1, 4, number) && i == option.size()) {
    if (number < 1 || static_cast<size_t>(number) > width) {
      return InvalidInput(fmt::format("{} {}: the file has columns 1..{}", what, number, width));
    }
    return static_cast<size_t>(number - 1);
  }
  const auto want = Normalize(option);
  for (size_t c = 0; c < header.size(); ++c) {
    if (Normalize(header[c]) == want) return c;
  }
  std::string names;
  for (const auto& h : header) names += (names.empty() ? "'" : ", '") + Excerpt(h) + "'";
  return InvalidInput(fmt::format("{} '{}': no such column; the header has {}", what, Excerpt(option),
                                  names.empty() ? std::string("no names (give a column number)") : names));
}

std::string How(bool by_option, std::string_view detected) {
  return by_option ? std::string("(set by option)") : fmt::format("(detected: {})", detected);
}

}  // namespace

bool MeterReadOptions::any() const {
  return !encoding.empty() || header_row != 0 || !time_column.empty() || !value_column.empty() ||
         labels != LabelConvention::kDetect || unit != MeterUnit::kDetect || interval_minutes != 0 || !sheet.empty();
}

Result<LabelConvention> ParseLabelConvention(std::string_view text) {
  const auto t = Lower(Trim(text));
  if (t == "end") return LabelConvention::kIntervalEnd;
  if (t == "start") return LabelConvention::kIntervalStart;
  return InvalidInput(
      fmt::format("labels '{}': say end (a label names the interval that ends there, as KEPCO "
                  "writes) or start",
                  Excerpt(text)));
}

Result<MeterUnit> ParseMeterUnit(std::string_view text) {
  const auto t = Lower(Trim(text));
  if (t == "kwh") return MeterUnit::kKwh;
  if (t == "kw") return MeterUnit::kKw;
  return InvalidInput(
      fmt::format("unit '{}': say kWh (energy per interval) or kW (mean power over it)", Excerpt(text)));
}

Result<DecodedText> DecodeText(std::string_view bytes, std::string_view encoding, std::string_view source) {
  const auto e = Lower(Trim(encoding));
  const bool bom = bytes.starts_with("\xEF\xBB\xBF");
  if (e == "utf-8" || e == "utf8") {
    if (bom) bytes.remove_prefix(3);
    return DecodedText{std::string(bytes), bom ? "UTF-8 with a byte-order mark" : "UTF-8"};
  }
  if (e == "cp949" || e == "euc-kr" || e == "euckr" || e == "uhc") {
    auto text = FromCp949(bytes, source);
    if (!text) return text.error();
    return DecodedText{std::move(*text), "CP949 (EUC-KR)"};
  }
  if (!e.empty()) {
    return InvalidInput(fmt::format("encoding '{}': say utf-8 or cp949 (euc-kr)", Excerpt(encoding)));
  }
  if (bom) return DecodedText{std::string(bytes.substr(3)), "UTF-8 with a byte-order mark"};
  if (FirstNonUtf8Byte(bytes) == std::string_view::npos) return DecodedText{std::string(bytes), "UTF-8"};
  // UTF-16 and UTF-32 (a NUL byte or a byte-order mark) are for SplitLines to name.
  if (bytes.find('\0') != std::string_view::npos || bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    return DecodedText{std::string(bytes), "UTF-8"};
  }
  auto text = FromCp949(bytes, source);
  if (!text) return text.error();
  return DecodedText{std::move(*text), "CP949 (EUC-KR)"};
}

Result<UsageImport> ReadMeterTable(const std::vector<TableRow>& table, std::string_view source,
                                   const MeterReadOptions& meter, const UsageReadOptions& read,
                                   std::string_view line_word) {
  UsageImport out;
  out.meter_download = true;
  if (table.empty()) return InvalidInput(fmt::format("{}: the file is empty", source));

  // The header: the row before the first row with a date in it; rows before are titles.
  size_t first_data = table.size();
  const size_t search = std::min(table.size(), kHeaderSearchRows);
  for (size_t r = 0; r < search && first_data == table.size(); ++r) {
    for (const auto& cell : table[r].cells) {
      const auto l = ParseLabel(cell);
      if (l && l->date) {
        first_data = r;
        break;
      }
    }
  }
  std::optional<size_t> header_at;
  if (meter.header_row > 0) {
    for (size_t r = 0; r < table.size(); ++r) {
      if (table[r].number == meter.header_row) header_at = r;
    }
    if (!header_at) {
      return InvalidInput(
          fmt::format("{}: header row {}: the file has no such line (or it is blank)", source, meter.header_row));
    }
    out.detected.push_back(fmt::format("header: {} {} {}", line_word, meter.header_row, How(true, "")));
  } else if (meter.header_row < 0) {
    out.detected.push_back("header: none (set by option)");
  } else {
    if (first_data == table.size()) {
      return InvalidInput(
          fmt::format("{}: no date-time label such as 2024-01-01 00:15 in the first {} lines: is this a meter "
                      "download? OpenMEG's usage CSV starts with the header timestamp,kW (or timestamp,kW,kvar), its "
                      "timestamps ISO 8601 with the offset",
                      source, kHeaderSearchRows));
    }
    if (first_data > 0) {
      // A title row has one filled cell; a header names the columns.
      const auto& candidate = table[first_data - 1];
      size_t filled = 0;
      for (const auto& c : candidate.cells) filled += Trim(c).empty() ? 0 : 1;
      if (filled >= 2) header_at = first_data - 1;
    }
    if (header_at) {
      std::string titles;
      for (size_t r = 0; r < *header_at; ++r) {
        std::string text;
        for (const auto& c : table[r].cells) {
          if (!Trim(c).empty()) text += (text.empty() ? "" : " ") + std::string(Trim(c));
        }
        titles += fmt::format("; {} {} is a title '{}'", line_word, table[r].number, Excerpt(text));
      }
      out.detected.push_back(fmt::format("header: {} {} {}", line_word, table[*header_at].number,
                                         How(false, "the line above the first date" + titles)));
    } else {
      out.detected.push_back(fmt::format("header: none {}", How(false, "the first line holds a date")));
    }
  }
  std::vector<std::string> header;
  if (header_at) {
    for (const auto& c : table[*header_at].cells) header.emplace_back(Trim(c));
  }
  const size_t data_from = header_at ? *header_at + 1 : (meter.header_row < 0 ? 0 : first_data);
  size_t width = header.size();
  for (size_t r = data_from; r < std::min(table.size(), data_from + kSampleRows); ++r) {
    width = std::max(width, table[r].cells.size());
  }
  if (width > kMaxColumns) {
    return InvalidInput(fmt::format("{}: the rows have {} columns; a meter download has a few (at most {} are read)",
                                    source, width, kMaxColumns));
  }
  const auto name_of = [&](size_t c) { return c < header.size() ? header[c] : std::string(); };

  // What each column holds, from a sample of the data rows.
  struct Profile {
    size_t filled = 0, full_labels = 0, dates = 0, times = 0, numbers = 0;
    std::optional<std::string> first_value;
    bool constant = true;
  };
  std::vector<Profile> profile(width);
  for (size_t r = data_from; r < std::min(table.size(), data_from + kSampleRows); ++r) {
    for (size_t c = 0; c < width; ++c) {
      const auto cell = Cell(table[r], c);
      if (MissingCell(cell)) continue;
      auto& p = profile[c];
      ++p.filled;
      const auto l = ParseLabel(cell);
      if (FullLabel(l)) ++p.full_labels;
      if (l && l->date && l->minute < 0) ++p.dates;
      if (l && !l->date) ++p.times;
      if (ParseAmount(cell)) ++p.numbers;
      const std::string v(Trim(cell));
      if (!p.first_value) {
        p.first_value = v;
      } else if (*p.first_value != v) {
        p.constant = false;
      }
    }
  }
  const auto mostly = [](size_t part, size_t all) { return all > 0 && part * 10 >= all * 9; };

  // The time: one column of date-times, or a date column and a time-of-day column.
  std::optional<size_t> time_col, clock_col;
  if (!meter.time_column.empty()) {
    auto c = ResolveColumn(meter.time_column, "time column", header, width);
    if (!c) return Error{c.error().code, fmt::format("{}: {}", source, c.error().message)};
    time_col = *c;
    out.detected.push_back(fmt::format("time: {} {}", Column{*c, name_of(*c)}.Describe(), How(true, "")));
  } else {
    std::vector<size_t> full, dates, times;
    for (size_t c = 0; c < width; ++c) {
      if (mostly(profile[c].full_labels, profile[c].filled)) full.push_back(c);
      if (mostly(profile[c].dates, profile[c].filled)) dates.push_back(c);
      if (mostly(profile[c].times, profile[c].filled)) times.push_back(c);
    }
    if (full.size() > 1) {
      // Several date-time columns (e.g. 검침일 and 수집일시): the one named as KEPCO names it, else the first.
      auto named = std::find_if(full.begin(), full.end(), [&](size_t c) { return Has(Normalize(name_of(c)), "검침"); });
      if (named == full.end()) {
        named = std::find_if(full.begin(), full.end(), [&](size_t c) { return TimeName(Normalize(name_of(c))); });
      }
      time_col = named != full.end() ? *named : full.front();
    } else if (full.size() == 1) {
      time_col = full.front();
    } else if (dates.size() == 1 && times.size() == 1) {
      time_col = dates.front();
      clock_col = times.front();
    }
    if (!time_col) {
      return InvalidInput(
          fmt::format("{}: no column of date-times such as 2024-01-01 00:15 (nor one of dates and "
                      "one of times); name it with the time-column option",
                      source));
    }
    out.detected.push_back(
        clock_col ? fmt::format("time: date in {}, time of day in {} (detected by content)",
                                Column{*time_col, name_of(*time_col)}.Describe(),
                                Column{*clock_col, name_of(*clock_col)}.Describe())
                  : fmt::format("time: {} (detected by content{})", Column{*time_col, name_of(*time_col)}.Describe(),
                                full.size() > 1
                                    ? fmt::format(", chosen by name or first of {} date-time columns", full.size())
                                    : ""));
  }

  // The usage: the energy (or power) column, by name, else the one numeric column that varies.
  std::optional<size_t> value_col, lagging_col, leading_col;
  ColumnRole value_role = ColumnRole::kNone;
  std::vector<std::string> ignored;
  if (!meter.value_column.empty()) {
    auto c = ResolveColumn(meter.value_column, "value column", header, width);
    if (!c) return Error{c.error().code, fmt::format("{}: {}", source, c.error().message)};
    value_col = *c;
    value_role = RoleOfName(Normalize(name_of(*c)));
    out.detected.push_back(fmt::format("usage: {} {}", Column{*c, name_of(*c)}.Describe(), How(true, "")));
  } else {
    std::map<ColumnRole, std::vector<size_t>> by_role;
    std::vector<size_t> varying;
    for (size_t c = 0; c < width; ++c) {
      if (c == time_col || c == clock_col) continue;
      const auto& p = profile[c];
      const bool numeric = mostly(p.numbers, p.filled);
      const auto role = RoleOfName(Normalize(name_of(c)));
      if (numeric && role != ColumnRole::kNone && role != ColumnRole::kId) by_role[role].push_back(c);
      if (numeric && role != ColumnRole::kId && !p.constant && role == ColumnRole::kNone) varying.push_back(c);
    }
    for (const auto role : {ColumnRole::kEnergy, ColumnRole::kPower}) {
      const auto it = by_role.find(role);
      if (it == by_role.end() || value_col) continue;
      if (it->second.size() > 1) {
        std::string names;
        for (size_t c : it->second) names += (names.empty() ? "" : ", ") + Column{c, name_of(c)}.Describe();
        return InvalidInput(
            fmt::format("{}: several columns could be the usage ({}); name one with the value-column option", source,
                        names));
      }
      value_col = it->second.front();
      value_role = role;
      out.detected.push_back(
          fmt::format("usage: {} (detected by name)", Column{*value_col, name_of(*value_col)}.Describe()));
    }
    if (!value_col) {
      if (varying.size() != 1) {
        std::string names;
        for (size_t c : varying) names += (names.empty() ? "" : ", ") + Column{c, name_of(c)}.Describe();
        return InvalidInput(
            fmt::format("{}: {}; name the usage column with the value-column option", source,
                        varying.empty() ? std::string("no column of varying numbers beside the time")
                                        : fmt::format("several columns of numbers could be the usage ({})", names)));
      }
      value_col = varying.front();
      out.detected.push_back(fmt::format("usage: {} (detected by content: the one column of numbers that varies)",
                                         Column{*value_col, name_of(*value_col)}.Describe()));
    }
    for (size_t c = 0; c < width; ++c) {
      const auto role = RoleOfName(Normalize(name_of(c)));
      const auto& p = profile[c];
      const bool numeric = mostly(p.numbers, p.filled);
      if (numeric && role == ColumnRole::kLagging && !lagging_col) {
        lagging_col = c;
      } else if (numeric && role == ColumnRole::kLeading && !leading_col) {
        leading_col = c;
      } else if (c != time_col && c != clock_col && c != value_col && p.filled > 0) {
        ignored.push_back(fmt::format("{} ({})", Column{c, name_of(c)}.Describe(),
                                      role == ColumnRole::kId ? "a meter or customer number"
                                      : !numeric              ? "not numbers"
                                      : p.constant            ? "constant: a meter or customer number, not usage"
                                                              : "not the usage"));
      }
    }
    if (!ignored.empty()) {
      std::string list;
      for (const auto& i : ignored) list += (list.empty() ? "" : ", ") + i;
      out.detected.push_back("ignored: " + list);
    }
  }

  // The unit: energy per interval unless the name says kW.
  MeterUnit unit = meter.unit;
  if (unit == MeterUnit::kDetect) {
    unit = value_role == ColumnRole::kPower ? MeterUnit::kKw : MeterUnit::kKwh;
    out.detected.push_back(fmt::format(
        "unit: {} {}", unit == MeterUnit::kKw ? "kW, the mean power over each interval" : "kWh per interval",
        How(false, value_role == ColumnRole::kPower    ? "the column's name says kW"
                   : value_role == ColumnRole::kEnergy ? "the column's name says energy"
                                                       : "assumed, as meter downloads write energy; set kW if not")));
  } else {
    out.detected.push_back(fmt::format("unit: {} (set by option)", unit == MeterUnit::kKw
                                                                       ? "kW, the mean power over each interval"
                                                                       : "kWh per interval"));
  }
  if (lagging_col || leading_col) {
    std::string cols;
    if (lagging_col) cols += Column{*lagging_col, name_of(*lagging_col)}.Describe() + " lagging";
    if (leading_col)
      cols += (cols.empty() ? "" : ", ") + Column{*leading_col, name_of(*leading_col)}.Describe() + " leading";
    out.detected.push_back(
        fmt::format("reactive: {}, kvarh per interval, for the power-factor adjustment (detected by name)", cols));
  }

  // The rows: label and value.
  struct Raw {
    int line = 0;
    long long end_minute = 0;  // the label, minutes since 1970-01-01 00:00 local
    double value = 0;
    std::optional<double> lagging, leading;
  };
  std::vector<Raw> raws;
  raws.reserve(table.size());
  ParseProblems problems(source, kMaxProblems);
  std::vector<int> skipped_totals;
  const auto minutes_of = [](Date d, int minute) {
    return static_cast<long long>(std::chrono::sys_days{d}.time_since_epoch().count()) * 1440 + minute;
  };
  std::vector<long long> labelled;  // every row's label, read or missing, for the interval
  bool saw_2400 = false;
  int line_2400 = 0;
  for (size_t r = data_from; r < table.size(); ++r) {
    const auto& row = table[r];
    bool blank = true;
    for (const auto& c : row.cells) blank = blank && Trim(c).empty();
    if (blank) continue;
    const auto when = Cell(row, *time_col);
    if (Trim(when).empty()) continue;
    auto label = ParseLabel(when);
    if (clock_col && label && label->date && label->minute < 0) {
      const auto clock = ParseLabel(Cell(row, *clock_col));
      if (clock && !clock->date) label->minute = clock->minute;
    }
    if (!FullLabel(label)) {
      const auto n = Normalize(when);
      if (Has(n, "합계") || Has(n, "총계") || Has(n, "소계") || Has(n, "total") || n == "계") {
        skipped_totals.push_back(row.number);
        continue;
      }
      problems.Add(row.number, fmt::format("'{}' is not a date and time such as 2024-01-01 00:15", Excerpt(when)));
      continue;
    }
    if (label->minute == 1440 && !saw_2400) {
      saw_2400 = true;
      line_2400 = row.number;
    }
    labelled.push_back(minutes_of(*label->date, label->minute));
    const auto text = Cell(row, *value_col);
    if (MissingCell(text)) continue;  // a missing reading: a gap, which the usage checks report or repair
    const auto v = ParseAmount(text);
    if (!v) {
      problems.Add(row.number, fmt::format("usage '{}' is not a number", Excerpt(Trim(text))));
      continue;
    }
    if (*v < 0) {
      problems.Add(row.number, fmt::format("usage {} is negative: a meter's forward (import) reading never is", *v));
      continue;
    }
    Raw raw{row.number, minutes_of(*label->date, label->minute), *v, std::nullopt, std::nullopt};
    for (auto [col, field, what] : {std::tuple{lagging_col, &raw.lagging, "lagging kvarh"},
                                    std::tuple{leading_col, &raw.leading, "leading kvarh"}}) {
      if (!col) continue;
      const auto cell = Cell(row, *col);
      if (MissingCell(cell)) continue;
      const auto q = ParseAmount(cell);
      if (!q || *q < 0) {
        problems.Add(row.number, fmt::format("{} '{}' is not a number of 0 or more", what, Excerpt(Trim(cell))));
        continue;
      }
      *field = *q;
    }
    raws.push_back(raw);
  }
  if (!skipped_totals.empty()) {
    out.detected.push_back(fmt::format("skipped: {} total row(s), the first on {} {}", skipped_totals.size(), line_word,
                                       skipped_totals.front()));
  }
  if (!problems.empty()) return problems.ToError();
  if (raws.empty()) return InvalidInput(fmt::format("{}: no readings below the header", source));

  // The interval: the commonest step between consecutive labels.
  int interval = meter.interval_minutes;
  if (interval != 0 && interval != 15 && interval != 60) {
    return InvalidInput(fmt::format("interval {} minutes: a meter download has 15-minute or hourly rows", interval));
  }
  if (interval == 0) {
    std::map<long long, size_t> steps;
    for (size_t k = 1; k < labelled.size(); ++k) {
      const long long d = labelled[k] - labelled[k - 1];
      if (d > 0) ++steps[d];
    }
    long long mode = 15;
    size_t best = 0;
    for (const auto& [d, n] : steps) {
      if (n > best) {
        best = n;
        mode = d;
      }
    }
    if (mode != 15 && mode != 60) {
      return InvalidInput(
          fmt::format("{}: the labels are mostly {} minutes apart; a meter download has 15-minute or "
                      "hourly rows (set the interval if the file is one of those)",
                      source, mode));
    }
    interval = static_cast<int>(mode);
    out.detected.push_back(
        fmt::format("interval: {} {}", interval == 15 ? "15 minutes" : "1 hour",
                    How(false, best > 0 ? "the commonest step between labels" : "one row only: assumed 15 minutes")));
  } else {
    out.detected.push_back(fmt::format("interval: {} (set by option)", interval == 15 ? "15 minutes" : "1 hour"));
  }

  // The label convention: KEPCO labels a row with the end of its interval.
  LabelConvention labels = meter.labels;
  if (labels == LabelConvention::kDetect) {
    const auto first_of_day = static_cast<int>(((raws.front().end_minute % 1440) + 1440) % 1440);
    const auto last_of_day = static_cast<int>(((raws.back().end_minute % 1440) + 1440) % 1440);
    std::string why;
    if (saw_2400) {
      labels = LabelConvention::kIntervalEnd;
      why = fmt::format("{} {} is labelled 24:00", line_word, line_2400);
    } else if (first_of_day == interval || (last_of_day == 0 && first_of_day != 0)) {
      labels = LabelConvention::kIntervalEnd;
      why = first_of_day == interval ? fmt::format("the first label is {:02d}:{:02d}", interval / 60, interval % 60)
                                     : std::string("the last label is 00:00");
    } else if (first_of_day == 0 && last_of_day == 1440 - interval) {
      labels = LabelConvention::kIntervalStart;
      why = fmt::format("the labels run 00:00 .. {:02d}:{:02d}", (1440 - interval) / 60, (1440 - interval) % 60);
    } else {
      labels = LabelConvention::kIntervalEnd;
      why = "assumed, as KEPCO writes; set start if a label names the interval's start";
    }
    out.detected.push_back(fmt::format("labels: {} ({})",
                                       labels == LabelConvention::kIntervalEnd
                                           ? "the end of each interval, a day running 00:15 .. 24:00"
                                           : "the start of each interval, a day running 00:00 .. 23:45",
                                       "detected: " + why));
  } else {
    out.detected.push_back(fmt::format("labels: the {} of each interval (set by option)",
                                       labels == LabelConvention::kIntervalEnd ? "end" : "start"));
  }

  // The rows on the 15-minute grid: an hour's reading spread over its four quarters.
  const double hours = interval / 60.0;
  const bool has_kvar = lagging_col || leading_col;
  std::vector<UsageRow> rows;
  rows.reserve(raws.size() * static_cast<size_t>(interval / 15));
  for (const auto& raw : raws) {
    const long long start_minute = labels == LabelConvention::kIntervalEnd ? raw.end_minute - interval : raw.end_minute;
    const double kw = unit == MeterUnit::kKw ? raw.value : raw.value / hours;
    std::optional<double> kvar;
    if (has_kvar) kvar = (raw.lagging.value_or(0.0) - raw.leading.value_or(0.0)) / hours;
    for (int q = 0; q < interval; q += 15) {
      const long long m = start_minute + q;
      const long long day = m >= 0 ? m / 1440 : -((-m + 1439) / 1440);
      const Date date{std::chrono::sys_days{std::chrono::days{day}}};
      rows.push_back(UsageRow{raw.line, FromKst(date, static_cast<int>(m - day * 1440)), kw, kvar});
    }
  }
  if (interval == 60) {
    out.warnings.push_back(
        "the data is hourly: each hour's mean is laid on its four 15-minute intervals, so the billing demand "
        "(the highest 15-minute mean, art. 68) cannot be judged from it and the bill's basic charge may be low");
  }
  auto usage = UsageFromRows(std::move(rows), has_kvar, source, read);
  if (!usage) return usage.error();
  out.usage = std::move(*usage);
  return out;
}

Result<UsageImport> ReadUsageBytes(std::string_view bytes, std::string_view source, const MeterReadOptions& meter,
                                   const UsageReadOptions& read) {
  if (LooksLikeZip(bytes)) {
    if (!meter.encoding.empty()) {
      return InvalidInput(
          fmt::format("{} is an .xlsx workbook, whose text is always Unicode: the encoding option "
                      "is for CSV files",
                      source));
    }
    auto book = ReadXlsxSheet(bytes, source, meter.sheet);
    if (!book) return book.error();
    auto out = ReadMeterTable(book->rows, source, meter, read, "row");
    if (!out) return out.error();
    std::string others;
    for (const auto& name : book->sheet_names) others += (others.empty() ? "'" : ", '") + Excerpt(name) + "'";
    out->detected.insert(out->detected.begin(),
                         fmt::format("format: meter download, an .xlsx workbook: sheet '{}' {}", Excerpt(book->name),
                                     meter.sheet.empty()
                                         ? fmt::format("(the first of {}: {})", book->sheet_names.size(), others)
                                         : std::string("(set by option)")));
    return out;
  }
  if (!meter.sheet.empty()) {
    return InvalidInput(
        fmt::format("{} is a text file, not an .xlsx workbook: the sheet option does not apply", source));
  }
  auto decoded = DecodeText(bytes, meter.encoding, source);
  if (!decoded) return decoded.error();
  auto lines = SplitLines(decoded->text, source);
  if (!lines) return lines.error();
  auto first = FirstNonBlankLine(*lines, source);
  if (!first) return first.error();

  const auto first_text = (*lines)[*first].text;
  // OpenMEG's usage CSV: the header timestamp,kW or timestamp,kW,kvar (usage_csv.h).
  std::string names;
  if (auto cells = SplitCsv(first_text)) {
    for (const auto& c : *cells) names += (names.empty() ? "" : ",") + Lower(Trim(c));
  }
  if (names == "timestamp,kw" || names == "timestamp,kw,kvar") {
    if (meter.any()) {
      return InvalidInput(
          fmt::format("{} is OpenMEG's usage CSV (timestamps name the start of each interval, kW is "
                      "its mean); the meter-download options do not apply to it",
                      source));
    }
    auto usage = ParseUsageCsv(decoded->text, source, read);
    if (!usage) return usage.error();
    UsageImport out;
    out.usage = std::move(*usage);
    out.detected.push_back("format: OpenMEG usage CSV");
    return out;
  }

  // A meter download: commas, or tabs where the first line has no comma.
  const char sep =
      first_text.find(',') == std::string_view::npos && first_text.find('\t') != std::string_view::npos ? '\t' : ',';
  std::vector<TableRow> table;
  table.reserve(lines->size());
  for (const auto& line : *lines) {
    if (Trim(line.text).empty()) continue;
    auto cells = SplitCsv(line.text, sep);
    if (!cells) return InvalidInput(fmt::format("{}:{}: {}", source, line.number, cells.error().message));
    table.push_back(TableRow{line.number, std::move(*cells)});
  }
  auto out = ReadMeterTable(table, source, meter, read);
  if (!out) return out.error();
  out->detected.insert(out->detected.begin(),
                       {fmt::format("format: meter download, {}-separated", sep == '\t' ? "tab" : "comma"),
                        fmt::format("encoding: {} {}", decoded->encoding,
                                    How(!meter.encoding.empty(), decoded->encoding == "CP949 (EUC-KR)"
                                                                     ? "the bytes are not UTF-8"
                                                                     : "the bytes are valid UTF-8"))});
  return out;
}

Result<UsageImport> ReadUsageFile(const std::string& path, const MeterReadOptions& meter,
                                  const UsageReadOptions& read) {
  auto bytes = ReadTextFile(path);
  if (!bytes) return bytes.error();
  return ReadUsageBytes(*bytes, path, meter, read);
}

}  // namespace meg
