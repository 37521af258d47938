// Fitting the input normalisation on the training set, in double precision.
#include "handgrad/data/standardize.h"

#include <algorithm>
#include <cmath>

namespace handgrad {

InputNorm fit_standardizer(const Dataset& d) {
  const size_t f = d.sample_size(), n = static_cast<size_t>(d.size());
  std::vector<double> sum(f, 0), sq(f, 0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < f; ++j) sum[j] += d.x[i * f + j];
  }
  InputNorm st;
  st.mean.resize(f);
  st.std.resize(f);
  for (size_t j = 0; j < f; ++j) sum[j] /= static_cast<double>(std::max<size_t>(n, 1));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < f; ++j) {
      const double c = d.x[i * f + j] - sum[j];
      sq[j] += c * c;
    }
  }
  for (size_t j = 0; j < f; ++j) {
    // Population std, as sklearn's StandardScaler; a constant feature keeps
    // std 1 so it maps to 0 instead of dividing by zero.
    const double sd = std::sqrt(sq[j] / static_cast<double>(std::max<size_t>(n, 1)));
    st.mean[j] = static_cast<float>(sum[j]);
    st.std[j] = sd > 1e-8 ? static_cast<float>(sd) : 1.0f;
  }
  return st;
}

InputNorm mnist_normalization(size_t features) {
  InputNorm st;
  st.mean.assign(features, 0.1307f);
  st.std.assign(features, 0.3081f);
  return st;
}

}  // namespace handgrad
