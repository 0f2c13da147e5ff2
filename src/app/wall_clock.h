// The clocks that read the wall (STYLE: time is an input), both thread-safe: AcceleratedClock,
// the wall clock itself (speed 1) on real devices, and PacedClock, the site twin's clock, whose
// time moves with the loop's cycles, no faster than `speed` times the wall clock.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "core/clock.h"

namespace meg {

// The wall clock (std::chrono::steady_clock) run `speed` times faster from a chosen start
// instant. A loop that overruns its cycle on it skips the cycles it missed (ControlLoop::Run):
// right on real devices, whose time is the wall's.
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

// The site twin's clock. Its time moves only when the loop sleeps, to the instant it sleeps until
// (as SimClock's), and no faster than `speed` times the wall clock: every cycle of the twin runs,
// at its own instant, however busy the machine is. When the machine cannot keep up (a cycle's
// work, a descheduled process, an fdatasync of the audit log), the twin runs slower than `speed`
// for that while and does not catch up after it; on AcceleratedClock it would skip site time
// instead (at 2000x, 1 ms of wall time is 2 s). Now() is thread-safe; SleepUntil is called from
// one thread (the loop's).
class PacedClock final : public Clock {
 public:
  PacedClock(Instant start, double speed)
      : now_(start), speed_(speed), site_anchor_(start), wall_anchor_(std::chrono::steady_clock::now()) {}
  Instant Now() const override { return now_.load(); }
  void SleepUntil(Instant t) override {
    if (t <= now_.load()) return;
    const auto due = wall_anchor_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double, std::milli>((t - site_anchor_).count() / speed_));
    const auto wall = std::chrono::steady_clock::now();
    if (wall < due) {
      std::this_thread::sleep_until(due);
    } else {  // late: pace what follows from here
      site_anchor_ = t;
      wall_anchor_ = wall;
    }
    now_.store(t);
  }

 private:
  std::atomic<Instant> now_;
  double speed_;
  Instant site_anchor_;  // the wall clock read wall_anchor_ when the twin's time was site_anchor_
  std::chrono::steady_clock::time_point wall_anchor_;
};

}  // namespace meg
