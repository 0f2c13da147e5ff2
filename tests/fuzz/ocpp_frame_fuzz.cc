// OCPP-J messages as a charger may send them (device/ocpp/ocpp_frame.h): any bytes give a frame or
// an Error, and every payload reader gives its value or an Error, never a crash.
#include "device/ocpp/ocpp_frame.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  auto frame = ParseOcppFrame(fuzz::Text(data, size));
  fuzz::CheckValueOrError(frame);
  if (!frame) return 0;
  const nlohmann::json& p = frame->payload;
  fuzz::CheckValueOrError(ReadOcppMeterValues(p));
  fuzz::CheckValueOrError(ReadOcppStartTransaction(p));
  fuzz::CheckValueOrError(ReadOcppStopTransaction(p));
  fuzz::CheckValueOrError(ReadOcppStatusNotification(p));
  fuzz::CheckValueOrError(ReadOcppBootNotification(p));
  fuzz::CheckValueOrError(ReadOcppIdTag(p));
  // What the central system writes back must be valid JSON, whatever id and text it quotes.
  if (!nlohmann::json::accept(OcppErrorText(frame->id, "FormationViolation", frame->error_description)))
    __builtin_trap();
  return 0;
}
