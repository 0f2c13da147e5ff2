#include "io/open_meteo.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <vector>

#include "core/text.h"
#include "core/time.h"
#include "io/data_grid.h"
#include "io/field_parse.h"

namespace meg {
namespace {

constexpr std::chrono::hours kHour{1};
constexpr size_t kValueColumns = 5;
constexpr std::array<std::string_view, kValueColumns + 1> kHeader = {"time_utc", "ghi_w_m2",   "dni_w_m2",
                                                                     "dhi_w_m2", "temp_air_c", "wind_speed_m_s"};
// Columns that cannot be negative: the three irradiances and the wind speed.
constexpr std::array<bool, kValueColumns> kNonNegative = {true, true, true, false, true};

struct Row {
  int line = 0;
  Timestamp label;
  std::array<std::optional<double>, kValueColumns> values;
};

std::string ExpectedHeader() {
  std::string h;
  for (auto name : kHeader) h += (h.empty() ? "" : ",") + std::string(name);
  return h;
}

}  // namespace

Result<HourlyWeather> ParseOpenMeteoCsv(std::string_view text, std::string_view source) {
  auto lines = SplitLines(text, source);
  if (!lines) return lines.error();
  auto header_at = FirstNonBlankLine(*lines, source);
  if (!header_at) return header_at.error();
  size_t i = *header_at;
  if (Trim((*lines)[i].text) != ExpectedHeader()) {
    return InvalidInput(fmt::format("{}:{}: expected the header '{}', found '{}'", source, (*lines)[i].number,
                                    ExpectedHeader(), Excerpt((*lines)[i].text)));
  }
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
    if (fields->size() != kHeader.size()) {
      problems.Add(line.number, fmt::format("expected {} fields, found {}", kHeader.size(), fields->size()));
      continue;
    }
    auto label = ParseIso8601(Trim((*fields)[0]));
    if (!label) {
      problems.Add(line.number, label.error().message);
      continue;
    }
    if (label->time_since_epoch().count() % 3600 != 0) {
      problems.Add(line.number, fmt::format("time_utc {} is not on the hour", Trim((*fields)[0])));
      continue;
    }
    Row row{line.number, *label, {}};
    bool ok = true;
    for (size_t c = 0; c < kValueColumns; ++c) {
      const auto& field = (*fields)[c + 1];
      if (Trim(field).empty()) continue;  // Open-Meteo writes a missing value as an empty field.
      auto v = ParseNumberField(field, kHeader[c + 1]);
      if (!v) {
        problems.Add(line.number, v.error().message);
        ok = false;
      } else if (kNonNegative[c] && *v < 0) {
        problems.Add(line.number, fmt::format("{} {} is negative", kHeader[c + 1], *v));
        ok = false;
      } else {
        row.values[c] = *v;
      }
    }
    if (!ok) continue;
    if (!rows.empty() && row.label <= rows.back().label) {
      problems.Add(line.number,
                   fmt::format("time_utc {} {} line {}: labels must increase", Trim((*fields)[0]),
                               row.label == rows.back().label ? "repeats" : "is earlier than", rows.back().line));
      continue;
    }
    rows.push_back(row);
  }
  if (rows.empty() && problems.empty()) {
    return InvalidInput(fmt::format("{}: no data rows after the header", source));
  }
  if (!problems.empty()) return problems.ToError();

  const Timestamp first = rows.front().label;
  MEG_TRY(CheckDataGrid(first, rows.back().label, kHour, kValueColumns, source));
  const auto n = static_cast<size_t>((rows.back().label - first) / kHour) + 1;
  HourlyColumns columns;
  for (auto& c : columns) c.resize(n);
  for (const auto& r : rows) {
    const auto k = static_cast<size_t>((r.label - first) / kHour);
    for (size_t c = 0; c < kValueColumns; ++c) columns[c][k] = r.values[c];
  }
  // Radiation is the mean of the hour before the label: name each interval by its start.
  const Timestamp radiation_start = first - kHour;
  return MakeHourlyWeather(std::move(columns), radiation_start, first);
}

}  // namespace meg
