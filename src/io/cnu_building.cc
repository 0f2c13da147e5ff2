#include "io/cnu_building.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "core/text.h"
#include "io/data_grid.h"
#include "io/field_parse.h"

namespace meg {
namespace {

constexpr std::chrono::hours kHour{1};
constexpr std::string_view kHeader = ",date,temperatures(C),humidity(%),pressure(hPa),energy";
constexpr size_t kFields = 6;

struct Row {
  int line = 0;
  Timestamp start;
  std::optional<double> temp_c, humidity_pct, pressure_hpa, energy_kwh;
};

// Parses an optional value: empty is nullopt.
Result<std::optional<double>> ParseOptional(std::string_view field, std::string_view what) {
  if (Trim(field).empty()) return std::optional<double>();
  auto v = ParseNumberField(field, what);
  if (!v) return v.error();
  return std::optional<double>(*v);
}

Status ParseRow(const std::vector<std::string>& f, Row& row) {
  auto local = ParseLocalDateTime(Trim(f[1]));
  if (!local) return local.error();
  if (local->minute_of_day % 60 != 0 || local->second != 0) {
    return InvalidInput(fmt::format("date '{}' is not on the hour", Excerpt(Trim(f[1]))));
  }
  row.start = FromKst(local->date, local->minute_of_day);
  auto temp = ParseOptional(f[2], "temperatures(C)");
  auto humidity = ParseOptional(f[3], "humidity(%)");
  auto pressure = ParseOptional(f[4], "pressure(hPa)");
  auto energy = ParseOptional(f[5], "energy");
  for (const auto* r : {&temp, &humidity, &pressure, &energy}) {
    if (!*r) return r->error();
  }
  const std::optional<double>& kwh = *energy;
  const std::optional<double>& rh = *humidity;
  if (kwh && *kwh < 0) {
    return InvalidInput(fmt::format("energy {} kWh is negative; a building consumes >= 0", *kwh));
  }
  if (rh && (*rh < 0 || *rh > 100)) {
    return InvalidInput(fmt::format("humidity(%) {} is outside 0..100", *rh));
  }
  row.temp_c = *temp;
  row.humidity_pct = *humidity;
  row.pressure_hpa = *pressure;
  row.energy_kwh = *energy;
  return Ok{};
}

// The 90th percentile of the present values (nearest rank, as usage_csv).
double Percentile90(const std::vector<std::optional<KilowattHours>>& values) {
  std::vector<double> v;
  for (const auto& x : values) {
    if (x) v.push_back(x->value());
  }
  if (v.empty()) return 0;
  const size_t k = v.size() * 9 / 10;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

std::vector<CnuAnomaly> FindAnomalies(const std::vector<std::optional<KilowattHours>>& energy,
                                      const std::vector<int>& line_of, Timestamp start, std::string_view source,
                                      const CnuReadOptions& options) {
  std::vector<CnuAnomaly> out;
  const double p90 = Percentile90(energy);
  const double limit = options.spike_factor * p90;
  const size_t n = energy.size();
  size_t k = 0;
  while (k < n) {
    if (!energy[k]) {
      ++k;
      continue;
    }
    const double v = energy[k]->value();
    if (p90 > 0 && v > limit) {
      out.push_back(
          CnuAnomaly{CnuAnomaly::Kind::kSpike, line_of[k], line_of[k], start + kHour * static_cast<long>(k), 1,
                     *energy[k],
                     fmt::format("{}:{}: {:.1f} kWh at {} is a spike: more than {} x the 90th percentile of the "
                                 "file ({:.1f} kWh); a meter fault?",
                                 source, line_of[k], v, FormatKst(start + kHour * static_cast<long>(k)),
                                 options.spike_factor, p90)});
      ++k;
      continue;
    }
    if (v != 0) {
      ++k;
      continue;
    }
    size_t j = k;
    while (j < n && energy[j] && energy[j]->value() == 0) ++j;
    const size_t hours = j - k;
    if (hours >= static_cast<size_t>(std::max(options.min_zero_run_hours, 1))) {
      const Timestamp t = start + kHour * static_cast<long>(k);
      out.push_back(
          CnuAnomaly{CnuAnomaly::Kind::kZeroRun, line_of[k], line_of[j - 1], t, hours, KilowattHours(0),
                     fmt::format("{}:{}-{}: {} h of exactly 0 kWh from {}: a stopped meter? (zero runs of {} "
                                 "h or more are flagged)",
                                 source, line_of[k], line_of[j - 1], hours, FormatKst(t), options.min_zero_run_hours)});
    }
    k = j;
  }
  return out;
}

}  // namespace

Result<CnuBuildingData> ParseCnuBuildingCsv(std::string_view text, std::string_view source,
                                            const CnuReadOptions& options) {
  if (!(options.spike_factor > 0)) {
    return InvalidInput(fmt::format("spike_factor {} must be > 0", options.spike_factor));
  }
  auto lines = SplitLines(text, source);
  if (!lines) return lines.error();
  auto header_at = FirstNonBlankLine(*lines, source);
  if (!header_at) return header_at.error();
  size_t i = *header_at;
  if (Trim((*lines)[i].text) != kHeader) {
    return InvalidInput(fmt::format("{}:{}: expected the CNU header '{}', found '{}'", source, (*lines)[i].number,
                                    kHeader, Excerpt((*lines)[i].text)));
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
    if (fields->size() != kFields) {
      problems.Add(line.number, fmt::format("expected {} fields, found {}", kFields, fields->size()));
      continue;
    }
    Row row;
    row.line = line.number;
    if (auto status = ParseRow(*fields, row); !status) {
      problems.Add(line.number, status.error().message);
      continue;
    }
    if (!rows.empty() && row.start <= rows.back().start) {
      problems.Add(line.number,
                   fmt::format("hour {} {} line {}: each hour must appear once, in order", FormatKst(row.start),
                               row.start == rows.back().start ? "repeats" : "is earlier than", rows.back().line));
      continue;
    }
    rows.push_back(row);
  }
  if (rows.empty() && problems.empty()) {
    return InvalidInput(fmt::format("{}: no data rows after the header", source));
  }
  if (!problems.empty()) return problems.ToError();

  // Place rows on the hourly grid; missing hours stay gaps.
  const Timestamp start = rows.front().start;
  MEG_TRY(CheckDataGrid(start, rows.back().start, kHour, 4, source));
  const auto n = static_cast<size_t>((rows.back().start - start) / kHour) + 1;
  std::vector<std::optional<KilowattHours>> energy(n);
  std::array<std::vector<std::optional<double>>, 3> weather;
  for (auto& w : weather) w.resize(n);
  std::vector<int> line_of(n, 0);
  for (const auto& r : rows) {
    const auto k = static_cast<size_t>((r.start - start) / kHour);
    if (r.energy_kwh) energy[k] = KilowattHours(*r.energy_kwh);
    weather[0][k] = r.temp_c;
    weather[1][k] = r.humidity_pct;
    weather[2][k] = r.pressure_hpa;
    line_of[k] = r.line;
  }

  CnuBuildingData out;
  out.anomalies = FindAnomalies(energy, line_of, start, source, options);
  if (options.anomalies_to_gaps) {
    for (const auto& a : out.anomalies) {
      const auto k = static_cast<size_t>((a.start - start) / kHour);
      for (size_t h = 0; h < a.hours; ++h) energy[k + h] = std::nullopt;
    }
  }
  out.energy_kwh = IntervalSeries<KilowattHours>(start, kHour, std::move(energy));
  out.temp_c = IntervalSeries<double>(start, kHour, std::move(weather[0]));
  out.humidity_pct = IntervalSeries<double>(start, kHour, std::move(weather[1]));
  out.pressure_hpa = IntervalSeries<double>(start, kHour, std::move(weather[2]));
  return out;
}

}  // namespace meg
