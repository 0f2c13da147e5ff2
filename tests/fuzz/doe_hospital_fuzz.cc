// DOE reference hospital load CSV (io/doe_hospital): any text gives the data or an Error.
#include "io/doe_hospital.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  meg::fuzz::CheckValueOrError(meg::ParseDoeHospitalCsv(meg::fuzz::Text(data, size), "fuzz.csv"));
  return 0;
}
