// The usage files of `meg bill`: OpenMEG's usage CSV (io/usage_csv) and meter downloads
// (io/meter_download: CP949 decoding, header and column detection, labels). Any bytes give usage
// data or an Error, with the default options, with every repair on, and with the meter options set.
#include "io/meter_download.h"
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
  fuzz::CheckValueOrError(ReadUsageBytes(text, "fuzz.csv", {}, {}));
  fuzz::CheckValueOrError(ReadUsageBytes(text, "fuzz.csv", {}, repair_all));
  MeterReadOptions set;
  set.encoding = "cp949";
  set.header_row = -1;
  set.time_column = "1";
  set.value_column = "2";
  set.labels = LabelConvention::kIntervalStart;
  set.unit = MeterUnit::kKw;
  set.interval_minutes = 60;
  fuzz::CheckValueOrError(ReadUsageBytes(text, "fuzz.csv", set, keep_gaps));
  return 0;
}
