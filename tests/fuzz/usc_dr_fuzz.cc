// USC demand response CSVs (io/usc_dr): any text gives the rows or an Error, read as metered
// consumption and as curtailment.
#include "io/usc_dr.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  const std::string_view text = fuzz::Text(data, size);
  fuzz::CheckValueOrError(ParseUscConsumption(text, "fuzz.csv"));
  fuzz::CheckValueOrError(ParseUscCurtailment(text, "fuzz.csv"));
  return 0;
}
