#include "io/epw.h"

#include <fmt/format.h>

#include <array>

#include "core/text.h"
#include "io/field_parse.h"

namespace meg {
namespace {

constexpr int kHeaderLines = 8;
constexpr size_t kMinDataFields = 22;  // up to the wind speed
// Days before each month in a leap year, so that Feb 29 has its own slot when a file has it.
constexpr std::array<int, 13> kLeapDaysBefore = {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366};
constexpr std::array<std::string_view, kHeaderLines> kHeaderKeywords = {"LOCATION",
                                                                        "DESIGN CONDITIONS",
                                                                        "TYPICAL/EXTREME PERIODS",
                                                                        "GROUND TEMPERATURES",
                                                                        "HOLIDAYS/DAYLIGHT SAVINGS",
                                                                        "COMMENTS 1",
                                                                        "COMMENTS 2",
                                                                        "DATA PERIODS"};

// Position of an hour in a leap-year grid: Jan 1 hour-ending 1 is 0.
int Ordinal(int month, int day, int hour_ending) {
  return (kLeapDaysBefore[static_cast<size_t>(month - 1)] + day - 1) * 24 + hour_ending - 1;
}
constexpr int kLastOrdinal = 366 * 24 - 1;  // Dec 31 hour-ending 24
constexpr int kFeb28Hour24 = (31 + 28) * 24 - 1;
constexpr int kMar1Hour1 = (31 + 29) * 24;

std::string LabelOf(int ordinal) {
  const int day = ordinal / 24;
  int month = 1;
  while (kLeapDaysBefore[static_cast<size_t>(month)] <= day) ++month;
  return fmt::format("{:02d}/{:02d} hour-ending {:02d}", month,
                     day - kLeapDaysBefore[static_cast<size_t>(month - 1)] + 1, ordinal % 24 + 1);
}

// A field of the data dictionary: its position (1-based), name, range and missing code.
struct FieldSpec {
  size_t position;
  const char* name;
  double min;
  double max;
  double missing;  // values >= missing mean "missing"
};

constexpr FieldSpec kDryBulb{7, "dry bulb (C)", -70, 70, 99.9};
constexpr FieldSpec kDewPoint{8, "dew point (C)", -70, 70, 99.9};
constexpr FieldSpec kRelativeHumidity{9, "relative humidity (%)", 0, 110, 999};
constexpr FieldSpec kPressure{10, "pressure (Pa)", 31000, 120000, 999999};
constexpr FieldSpec kGhi{14, "global horizontal radiation (Wh/m2)", 0, 9999, 9999};
constexpr FieldSpec kDni{15, "direct normal radiation (Wh/m2)", 0, 9999, 9999};
constexpr FieldSpec kDhi{16, "diffuse horizontal radiation (Wh/m2)", 0, 9999, 9999};
constexpr FieldSpec kWindDirection{21, "wind direction (degrees)", 0, 360, 999};
constexpr FieldSpec kWindSpeed{22, "wind speed (m/s)", 0, 40, 999};

// Parses one value; a missing code gives nullopt.
Result<std::optional<double>> ParseValue(const std::vector<std::string>& fields, const FieldSpec& spec) {
  auto v = ParseNumberField(fields[spec.position - 1], spec.name);
  if (!v) return v.error();
  if (*v >= spec.missing) return std::optional<double>();
  if (*v < spec.min || *v > spec.max) {
    return InvalidInput(
        fmt::format("{} {} is outside {}..{} (missing is coded {})", spec.name, *v, spec.min, spec.max, spec.missing));
  }
  return std::optional<double>(*v);
}

Result<EpwLocation> ParseLocation(const std::vector<std::string>& f) {
  if (f.size() != 10) {
    return InvalidInput(
        fmt::format("LOCATION has {} fields, expected 10 (LOCATION,city,region,"
                    "country,source,WMO,latitude,longitude,time zone,elevation)",
                    f.size()));
  }
  EpwLocation loc;
  loc.city = Trim(f[1]);
  loc.region = Trim(f[2]);
  loc.country = Trim(f[3]);
  loc.data_source = Trim(f[4]);
  loc.wmo_station = Trim(f[5]);
  auto lat = ParseNumberField(f[6], "latitude");
  auto lon = ParseNumberField(f[7], "longitude");
  auto tz = ParseNumberField(f[8], "time zone");
  auto elevation = ParseNumberField(f[9], "elevation");
  for (const auto* r : {&lat, &lon, &tz, &elevation}) {
    if (!*r) return r->error();
  }
  if (*lat < -90 || *lat > 90) return InvalidInput(fmt::format("latitude {} is outside -90..90", *lat));
  if (*lon < -180 || *lon > 180) {
    return InvalidInput(fmt::format("longitude {} is outside -180..180", *lon));
  }
  if (*tz < -12 || *tz > 14) return InvalidInput(fmt::format("time zone {} is outside -12..14", *tz));
  loc.latitude_deg = *lat;
  loc.longitude_deg = *lon;
  loc.utc_offset_hours = *tz;
  loc.elevation_m = *elevation;
  return loc;
}

std::string WithoutSpaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

// DATA PERIODS,1,1,Data,Sunday,1/ 1,12/31: one period, one record per hour, the whole year.
Result<std::chrono::weekday> ParseDataPeriods(const std::vector<std::string>& f) {
  if (f.size() != 7 || Trim(f[1]) != "1" || Trim(f[2]) != "1") {
    return InvalidInput(
        "DATA PERIODS must state one period with one record per hour "
        "(DATA PERIODS,1,1,Data,<weekday>,1/1,12/31)");
  }
  if (WithoutSpaces(f[5]) != "1/1" || WithoutSpaces(f[6]) != "12/31") {
    return InvalidInput(
        fmt::format("DATA PERIODS covers {}..{}, expected the whole year 1/1..12/31", Trim(f[5]), Trim(f[6])));
  }
  static constexpr std::array<std::string_view, 7> kNames = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                             "Thursday", "Friday", "Saturday"};
  for (unsigned i = 0; i < kNames.size(); ++i) {
    if (Trim(f[4]) == kNames[i]) return std::chrono::weekday{i};
  }
  return InvalidInput(fmt::format("DATA PERIODS start day '{}' is not a weekday", Excerpt(Trim(f[4]))));
}

// Parses one data record into `out`; returns the problem, if any.
Status ParseRecord(const std::vector<std::string>& f, EpwHour& out) {
  if (f.size() < kMinDataFields) {
    return InvalidInput(fmt::format("expected at least {} fields, found {}", kMinDataFields, f.size()));
  }
  auto year = ParseIntField(f[0], "year");
  auto month = ParseIntField(f[1], "month");
  auto day = ParseIntField(f[2], "day");
  auto hour = ParseIntField(f[3], "hour");
  for (const auto* r : {&year, &month, &day, &hour}) {
    if (!*r) return r->error();
  }
  if (*month < 1 || *month > 12) return InvalidInput(fmt::format("month {} is outside 1..12", *month));
  const auto m = static_cast<size_t>(*month);
  if (*day < 1 || *day > kLeapDaysBefore[m] - kLeapDaysBefore[m - 1]) {
    return InvalidInput(fmt::format("day {} is not a day of month {}", *day, *month));
  }
  if (*hour < 1 || *hour > 24) {
    return InvalidInput(fmt::format("hour {} is outside 1..24 (EPW hours are hour-ending)", *hour));
  }
  out.source_year = *year;
  out.month = *month;
  out.day = *day;
  out.hour_ending = *hour;
  const std::array<std::pair<const FieldSpec*, std::optional<double>*>, 9> values = {{
      {&kDryBulb, &out.dry_bulb_c},
      {&kDewPoint, &out.dew_point_c},
      {&kRelativeHumidity, &out.relative_humidity_pct},
      {&kPressure, &out.pressure_pa},
      {&kGhi, &out.ghi_wh_m2},
      {&kDni, &out.dni_wh_m2},
      {&kDhi, &out.dhi_wh_m2},
      {&kWindDirection, &out.wind_direction_deg},
      {&kWindSpeed, &out.wind_speed_m_s},
  }};
  for (const auto& [spec, target] : values) {
    auto v = ParseValue(f, *spec);
    if (!v) return v.error();
    *target = *v;
  }
  return Ok{};
}

}  // namespace

