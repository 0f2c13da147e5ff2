// Open-Meteo hourly weather CSV (io/open_meteo): any text gives the data or an Error.
#include "io/open_meteo.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  meg::fuzz::CheckValueOrError(meg::ParseOpenMeteoCsv(meg::fuzz::Text(data, size), "fuzz.csv"));
  return 0;
}
