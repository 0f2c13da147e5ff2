// GIST measured PV CSV (io/gist_pv): any text gives the data or an Error.
#include "io/gist_pv.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  meg::fuzz::CheckValueOrError(meg::ParseGistPvCsv(meg::fuzz::Text(data, size), "fuzz.csv"));
  return 0;
}
