#include "device/modbus/modbus_device.h"

#include <fmt/format.h>
#include <modbus.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <utility>

namespace meg {
namespace {

// A Modbus exception reply: the device is there and said no; asking again will not help.
bool IsModbusException(int err) { return err >= EMBXILFUN && err <= EMBXGTAR; }

// True when `command` has nothing to write to a device of `kind`. A PV command always has: no
// cap lifts the device's cap.
bool NothingToWrite(DeviceKind kind, const Command& command) {
  switch (kind) {
    case DeviceKind::kMeter: return true;
    case DeviceKind::kPv: return false;
    case DeviceKind::kBattery: return !command.battery_power;
    case DeviceKind::kGenerator: return !command.generator_power;
    case DeviceKind::kThermalStorage: return !command.thermal_power;
  }
  return true;
}

}  // namespace

// The libmodbus TCP context, connected or not. Owns the modbus_t.
class ModbusDevice::Link {
 public:
  explicit Link(const ModbusSpec& spec) : spec_(spec) {}
  ~Link() { Close(); }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  bool connected() const { return ctx_ != nullptr; }
  modbus_t* ctx() { return ctx_; }

  // Errors give the cause only; the device adds its name.
  Status Connect() {
    Close();
    const std::string port = std::to_string(spec_.port);
    modbus_t* ctx = modbus_new_tcp_pi(spec_.host.c_str(), port.c_str());
    if (ctx == nullptr) return IoError(fmt::format("connect: {}", modbus_strerror(errno)));
    // A zero timeout would be invalid for libmodbus (it means "none" only for the byte timeout).
    const int ms = std::max(1, spec_.timeout_ms);
    const auto sec = static_cast<uint32_t>(ms / 1000);
    const auto usec = static_cast<uint32_t>(ms % 1000) * 1000;
    if (modbus_set_slave(ctx, spec_.unit_id) == -1) {
      const int err = errno;
      modbus_free(ctx);
      return IoError(fmt::format("unit_id {}: {}", spec_.unit_id, modbus_strerror(err)));
    }
    modbus_set_response_timeout(ctx, sec, usec);
    modbus_set_byte_timeout(ctx, sec, usec);
    if (modbus_connect(ctx) == -1) {
      const int err = errno;
      modbus_free(ctx);
      return IoError(fmt::format("connect: {}", modbus_strerror(err)));
    }
    ctx_ = ctx;
    return Ok{};
  }

  void Close() {
    if (ctx_ == nullptr) return;
    modbus_close(ctx_);
    modbus_free(ctx_);
    ctx_ = nullptr;
  }

 private:
  const ModbusSpec& spec_;
  modbus_t* ctx_ = nullptr;
};

// The requests of one Read or Write. Gives up after 1 + retries failed requests in all; a
// failed request closes the connection and the next one reconnects.
class ModbusDevice::Exchange {
 public:
  Exchange(Link& link, int retries) : link_(link), failures_left_(std::max(0, retries)) {}

  Result<std::vector<uint16_t>> Read(int address, int count, bool input) {
    std::vector<uint16_t> regs(static_cast<size_t>(std::max(0, count)));
    MEG_TRY(Run(fmt::format("read {}{}+{}", input ? "input " : "", address, count), [&](modbus_t* ctx) {
      return input ? modbus_read_input_registers(ctx, address, count, regs.data())
                   : modbus_read_registers(ctx, address, count, regs.data());
    }));
    return regs;
  }

  Status Write(const RegisterWrite& w) {
    return Run(fmt::format("write {}+{}", w.address, w.values.size()), [&](modbus_t* ctx) {
      return modbus_write_registers(ctx, w.address, static_cast<int>(w.values.size()), w.values.data());
    });
  }

 private:
  // `request` returns -1 and sets errno on failure, as libmodbus calls do.
  Status Run(const std::string& what, const std::function<int(modbus_t*)>& request) {
    for (;;) {
      std::string cause;
      if (!link_.connected()) {
        auto st = link_.Connect();
        if (!st) cause = st.error().message;
      }
      if (cause.empty()) {
        if (request(link_.ctx()) != -1) return Ok{};
        const int err = errno;
        cause = fmt::format("{}: {}", what, modbus_strerror(err));
        if (IsModbusException(err)) return IoError(cause);
        link_.Close();
      }
      if (failures_left_-- <= 0) return IoError(cause);
    }
  }

