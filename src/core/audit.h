// The audit log: an append-only record of every setpoint sent to a device and every mode change
// or operator action, written before the action takes effect (DESIGN: safety invariants).
// AuditLog is the interface (store/audit_file.h writes JSON lines to a file; issue 7's store
// adds SQLite); implementations must be safe to call from the control thread only.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/clock.h"
#include "core/result.h"

namespace meg {

struct AuditRecord {
  Instant time;         // when the action was decided (the loop's clock)
  std::string actor;    // "control-loop", or the operator's user name
  std::string action;   // "setpoint", "mode", "override", "start", "stop"
  std::string subject;  // a device id, or "site"
  std::string detail;   // what, with units: "battery_kw=-250.0 reason=schedule"
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Appends `records` durably, in order. Success means they survive a crash of this process
  // (and, for a file, a power cut once the OS honours fdatasync). On failure nothing may be
  // assumed written and the caller must not carry out the actions.
  virtual Status Append(std::span<const AuditRecord> records) = 0;
  // Records appended so far by this process (sequence numbers are 1..appended()).
  virtual std::uint64_t appended() const = 0;
};

// An audit log that keeps nothing: every record is accepted and counted. For runs that leave no
// trail, such as the year backtest, whose cycles are the live loop's but whose setpoints reach no
// real device.
class DiscardAuditLog final : public AuditLog {
 public:
  Status Append(std::span<const AuditRecord> records) override {
    appended_ += records.size();
    return Ok{};
  }
  std::uint64_t appended() const override { return appended_; }

 private:
  std::uint64_t appended_ = 0;
};

}  // namespace meg
