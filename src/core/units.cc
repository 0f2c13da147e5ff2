#include "core/units.h"
#include "core/text.h"

#include <string>

#include <fmt/format.h>

namespace meg {

Result<std::int64_t> ParseThousandths(std::string_view text) {
  const std::string original(text);
  auto bad = [&](const char* why) {
    return InvalidInput(fmt::format("'{}' is not a decimal number ({})", Excerpt(original), why));
  };
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return bad("empty");
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::int64_t whole = 0;
  std::int64_t frac = 0;
  int frac_digits = 0;
  bool seen_digit = false;
  bool in_frac = false;
  for (char c : text) {
    if (c == ',' && !in_frac) continue;
    if (c == '.' && !in_frac) {
      in_frac = true;
      continue;
    }
    if (c < '0' || c > '9') return bad("unexpected character");
    seen_digit = true;
    if (in_frac) {
      if (++frac_digits > 3) return bad("more than three decimals");
      frac = frac * 10 + (c - '0');
    } else {
      if (whole > 1'000'000'000'000LL) return bad("too large");
      whole = whole * 10 + (c - '0');
    }
  }
  if (!seen_digit) return bad("no digits");
  while (frac_digits < 3) {
    frac *= 10;
    ++frac_digits;
  }
  const std::int64_t milli = whole * 1000 + frac;
  return negative ? -milli : milli;
}

}  // namespace meg
