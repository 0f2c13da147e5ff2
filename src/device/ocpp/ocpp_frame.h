// OCPP 1.6J framing and the payloads the central system reads and writes (OCPP-J 1.6 spec, §4:
// a message is a JSON array [2, id, action, payload] CALL, [3, id, payload] CALLRESULT,
// [4, id, errorCode, errorDescription, errorDetails] CALLERROR). Pure functions on text and JSON;
// every malformed input is an Error naming what is wrong (fuzzed: tests/fuzz). Thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "core/units.h"

namespace meg {

enum class OcppMessageType { kCall = 2, kCallResult = 3, kCallError = 4 };

// The largest message the central system reads; a bigger one is refused (no OCPP 1.6 message of
// the set it handles comes near: a MeterValues of a few hundred samples is a few tens of kB).
inline constexpr std::size_t kMaxOcppFrameBytes = 64 * 1024;
// OCPP-J: a unique id is at most 36 characters.
inline constexpr std::size_t kMaxOcppIdLength = 36;

struct OcppFrame {
  OcppMessageType type = OcppMessageType::kCall;
  std::string id;
  std::string action;                                 // kCall only
  nlohmann::json payload = nlohmann::json::object();  // kCall, kCallResult
  std::string error_code, error_description;          // kCallError only
};

Result<OcppFrame> ParseOcppFrame(std::string_view text);
std::string OcppCallText(std::string_view id, std::string_view action, const nlohmann::json& payload);
std::string OcppResultText(std::string_view id, const nlohmann::json& payload);
// `code` is one of OCPP-J's error codes (NotImplemented, FormationViolation, ...).
std::string OcppErrorText(std::string_view id, std::string_view code, std::string_view description);

// One sampled moment of a MeterValues (or StopTransaction's transactionData), in OpenMEG's units:
// the energy register (Energy.Active.Import.Register, Wh or kWh), the power
// (Power.Active.Import, W or kW) and the car's state of charge (SoC, %), where given. Other
// measurands and phases are skipped.
struct OcppMeterSample {
  Instant time{};
  std::optional<KilowattHours> energy;
  std::optional<Kilowatts> power;
  std::optional<double> soc_pct;
};

struct OcppMeterValues {
  int connector = 0;
  std::optional<int> transaction_id;
  std::vector<OcppMeterSample> samples;
};

struct OcppStartTransaction {
  int connector = 0;
  std::string id_tag;
  KilowattHours meter_start;
  Instant time{};
};

struct OcppStopTransaction {
  int transaction_id = 0;
  KilowattHours meter_stop;
  Instant time{};
  std::string reason;  // "Local", "EVDisconnected", ... (optional in OCPP: "" when absent)
};

struct OcppStatusNotification {
  int connector = 0;
  std::string status;      // Available, Preparing, Charging, SuspendedEV, SuspendedEVSE, Finishing, ...
  std::string error_code;  // NoError, ...
};

struct OcppBootNotification {
  std::string vendor, model;
};

Result<OcppMeterValues> ReadOcppMeterValues(const nlohmann::json& payload);
Result<OcppStartTransaction> ReadOcppStartTransaction(const nlohmann::json& payload);
Result<OcppStopTransaction> ReadOcppStopTransaction(const nlohmann::json& payload);
Result<OcppStatusNotification> ReadOcppStatusNotification(const nlohmann::json& payload);
Result<OcppBootNotification> ReadOcppBootNotification(const nlohmann::json& payload);
Result<std::string> ReadOcppIdTag(const nlohmann::json& payload);  // Authorize

// SetChargingProfile.req holding one connector at `limit_a` amperes per phase on `phases` from now
// on: a TxProfile of the given transaction, or (transaction_id nullopt) the TxDefaultProfile new
// sessions start with. One period from 0 s, "Relative" kind; the limit is floored to 0.1 A (the
// spec's precision), so rounding never lifts it.
nlohmann::json OcppChargingProfile(int connector, std::optional<int> transaction_id, int profile_id, double limit_a,
                                   int phases);

// OCPP's time format: ISO 8601 UTC with milliseconds, "2026-12-06T10:15:00.000Z".
std::string OcppTime(Instant t);

}  // namespace meg
