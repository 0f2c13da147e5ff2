// A histogram of durations or other non-negative values with fixed bucket bounds, in the shape
// of a Prometheus histogram (cumulative buckets "le", a sum and a count) so that the /metrics
// endpoint renders it as it is. Value type; thread-compatible (the owner locks).
//
//   Histogram h(kSecondsBuckets);
//   h.Observe(0.0042);
//   h.CumulativeCount(2);  // observations <= h.bounds()[2]
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace meg {

// Bounds for durations from a millisecond to ten seconds, in seconds.
inline constexpr double kSecondsBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

class Histogram {
 public:
  Histogram() : Histogram(kSecondsBuckets) {}
  // REQUIRES: `bounds` strictly increasing.
  explicit Histogram(std::span<const double> bounds) : bounds_(bounds.begin(), bounds.end()), counts_(bounds.size()) {}

  // Counts `v` in the first bucket whose bound is >= v (above the last bound: only in the count).
  void Observe(double v) {
    const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    if (at != bounds_.end()) ++counts_[static_cast<size_t>(at - bounds_.begin())];
    sum_ += v;
    ++count_;
  }

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations <= bounds()[i].
  std::uint64_t CumulativeCount(size_t i) const {
    std::uint64_t n = 0;
    for (size_t k = 0; k <= i && k < counts_.size(); ++k) n += counts_[k];
    return n;
  }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace meg
