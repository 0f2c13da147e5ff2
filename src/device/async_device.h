// AsyncDevice: a Device decorator that runs a driver's I/O (Modbus, MQTT) on a thread of its own,
// so that a device that never answers costs the control cycle at most a bounded read wait.
// Thread-safe: the control thread calls the Device methods, the worker thread alone calls the
// wrapped driver; they meet under one mutex. The only wall-clock read is that wait (steady clock).
//
//   AsyncDevice ess(std::make_unique<ModbusDevice>("ess1", DeviceKind::kBattery, spec),
//                   ReadWaitFor(Millis(1000)));
//   ess.StartRead(now);            // at the cycle start, for every device
//   Result<Telemetry> t = ess.Read(now);  // waits at most the read wait, from StartRead
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "device/device.h"

namespace meg {

// The read wait for a loop cycle of `cycle`: min(25 ms, cycle / 4). Short enough that a cycle
// with a device that never answers still ends within its 50 ms work budget; a device slower than
// this gives, instead, the reading it completed since the previous cycle (one cycle old).
Millis ReadWaitFor(Millis cycle);

// Reads: StartRead(now) hands a read as of `now` to the worker, unless one is still under way
// (then nothing starts: a device is read one exchange at a time). Read(now) waits, at most
// `read_wait` after that StartRead, for the read to finish, and returns the newest reading
// completed since the previous Read (an error read is returned as it came). When there is none
// (the read is still under way), Read fails with "no answer within N ms" and Health() is kLate
// until a read completes: the device is late, so stale for this cycle. A Read without a
// StartRead before it starts the read itself.
// Writes: Write hands the command to the worker and returns at once (Ok: handed over); a command
// not yet started is replaced by a newer one. LastWrite says whether the last one is still
// pending, done or failed (with the driver's error).
// Health: the driver's, as of its last exchange, or kLate as above.
// The destructor stops the worker after the exchange under way, which the driver bounds
// ((1 + retries) x timeout_ms for Modbus; the site file bounds both, docs/site-config.md).
class AsyncDevice final : public Device {
 public:
  // REQUIRES: device != nullptr, read_wait >= 0.
  AsyncDevice(std::unique_ptr<Device> device, Millis read_wait);
  ~AsyncDevice() override;
  AsyncDevice(const AsyncDevice&) = delete;
  AsyncDevice& operator=(const AsyncDevice&) = delete;

  const std::string& id() const override { return id_; }
  DeviceKind kind() const override { return kind_; }
  void StartRead(Instant now) override;
  Result<Telemetry> Read(Instant now) override;
  Status Write(const Command& command, Instant now) override;
  WriteOutcome LastWrite() const override;
  DeviceHealth Health() const override;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  void Work();

  const std::string id_;
  const DeviceKind kind_;
  const Millis read_wait_;
  std::unique_ptr<Device> device_;  // the worker's alone once it runs

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // to the worker: a read or write to do, or stop
  std::condition_variable done_cv_;  // from the worker: a read finished
  bool stop_ = false;
  std::optional<Instant> read_request_;         // a read handed over, not yet started
  bool reading_ = false;                        // the worker is reading
  Instant read_since_{};                        // `now` of the read under way or handed over
  std::optional<SteadyTime> read_deadline_;     // set by the StartRead that started the read
  std::optional<Result<Telemetry>> completed_;  // the newest reading not yet returned by Read
  std::optional<std::pair<Command, Instant>> write_request_;
  WriteOutcome write_;
  DeviceHealth health_;   // the driver's, after its last exchange
  bool late_ = false;     // the last Read found no answer in time; cleared when a read completes
  bool started_ = false;  // StartRead was called since the last Read
  std::thread worker_;    // last: started when everything above is ready
};

}  // namespace meg
