// EnergyPlus weather files (EPW) (io/epw): any text gives the data or an Error.
#include "io/epw.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  meg::fuzz::CheckValueOrError(meg::ParseEpw(meg::fuzz::Text(data, size), "fuzz.epw"));
  return 0;
}
