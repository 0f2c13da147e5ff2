#include "io/gist_pv.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <set>

#include "core/text.h"
#include "core/time.h"
#include "io/data_grid.h"
#include "io/field_parse.h"

namespace meg {
namespace {

constexpr std::chrono::hours kHour{1};
// The fixed leading columns; the site's four measurements follow day and time.
constexpr std::array<std::string_view, 6> kFixed = {"day", "time", "수평면", "외기온도", "경사면", "모듈온도"};
constexpr size_t kSiteColumns = 4;

struct Row {
  int line = 0;
  Timestamp t;
  std::vector<std::optional<double>> values;  // site columns, then systems
};

std::string ExpectedStart() {
  std::string h;
  for (auto name : kFixed) h += (h.empty() ? "" : ",") + std::string(name);
  return h;
}

}  // namespace

Result<GistPvData> ParseGistPvCsv(std::string_view text, std::string_view source) {
  auto lines = SplitLines(text, source);
  if (!lines) return lines.error();
  auto header_at = FirstNonBlankLine(*lines, source);
  if (!header_at) return header_at.error();
  size_t i = *header_at;

  const Line& header_line = (*lines)[i];
  auto header = SplitCsv(header_line.text);
  bool header_ok = header.has_value() && header->size() > kFixed.size();
  for (size_t c = 0; header_ok && c < kFixed.size(); ++c) {
    header_ok = Trim((*header)[c]) == kFixed[c];
  }
  if (!header_ok) {
    return InvalidInput(
        fmt::format("{}:{}: expected a header '{},<system>,...' naming at least "
                    "one system, found '{}'",
                    source, header_line.number, ExpectedStart(), Excerpt(header_line.text)));
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (size_t c = kFixed.size(); c < header->size(); ++c) {
    std::string name(Trim((*header)[c]));
    if (name.empty() || !seen.insert(name).second) {
      return InvalidInput(fmt::format("{}:{}: system column {} is {} name", source, header_line.number, c + 1,
                                      name.empty() ? "without a" : "a repeated"));
    }
    names.push_back(std::move(name));
  }
  const size_t columns = header->size();
  ++i;

  ParseProblems problems(source);
  std::vector<Row> rows;
  for (; i < lines->size(); ++i) {
    const Line& line = (*lines)[i];
    if (Trim(line.text).empty()) continue;
    auto fields = SplitCsv(line.text);
    if (!fields) {
      problems.Add(line.number, fields.error().message);
      continue;
    }
    if (fields->size() != columns) {
      problems.Add(line.number, fmt::format("expected {} fields, found {}", columns, fields->size()));
      continue;
    }
    auto day = ParseDate(Trim((*fields)[0]));
    if (!day) {
      problems.Add(line.number, day.error().message);
      continue;
    }
    auto hour = ParseIntField((*fields)[1], "time");
    if (!hour || *hour < 0 || *hour > 23) {
      problems.Add(line.number, hour ? fmt::format("time {} is outside 0..23", *hour) : hour.error().message);
      continue;
    }
    Row row{line.number, FromKst(*day, *hour * 60), {}};
    bool ok = true;
    for (size_t c = 2; c < columns; ++c) {
      const auto& field = (*fields)[c];
      if (Trim(field).empty()) {
        row.values.emplace_back();
        continue;
      }
      const std::string_view what = c < kFixed.size() ? kFixed[c] : names[c - kFixed.size()];
      auto v = ParseNumberField(field, what);
      if (!v) {
        problems.Add(line.number, v.error().message);
        ok = false;
      }
      row.values.emplace_back(v ? std::optional<double>(*v) : std::nullopt);
    }
    if (!ok) continue;
    if (!rows.empty() && row.t <= rows.back().t) {
      problems.Add(line.number,
                   fmt::format("{} {}:00 {} line {}: rows must go forward in time", Trim((*fields)[0]), *hour,
                               row.t == rows.back().t ? "repeats" : "is earlier than", rows.back().line));
      continue;
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty() && problems.empty()) {
    return InvalidInput(fmt::format("{}: no data rows after the header", source));
  }
  if (!problems.empty()) return problems.ToError();

  const Timestamp first = rows.front().t;
  MEG_TRY(CheckDataGrid(first, rows.back().t, kHour, columns - 2, source));
  const auto n = static_cast<size_t>((rows.back().t - first) / kHour) + 1;
  std::vector<std::vector<std::optional<double>>> values(columns - 2, std::vector<std::optional<double>>(n));
  for (const auto& r : rows) {
    const auto k = static_cast<size_t>((r.t - first) / kHour);
    for (size_t c = 0; c < r.values.size(); ++c) values[c][k] = r.values[c];
  }
  GistPvData out;
  out.ghi_w_m2 = IntervalSeries<double>(first, kHour, std::move(values[0]));
  out.temp_air_c = IntervalSeries<double>(first, kHour, std::move(values[1]));
  out.poa_w_m2 = IntervalSeries<double>(first, kHour, std::move(values[2]));
  out.temp_module_c = IntervalSeries<double>(first, kHour, std::move(values[3]));
  for (size_t s = 0; s < names.size(); ++s) {
    std::vector<std::optional<Kilowatts>> kw(n);
    for (size_t k = 0; k < n; ++k) {
      if (const auto& v = values[kSiteColumns + s][k]) kw[k] = Kilowatts(*v);
    }
    out.systems.push_back(GistPvSystem{names[s], IntervalSeries<Kilowatts>(first, kHour, std::move(kw))});
  }
  return out;
}

}  // namespace meg
