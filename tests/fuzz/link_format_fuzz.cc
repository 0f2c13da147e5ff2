// The fleet link's messages (center/nats/link_format): any bytes on any subject give a message or
// an Error that says something; a decoded telemetry message has at most kMaxSamplesPerMessage
// samples, finite values for good ones, and the subject's site; a decoded command's numbers are
// within the API's bounds.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "center/nats/link_format.h"
#include "fuzz_check.h"

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: accepted %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  const std::string_view payload = fuzz::Text(data, size);
  const auto tm = DecodeTelemetry("a", payload);
  fuzz::CheckValueOrError(tm);
  if (tm) {
    Require(tm->site == "a" && tm->samples.size() <= kMaxSamplesPerMessage, "a telemetry message");
    for (const LinkSample& s : tm->samples) {
      Require(s.quality == SampleQuality::kBad || std::isfinite(s.value), "a good sample without a value");
      Require(!s.point.empty(), "a sample without a point");
    }
  }
  fuzz::CheckValueOrError(DecodeEvents("a", payload));
  fuzz::CheckValueOrError(DecodeBill("a", payload));
  fuzz::CheckValueOrError(DecodeCommandResult(payload));
  const auto cmd = DecodeCommand("a", payload);
  fuzz::CheckValueOrError(cmd);
  if (cmd) {
    Require(ValidLinkToken(cmd->id), "a command id that is not a token");
    if (const auto* op = std::get_if<OperatorCommand>(&cmd->body)) {
      Require(std::isfinite(op->battery_kw) && std::abs(op->battery_kw) <= 1e6, "a battery_kw out of range");
    } else {
      const auto& dr = std::get<DrCallRequest>(cmd->body);
      Require(dr.start < dr.end && dr.requested_kw >= 0, "a DR call out of range");
    }
  }
  fuzz::CheckValueOrError(ParseUpSubject(payload));
  return 0;
}
