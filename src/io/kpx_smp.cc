#include "io/kpx_smp.h"

#include <fmt/format.h>

#include "core/text.h"

namespace meg {

Result<std::array<WonPerKwh, 24>> KpxSmpOfDay(std::string_view text, std::string_view source, Date date) {
  const std::string key = fmt::format("{:04d}{:02d}{:02d}", static_cast<int>(date.year()),
                                      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  MEG_TRY_ASSIGN(lines, SplitLines(text, source));
  for (const Line& line : lines) {
    if (!line.text.starts_with(key)) continue;
    auto fields = SplitCsv(line.text);
    if (!fields) return InvalidInput(fmt::format("{}:{}: {}", source, line.number, fields.error().message));
    if (fields->size() < 25 || (*fields)[0] != key) continue;
    std::array<WonPerKwh, 24> out{};
    for (size_t h = 0; h < 24; ++h) {
      auto p = WonPerKwh::FromDecimal((*fields)[h + 1]);
      if (!p) return InvalidInput(fmt::format("{}:{}: hour {}h: {}", source, line.number, h + 1, p.error().message));
      out[h] = *p;  // column "(h+1)h" ends at (h+1):00, so it is the hour starting at h:00
    }
    return out;
  }
  return NotFound(fmt::format("{}: no SMP row for {}", source, FormatDate(date)));
}

}  // namespace meg
