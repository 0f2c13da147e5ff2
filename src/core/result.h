// Result<T>: a value or an Error, the one way OpenMEG reports expected failures.
// A subset of C++23 std::expected's API (has_value, value, error, operator*, ->, bool), so that
// it can become an alias of std::expected<T, Error> later. Value types; thread-compatible.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "core/check.h"

namespace meg {

// What went wrong, for the caller to decide: kInvalidInput (bad file, bad argument),
// kNotFound (missing file, no tariff for a date), kIo (read or write failed),
// kUnsupported (a case the terms cover that OpenMEG does not yet implement).
enum class ErrorCode { kInvalidInput, kNotFound, kIo, kUnsupported };

// An error names the thing and the fix, e.g.
// "usage.csv:12: kW 'abc' is not a number".
struct Error {
  ErrorCode code = ErrorCode::kInvalidInput;
  std::string message;
};

inline Error InvalidInput(std::string message) {
  return Error{ErrorCode::kInvalidInput, std::move(message)};
}
inline Error NotFound(std::string message) { return Error{ErrorCode::kNotFound, std::move(message)}; }
inline Error IoError(std::string message) { return Error{ErrorCode::kIo, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit like std::expected
  Result(Error error) : data_(std::move(error)) {}    // NOLINT

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    MEG_CHECK(has_value());
    return std::get<0>(data_);
  }
  const T& value() const& {
    MEG_CHECK(has_value());
    return std::get<0>(data_);
  }
  T&& value() && {
    MEG_CHECK(has_value());
    return std::get<0>(std::move(data_));
  }
  const Error& error() const {
    MEG_CHECK(!has_value());
    return std::get<1>(data_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> data_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;

// Inside a function returning a Result or Status: returns the error of `expr` (a Result).
#define MEG_TRY(expr)                       \
  do {                                      \
    auto meg_try_ = (expr);                 \
    if (!meg_try_) return meg_try_.error(); \
  } while (0)

// Inside a function returning a Result or Status: returns the error of `expr`, or declares
// `var` holding its value.
#define MEG_TRY_ASSIGN(var, expr)                 \
  auto var##_result = (expr);                     \
  if (!var##_result) return var##_result.error(); \
  auto var = std::move(*var##_result)

}  // namespace meg
