#include "lab_error.h"

#include <algorithm>

namespace handgrad::lab {

ApiError from_usage_error(const Error& e) {
  const std::string m = e.what();
  if (m.rfind("--", 0) == 0) {
    const size_t end = m.find_first_of(": /,", 2);
    std::string field = m.substr(2, end == std::string::npos ? std::string::npos : end - 2);
    std::replace(field.begin(), field.end(), '-', '_');
    if (!field.empty()) return ApiError(400, field + m.substr(2 + field.size()), field);
  }
  return ApiError(400, m);
}

}  // namespace handgrad::lab
