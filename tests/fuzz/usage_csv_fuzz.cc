// The usage CSV of `meg bill` (io/usage_csv): any text gives usage data or an Error, with the
// default options and with every repair on.
#include "io/usage_csv.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  const std::string_view text = fuzz::Text(data, size);
  fuzz::CheckValueOrError(ParseUsageCsv(text, "fuzz.csv"));
  UsageReadOptions repair_all;
  repair_all.repair = {.gaps = true, .spikes = true, .duplicates = true};
  fuzz::CheckValueOrError(ParseUsageCsv(text, "fuzz.csv", repair_all));
  UsageReadOptions keep_gaps;
  keep_gaps.repair.duplicates = true;
  keep_gaps.keep_gaps = true;
  fuzz::CheckValueOrError(ParseUsageCsv(text, "fuzz.csv", keep_gaps));
  return 0;
}
