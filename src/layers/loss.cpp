// Softmax cross-entropy (eq. 12) and its gradient. The seed's eq. 14 writes
// delta_L = a_3 - y, which is the gradient only if a_3 is the *softmax
// output*; with a_3 = z_3 the logits (eq. 11), the gradient of the loss with
// respect to the logits is softmax(a_3) - y (divided by N for the batch mean).
// Derivation: docs/math.md#cross-entropy.
#include "handgrad/layers/loss.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "handgrad/core/error.h"

namespace handgrad {

template <class T>
double softmax_cross_entropy(const T* logits, const int* labels, int n, int k, T* dlogits,
                             int batch_total) {
  double total = 0.0;
  for (int b = 0; b < n; ++b) {
    const T* z = logits + static_cast<size_t>(b) * k;
    const int y = labels[b];
    if (y < 0 || y >= k) {
      throw Error("label " + std::to_string(y) + " is outside the " + std::to_string(k) +
                  " classes of the network");
    }
    // log sum_j exp(z_j) = m + log sum_j exp(z_j - m), m = max_j z_j
    const T m = *std::max_element(z, z + k);
    double s = 0.0;
    for (int j = 0; j < k; ++j) s += std::exp(static_cast<double>(z[j] - m));
    const double lse = static_cast<double>(m) + std::log(s);
    total += lse - static_cast<double>(z[y]);
    if (dlogits) {
      T* dz = dlogits + static_cast<size_t>(b) * k;
      const double inv = 1.0 / batch_total;
      for (int j = 0; j < k; ++j) {
        const double p = std::exp(static_cast<double>(z[j]) - lse);
        dz[j] = static_cast<T>((p - (j == y ? 1.0 : 0.0)) * inv);
      }
    }
  }
  return total;
}

template <class T>
void softmax(const T* logits, int n, int k, T* probs) {
  for (int b = 0; b < n; ++b) {
    const T* z = logits + static_cast<size_t>(b) * k;
    T* p = probs + static_cast<size_t>(b) * k;
    const T m = *std::max_element(z, z + k);
    double s = 0.0;
    for (int j = 0; j < k; ++j) s += std::exp(static_cast<double>(z[j] - m));
    for (int j = 0; j < k; ++j) p[j] = static_cast<T>(std::exp(static_cast<double>(z[j] - m)) / s);
  }
}

template double softmax_cross_entropy(const float*, const int*, int, int, float*, int);
template double softmax_cross_entropy(const double*, const int*, int, int, double*, int);
template void softmax(const float*, int, int, float*);
template void softmax(const double*, int, int, double*);

}  // namespace handgrad
