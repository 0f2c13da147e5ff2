#include "io/doe_hospital.h"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <optional>

#include "core/text.h"
#include "core/time.h"
#include "io/field_parse.h"

namespace meg {
namespace {

using std::chrono::sys_days;

constexpr std::string_view kUnitSuffix = " [kW](Hourly)";
constexpr std::string_view kFacilityHeader = "Electricity:Facility [kW](Hourly)";
// Days before each month in a non-leap year (the DOE year has no Feb 29).
constexpr std::array<int, 13> kDaysBefore = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

// The file's hour-ending label of index h, e.g. "01/01 01:00" for index 0.
std::string LabelOf(int h) {
  const int day = h / 24;
  int month = 1;
  while (kDaysBefore[static_cast<size_t>(month)] <= day) ++month;
  return fmt::format("{:02d}/{:02d} {:02d}:00", month, day - kDaysBefore[static_cast<size_t>(month - 1)] + 1,
                     h % 24 + 1);
}

// Parses " MM/DD  HH:MM:SS" (hour-ending) into the index of the hour it ends.
Result<int> ParseHourEnding(std::string_view field) {
  const auto text = Trim(field);
  auto bad = [&](std::string_view why) {
    return InvalidInput(
        fmt::format("Date/Time '{}' {} (expected ' MM/DD  HH:00:00', hour-ending "
                    "01..24)",
                    Excerpt(field), why));
  };
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return bad("has no time");
  const auto date = text.substr(0, space);
  const auto time = Trim(text.substr(space + 1));
  if (date.size() != 5 || date[2] != '/') return bad("has no date MM/DD");
  if (time.size() != 8 || time[2] != ':' || time[5] != ':') return bad("has no time HH:MM:SS");
  auto month = ParseIntField(date.substr(0, 2), "month");
  auto day = ParseIntField(date.substr(3, 2), "day");
  auto hour = ParseIntField(time.substr(0, 2), "hour");
  auto minute = ParseIntField(time.substr(3, 2), "minute");
  auto second = ParseIntField(time.substr(6, 2), "second");
  if (!month || !day || !hour || !minute || !second) return bad("has a non-numeric part");
  if (*month < 1 || *month > 12) return bad("has a month outside 01..12");
  const auto m = static_cast<size_t>(*month);
  if (*day < 1 || *day > kDaysBefore[m] - kDaysBefore[m - 1]) {
    return bad("has a day outside the month (a non-leap year)");
  }
  if (*hour < 1 || *hour > 24) return bad("has an hour outside 01..24");
  if (*minute != 0 || *second != 0) return bad("is not on the hour");
  return (kDaysBefore[m - 1] + *day - 1) * 24 + *hour - 1;
}

// Checks the header and returns the column names without the unit suffix.
Result<std::vector<std::string>> ParseHeader(const Line& line, std::string_view source) {
  auto fields = SplitCsv(line.text);
  auto wrong = [&](std::string_view why) {
    return InvalidInput(
        fmt::format("{}:{}: {}; expected the DOE reference building header "
                    "'Date/Time,{},<end use> [kW](Hourly),...'",
                    source, line.number, why, kFacilityHeader));
  };
  if (!fields) return wrong(fields.error().message);
  if (fields->size() < 2 || Trim((*fields)[0]) != "Date/Time" || Trim((*fields)[1]) != kFacilityHeader) {
    return wrong(fmt::format("found '{}'", Excerpt(line.text)));
  }
  std::vector<std::string> names;
  for (size_t c = 1; c < fields->size(); ++c) {
    const auto f = Trim((*fields)[c]);
    if (!f.ends_with(kUnitSuffix) || f.size() == kUnitSuffix.size()) {
      return wrong(fmt::format("column {} '{}' is not '<name> [kW](Hourly)'", c + 1, Excerpt(f)));
    }
    names.emplace_back(f.substr(0, f.size() - kUnitSuffix.size()));
  }
  return names;
}

}  // namespace

Kilowatts DoeHospitalLoad::FacilityAt(int day, int hour) const {
  MEG_CHECK(day >= 0 && day < kDoeDaysPerYear && hour >= 0 && hour < 24);
  const int index = day * 24 + hour;
  MEG_CHECK(static_cast<size_t>(index) < facility_kw.size());
  return facility_kw[static_cast<size_t>(index)];
}

const DoeColumn* DoeHospitalLoad::FindEndUse(std::string_view name) const {
  for (const auto& c : end_uses) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<DoeHospitalLoad> ParseDoeHospitalCsv(std::string_view text, std::string_view source) {
  auto lines = SplitLines(text, source);
  if (!lines) return lines.error();
  auto header_at = FirstNonBlankLine(*lines, source);
  if (!header_at) return header_at.error();
  size_t i = *header_at;
  auto names = ParseHeader((*lines)[i], source);
  if (!names) return names.error();
  ++i;

  const size_t columns = names->size();
  std::vector<std::vector<Kilowatts>> values(columns, std::vector<Kilowatts>(kDoeHoursPerYear));
  ParseProblems problems(source);
  int last = -1;  // index of the last hour read
  int rows = 0;
  for (; i < lines->size(); ++i) {
    const Line& line = (*lines)[i];
    if (Trim(line.text).empty()) continue;
    ++rows;
    auto fields = SplitCsv(line.text);
    if (!fields) {
      problems.Add(line.number, fields.error().message);
      continue;
    }
    if (fields->size() != columns + 1) {
      problems.Add(line.number, fmt::format("expected {} fields, found {}", columns + 1, fields->size()));
      continue;
    }
    auto h = ParseHourEnding((*fields)[0]);
    if (!h) {
      problems.Add(line.number, h.error().message);
      continue;
    }
    if (*h <= last) {
      problems.Add(line.number, fmt::format("hour ending {} repeats or is out of order (after "
                                            "hour ending {})",
                                            LabelOf(*h), LabelOf(last)));
      continue;
    }
    if (*h > last + 1) {
      problems.Add(line.number, *h == last + 2
                                    ? fmt::format("hour ending {} is missing before this row", LabelOf(last + 1))
                                    : fmt::format("hours ending {} to {} are missing before this row",
                                                  LabelOf(last + 1), LabelOf(*h - 1)));
    }
    last = *h;
    for (size_t c = 0; c < columns; ++c) {
      const auto& name = (*names)[c];
      auto v = ParseNumberField((*fields)[c + 1], name);
      if (!v) {
        problems.Add(line.number, v.error().message);
      } else if (*v < 0) {
        problems.Add(line.number, fmt::format("{} {} kW is negative; a load is consumption >= 0", name, *v));
      } else {
        values[c][static_cast<size_t>(*h)] = Kilowatts(*v);
      }
    }
  }
  if (rows == 0) return InvalidInput(fmt::format("{}: no data rows after the header", source));
  if (last >= 0 && last < kDoeHoursPerYear - 1) {
    problems.AddFile(
        fmt::format("the file ends at hour ending {}; hours ending {} to 12/31 24:00 "
                    "are missing",
                    LabelOf(last), LabelOf(last + 1)));
  }
  if (problems.empty() && rows != kDoeHoursPerYear) {
    problems.AddFile(fmt::format("expected {} hourly rows, found {}", kDoeHoursPerYear, rows));
  }
  if (!problems.empty()) return problems.ToError();

  DoeHospitalLoad out;
  out.facility_kw = std::move(values[0]);
  for (size_t c = 1; c < columns; ++c) {
    out.end_uses.push_back(DoeColumn{(*names)[c], std::move(values[c])});
  }
  return out;
}

Result<std::vector<int>> DoeDaysForYear(int year, const HolidayCalendar& holidays) {
  if (year < 1900 || year > 2999) {
    return InvalidInput(fmt::format("year {} is outside 1900..2999", year));
  }
  const std::chrono::year y{year};
  const Date first = y / std::chrono::January / 1;
  const Date last = y / std::chrono::December / 31;
  if (!holidays.Covers(first) || !holidays.Covers(last)) {
    return NotFound(
        fmt::format("the holiday calendar covers {}..{}, not the year {}; holidays "
                    "decide which days take a Sunday profile",
                    FormatDate(holidays.first()), FormatDate(holidays.last()), year));
  }
  const int days = static_cast<int>((sys_days{last} - sys_days{first}).count()) + 1;
  std::vector<int> picks;
  picks.reserve(static_cast<size_t>(days));
  for (int j = 0; j < days; ++j) {
    const Date date{sys_days{first} + std::chrono::days{j}};
    const Holiday* holiday = holidays.Find(date);
    const bool sunday_profile = holiday != nullptr && holiday->kind != HolidayKind::kTemporary;
    const std::chrono::weekday want = sunday_profile ? std::chrono::Sunday : std::chrono::weekday{sys_days{date}};
    // Same-weekday DOE days are 7 apart, so within +-3 there is exactly one; only at the ends of
    // the DOE year may it fall outside 0..364, and then the other side is at most 6 away. Trying
    // distance 0, -1, +1, -2, ... finds the nearest (no ties are possible).
    std::optional<int> pick;
    for (int k = 0; k <= 6 && !pick; ++k) {
      for (int i : {j - k, j + k}) {
        if (i < 0 || i >= kDoeDaysPerYear) continue;
        if (kDoeFirstWeekday + std::chrono::days{i} == want) {
          pick = i;
          break;
        }
      }
    }
    MEG_CHECK(pick.has_value());
    picks.push_back(*pick);
  }
  return picks;
}

Result<PowerSeries> DoeHospitalOnYear(const DoeHospitalLoad& load, int year, const HolidayCalendar& holidays) {
  if (load.facility_kw.size() != static_cast<size_t>(kDoeHoursPerYear)) {
    return InvalidInput(
        fmt::format("the DOE load holds {} hourly values, not {}", load.facility_kw.size(), kDoeHoursPerYear));
  }
  auto picks = DoeDaysForYear(year, holidays);
  if (!picks) return picks.error();
  constexpr int kQuartersPerHour = 4;
  std::vector<std::optional<Kilowatts>> kw;
  kw.reserve(picks->size() * kIntervalsPerDay);
  for (const int doe_day : *picks) {
    for (int hour = 0; hour < 24; ++hour) {
      // Holding the hourly mean for each quarter keeps the hour's energy: 4 x kW x 0.25 h.
      const Kilowatts p = load.FacilityAt(doe_day, hour);
      for (int q = 0; q < kQuartersPerHour; ++q) kw.emplace_back(p);
    }
  }
  const Date jan1 = std::chrono::year{year} / std::chrono::January / 1;
  return PowerSeries(FromKst(jan1), kInterval, std::move(kw));
}

Result<PowerSeries> DoeEndUseOnYear(const DoeHospitalLoad& load, std::string_view name, int year,
                                    const HolidayCalendar& holidays) {
  const DoeColumn* column = load.FindEndUse(name);
  if (column == nullptr) {
    std::string names;
    for (const DoeColumn& c : load.end_uses) names += (names.empty() ? "" : ", ") + c.name;
    return NotFound(fmt::format("the DOE load has no end use '{}' (it has: {})", name, names));
  }
  DoeHospitalLoad one;
  one.facility_kw = column->kw;
  return DoeHospitalOnYear(one, year, holidays);
}

}  // namespace meg
