#include "handgrad/data/dataset.h"

#include <algorithm>

namespace handgrad {

void gather_batch(const Dataset& d, const int* idx, int n, float* xb, int* yb) {
  const size_t s = d.sample_size();
  for (int i = 0; i < n; ++i) {
    const float* src = d.sample(idx[i]);
    std::copy(src, src + s, xb + static_cast<size_t>(i) * s);
    yb[i] = d.y[static_cast<size_t>(idx[i])];
  }
}

}  // namespace handgrad
