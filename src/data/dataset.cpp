#include "handgrad/data/dataset.h"

#include <algorithm>

#include "handgrad/core/hash64.h"

namespace handgrad {

std::string single_class_warning(const Dataset& d) {
  if (d.y.empty() || std::any_of(d.y.begin(), d.y.end(), [&](int y) { return y != d.y[0]; })) {
    return "";
  }
  return d.name + ": every one of the " + std::to_string(d.size()) + " samples has label " +
         std::to_string(d.y[0]) +
         ": a single class, so accuracy is 1.0 whatever the network learns";
}

std::string content_hash(const Dataset& d) {
  uint64_t h = xxh64(d.x.data(), d.x.size() * sizeof(float));
  h = xxh64(d.y.data(), d.y.size() * sizeof(int), h);
  const std::string shape = dims_str(d.sample_dims) + "/" + std::to_string(d.num_classes);
  return hex64(xxh64(shape.data(), shape.size(), h));
}

void gather_batch(const Dataset& d, const int* idx, int n, float* xb, int* yb) {
  const size_t s = d.sample_size();
  for (int i = 0; i < n; ++i) {
    const float* src = d.sample(idx[i]);
    std::copy(src, src + s, xb + static_cast<size_t>(i) * s);
    yb[i] = d.y[static_cast<size_t>(idx[i])];
  }
}

}  // namespace handgrad
