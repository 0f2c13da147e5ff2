// CNU building CSV (io/cnu_building): any text gives the data or an Error, with the anomalies
// listed and with them turned into gaps.
#include "io/cnu_building.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  const std::string_view text = fuzz::Text(data, size);
  fuzz::CheckValueOrError(ParseCnuBuildingCsv(text, "fuzz.csv"));
  fuzz::CheckValueOrError(ParseCnuBuildingCsv(text, "fuzz.csv", {.anomalies_to_gaps = true}));
  return 0;
}
