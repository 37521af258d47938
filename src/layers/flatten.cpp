// Flatten: the seed's eq. 7; its backward (eq. 24) is the inverse reshape.
// The memory layout is already (n, C*H*W), so both directions are copies.
#include <algorithm>

#include "layers/layers.h"

namespace handgrad {

template <class T>
Dims Flatten<T>::configure(const Dims& in) {
  this->in_ = in;
  this->out_ = {static_cast<int>(numel(in))};
  return this->out_;
}

template <class T>
void Flatten<T>::forward(const T*, const T* in, T* out, int n) const {
  std::copy(in, in + static_cast<size_t>(n) * numel(this->in_), out);
}

template <class T>
void Flatten<T>::backward(const T*, const T*, const T*, const T* dout, T* din, T*, int n) const {
  if (din) std::copy(dout, dout + static_cast<size_t>(n) * numel(this->in_), din);
}

template class Flatten<float>;
template class Flatten<double>;

}  // namespace handgrad
