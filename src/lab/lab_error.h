#pragma once
// The lab's one error type: an HTTP status, a message and (for bad settings)
// the JSON field it is about; the server answers it as
// {"error": message, "field": field} with that status.
#include <string>

#include "handgrad/core/error.h"

namespace handgrad::lab {

class ApiError : public Error {
 public:
  ApiError(int status, const std::string& msg, std::string field = {})
      : Error(msg), status_(status), field_(std::move(field)) {}
  int status() const { return status_; }
  const std::string& field() const { return field_; }

 private:
  int status_;
  std::string field_;
};

// A library FieldError("batch_size", "must be >= 1") becomes a 400 about the
// JSON field "batch_size"; a UsageError that still names a flag
// ("--test-fraction: ...") one about that flag's field (its name without
// the dashes, '_' for '-').
ApiError from_usage_error(const Error& e);

}  // namespace handgrad::lab
