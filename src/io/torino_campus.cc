#include "io/torino_campus.h"

#include <fmt/format.h>

#include <array>
#include <optional>

#include "core/text.h"
#include "io/data_grid.h"
#include "io/field_parse.h"

namespace meg {
namespace {

using std::chrono::sys_days;

constexpr std::array<std::string_view, 7> kFixedColumns = {"Date_Time", "Year",       "Month",      "Day_Type",
                                                           "Holiday",   "FasciaAEEG", "Total_Power"};
// Total_Power and the sub-loads follow it: the power columns.
constexpr size_t kFirstPowerColumn = 6;
constexpr std::array<std::string_view, 12> kMonthAbbrevs = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// 01:00 UTC on the last Sunday of `month` in `year`: when the EU clocks change.
Timestamp EuChangeInstant(std::chrono::year year, std::chrono::month month) {
  const Date last_sunday{year / month / std::chrono::Sunday[std::chrono::last]};
  return Timestamp{sys_days{last_sunday}} + std::chrono::hours{1};
}

struct Row {
  int line = 0;
  LocalDateTime label;
  TorinoDayInfo info;
  std::vector<double> kw;  // Total_Power, then the sub-loads
};

Result<FasciaAeeg> ParseBand(std::string_view text) {
  if (text == "F1") return FasciaAeeg::kF1;
  if (text == "F2") return FasciaAeeg::kF2;
  if (text == "F3") return FasciaAeeg::kF3;
  if (text == "F23") return FasciaAeeg::kF23;
  return InvalidInput(fmt::format("FasciaAEEG '{}' is not F1, F2, F3 or F23", Excerpt(text)));
}

Status ParseRow(const std::vector<std::string>& f, const std::vector<std::string>& names, Row& row) {
  auto label = ParseLocalDateTime(Trim(f[0]));
  if (!label) return label.error();
  if (label->minute_of_day % 15 != 0 || label->second != 0) {
    return InvalidInput(fmt::format("Date_Time '{}' is not on a quarter hour", Excerpt(Trim(f[0]))));
  }
  row.label = *label;
  auto year = ParseIntField(f[1], "Year");
  if (!year) return year.error();
  if (*year != static_cast<int>(label->date.year())) {
    return InvalidInput(fmt::format("Year {} disagrees with Date_Time '{}'", *year, Excerpt(Trim(f[0]))));
  }
  const auto month = kMonthAbbrevs[static_cast<unsigned>(label->date.month()) - 1];
  if (Trim(f[2]) != month) {
    return InvalidInput(
        fmt::format("Month '{}' disagrees with Date_Time '{}' ({})", Excerpt(Trim(f[2])), Excerpt(Trim(f[0])), month));
  }
  auto day_type = ParseWeekdayAbbrev(f[3]);
  if (!day_type) return InvalidInput(fmt::format("Day_Type {}", day_type.error().message));
  const std::chrono::weekday actual{sys_days{label->date}};
  if (*day_type != actual) {
    return InvalidInput(fmt::format("Day_Type '{}' disagrees with Date_Time '{}', a {}", Excerpt(Trim(f[3])),
                                    Excerpt(Trim(f[0])), WeekdayAbbrev(actual)));
  }
  row.info.day_type = *day_type;
  const auto holiday = Trim(f[4]);
  if (holiday != "Yes" && holiday != "No") {
    return InvalidInput(fmt::format("Holiday '{}' is not Yes or No", Excerpt(holiday)));
  }
  row.info.holiday = holiday == "Yes";
  auto band = ParseBand(Trim(f[5]));
  if (!band) return band.error();
  row.info.band = *band;
  for (size_t c = kFirstPowerColumn; c < f.size(); ++c) {
    const auto& name = names[c];
    auto v = ParseNumberField(f[c], name);
    if (!v) return v.error();
    if (*v < 0) return InvalidInput(fmt::format("{} {} kW is negative", name, *v));
    row.kw.push_back(*v);
  }
  return Ok{};
}

std::string FormatLabel(const LocalDateTime& t) {
  return fmt::format("{} {:02d}:{:02d}:{:02d}", FormatDate(t.date), t.minute_of_day / 60, t.minute_of_day % 60,
                     t.second);
}

std::string FormatUtc(Timestamp t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(t - day).count();
  return fmt::format("{}T{:02d}:{:02d}Z", FormatDate(Date{day}), minutes / 60, minutes % 60);
}

Result<std::vector<std::string>> ParseHeader(const Line& line, std::string_view source) {
  auto fields = SplitCsv(line.text);
  std::string expected;
  for (auto c : kFixedColumns) expected += fmt::format("{}\"{}\"", expected.empty() ? "" : ",", c);
  auto wrong = [&] {
    return InvalidInput(fmt::format("{}:{}: expected the header {},<sub-loads>..., found '{}'", source, line.number,
                                    expected, Excerpt(line.text)));
  };
  if (!fields || fields->size() < kFixedColumns.size()) return wrong();
  for (size_t c = 0; c < kFixedColumns.size(); ++c) {
    if (Trim((*fields)[c]) != kFixedColumns[c]) return wrong();
  }
  for (size_t c = kFixedColumns.size(); c < fields->size(); ++c) {
    if (Trim((*fields)[c]).empty()) return wrong();
  }
  return *fields;
}

}  // namespace

std::chrono::seconds ItalyUtcOffset(Timestamp utc) {
  const Date d{std::chrono::floor<std::chrono::days>(utc)};
  const bool summer =
      utc >= EuChangeInstant(d.year(), std::chrono::March) && utc < EuChangeInstant(d.year(), std::chrono::October);
  return std::chrono::hours{summer ? 2 : 1};
}

std::vector<Timestamp> ItalyWallClockToUtc(Date date, int minute_of_day) {
  const Timestamp wall = Timestamp{sys_days{date}} + std::chrono::minutes{minute_of_day};
  std::vector<Timestamp> out;
  // Try the summer offset first: it gives the earlier instant.
  for (const auto offset : {std::chrono::hours{2}, std::chrono::hours{1}}) {
    const Timestamp utc = wall - offset;
    if (ItalyUtcOffset(utc) == offset) out.push_back(utc);
  }
  return out;
}

Result<TorinoCampusLoad> ParseTorinoCampusCsv(std::string_view text, std::string_view source) {
  auto lines = SplitLines(text, source);
  if (!lines) return lines.error();
  auto header_at = FirstNonBlankLine(*lines, source);
  if (!header_at) return header_at.error();
  size_t i = *header_at;
  auto names = ParseHeader((*lines)[i], source);
  if (!names) return names.error();
  ++i;

  ParseProblems problems(source);
  std::vector<std::string> notes;
  // Rows placed on the UTC grid, in order of their instant.
  std::vector<std::pair<Timestamp, Row>> placed;
  for (; i < lines->size(); ++i) {
    const Line& line = (*lines)[i];
    if (Trim(line.text).empty()) continue;
    auto fields = SplitCsv(line.text);
    if (!fields) {
      problems.Add(line.number, fields.error().message);
      continue;
    }
    if (fields->size() != names->size()) {
      problems.Add(line.number, fmt::format("expected {} fields, found {}", names->size(), fields->size()));
      continue;
    }
    Row row;
    row.line = line.number;
    if (auto status = ParseRow(*fields, *names, row); !status) {
      problems.Add(line.number, status.error().message);
      continue;
    }
    const auto instants = ItalyWallClockToUtc(row.label.date, row.label.minute_of_day);
    const std::string label = FormatLabel(row.label);
    if (instants.empty()) {
      notes.push_back(
          fmt::format("{}:{}: {} does not exist in Italian time (clocks go from 02:00 "
                      "CET to 03:00 CEST); row dropped",
                      source, line.number, label));
      continue;
    }
    const std::optional<Timestamp> prev = placed.empty() ? std::nullopt : std::optional<Timestamp>(placed.back().first);
    Timestamp t = instants.front();
    if (instants.size() == 2) {
      // The clock shows this label twice: the first row goes to the CEST instant, a repeat of
      // the label to the CET one.
      const bool repeat = prev && *prev >= instants[0];
      t = repeat ? instants[1] : instants[0];
      notes.push_back(fmt::format("{}:{}: {} occurs twice in Italian time; taken as {} ({})", source, line.number,
                                  label, repeat ? "CET" : "CEST", FormatUtc(t)));
    }
    if (prev && t <= *prev) {
      problems.Add(line.number, fmt::format("{} ({}) {} line {}: rows must be in time order, each "
                                            "quarter hour once",
                                            label, FormatUtc(t), t == *prev ? "repeats" : "is earlier than",
                                            placed.back().second.line));
      continue;
    }
    placed.emplace_back(t, std::move(row));
  }
  if (placed.empty() && problems.empty()) {
    return InvalidInput(fmt::format("{}: no data rows after the header", source));
  }
  if (!problems.empty()) return problems.ToError();

  const Timestamp start = placed.front().first;
  const size_t columns = names->size() - kFirstPowerColumn;
  MEG_TRY(CheckDataGrid(start, placed.back().first, kInterval, columns, source));
  const auto n = static_cast<size_t>((placed.back().first - start) / kInterval) + 1;
  std::vector<std::vector<std::optional<Kilowatts>>> kw(columns, std::vector<std::optional<Kilowatts>>(n));
  std::vector<std::optional<TorinoDayInfo>> info(n);
  size_t expected = 0;
  for (const auto& [t, row] : placed) {
    const auto k = static_cast<size_t>((t - start) / kInterval);
    if (k > expected) {
      notes.push_back(
          fmt::format("{}:{}: {} quarter hour(s) from {} have no row before this one "
                      "({}); left as gaps",
                      source, row.line, k - expected, FormatUtc(start + kInterval * static_cast<long>(expected)),
                      FormatLabel(row.label)));
    }
    expected = k + 1;
    for (size_t c = 0; c < columns; ++c) kw[c][k] = Kilowatts(row.kw[c]);
    info[k] = row.info;
  }

  TorinoCampusLoad out;
  out.total_kw = PowerSeries(start, kInterval, std::move(kw[0]));
  for (size_t c = 1; c < columns; ++c) {
    out.sub_loads.push_back(TorinoSubLoad{std::string(Trim((*names)[kFirstPowerColumn + c])),
                                          PowerSeries(start, kInterval, std::move(kw[c]))});
  }
  out.day_info = IntervalSeries<TorinoDayInfo>(start, kInterval, std::move(info));
  out.time_notes = std::move(notes);
  return out;
}

}  // namespace meg
