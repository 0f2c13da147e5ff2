// Politecnico di Torino campus load CSV (io/torino_campus): any text gives the data or an Error.
#include "io/torino_campus.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  meg::fuzz::CheckValueOrError(meg::ParseTorinoCampusCsv(meg::fuzz::Text(data, size), "fuzz.csv"));
  return 0;
}
