// EV session files (io/ev_sessions.h): any text gives the sessions or an Error, checked against two
// chargers.
#include "io/ev_sessions.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  static const std::vector<ChargerSpec> chargers = [] {
    ChargerSpec a, b;
    a.id = "cp1";
    b.id = "cp2";
    b.connectors = 2;
    return std::vector<ChargerSpec>{a, b};
  }();
  auto sessions = ParseEvSessions(fuzz::Text(data, size), "fuzz.csv", chargers);
  fuzz::CheckValueOrError(sessions);
  if (sessions) {
    for (size_t i = 1; i < sessions->size(); ++i) {
      if ((*sessions)[i].arrival < (*sessions)[i - 1].arrival) __builtin_trap();  // by arrival
    }
    for (const EvSessionPlan& p : *sessions) {
      if (!(p.departure > p.arrival) || !(p.energy.value() > 0)) __builtin_trap();
    }
  }
  return 0;
}
