#include "io/usage_csv.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/site.h"
#include "core/text.h"

namespace meg {
namespace {

constexpr size_t kMaxProblems = 20;

Result<double> ParseValue(std::string_view field, const char* what) {
  const auto lower = Lower(Trim(field));
  if (lower == "nan" || lower == "-nan" || lower == "null" || lower == "na") {
    return InvalidInput(
        fmt::format("{} is '{}', not a number (a missing reading? leave the row "
                    "out and use --repair gaps)",
                    what, Excerpt(Trim(field))));
  }
  auto v = ParseFiniteDouble(field);
  if (!v) return InvalidInput(fmt::format("{} {}", what, v.error().message));
  return *v;
}

// Fills the gaps of `values` by linear interpolation; ends hold the nearest value.
template <typename T>
void Interpolate(std::vector<std::optional<T>>& values) {
  const size_t n = values.size();
  size_t i = 0;
  while (i < n) {
    if (values[i]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && !values[j]) ++j;
    const bool has_left = i > 0;
    const bool has_right = j < n;
    for (size_t k = i; k < j; ++k) {
      if (has_left && has_right) {
        const double a = values[i - 1]->value();
        const double b = values[j]->value();
        const double f = static_cast<double>(k - i + 1) / static_cast<double>(j - i + 1);
        values[k] = T(a + (b - a) * f);
      } else if (has_left) {
        values[k] = values[i - 1];
      } else if (has_right) {
        values[k] = values[j];
      }
    }
    i = j;
  }
}

// Checks the rows of any reader and places them on the 15-minute grid; `problems` holds the
// reader's own, reported with these.
Result<UsageData> AssembleUsage(std::vector<UsageRow> read_rows, bool has_kvar, std::string_view source,
                                const UsageReadOptions& options, std::vector<std::string> problems) {
  auto problem = [&](int line, const std::string& what) {
    if (problems.size() < kMaxProblems) problems.push_back(fmt::format("{}:{}: {}", source, line, what));
  };
  // |kW| and |kvar| beyond this are a meter or file fault (core/site.h).
  const double max_kw =
      options.contract_power ? options.contract_power->value() * kMaxDemandPerContract : kMaxPlausibleKw;
  const std::string bound_why =
      options.contract_power
          ? fmt::format("{} x the contract power {} kW", kMaxDemandPerContract, options.contract_power->value())
          : std::string("the bound for a site of unknown contract power");
  const auto plausible = [&](int line, double v, std::string_view what) {
    if (std::fabs(v) <= max_kw) return true;
    problem(line, fmt::format("{} {} is not a possible 15-minute mean: beyond {} ({}); a meter or file fault?", what, v,
                              max_kw, bound_why));
    return false;
  };
  const Timestamp first_allowed = FromKst(std::chrono::year{kFirstUsageYear} / 1 / 1);
  const Timestamp last_allowed = FromKst(std::chrono::year{kLastUsageYear + 1} / 1 / 1);

  std::vector<UsageRow> rows;
  rows.reserve(read_rows.size());
  for (const UsageRow& row : read_rows) {
    if (row.t < first_allowed || row.t >= last_allowed) {
      problem(row.line, fmt::format("timestamp {} is outside the years {}..{} a usage file may cover", FormatKst(row.t),
                                    kFirstUsageYear, kLastUsageYear));
      continue;
    }
    if (!IsIntervalAligned(row.t)) {
      problem(row.line, fmt::format("timestamp {} is not the start of a 15-minute interval "
                                    "(:00, :15, :30 or :45)",
                                    FormatKst(row.t)));
      continue;
    }
    if (!plausible(row.line, row.kw, "kW")) continue;
    if (row.kvar && !plausible(row.line, *row.kvar, "kvar")) continue;
    if (!rows.empty()) {
      const UsageRow& prev = rows.back();
      if (row.t == prev.t) {
        const bool same = row.kw == prev.kw && row.kvar == prev.kvar;
        if (same && options.repair.duplicates) continue;
        problem(row.line, same ? fmt::format("duplicate interval {} (same as line {}; --repair duplicates "
                                             "drops exact repeats)",
                                             FormatKst(row.t), prev.line)
                               : fmt::format("duplicate interval {} with a different value than line {} "
                                             "({} vs {} kW): fix the file",
                                             FormatKst(row.t), prev.line, row.kw, prev.kw));
        continue;
      }
      if (row.t < prev.t) {
        problem(row.line, fmt::format("timestamp {} is earlier than line {} ({}): rows must be "
                                      "in time order",
                                      FormatKst(row.t), prev.line, FormatKst(prev.t)));
        continue;
      }
    }
    rows.push_back(row);
  }
  if (rows.empty() && problems.empty()) {
    return InvalidInput(fmt::format("{}: no data rows after the header", source));
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "\n") + p;
    if (problems.size() == kMaxProblems) all += "\n(further problems not shown)";
    return InvalidInput(all);
  }

