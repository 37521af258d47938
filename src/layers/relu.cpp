// ReLU: the seed's eqs. 2, 5, 9 (forward) and the masks of 19, 26, 33.
#include "layers/layers.h"

namespace handgrad {

template <class T>
Dims ReLU<T>::configure(const Dims& in) {
  this->in_ = this->out_ = in;
  return in;
}

// in, out: (n, ...) ; out = max(0, in)
template <class T>
void ReLU<T>::forward(const T*, const T* in, T* out, int n) const {
  const size_t m = static_cast<size_t>(n) * numel(this->in_);
  for (size_t i = 0; i < m; ++i) out[i] = in[i] > T(0) ? in[i] : T(0);
}

// din = dout * 1[in > 0]  (the derivative at 0 is taken as 0, as PyTorch does)
template <class T>
void ReLU<T>::backward(const T*, const T* in, const T*, const T* dout, T* din, T*, int n) const {
  if (!din) return;
  const size_t m = static_cast<size_t>(n) * numel(this->in_);
  for (size_t i = 0; i < m; ++i) din[i] = in[i] > T(0) ? dout[i] : T(0);
}

template class ReLU<float>;
template class ReLU<double>;

}  // namespace handgrad
