// Clock: the one seam through which code below src/app learns the time (STYLE: time is an
// input). Instant has millisecond resolution for the real-time loop; Timestamp (core/time.h)
// stays the second-resolution instant of records. SimClock is the deterministic clock of tests
// and of the accelerated site twin; the wall clock lives in src/app. SimClock is not
// thread-safe; a wall clock must be.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/time.h"

namespace meg {

using Instant = std::chrono::sys_time<std::chrono::milliseconds>;  // UTC, ms
using Millis = std::chrono::milliseconds;

inline Timestamp ToTimestamp(Instant t) { return std::chrono::floor<std::chrono::seconds>(t); }
inline Instant ToInstant(Timestamp t) { return std::chrono::time_point_cast<Millis>(t); }

// "2024-08-12T14:00:05.250+09:00": FormatKst with the milliseconds, always three digits.
std::string FormatKstMillis(Instant t);
// ParseIso8601 that also reads a fraction of a second (1-9 digits, cut to milliseconds):
// "2024-08-12T14:00:05.25+09:00" is 250 ms past the second.
Result<Instant> ParseIso8601Millis(std::string_view text);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
  // Returns at or after `t` (at once if `t` has passed).
  virtual void SleepUntil(Instant t) = 0;
};

// Time moves only when told: SleepUntil jumps to `t`, Advance adds.
class SimClock final : public Clock {
 public:
  explicit SimClock(Instant start) : now_(start) {}
  Instant Now() const override { return now_; }
  void SleepUntil(Instant t) override {
    if (t > now_) now_ = t;
  }
  void Advance(Millis d) { now_ += d; }

 private:
  Instant now_;
};

}  // namespace meg
