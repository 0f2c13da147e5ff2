#include "core/site.h"

namespace meg {

std::string WithYear(std::string_view path, int year) {
  std::string out;
  const std::string digits = std::to_string(year);
  size_t from = 0;
  for (size_t at = path.find(kYearPlaceholder); at != std::string_view::npos; at = path.find(kYearPlaceholder, from)) {
    out.append(path.substr(from, at - from)).append(digits);
    from = at + kYearPlaceholder.size();
  }
  out.append(path.substr(from));
  return out;
}

}  // namespace meg