Result<EpwWeather> ParseEpw(std::string_view text, std::string_view source) {
  auto lines = SplitLines(text, source);
  if (!lines) return lines.error();
  if (lines->size() < static_cast<size_t>(kHeaderLines)) {
    return InvalidInput(
        fmt::format("{}: {} lines; an EPW file has {} header lines and then hourly "
                    "records",
                    source, lines->size(), kHeaderLines));
  }
  EpwWeather out;
  for (size_t i = 0; i < static_cast<size_t>(kHeaderLines); ++i) {
    const Line& line = (*lines)[i];
    auto fields = SplitCsv(line.text);
    const std::string_view keyword = kHeaderKeywords[i];
    if (!fields || Trim((*fields)[0]) != keyword) {
      return InvalidInput(fmt::format("{}:{}: expected the EPW header line '{},...', found '{}'", source, line.number,
                                      keyword, Excerpt(line.text)));
    }
    if (i == 0) {
      auto loc = ParseLocation(*fields);
      if (!loc) return InvalidInput(fmt::format("{}:{}: {}", source, line.number, loc.error().message));
      out.location = std::move(*loc);
    } else if (i + 1 == static_cast<size_t>(kHeaderLines)) {
      auto first = ParseDataPeriods(*fields);
      if (!first) {
        return InvalidInput(fmt::format("{}:{}: {}", source, line.number, first.error().message));
      }
      out.first_weekday = *first;
    }
  }

  ParseProblems problems(source);
  int last = -1;
  for (size_t i = kHeaderLines; i < lines->size(); ++i) {
    const Line& line = (*lines)[i];
    if (Trim(line.text).empty()) continue;
    auto fields = SplitCsv(line.text);
    if (!fields) {
      problems.Add(line.number, fields.error().message);
      continue;
    }
    EpwHour hour;
    if (auto status = ParseRecord(*fields, hour); !status) {
      problems.Add(line.number, status.error().message);
      continue;
    }
    const int ord = Ordinal(hour.month, hour.day, hour.hour_ending);
    const bool next = ord == last + 1 || (last == kFeb28Hour24 && ord == kMar1Hour1);
    if (ord <= last) {
      problems.Add(line.number, fmt::format("{} repeats or is out of order (after {})", LabelOf(ord), LabelOf(last)));
      continue;
    }
    if (!next) {
      problems.Add(line.number, fmt::format("{} follows {}: the hours between are missing", LabelOf(ord),
                                            last < 0 ? "the header" : LabelOf(last)));
    }
    last = ord;
    out.hours.push_back(hour);
  }
  if (out.hours.empty() && problems.empty()) {
    return InvalidInput(fmt::format("{}: no hourly records after the 8 header lines", source));
  }
  if (last >= 0 && last != kLastOrdinal) {
    problems.AddFile(fmt::format("the records end at {}, not 12/31 hour-ending 24", LabelOf(last)));
  }
  if (!problems.empty()) return problems.ToError();
  return out;
}

}  // namespace meg
