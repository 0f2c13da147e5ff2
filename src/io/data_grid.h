// The bound on the regular time grid a data loader builds from a file's rows (io/cnu_building,
// gist_pv, open_meteo, torino_campus): every step from the first row to the last gets a slot, a
// gap where no row is, so two rows a millennium apart would take gigabytes. Found by the fuzzers
// (tests/fuzz). Pure; thread-safe.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <string_view>

#include "core/result.h"
#include "core/time.h"

namespace meg {

// The longest a data file may span: 20 years (the data sets cover one or two).
inline constexpr std::chrono::days kMaxDataSpan{7305};
// The most values on a grid (steps x value columns): 2^24, 268 MB of std::optional<double>.
inline constexpr size_t kMaxGridCells = size_t{1} << 24;

// Ok, or an Error naming the first and last row's times when the grid from `first` to `last`
// (first <= last) in steps of `step` with `columns` values a step spans more than kMaxDataSpan or
// holds more than kMaxGridCells values.
inline Status CheckDataGrid(Timestamp first, Timestamp last, std::chrono::seconds step, size_t columns,
                            std::string_view source) {
  const auto span = last - first;
  if (span > kMaxDataSpan) {
    return InvalidInput(
        fmt::format("{}: the rows run from {} to {}, {} days; a data file may span at most {} days (20 years): "
                    "a mistyped year?",
                    source, FormatKst(first), FormatKst(last), std::chrono::floor<std::chrono::days>(span).count(),
                    kMaxDataSpan.count()));
  }
  const auto steps = static_cast<size_t>(span / step) + 1;
  if (columns > 0 && steps > kMaxGridCells / columns) {
    return InvalidInput(
        fmt::format("{}: {} steps of {} s x {} value columns is more than the {} values a data "
                    "file may hold",
                    source, steps, step.count(), columns, kMaxGridCells));
  }
  return Ok{};
}

}  // namespace meg
