// AcceleratedClock: the wall clock (std::chrono::steady_clock) run `speed` times faster from a
// chosen start instant: speed 1 is real time on real devices; the demo runs the site twin at
// 60x. The only clock in OpenMEG that reads the wall (STYLE: time is an input); thread-safe.
#pragma once

#include <chrono>
#include <thread>

#include "core/clock.h"

namespace meg {

class AcceleratedClock final : public Clock {
 public:
  AcceleratedClock(Instant start, double speed)
      : start_(start), speed_(speed), wall_start_(std::chrono::steady_clock::now()) {}
  Instant Now() const override {
    const auto wall = std::chrono::steady_clock::now() - wall_start_;
    const auto sim = std::chrono::duration<double, std::milli>(wall) * speed_;
    return start_ + std::chrono::duration_cast<Millis>(sim);
  }
  void SleepUntil(Instant t) override {
    const Instant now = Now();
    if (t <= now) return;
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>((t - now).count() / speed_));
  }

 private:
  Instant start_;
  double speed_;
  std::chrono::steady_clock::time_point wall_start_;
};

}  // namespace meg
