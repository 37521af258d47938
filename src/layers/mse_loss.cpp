// Mean squared error against one-hot targets, F.mse_loss(out,
// F.one_hot(y, k).float()) with reduction='mean': the mean runs over all
// N * k elements, so with e = out - onehot(y)
//   L = (1 / (N k)) sum_b sum_j e_bj^2,   dL/d(out_bj) = 2 e_bj / (N k).
// Derivation: docs/math.md#mse.
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/layers/loss.h"

namespace handgrad {

template <class T>
double mse_one_hot(const T* out, const int* labels, int n, int k, T* dout, int batch_total) {
  double total = 0.0;
  const double scale = 2.0 / (static_cast<double>(batch_total) * k);
  for (int b = 0; b < n; ++b) {
    const T* z = out + static_cast<size_t>(b) * k;
    const int y = labels[b];
    if (y < 0 || y >= k) {
      throw Error("label " + std::to_string(y) + " is outside the " + std::to_string(k) +
                  " classes of the network");
    }
    double s = 0.0;
    for (int j = 0; j < k; ++j) {
      const double e = static_cast<double>(z[j]) - (j == y ? 1.0 : 0.0);
      s += e * e;
      if (dout) dout[static_cast<size_t>(b) * k + j] = static_cast<T>(scale * e);
    }
    total += s / k;
  }
  return total;
}

template double mse_one_hot(const float*, const int*, int, int, float*, int);
template double mse_one_hot(const double*, const int*, int, int, double*, int);

}  // namespace handgrad
