#pragma once
// Finding NaN and infinity in a block of values: a diverged run's
// parameters, a model file's tensors (issue 14, item 4).
#include <cmath>
#include <cstddef>

namespace handgrad {

// The index of the first value that is NaN or infinite; n when there is none.
template <class T>
size_t first_non_finite(const T* v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) return i;
  }
  return n;
}

}  // namespace handgrad
