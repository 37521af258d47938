#pragma once
// Errors carry the process exit code the CLI should use, so every layer of the
// program can fail with one clear line and the right status.
#include <stdexcept>
#include <string>
#include <utility>

namespace handgrad {

// Exit codes: 1 = the input or the run failed, 2 = the command line or an
// architecture string is wrong (the user must change what they typed).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg, int exit_code = kExitFailure)
      : std::runtime_error(msg), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A wrong flag value, architecture string or shape mismatch: exit code 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& msg) : Error(msg, kExitUsage) {}
};

// A setting out of range, named by its field ("lr", "batch_size"): the
// library says what is wrong, the caller says where it came from (the CLI
// prints "--lr: ...", the lab the JSON field).
class FieldError : public UsageError {
 public:
  FieldError(std::string field, const std::string& msg)
      : UsageError(msg), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

}  // namespace handgrad
