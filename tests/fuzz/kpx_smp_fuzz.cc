// KPX SMP files (io/kpx_smp): any text gives a day's prices or an Error, for a fixed day and for
// the day the second line names (so that the fuzzer can reach a matching row).
#include <cctype>

#include "io/kpx_smp.h"

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meg;
  using namespace std::chrono;
  const std::string_view text = fuzz::Text(data, size);
  fuzz::CheckValueOrError(KpxSmpOfDay(text, "fuzz.csv", Date{year{2024} / January / 1}));
  const size_t line2 = text.find('\n');
  if (line2 == std::string_view::npos || text.size() - line2 < 9) return 0;
  int yyyymmdd = 0;
  for (size_t i = line2 + 1; i < line2 + 9; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return 0;
    yyyymmdd = yyyymmdd * 10 + (text[i] - '0');
  }
  const Date day{year{yyyymmdd / 10000}, month{static_cast<unsigned>(yyyymmdd / 100 % 100)},
                 std::chrono::day{static_cast<unsigned>(yyyymmdd % 100)}};
  if (day.ok()) fuzz::CheckValueOrError(KpxSmpOfDay(text, "fuzz.csv", day));
  return 0;
}
