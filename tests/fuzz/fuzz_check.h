// What every fuzzer checks beyond "no crash, no leak, no sanitizer report": a Result is a value
// or an Error that says something. A violation aborts, which libFuzzer reports as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/result.h"

namespace meg::fuzz {

inline std::string_view Text(const uint8_t* data, size_t size) { return {reinterpret_cast<const char*>(data), size}; }

template <typename T>
void CheckValueOrError(const Result<T>& r) {
  if (!r && r.error().message.empty()) {
    std::fprintf(stderr, "fuzz: an Error without a message\n");
    std::abort();
  }
}

}  // namespace meg::fuzz
