// Open-Meteo forecast API answers (io/open_meteo_forecast), as the live weather feed receives
// them from the network: any bytes give a forecast or an Error. The first byte picks the distance
// the site accepts (1..256 km), the rest is the body.
#include "io/open_meteo_forecast.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const meg::Location jeonju{35.82, 127.15, 50, 540};
  meg::fuzz::CheckValueOrError(
      meg::ParseOpenMeteoForecast(meg::fuzz::Text(data + 1, size - 1), "fuzz", jeonju, 1.0 + data[0]));
  return 0;
}
