#include "lab_error.h"

#include <algorithm>

namespace handgrad::lab {

ApiError from_usage_error(const Error& e) {
  const std::string m = e.what();
  // The library names the setting: it is the JSON field (TrainOptions'
  // field names are the settings' names).
  if (const auto* f = dynamic_cast<const FieldError*>(&e)) {
    return ApiError(400, f->field() + ": " + m, f->field());
  }
  // Errors that still name the flag ("--test-fraction: must be in (0, 1)").
  if (m.rfind("--", 0) == 0) {
    const size_t end = m.find_first_of(": /,", 2);
    std::string field = m.substr(2, end == std::string::npos ? std::string::npos : end - 2);
    std::replace(field.begin(), field.end(), '-', '_');
    if (!field.empty()) return ApiError(400, field + m.substr(2 + field.size()), field);
  }
  return ApiError(400, m);
}

}  // namespace handgrad::lab
