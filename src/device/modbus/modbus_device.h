// ModbusDevice: a Device on Modbus TCP (libmodbus), speaking SunSpec (models discovered at
// connect, device/sunspec.h) or a plain vendor map (core/site.h VendorModbusMap).
// Not thread-safe: one thread uses it at a time (in `meg run`, the worker of the AsyncDevice that
// wraps it, device/async_device.h). libmodbus stays in the .cc.
//
//   ModbusDevice ess("ess1", DeviceKind::kBattery, spec.modbus);
//   Result<Telemetry> t = ess.Read(clock.Now());
//   Command charge;
//   charge.battery_power = Kilowatts(-50);  // charge at 50 kW
//   Status st = ess.Write(charge, clock.Now());
//
// A generator (DeviceKind::kGenerator) and a thermal storage (kThermalStorage) speak a vendor map
// only: Read and Write over SunSpec fail with an error saying so (device/sunspec.h).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "core/site.h"
#include "device/device.h"
#include "device/sunspec.h"

namespace meg {

// Synchronous and bounded (the AsyncDevice around it keeps the control loop from waiting):
// - A Read or Write gives up after 1 + spec.retries failed requests (a failed request closes
//   the connection; the next one reconnects); each request waits at most spec.timeout_ms. A
//   Modbus exception reply (e.g. illegal address) is not retried.
// - After a failed Read/Write the device is left alone for a backoff that doubles from
//   timeout_ms up to backoff_max_ms and resets on success; a Read/Write during the backoff
//   fails at once without any I/O.
// - Health: kOk after a good exchange, kRetrying after a failure, kLost once `now` is
//   lost_after_ms past the last good exchange (or past the first call if none was good).
// - SunSpec: the model chain is discovered at the first exchange and again after any failed
//   one (the failure also drops the connection). Every read checks each model's ID and L
//   against it, so a device whose layout changed, or that serves a broken chain, gives an
//   error, never a wrong value.
// Time comes only from the `now` arguments (STYLE: time is an input); only the request
// timeouts run on the wall clock, inside libmodbus. Errors read
// "ess1 (10.0.0.5:502): read 40070+52: Connection refused".
class ModbusDevice final : public Device {
 public:
  ModbusDevice(std::string id, DeviceKind kind, ModbusSpec spec);
  ~ModbusDevice() override;
  ModbusDevice(const ModbusDevice&) = delete;
  ModbusDevice& operator=(const ModbusDevice&) = delete;

  const std::string& id() const override { return id_; }
  DeviceKind kind() const override { return kind_; }
  // Telemetry read now. Quality::kBad (see quality_problem()) for implausible values.
  Result<Telemetry> Read(Instant now) override;
  // Writes the setpoint (device/sunspec.h EncodeSunSpecCommand / EncodeVendorCommand give the
  // registers). A command with nothing for this kind (a meter; a battery without battery_power;
  // a generator without generator_power; a thermal storage without thermal_power) succeeds
  // without I/O.
  Status Write(const Command& command, Instant now) override;
  DeviceHealth Health() const override { return health_; }

  // Why the last Read gave Quality::kBad; empty after a good one.
  const std::string& quality_problem() const { return quality_problem_; }
  // SunSpec common model of the connected device (manufacturer, model, serial), if discovered.
  const std::optional<SunSpecCommon>& sunspec_identity() const { return identity_; }

 private:
  class Link;      // the libmodbus connection
  class Exchange;  // one Read/Write's requests and failure budget

  Status Ready(Instant now);             // backoff and loss bookkeeping before I/O
  Status Connected(Exchange& exchange);  // connects and discovers when needed
  Result<RegisterImage> ReadAll(Exchange& exchange, const std::vector<RegisterRead>& reads);
  Result<DecodedTelemetry> ReadTelemetry(Exchange& exchange, Instant now);
  Status WriteCommand(Exchange& exchange, const Command& command);
  void Succeeded(Instant now);
  Error Failed(Instant now, const Error& error);
  std::string Where() const;  // "ess1 (10.0.0.5:502)"

  std::string id_;
  DeviceKind kind_;
  ModbusSpec spec_;
  std::unique_ptr<Link> link_;
  std::optional<SunSpecLayout> layout_;  // with the connection
  std::optional<SunSpecCommon> identity_;
  DeviceHealth health_;
  std::string last_cause_;  // health_.last_error without the device's name
  std::string quality_problem_;
  std::optional<Instant> last_good_;  // or the first call, before any good exchange
  Millis backoff_{0};                 // 0: no failure since the last success
  Instant retry_at_{};
};

}  // namespace meg
