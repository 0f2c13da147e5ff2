// Device: the one driver interface between OpenMEG and equipment (Modbus/SunSpec in
// device/modbus, MQTT in device/mqtt, the site twin in device/sim). The control loop reads a
// device's latest telemetry, writes setpoints to it and asks its health; nothing above this
// layer knows a register or a topic. A driver is used from one thread at a time: the control
// thread, or the worker of the AsyncDevice that wraps it; adapters that own a network thread
// hand data over internally. AsyncDevice itself is thread-safe.
//
// Blocking: a driver's Read and Write may wait on the network (ModbusDevice up to (1 + retries)
// x timeout_ms). The control loop must not: the app wraps every network device in an
// AsyncDevice (device/async_device.h), which runs the driver on a thread of its own, and the loop
// calls StartRead on every device at the start of a cycle, then Read, which waits at most the
// AsyncDevice's read budget. A synchronous device (the site twin) ignores StartRead and
// LastWrite, so the backtest stays exact.
//
// Signs (docs/conventions.md): meter power + import / - export at the grid connection; PV power
// + production; battery power + discharge / - charge; generator power + production. So grid + PV +
// battery + generator = load.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/site.h"
#include "core/units.h"

namespace meg {

// DeviceKind lives in core/site.h (the site file names each device's kind).
std::string_view DeviceKindName(DeviceKind kind);  // "meter", "pv", "battery", "generator"

// kGood: read and plausible. kBad: read, but a value failed the driver's plausibility check
// (SoC outside 0..100, a SunSpec "not implemented" value where one is required, a power far
// beyond the rating): the control loop treats it like a missing reading.
enum class Quality { kGood, kBad };

struct Telemetry {
  Instant time;  // when the values were measured (read time if the device gives none)
  Quality quality = Quality::kGood;
  Kilowatts power;  // AC power, sign by kind (see the file comment)
  // Battery only.
  std::optional<double> soc_pct;           // state of charge, 0..100
  std::optional<Kilowatts> max_charge;     // what the device accepts now (>= 0), if it says
  std::optional<Kilowatts> max_discharge;  // what the device gives now (>= 0), if it says
  // Thermal storage: the chillers' COP now, if the plant says (kW of cooling per kW). Its power is
  // the electricity its discharge saves (+) or its charge costs (-); its state of charge, max
  // charge and discharge are of cooling (kWh, kW of cooling).
  std::optional<double> cop;
  // Thermal storage: the cooling the plant serves now (kW of cooling, >= 0), if it says: with it the
  // limit stage reckons the store's electricity at the chillers' part load exactly (without it, at
  // a margin that holds at any load: control/site_image.h).
  std::optional<Kilowatts> cooling_load;
  // PV, battery and generator: nameplate AC power (>= 0), if the device says.
  std::optional<Kilowatts> rated_power;
  // Meter only: the net energy through the meter since an origin of its own (+ import / - export),
  // when it has a register for it. The loop's demand meter integrates its differences exactly,
  // where a sampled power can only be held until the next reading.
  std::optional<KilowattHours> net_import_energy;
};

// A setpoint for one device. Fields that do not apply to the device's kind are ignored.
struct Command {
  std::optional<Kilowatts> battery_power;      // battery: + discharge / - charge
  std::optional<Kilowatts> pv_limit;           // PV: cap on AC output (>= 0); nullopt = no cap
  std::optional<Kilowatts> generator_power{};  // generator: AC output (>= 0; 0 = stop)
  std::optional<Kilowatts> thermal_power{};    // thermal storage: kW of cooling, + discharge / - charge
};

enum class HealthState {
  kOk,        // the last exchange succeeded
  kRetrying,  // the last exchange failed; retrying with backoff
  kLost,      // no successful exchange for the driver's loss time, or the device said it left
  kLate,      // an exchange is under way past its deadline (device/async_device.h): no answer in
              // time, so the loop distrusts the device at once, as when lost
};
std::string_view HealthStateName(HealthState state);  // "ok", "retrying", "lost"

struct DeviceHealth {
  HealthState state = HealthState::kOk;
  int consecutive_failures = 0;
  std::string last_error;  // empty when state is kOk
};

// Where the last Write stands. A synchronous device's Write answers for itself (kDone); a device
// that writes in the background (AsyncDevice) reports here what became of it.
enum class WriteProgress { kDone, kPending, kFailed };
struct WriteOutcome {
  WriteProgress progress = WriteProgress::kDone;
  std::string error;  // kFailed: why; kPending: what is under way
};

class Device {
 public:
  virtual ~Device() = default;
  virtual const std::string& id() const = 0;
  virtual DeviceKind kind() const = 0;
  // The device's latest telemetry as of `now`. An error (timeout, refused, bad payload, no
  // data yet) names the device and the cause; the loop then treats the device as unread.
  virtual Result<Telemetry> Read(Instant now) = 0;
  // Sends `command`. Success means the device (or the broker, for MQTT QoS 1) accepted it; for
  // a device that writes in the background, that it was handed over (see LastWrite).
  virtual Status Write(const Command& command, Instant now) = 0;
  virtual DeviceHealth Health() const = 0;
  // Starts reading the telemetry as of `now` in the background, so that the following Read(now)
  // finds it; a synchronous device reads in Read and does nothing here.
  virtual void StartRead(Instant /*now*/) {}
  // What became of the last Write, for a device that writes in the background; a synchronous
  // device's Write already said it (kDone).
  virtual WriteOutcome LastWrite() const { return {}; }
};

}  // namespace meg
