// Weather files as a site names them (io/weather_file: TMY3, NSRDB PSM3, EPW, Open-Meteo): the
// first byte picks the format and whether the site's place is checked, the rest is the file; any
// text gives the data or an Error.
#include "io/weather_file.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto format = meg::kWeatherFormats[data[0] % meg::kWeatherFormats.size()];
  const meg::Location jeonju{35.82, 127.15, 50, 540};
  const meg::Location* site = (data[0] & 0x80) != 0 ? &jeonju : nullptr;
  meg::fuzz::CheckValueOrError(
      meg::ReadWeatherText(meg::fuzz::Text(data + 1, size - 1), format, "fuzz.csv", 2024 + (data[0] >> 4) % 3, site));
  return 0;
}