  // The span, before the grid below is allocated for it.
  if (rows.back().t - rows.front().t >= std::chrono::days{kMaxUsageSpanDays}) {
    return InvalidInput(fmt::format(
        "{}:{}: the rows span {} (line {}) to {} (line {}), more than {} days; a usage file covers months: split "
        "it",
        source, rows.back().line, FormatKst(rows.front().t), rows.front().line, FormatKst(rows.back().t),
        rows.back().line, kMaxUsageSpanDays));
  }

  // Place rows on the 15-minute grid; missing intervals become explicit gaps.
  const Timestamp start = rows.front().t;
  const auto n = static_cast<size_t>((rows.back().t - start) / kInterval) + 1;
  std::vector<std::optional<Kilowatts>> kw(n);
  std::vector<std::optional<double>> kvar(has_kvar ? n : 0);
  std::vector<int> line_of(n, 0);
  for (const auto& r : rows) {
    const auto k = static_cast<size_t>((r.t - start) / kInterval);
    kw[k] = Kilowatts(r.kw);
    if (has_kvar) kvar[k] = r.kvar;
    line_of[k] = r.line;
  }
  UsageData out;

  // Missing intervals, found before spikes are taken out.
  const auto gaps = PowerSeries(start, kInterval, kw).Gaps();
  if (!gaps.empty() && !options.repair.gaps && !options.keep_gaps) {
    for (const auto& g : gaps) {
      const auto k = static_cast<size_t>((g.start - start) / kInterval);
      problem(line_of[k + g.count], fmt::format("{} missing interval(s) before this line, from {}; "
                                                "add them or pass --repair gaps",
                                                g.count, FormatKst(g.start)));
    }
  }

  // Spikes: |kW| > spike_factor x p90(|kW|).
  std::vector<double> mags;
  mags.reserve(rows.size());
  for (const auto& r : rows) mags.push_back(std::fabs(r.kw));
  const size_t p90_index = mags.size() * 9 / 10;
  std::nth_element(mags.begin(), mags.begin() + static_cast<long>(p90_index), mags.end());
  const double p90 = mags[p90_index];
  if (p90 > 0) {
    const double limit = options.spike_factor * p90;
    for (size_t k = 0; k < n; ++k) {
      if (!kw[k] || std::fabs(kw[k]->value()) <= limit) continue;
      if (options.repair.spikes) {
        out.repairs.push_back(
            fmt::format("{}:{}: spike of {} kW replaced by interpolation", source, line_of[k], kw[k]->value()));
        kw[k] = std::nullopt;
        if (has_kvar) kvar[k] = std::nullopt;
      } else {
        problem(line_of[k], fmt::format("{} kW is a spike: more than {} x the 90th percentile of the file "
                                        "({:.1f} kW); a meter fault? fix it or pass --repair spikes",
                                        kw[k]->value(), options.spike_factor, p90));
      }
    }
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "\n") + p;
    if (problems.size() == kMaxProblems) all += "\n(further problems not shown)";
    return InvalidInput(all);
  }
  for (const auto& g : options.keep_gaps ? std::vector<Gap>{} : gaps) {
    out.repairs.push_back(
        fmt::format("{}: {} missing interval(s) from {} filled by linear "
                    "interpolation",
                    source, g.count, FormatKst(g.start)));
  }
  // With keep_gaps, the missing intervals are emptied again after the spikes are interpolated.
  const auto restore_gaps = [&](auto& values) {
    if (!options.keep_gaps) return;
    for (const auto& g : gaps) {
      const auto k = static_cast<size_t>((g.start - start) / kInterval);
      for (size_t j = k; j < k + g.count; ++j) values[j] = std::nullopt;
    }
  };
  Interpolate(kw);
  restore_gaps(kw);
  PowerSeries series(start, kInterval, std::move(kw));
  out.kw = std::move(series);
  if (has_kvar) {
    // Reactive power of repaired intervals is interpolated the same way.
    std::vector<std::optional<Kilowatts>> tmp(n);
    for (size_t k = 0; k < n; ++k) {
      if (kvar[k]) tmp[k] = Kilowatts(*kvar[k]);
    }
    Interpolate(tmp);
    restore_gaps(tmp);
    std::vector<std::optional<double>> filled(n);
    for (size_t k = 0; k < n; ++k) {
      if (tmp[k]) filled[k] = tmp[k]->value();
    }
    out.kvar = IntervalSeries<double>(start, kInterval, std::move(filled));
  }
  return out;
}

}  // namespace

