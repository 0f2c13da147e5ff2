#include "app/exit.h"

#include <iostream>

namespace meg {

int ExitWith(std::string_view command, const Error& e) {
  std::cerr << command << ": " << e.message << "\n";
  return e.code == ErrorCode::kInvalidInput ? 2 : 1;
}

}  // namespace meg
