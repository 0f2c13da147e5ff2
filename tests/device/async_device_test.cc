// AsyncDevice against a fake driver that blocks until the test lets it go: the control thread's
// calls return within the read wait whatever the driver does. Wall clock (timing label): the
// waits asserted have margins of seconds.
#include "device/async_device.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace meg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

// A driver whose Read and Write block while `held`; counts calls. Thread-safe.
class HeldDevice final : public Device {
 public:
  const std::string& id() const override { return id_; }
  DeviceKind kind() const override { return DeviceKind::kMeter; }
  Result<Telemetry> Read(Instant now) override {
    Wait();
    const std::lock_guard lock(mu_);
    ++reads_;
    if (fail_) return IoError("m1: read 40070+52: Connection timed out (test)");
    Telemetry t;
    t.time = now;
    t.power = Kilowatts(42);
    return t;
  }
  Status Write(const Command&, Instant) override {
    Wait();
    const std::lock_guard lock(mu_);
    ++writes_;
    if (fail_) return IoError("m1: write 40100+1: Connection timed out (test)");
    return Ok{};
  }
  DeviceHealth Health() const override {
    const std::lock_guard lock(mu_);
    return fail_ ? DeviceHealth{HealthState::kRetrying, 1, "m1: timed out (test)"} : DeviceHealth{};
  }
  void Hold(bool held) {
    {
      const std::lock_guard lock(mu_);
      held_ = held;
    }
    cv_.notify_all();
  }
  void Fail(bool fail) {
    const std::lock_guard lock(mu_);
    fail_ = fail;
  }
  int reads() const {
    const std::lock_guard lock(mu_);
    return reads_;
  }
  int writes() const {
    const std::lock_guard lock(mu_);
    return writes_;
  }

 private:
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !held_; });
  }
  const std::string id_ = "m1";
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool fail_ = false;
  int reads_ = 0, writes_ = 0;
};

// Polls `done` for up to 10 s.
bool Eventually(const std::function<bool()>& done) {
  const auto end = Steady::now() + seconds(10);
  while (!done()) {
    if (Steady::now() > end) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

const Instant kT0 = ToInstant(FromKst(std::chrono::year{2024} / 8 / 12, 14 * 60));

TEST(AsyncDeviceTest, AnAnsweringDeviceIsReadWithinTheCycle) {
  auto held = std::make_unique<HeldDevice>();
  AsyncDevice d(std::move(held), milliseconds(2000));  // generous: the answer comes long before
  d.StartRead(kT0);
  const Result<Telemetry> t = d.Read(kT0);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->power.value(), 42);
  EXPECT_EQ(t->time, kT0);
  EXPECT_EQ(d.Health().state, HealthState::kOk);
  // A Read without StartRead starts the read itself.
  const Result<Telemetry> again = d.Read(kT0 + seconds(1));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->time, kT0 + seconds(1));
}

// The driver hangs (a black hole): Read gives up at the read wait, the device is late, a later
// StartRead starts nothing while the read is under way and Read does not wait for it; once the
// driver answers, its reading (as of the time it was asked for) is the next Read's.
TEST(AsyncDeviceTest, AHangingDriverCostsAtMostTheReadWaitThenItsLateAnswerIsUsed) {
  auto owned = std::make_unique<HeldDevice>();
  HeldDevice& driver = *owned;
  driver.Hold(true);
  AsyncDevice d(std::move(owned), milliseconds(500));
  const auto began = Steady::now();
  d.StartRead(kT0);
  const Result<Telemetry> first = d.Read(kT0);
  const auto waited = Steady::now() - began;
  ASSERT_FALSE(first);
  EXPECT_NE(first.error().message.find("m1: no answer within 500 ms"), std::string::npos) << first.error().message;
  EXPECT_GE(waited, milliseconds(499));
  EXPECT_LT(waited, milliseconds(3000));
  EXPECT_EQ(d.Health().state, HealthState::kLate);
  // The next cycle: the read is still under way; nothing new starts and nothing waits.
  const auto again = Steady::now();
  d.StartRead(kT0 + seconds(1));
  EXPECT_FALSE(d.Read(kT0 + seconds(1)));
  EXPECT_LT(Steady::now() - again, milliseconds(250));
  driver.Hold(false);
  ASSERT_TRUE(Eventually([&] { return driver.reads() == 1 && d.Health().state == HealthState::kOk; }));
  d.StartRead(kT0 + seconds(2));  // starts the next read; the late one is returned if it is not back
  const Result<Telemetry> late = d.Read(kT0 + seconds(2));
  ASSERT_TRUE(late) << late.error().message;
  EXPECT_GE(late->time, kT0);  // the one asked for at kT0, or the new one
  EXPECT_EQ(late->power.value(), 42);
}

// Write returns at once while the driver hangs; LastWrite says pending, then done; a failed
// write is reported with the driver's error.
TEST(AsyncDeviceTest, WritesAreHandedOverAndTheirOutcomeReported) {
  auto owned = std::make_unique<HeldDevice>();
  HeldDevice& driver = *owned;
  driver.Hold(true);
  AsyncDevice d(std::move(owned), milliseconds(30));
  Command c;
  c.battery_power = Kilowatts(10);
  const auto began = Steady::now();
  EXPECT_TRUE(d.Write(c, kT0));
  EXPECT_LT(Steady::now() - began, milliseconds(250));
  EXPECT_EQ(d.LastWrite().progress, WriteProgress::kPending);
  driver.Hold(false);
  ASSERT_TRUE(Eventually([&] { return d.LastWrite().progress == WriteProgress::kDone; }));
  EXPECT_EQ(driver.writes(), 1);
  driver.Fail(true);
  EXPECT_TRUE(d.Write(c, kT0 + seconds(1)));
  ASSERT_TRUE(Eventually([&] { return d.LastWrite().progress == WriteProgress::kFailed; }));
  EXPECT_NE(d.LastWrite().error.find("Connection timed out"), std::string::npos) << d.LastWrite().error;
  EXPECT_EQ(d.Health().state, HealthState::kRetrying);
}

TEST(AsyncDeviceTest, TheReadWaitIsAQuarterCycleAtMost25Ms) {
  EXPECT_EQ(ReadWaitFor(milliseconds(1000)), milliseconds(25));
  EXPECT_EQ(ReadWaitFor(milliseconds(60)), milliseconds(15));
}

}  // namespace
}  // namespace meg