Result<UsageData> ParseUsageCsv(std::string_view text, std::string_view source, const UsageReadOptions& options) {
  auto lines = SplitLines(text, source);
  if (!lines) return lines.error();
  std::vector<std::string> problems;
  auto problem = [&](int line, const std::string& what) {
    if (problems.size() < kMaxProblems) problems.push_back(fmt::format("{}:{}: {}", source, line, what));
  };

  auto header_at = FirstNonBlankLine(*lines, source);
  if (!header_at) return header_at.error();
  size_t i = *header_at;
  bool has_kvar = false;
  {
    const auto header = SplitCsv((*lines)[i].text);
    const auto h = header ? *header : std::vector<std::string>{};
    std::vector<std::string> names;
    for (const auto& f : h) names.push_back(Lower(Trim(f)));
    if (names.size() == 2 && names[0] == "timestamp" && names[1] == "kw") {
      has_kvar = false;
    } else if (names.size() == 3 && names[0] == "timestamp" && names[1] == "kw" && names[2] == "kvar") {
      has_kvar = true;
    } else {
      return InvalidInput(fmt::format("{}:{}: expected the header 'timestamp,kW' (or 'timestamp,kW,kvar'), found '{}'",
                                      source, (*lines)[i].number, Excerpt((*lines)[i].text)));
    }
    ++i;
  }

  std::vector<UsageRow> rows;
  rows.reserve(lines->size());
  for (; i < lines->size(); ++i) {
    const auto& line = (*lines)[i];
    if (Trim(line.text).empty()) continue;
    auto fields = SplitCsv(line.text);
    if (!fields) {
      problem(line.number, fields.error().message);
      continue;
    }
    const size_t expected = has_kvar ? 3 : 2;
    if (fields->size() != expected) {
      problem(line.number, fmt::format("expected {} fields, found {}", expected, fields->size()));
      continue;
    }
    auto t = ParseIso8601(Trim((*fields)[0]));
    if (!t) {
      problem(line.number, t.error().message);
      continue;
    }
    auto kw = ParseValue((*fields)[1], "kW");
    if (!kw) {
      problem(line.number, kw.error().message);
      continue;
    }
    UsageRow row{line.number, *t, *kw, std::nullopt};
    if (has_kvar) {
      auto kvar = ParseValue((*fields)[2], "kvar");
      if (!kvar) {
        problem(line.number, kvar.error().message);
        continue;
      }
      row.kvar = *kvar;
    }
    rows.push_back(row);
  }
  return AssembleUsage(std::move(rows), has_kvar, source, options, std::move(problems));
}

Result<UsageData> UsageFromRows(std::vector<UsageRow> rows, bool has_kvar, std::string_view source,
                                const UsageReadOptions& options) {
  return AssembleUsage(std::move(rows), has_kvar, source, options, {});
}

std::string FormatUsageCsv(const PowerSeries& kw) {
  std::string out = "timestamp,kW\n";
  out.reserve(kw.size() * 36);
  for (size_t i = 0; i < kw.size(); ++i) {
    if (!kw.at(i)) continue;
    out += fmt::format("{},{:.3f}\n", FormatKst(kw.TimeAt(i)), kw.at(i)->value());
  }
  return out;
}

}  // namespace meg
