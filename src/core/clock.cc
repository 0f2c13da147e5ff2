#include "core/clock.h"
#include "core/text.h"

#include <cctype>

#include <fmt/format.h>

namespace meg {

std::string FormatKstMillis(Instant t) {
  const Timestamp s = ToTimestamp(t);
  const auto ms = (t - ToInstant(s)).count();
  const std::string text = FormatKst(s);
  const auto plus = text.rfind('+');
  return text.substr(0, plus) + fmt::format(".{:03}", ms) + text.substr(plus);
}

Result<Instant> ParseIso8601Millis(std::string_view text) {
  std::string whole(text);
  int ms = 0;
  const auto dot = whole.find('.');
  if (dot != std::string::npos) {
    size_t end = dot + 1;
    while (end < whole.size() && std::isdigit(static_cast<unsigned char>(whole[end])) != 0) ++end;
    const std::string digits = whole.substr(dot + 1, end - dot - 1);
    if (digits.empty() || digits.size() > 9) {
      return InvalidInput(fmt::format("time '{}': bad fraction of a second", Excerpt(text)));
    }
    const std::string first3 = (digits + "00").substr(0, 3);
    ms = (first3[0] - '0') * 100 + (first3[1] - '0') * 10 + (first3[2] - '0');
    whole.erase(dot, end - dot);
  }
  auto t = ParseIso8601(whole);
  if (!t) return t.error();
  return ToInstant(*t) + Millis(ms);
}

}  // namespace meg
