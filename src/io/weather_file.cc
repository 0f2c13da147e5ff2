#include "io/weather_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "core/text.h"
#include "core/time.h"
#include "io/data_grid.h"
#include "io/epw.h"
#include "io/field_parse.h"
#include "io/open_meteo.h"

namespace meg {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;

constexpr hours kHour{1};
// The five values of an hour, in this order.
enum Value : size_t { kGhi, kDni, kDhi, kTemp, kWind, kValues };
using Values = std::array<std::optional<double>, kValues>;

// One record of a typical year: where it sits in a year, local standard time.
struct TypicalHour {
  int line = 0;
  int month = 0;
  int day = 0;
  int hour_start = 0;  // 0..23: the radiation's hour [hour_start, hour_start + 1)
  Values values;
};

// Where a file says it is, for the distance check.
struct Place {
  std::string name;
  double latitude_deg = 0;
  double longitude_deg = 0;
};

Status CheckPlace(const Place& place, const Location* site, std::string_view source) {
  if (site == nullptr) return Ok{};
  const double km = DistanceKm(place.latitude_deg, place.longitude_deg, site->latitude_deg, site->longitude_deg);
  if (km <= kMaxWeatherDistanceKm) return Ok{};
  return InvalidInput(fmt::format(
      "{}: the weather is for {}{:.2f}°N {:.2f}°E, {:.0f} km from the site ({:.2f}°N {:.2f}°E); a weather file "
      "must be within {:.0f} km of its site",
      source, place.name.empty() ? "" : place.name + " at ", place.latitude_deg, place.longitude_deg, km,
      site->latitude_deg, site->longitude_deg, kMaxWeatherDistanceKm));
}

bool IsLeap(int year) { return std::chrono::year{year}.is_leap(); }

// Lays a typical year's records on the calendar year `year`. `utc_offset`: local standard time -
// UTC. `sample_after_start`: where the temperature and wind samples sit after their hour's start.
Result<HourlyWeather> LayOnYear(const std::vector<TypicalHour>& records, minutes utc_offset, minutes sample_after_start,
                                int year, std::string_view source) {
  // slot[month][day][hour] = index into records, or -1.
  std::array<std::array<std::array<int, 24>, 32>, 13> slot{};
  for (auto& m : slot) {
    for (auto& d : m) d.fill(-1);
  }
  ParseProblems problems(source);
  for (size_t i = 0; i < records.size(); ++i) {
    const TypicalHour& r = records[i];
    int& s = slot[static_cast<size_t>(r.month)][static_cast<size_t>(r.day)][static_cast<size_t>(r.hour_start)];
    if (s >= 0) {
      problems.Add(r.line, fmt::format("{:02d}/{:02d} {:02d}:00 is already on line {}", r.month, r.day, r.hour_start,
                                       records[static_cast<size_t>(s)].line));
      continue;
    }
    s = static_cast<int>(i);
  }
  const sys_days first{std::chrono::year{year} / 1 / 1};
  const int n_days = IsLeap(year) ? 366 : 365;
  HourlyColumns columns;
  for (auto& c : columns) c.resize(static_cast<size_t>(n_days) * 24);
  for (int d = 0; d < n_days; ++d) {
    const Date date{first + days{d}};
    const auto month = static_cast<unsigned>(date.month());
    const auto day = static_cast<unsigned>(date.day());
    for (int h = 0; h < 24; ++h) {
      int s = slot[month][day][static_cast<size_t>(h)];
      if (s < 0 && month == 2 && day == 29) s = slot[2][28][static_cast<size_t>(h)];
      if (s < 0) {
        problems.AddFile(
            fmt::format("no record for {:02d}/{:02d} {:02d}:00-{:02d}:00 local standard time", month, day, h, h + 1));
        continue;
      }
      for (size_t c = 0; c < kValues; ++c) {
        columns[c][static_cast<size_t>(d * 24 + h)] = records[static_cast<size_t>(s)].values[c];
      }
    }
  }
  if (!problems.empty()) return problems.ToError();
  const Timestamp start = Timestamp{first} - utc_offset;
  // A typical year wraps around: its last sample (Dec 31 at 24:00 for a file labelled by the hour's
  // end) is also the sample an hour before its first, so the year's first quarter-hours have a
  // temperature to interpolate from.
  for (const Value c : {kTemp, kWind}) columns[c].insert(columns[c].begin(), columns[c].back());
  return MakeHourlyWeather(std::move(columns), start, start + sample_after_start - kHour);
}

minutes OffsetOfHours(double hours_offset) { return minutes{static_cast<int>(std::lround(hours_offset * 60))}; }

Result<HourlyWeather> FromEpw(std::string_view text, std::string_view source, int year, const Location* site) {
  auto epw = ParseEpw(text, source);
  if (!epw) return epw.error();
  const EpwLocation& loc = epw->location;
  MEG_TRY(CheckPlace({loc.city, loc.latitude_deg, loc.longitude_deg}, site, source));
  std::vector<TypicalHour> records;
  records.reserve(epw->hours.size());
  for (const EpwHour& h : epw->hours) {
    records.push_back({0, h.month, h.day, h.hour_ending - 1,
                       Values{h.ghi_wh_m2, h.dni_wh_m2, h.dhi_wh_m2, h.dry_bulb_c, h.wind_speed_m_s}});
  }
  return LayOnYear(records, OffsetOfHours(loc.utc_offset_hours), minutes{60}, year, source);
}

// The column of `name` in `header`, compared without case and surrounding spaces.
std::optional<size_t> ColumnOf(const std::vector<std::string>& header, std::string_view name) {
  const std::string wanted = Lower(name);
  for (size_t i = 0; i < header.size(); ++i) {
    if (Lower(Trim(header[i])) == wanted) return i;
  }
  return std::nullopt;
}

// Finds every name of `names` in `header`, or says which are missing.
template <size_t N>
Result<std::array<size_t, N>> Columns(const std::vector<std::string>& header,
                                      const std::array<std::string_view, N>& names, std::string_view where) {
  std::array<size_t, N> at{};
  std::string missing;
  for (size_t i = 0; i < N; ++i) {
    const auto c = ColumnOf(header, names[i]);
    if (c) {
      at[i] = *c;
    } else {
      missing += (missing.empty() ? "'" : ", '") + std::string(names[i]) + "'";
    }
  }
  if (!missing.empty()) return InvalidInput(fmt::format("{}: no column {}", where, missing));
  return at;
}

// One value field: `missing_at_or_below` codes a missing value; radiation and wind cannot be
// negative otherwise.
Result<std::optional<double>> ValueField(std::string_view field, std::string_view name, double missing_at_or_below,
                                         bool non_negative) {
  if (Trim(field).empty()) return std::optional<double>();
  auto v = ParseNumberField(field, name);
  if (!v) return v.error();
  if (*v <= missing_at_or_below) return std::optional<double>();
  if (non_negative && *v < 0) return InvalidInput(fmt::format("{} {} is negative", name, *v));
  return std::optional<double>(*v);
}

// Reads the five values of a row from `fields` at `at` (ghi, dni, dhi, temperature, wind).
Result<Values> ReadValues(const std::vector<std::string>& fields, const std::array<size_t, kValues>& at,
                          const std::array<std::string_view, kValues>& names, double missing_at_or_below) {
  Values v;
  for (size_t c = 0; c < kValues; ++c) {
    auto x = ValueField(fields[at[c]], names[c], missing_at_or_below, c != kTemp);
    if (!x) return x.error();
    v[c] = *x;
  }
  return v;
}

struct CsvLines {
  std::vector<Line> lines;
  size_t first = 0;  // the first non-blank line
};

Result<CsvLines> LinesOf(std::string_view text, std::string_view source) {
  auto lines = SplitLines(text, source);
  if (!lines) return lines.error();
  auto first = FirstNonBlankLine(*lines, source);
  if (!first) return first.error();
  return CsvLines{std::move(*lines), *first};
}

Result<std::vector<std::string>> FieldsOf(const Line& line, std::string_view source) {
  auto f = SplitCsv(line.text);
  if (!f) return InvalidInput(fmt::format("{}:{}: {}", source, line.number, f.error().message));
  return f;
}

// A data row: its line and its fields.
struct CsvRow {
  int line = 0;
  std::vector<std::string> fields;
};

// The rows of lines[from..]: blank lines skipped, each split as CSV and holding exactly
// `n_fields` fields; the others are problems.
std::vector<CsvRow> DataRows(const std::vector<Line>& lines, size_t from, size_t n_fields, ParseProblems& problems) {
  std::vector<CsvRow> rows;
  for (size_t i = from; i < lines.size(); ++i) {
    const Line& line = lines[i];
    if (Trim(line.text).empty()) continue;
    auto f = SplitCsv(line.text);
    if (!f) {
      problems.Add(line.number, f.error().message);
      continue;
    }
    if (f->size() != n_fields) {
      problems.Add(line.number, fmt::format("expected {} fields, found {}", n_fields, f->size()));
      continue;
    }
    rows.push_back({line.number, std::move(*f)});
  }
  return rows;
}

// TMY3: Wilcox & Marion (2008), NREL/TP-581-43156, table 1-1 and 1-2.
constexpr std::array<std::string_view, kValues> kTmy3Names = {"GHI (W/m^2)", "DNI (W/m^2)", "DHI (W/m^2)",
                                                              "Dry-bulb (C)", "Wspd (m/s)"};
constexpr double kTmy3Missing = -9900;

Result<HourlyWeather> FromTmy3(std::string_view text, std::string_view source, int year, const Location* site) {
  auto csv = LinesOf(text, source);
  if (!csv) return csv.error();
  const auto& lines = csv->lines;
  size_t i = csv->first;
  // The station line: USAF, name, state, TZ, latitude, longitude, elevation.
  auto station = FieldsOf(lines[i], source);
  if (!station) return station.error();
  const std::string where = fmt::format("{}:{}", source, lines[i].number);
  if (station->size() < 7) {
    return InvalidInput(
        fmt::format("{}: expected the TMY3 station line 'USAF,name,state,TZ,latitude,longitude,elevation', found '{}'",
                    where, Excerpt(lines[i].text)));
  }
  auto tz = ParseNumberField((*station)[3], "TZ");
  auto lat = ParseNumberField((*station)[4], "latitude");
  auto lon = ParseNumberField((*station)[5], "longitude");
  for (const auto* r : {&tz, &lat, &lon}) {
    if (!*r) return InvalidInput(fmt::format("{}: station line: {}", where, r->error().message));
  }
  if (*tz < -12 || *tz > 14) return InvalidInput(fmt::format("{}: TZ {} is outside -12..14", where, *tz));
  MEG_TRY(CheckPlace({std::string(Trim((*station)[1])), *lat, *lon}, site, source));
  for (++i; i < lines.size() && Trim(lines[i].text).empty(); ++i) {
  }
  if (i == lines.size()) return InvalidInput(fmt::format("{}: no header line after the station line", source));
  auto header = FieldsOf(lines[i], source);
  if (!header) return header.error();
  constexpr std::array<std::string_view, 2> kTime = {"Date (MM/DD/YYYY)", "Time (HH:MM)"};
  auto time_at = Columns(*header, kTime, fmt::format("{}:{}", source, lines[i].number));
  if (!time_at) return time_at.error();
  auto value_at = Columns(*header, kTmy3Names, fmt::format("{}:{}", source, lines[i].number));
  if (!value_at) return value_at.error();

  ParseProblems problems(source);
  std::vector<TypicalHour> records;
  for (const CsvRow& row : DataRows(lines, i + 1, header->size(), problems)) {
    const auto* f = &row.fields;
    // "01/01/1988" and "01:00".."24:00".
    int month = 0, day = 0, y = 0, hh = 0, mm = 0;
    const std::string date(Trim((*f)[(*time_at)[0]]));
    const std::string time(Trim((*f)[(*time_at)[1]]));
    char slash1 = 0, slash2 = 0, colon = 0;
    int used = 0;
    if (std::sscanf(date.c_str(), "%2d%c%2d%c%4d%n", &month, &slash1, &day, &slash2, &y, &used) != 5 || slash1 != '/' ||
        slash2 != '/' || used != static_cast<int>(date.size()) || month < 1 || month > 12 || day < 1 ||
        day > static_cast<int>(static_cast<unsigned>(
                  (std::chrono::year{2000} / std::chrono::month{static_cast<unsigned>(month)} / std::chrono::last)
                      .day()))) {
      problems.Add(row.line, fmt::format("date '{}' is not MM/DD/YYYY", Excerpt(date)));
      continue;
    }
    if (std::sscanf(time.c_str(), "%2d%c%2d%n", &hh, &colon, &mm, &used) != 3 || colon != ':' ||
        used != static_cast<int>(time.size()) || hh < 1 || hh > 24 || mm != 0) {
      problems.Add(row.line, fmt::format("time '{}' is not an hour's end 01:00..24:00", Excerpt(time)));
      continue;
    }
    auto values = ReadValues(*f, *value_at, kTmy3Names, kTmy3Missing);
    if (!values) {
      problems.Add(row.line, values.error().message);
      continue;
    }
    records.push_back({row.line, month, day, hh - 1, *values});
  }
  if (records.empty() && problems.empty()) return InvalidInput(fmt::format("{}: no data rows", source));
  if (!problems.empty()) return problems.ToError();
  return LayOnYear(records, OffsetOfHours(*tz), minutes{60}, year, source);
}

// PSM3: the NSRDB's SAM CSV.
constexpr std::array<std::string_view, kValues> kPsm3Names = {"GHI", "DNI", "DHI", "Temperature", "Wind Speed"};
constexpr double kPsm3Missing = -9999;

struct Psm3Row {
  int line = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  Values values;
};

Result<HourlyWeather> FromPsm3(std::string_view text, std::string_view source, int year, const Location* site) {
  auto csv = LinesOf(text, source);
  if (!csv) return csv.error();
  const auto& lines = csv->lines;
  size_t i = csv->first;
  if (i + 2 >= lines.size()) {
    return InvalidInput(fmt::format("{}: a PSM3 file has a line of names, a line of values and a header", source));
  }
  auto names = FieldsOf(lines[i], source);
  if (!names) return names.error();
  auto meta = FieldsOf(lines[i + 1], source);
  if (!meta) return meta.error();
  const std::string where = fmt::format("{}:{}", source, lines[i + 1].number);
  constexpr std::array<std::string_view, 3> kMeta = {"Latitude", "Longitude", "Time Zone"};
  auto meta_at = Columns(*names, kMeta, fmt::format("{}:{}", source, lines[i].number));
  if (!meta_at) return meta_at.error();
  std::array<double, 3> m{};
  for (size_t k = 0; k < kMeta.size(); ++k) {
    if ((*meta_at)[k] >= meta->size()) {
      return InvalidInput(fmt::format("{}: no value for '{}'", where, kMeta[k]));
    }
    auto v = ParseNumberField((*meta)[(*meta_at)[k]], kMeta[k]);
    if (!v) return InvalidInput(fmt::format("{}: {}", where, v.error().message));
    m[k] = *v;
  }
  if (m[2] < -12 || m[2] > 14) return InvalidInput(fmt::format("{}: Time Zone {} is outside -12..14", where, m[2]));
  std::string city;
  if (auto c = ColumnOf(*names, "City"); c && *c < meta->size()) city = std::string(Trim((*meta)[*c]));
  MEG_TRY(CheckPlace({city, m[0], m[1]}, site, source));

  const Line& header_line = lines[i + 2];
  auto header = FieldsOf(header_line, source);
  if (!header) return header.error();
  constexpr std::array<std::string_view, 5> kTime = {"Year", "Month", "Day", "Hour", "Minute"};
  auto time_at = Columns(*header, kTime, fmt::format("{}:{}", source, header_line.number));
  if (!time_at) return time_at.error();
  auto value_at = Columns(*header, kPsm3Names, fmt::format("{}:{}", source, header_line.number));
  if (!value_at) return value_at.error();

  ParseProblems problems(source);
  std::vector<Psm3Row> rows;
  for (const CsvRow& data : DataRows(lines, i + 3, header->size(), problems)) {
    const auto* f = &data.fields;
    Psm3Row row{data.line, 0, 0, 0, 0, 0, {}};
    std::array<int*, 5> parts = {&row.year, &row.month, &row.day, &row.hour, &row.minute};
    bool ok = true;
    for (size_t k = 0; k < kTime.size() && ok; ++k) {
      auto v = ParseIntField(Trim((*f)[(*time_at)[k]]), kTime[k]);
      if (!v) {
        problems.Add(data.line, v.error().message);
        ok = false;
      } else {
        *parts[k] = *v;
      }
    }
    if (!ok) continue;
    const Date d{std::chrono::year{row.year}, std::chrono::month{static_cast<unsigned>(std::max(row.month, 0))},
                 std::chrono::day{static_cast<unsigned>(std::max(row.day, 0))}};
    if (row.year < 1900 || row.year > 2200 || !d.ok() || row.hour < 0 || row.hour > 23 || row.minute < 0 ||
        row.minute > 59) {
      problems.Add(data.line, fmt::format("{}-{}-{} {}:{} is not a date and time", row.year, row.month, row.day,
                                          row.hour, row.minute));
      continue;
    }
    auto values = ReadValues(*f, *value_at, kPsm3Names, kPsm3Missing);
    if (!values) {
      problems.Add(data.line, values.error().message);
      continue;
    }
    row.values = *values;
    if (!rows.empty() && row.minute != rows.front().minute) {
      problems.Add(data.line, fmt::format("minute {} differs from the first row's {}: the rows must be hourly "
                                          "(a 60-minute PSM3 download)",
                                          row.minute, rows.front().minute));
      continue;
    }
    rows.push_back(row);
  }
  if (rows.empty() && problems.empty()) return InvalidInput(fmt::format("{}: no data rows", source));
  if (!problems.empty()) return problems.ToError();

  const minutes offset = OffsetOfHours(m[2]);
  const minutes sample{rows.front().minute};
  const bool typical = std::any_of(rows.begin(), rows.end(), [&](const Psm3Row& r) { return r.year != rows[0].year; });
  if (typical) {
    std::vector<TypicalHour> records;
    records.reserve(rows.size());
    for (const auto& r : rows) records.push_back({r.line, r.month, r.day, r.hour, r.values});
    return LayOnYear(records, offset, sample, year, source);
  }
  // An actual year: every row on its own date; the hour it stands for starts at HH:00.
  const auto hour_start = [&](const Psm3Row& r) {
    return Timestamp{sys_days{std::chrono::year{r.year} / r.month / r.day}} + hours{r.hour} - offset;
  };
  for (size_t k = 1; k < rows.size(); ++k) {
    if (hour_start(rows[k]) <= hour_start(rows[k - 1])) {
      problems.Add(rows[k].line,
                   fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d} is not after line {}", rows[k].year, rows[k].month,
                               rows[k].day, rows[k].hour, rows[k].minute, rows[k - 1].line));
    }
  }
  if (!problems.empty()) return problems.ToError();
  const Timestamp first = hour_start(rows.front());
  MEG_TRY(CheckDataGrid(first, hour_start(rows.back()), kHour, kValues, source));
  const auto n = static_cast<size_t>((hour_start(rows.back()) - first) / kHour) + 1;
  HourlyColumns columns;
  for (auto& c : columns) c.resize(n);
  for (const auto& r : rows) {
    const auto k = static_cast<size_t>((hour_start(r) - first) / kHour);
    for (size_t c = 0; c < kValues; ++c) columns[c][k] = r.values[c];
  }
  return MakeHourlyWeather(std::move(columns), first, first + sample);
}

}  // namespace

double DistanceKm(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
  constexpr double kEarthRadiusKm = 6371.0;  // mean radius (IUGG)
  constexpr double kRad = std::numbers::pi / 180.0;
  const double dlat = (lat2_deg - lat1_deg) * kRad;
  const double dlon = (lon2_deg - lon1_deg) * kRad;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1_deg * kRad) * std::cos(lat2_deg * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

Result<HourlyWeather> ReadWeatherText(std::string_view text, std::string_view format, std::string_view source, int year,
                                      const Location* site) {
  if (format == "open-meteo") return ParseOpenMeteoCsv(text, source);
  if (format == "epw") return FromEpw(text, source, year, site);
  if (format == "tmy3") return FromTmy3(text, source, year, site);
  if (format == "psm3") return FromPsm3(text, source, year, site);
  return InvalidInput(fmt::format("{}: weather format '{}' is not one of open-meteo, epw, tmy3, psm3", source, format));
}

}  // namespace meg
