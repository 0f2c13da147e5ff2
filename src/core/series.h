// IntervalSeries<T>: values on a fixed grid of equal intervals, with missing intervals kept as
// explicit gaps (std::nullopt), never as a silent zero or NaN. Value type; thread-compatible.
//
//   PowerSeries load(start, kInterval, values);   // 15-minute mean power, named by interval start
//   for (size_t i = 0; i < load.size(); ++i) if (auto kw = load.at(i)) ...
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <optional>
#include <vector>

#include "core/check.h"
#include "core/time.h"
#include "core/units.h"

namespace meg {

struct Gap {
  Timestamp start;   // first missing interval
  size_t count = 0;  // number of consecutive missing intervals
};

template <typename T>
class IntervalSeries {
 public:
  IntervalSeries() = default;
  // REQUIRES: step > 0.
  IntervalSeries(Timestamp start, std::chrono::seconds step, std::vector<std::optional<T>> values)
      : start_(start), step_(step), values_(std::move(values)) {
    MEG_CHECK(step_.count() > 0);
  }

  Timestamp start() const { return start_; }
  std::chrono::seconds step() const { return step_; }
  size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  // End of the last interval (exclusive).
  Timestamp end() const { return start_ + step_ * static_cast<long>(values_.size()); }
  Timestamp TimeAt(size_t i) const { return start_ + step_ * static_cast<long>(i); }
  const std::optional<T>& at(size_t i) const { return values_[i]; }
  std::optional<T>& at(size_t i) { return values_[i]; }
  const std::vector<std::optional<T>>& values() const { return values_; }

  // Index of the interval that starts at t, if t lies on the grid inside the series.
  std::optional<size_t> IndexOf(Timestamp t) const {
    if (t < start_ || t >= end()) return std::nullopt;
    const auto offset = (t - start_).count();
    if (offset % step_.count() != 0) return std::nullopt;
    return static_cast<size_t>(offset / step_.count());
  }

  // Runs of missing intervals, in time order.
  std::vector<Gap> Gaps() const {
    std::vector<Gap> gaps;
    for (size_t i = 0; i < values_.size(); ++i) {
      if (values_[i]) continue;
      if (!gaps.empty() && gaps.back().start + step_ * static_cast<long>(gaps.back().count) ==
                               TimeAt(i)) {
        ++gaps.back().count;
      } else {
        gaps.push_back(Gap{TimeAt(i), 1});
      }
    }
    return gaps;
  }

  // The intervals that start in [from, to), clipped to the series.
  IntervalSeries Slice(Timestamp from, Timestamp to) const {
    const Timestamp lo = from < start_ ? start_ : from;
    const Timestamp hi = to > end() ? end() : to;
    if (hi <= lo) return IntervalSeries(lo, step_, {});
    const auto first = static_cast<size_t>((lo - start_ + step_ - std::chrono::seconds{1}) / step_);
    const auto last = static_cast<size_t>((hi - start_ + step_ - std::chrono::seconds{1}) / step_);
    return IntervalSeries(TimeAt(first), step_,
                          std::vector<std::optional<T>>(values_.begin() + static_cast<long>(first),
                                                        values_.begin() + static_cast<long>(last)));
  }

 private:
  Timestamp start_{};
  std::chrono::seconds step_{kInterval};
  std::vector<std::optional<T>> values_;
};

// Mean power per interval. Sign is stated by the producer (grid: + import / - export).
using PowerSeries = IntervalSeries<Kilowatts>;

// The value of the interval starting at `t`, NaN when it is a gap or off the series (for numeric
// code such as the forecasters, where a missing value becomes a missing feature).
inline double ValueOrNaN(const IntervalSeries<double>& s, Timestamp t) {
  const auto i = s.IndexOf(t);
  if (!i || !s.at(*i)) return std::numeric_limits<double>::quiet_NaN();
  return *s.at(*i);
}

// The values of a unit series (kW, kWh, ...) as plain doubles (for numeric code such as the
// forecasters), gaps kept.
template <typename Unit>
IntervalSeries<double> ToDoubleSeries(const IntervalSeries<Unit>& s) {
  std::vector<std::optional<double>> v;
  v.reserve(s.size());
  for (const auto& x : s.values()) v.push_back(x ? std::optional<double>(x->value()) : std::nullopt);
  return IntervalSeries<double>(s.start(), s.step(), std::move(v));
}

}  // namespace meg
