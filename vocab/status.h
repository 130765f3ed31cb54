// Status and Result<T>: errors the caller must handle are values, as in LevelDB's Status.
// Programmer errors are REPLSIM_ASSERT failures (assert.h), on in every build.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "vocab/assert.h"

namespace replsim {

class Status {
 public:
  enum class Code {
    kOk,
    kInvalidInput,
    kNotFound,
    kIoError,
    kCorruption,
    kFailed,
    kTimeout,
    kInterrupted
  };  // kInterrupted: the user stopped the run (SIGINT/SIGTERM).

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidInput(std::string msg) { return Status(Code::kInvalidInput, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Failed(std::string msg) { return Status(Code::kFailed, std::move(msg)); }
  static Status Timeout(std::string msg) { return Status(Code::kTimeout, std::move(msg)); }
  static Status Interrupted(std::string msg) { return Status(Code::kInterrupted, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T> holds either a value or a non-ok Status (g++ 12 has no std::expected).
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    REPLSIM_ASSERT(!status_.ok(), "a Result built from an ok Status carries no value");
  }
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok(). Reading an error's value is a programmer error, caught in every build.
  T& value() & {
    REPLSIM_ASSERT(ok(), "value() of an error Result");
    return *value_;
  }
  const T& value() const& {
    REPLSIM_ASSERT(ok(), "value() of an error Result");
    return *value_;
  }
  T&& value() && {
    REPLSIM_ASSERT(ok(), "value() of an error Result");
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace replsim