  Link& link_;
  int failures_left_;
};

ModbusDevice::ModbusDevice(std::string id, DeviceKind kind, ModbusSpec spec)
    : id_(std::move(id)), kind_(kind), spec_(std::move(spec)), link_(std::make_unique<Link>(spec_)) {}

ModbusDevice::~ModbusDevice() = default;

std::string ModbusDevice::Where() const { return fmt::format("{} ({}:{})", id_, spec_.host, spec_.port); }

Result<Telemetry> ModbusDevice::Read(Instant now) {
  MEG_TRY(Ready(now));
  Exchange exchange(*link_, spec_.retries);
  auto decoded = ReadTelemetry(exchange, now);
  if (!decoded) return Failed(now, decoded.error());
  Succeeded(now);
  quality_problem_ = std::move(decoded->problem);
  return std::move(decoded->telemetry);
}

Status ModbusDevice::Write(const Command& command, Instant now) {
  if (NothingToWrite(kind_, command)) return Ok{};
  MEG_TRY(Ready(now));
  Exchange exchange(*link_, spec_.retries);
  auto st = WriteCommand(exchange, command);
  if (!st) return Failed(now, st.error());
  Succeeded(now);
  return Ok{};
}

Status ModbusDevice::Ready(Instant now) {
  if (!last_good_) last_good_ = now;
  if (backoff_ == Millis(0) || now >= retry_at_) return Ok{};
  if (now - *last_good_ >= Millis(spec_.lost_after_ms)) health_.state = HealthState::kLost;
  return IoError(
      fmt::format("{}: not retrying for another {} ms after: {}", Where(), (retry_at_ - now).count(), last_cause_));
}

Status ModbusDevice::Connected(Exchange& exchange) {
  if (!spec_.sunspec || layout_) return Ok{};
  MEG_TRY(SunSpecSupports(kind_));  // before any I/O: no device can change the answer
  RegisterReader reader = [&](int address, int count) { return exchange.Read(address, count, /*input=*/false); };
  MEG_TRY_ASSIGN(layout, DiscoverSunSpec(spec_.sunspec_base, reader));
  MEG_TRY(SunSpecTelemetryReads(kind_, layout));  // the models this kind needs are there
  // The common model names the device; a short or odd one is not worth failing for.
  const SunSpecModel& common = layout.models.front();
  const int count = std::min(2 + common.length, kMaxRegistersPerRead);
  MEG_TRY_ASSIGN(regs, exchange.Read(common.address, count, /*input=*/false));
  auto identity = DecodeCommon(regs);
  identity_ = identity ? std::optional(*identity) : std::nullopt;
  layout_ = std::move(layout);
  return Ok{};
}

Result<RegisterImage> ModbusDevice::ReadAll(Exchange& exchange, const std::vector<RegisterRead>& reads) {
  RegisterImage image;
  for (const RegisterRead& r : reads) {
    MEG_TRY_ASSIGN(regs, exchange.Read(r.address, r.count, r.input));
    image.Add(r.address, std::move(regs), r.input);
  }
  return image;
}

Result<DecodedTelemetry> ModbusDevice::ReadTelemetry(Exchange& exchange, Instant now) {
  if (spec_.sunspec) {
    MEG_TRY(Connected(exchange));
    MEG_TRY_ASSIGN(reads, SunSpecTelemetryReads(kind_, *layout_));
    MEG_TRY_ASSIGN(image, ReadAll(exchange, reads));
    return DecodeSunSpecTelemetry(kind_, *layout_, image, now, spec_.map.power_sign_inverted);
  }
  MEG_TRY_ASSIGN(reads, VendorTelemetryReads(kind_, spec_.map));
  MEG_TRY_ASSIGN(image, ReadAll(exchange, reads));
  return DecodeVendorTelemetry(kind_, spec_.map, image, now);
}

Status ModbusDevice::WriteCommand(Exchange& exchange, const Command& command) {
  std::vector<RegisterWrite> writes;
  if (spec_.sunspec) {
    MEG_TRY(Connected(exchange));
    MEG_TRY_ASSIGN(reads, SunSpecCommandReads(kind_, *layout_, command));
    MEG_TRY_ASSIGN(image, ReadAll(exchange, reads));
    MEG_TRY_ASSIGN(w, EncodeSunSpecCommand(kind_, *layout_, image, command));
    writes = std::move(w);
  } else {
    MEG_TRY_ASSIGN(reads, VendorCommandReads(kind_, spec_.map, command));
    MEG_TRY_ASSIGN(image, ReadAll(exchange, reads));
    MEG_TRY_ASSIGN(w, EncodeVendorCommand(kind_, spec_.map, image, command));
    writes = std::move(w);
  }
  for (const RegisterWrite& w : writes) MEG_TRY(exchange.Write(w));
  return Ok{};
}

void ModbusDevice::Succeeded(Instant now) {
  health_ = DeviceHealth{};
  backoff_ = Millis(0);
  last_good_ = now;
}

Error ModbusDevice::Failed(Instant now, const Error& error) {
  // Drop the connection and what was learnt over it: the next attempt reconnects and
  // rediscovers, after the backoff.
  link_->Close();
  layout_.reset();
  identity_.reset();
  const Millis first(std::max(1, spec_.timeout_ms));
  const Millis max(std::max(spec_.backoff_max_ms, spec_.timeout_ms));
  backoff_ = backoff_ == Millis(0) ? first : std::min(backoff_ * 2, max);
  retry_at_ = now + backoff_;
  last_cause_ = error.message;
  health_.consecutive_failures += 1;
  health_.last_error = fmt::format("{}: {}", Where(), error.message);
  health_.state = now - *last_good_ >= Millis(spec_.lost_after_ms) ? HealthState::kLost : HealthState::kRetrying;
  return Error{error.code, health_.last_error};
}

}  // namespace meg
