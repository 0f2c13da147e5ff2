// The .xlsx reader (io/xlsx) and the meter-download reader behind it: any bytes give a sheet or
// an Error, within the bounds (small here, so that a bomb is found in a fuzzer's time).
#include "io/meter_download.h"
#include "io/xlsx.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  const std::string_view bytes = fuzz::Text(data, size);
  XlsxLimits limits;
  limits.max_part_bytes = 8u << 20;
  limits.max_total_bytes = 16u << 20;
  limits.max_cells = 200'000;
  limits.max_strings = 200'000;
  fuzz::CheckValueOrError(ReadXlsxSheet(bytes, "fuzz.xlsx", "", limits));
  fuzz::CheckValueOrError(ReadXlsxSheet(bytes, "fuzz.xlsx", "Data", limits));
  if (size < (64u << 10)) fuzz::CheckValueOrError(ReadUsageBytes(bytes, "fuzz.xlsx", {}, {}));
  return 0;
}
