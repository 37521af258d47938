#include "handgrad/core/tensor.h"

#include <charconv>

#include "handgrad/core/error.h"

namespace handgrad {

size_t numel(const Dims& d) {
  size_t n = 1;
  for (int v : d) n *= static_cast<size_t>(v);
  return n;
}

const char* dtype_name(DType t) {
  return t == DType::i64 ? "I64" : "F32";
}

std::string dims_str(const Dims& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(d[i]);
  }
  return s;
}

Dims parse_dims(const std::string& s, const std::string& field) {
  Dims d;
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    int v = 0;
    auto [q, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || v <= 0 || v > (1 << 20)) {
      throw FieldError(field, "'" + s +
                                  "' is not a shape like 1x28x28 or 2 (positive integers "
                                  "separated by 'x')");
    }
    d.push_back(v);
    p = q;
    if (p < end) {
      if (*p != 'x' || p + 1 == end) {
        throw FieldError(field, "'" + s + "' is not a shape like 1x28x28 or 2");
      }
      ++p;
    }
  }
  if (d.empty() || (d.size() != 1 && d.size() != 3)) {
    throw FieldError(field, "'" + s + "' must be F (features) or CxHxW (an image)");
  }
  return d;
}

}  // namespace handgrad
