#include "device/async_device.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "core/check.h"

namespace meg {

Millis ReadWaitFor(Millis cycle) { return std::clamp(cycle / 4, Millis(0), Millis(25)); }

AsyncDevice::AsyncDevice(std::unique_ptr<Device> device, Millis read_wait)
    : id_(device ? device->id() : std::string()),
      kind_(device ? device->kind() : DeviceKind::kMeter),
      read_wait_(read_wait),
      device_(std::move(device)) {
  MEG_CHECK(device_ != nullptr);
  MEG_CHECK(read_wait_ >= Millis(0));
  health_ = device_->Health();
  worker_ = std::thread([this] { Work(); });
}

AsyncDevice::~AsyncDevice() {
  {
    const std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  worker_.join();
}

void AsyncDevice::StartRead(Instant now) {
  {
    const std::lock_guard lock(mu_);
    started_ = true;
    if (reading_ || read_request_) {
      read_deadline_.reset();  // busy since an earlier cycle: Read does not wait for it
      return;
    }
    read_request_ = now;
    read_since_ = now;
    read_deadline_ = std::chrono::steady_clock::now() + read_wait_;
  }
  work_cv_.notify_all();
}

Result<Telemetry> AsyncDevice::Read(Instant now) {
  std::unique_lock lock(mu_);
  if (!started_) {  // a caller that did not start the read: start it now
    lock.unlock();
    StartRead(now);
    lock.lock();
  }
  started_ = false;
  if (read_deadline_) {
    done_cv_.wait_until(lock, *read_deadline_, [&] { return !reading_ && !read_request_; });
    read_deadline_.reset();
  }
  if (completed_) {
    Result<Telemetry> out = std::move(*completed_);
    completed_.reset();
    late_ = false;
    return out;
  }
  late_ = true;
  return IoError(fmt::format("{}: no answer within {} ms (the read as of {} is still under way)", id_,
                             read_wait_.count(), FormatKst(ToTimestamp(read_since_))));
}

Status AsyncDevice::Write(const Command& command, Instant now) {
  {
    const std::lock_guard lock(mu_);
    write_request_ = std::make_pair(command, now);
    write_.progress = WriteProgress::kPending;
    write_.error = fmt::format("{}: the setpoint of {} is still being sent", id_, FormatKst(ToTimestamp(now)));
  }
  work_cv_.notify_all();
  return Ok{};
}

WriteOutcome AsyncDevice::LastWrite() const {
  const std::lock_guard lock(mu_);
  return write_;
}

DeviceHealth AsyncDevice::Health() const {
  const std::lock_guard lock(mu_);
  if (!late_) return health_;
  DeviceHealth h = health_;
  h.state = HealthState::kLate;
  h.last_error = fmt::format("{}: no answer within {} ms (the read as of {} is still under way)", id_,
                             read_wait_.count(), FormatKst(ToTimestamp(read_since_)));
  return h;
}

// The worker: one exchange at a time, the driver called without the lock held. A pending write
// goes first: it was decided on the last cycle's reading, and the read after it sees its effect.
void AsyncDevice::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || write_request_ || read_request_; });
    if (stop_) return;
    if (write_request_) {
      const auto [command, now] = std::move(*write_request_);
      write_request_.reset();
      lock.unlock();
      Status st = device_->Write(command, now);
      DeviceHealth health = device_->Health();
      lock.lock();
      health_ = std::move(health);
      if (!write_request_) {  // a newer command, if any, speaks for itself
        write_ = st ? WriteOutcome{} : WriteOutcome{WriteProgress::kFailed, st.error().message};
      }
      continue;
    }
    const Instant now = *read_request_;
    read_request_.reset();
    reading_ = true;
    lock.unlock();
    Result<Telemetry> t = device_->Read(now);
    DeviceHealth health = device_->Health();
    lock.lock();
    reading_ = false;
    completed_ = std::move(t);
    health_ = std::move(health);
    late_ = false;
    done_cv_.notify_all();
  }
}

}  // namespace meg
