// Linear: the seed's eqs. 8 and 10 (forward), 15-16, 19-21, 23 (backward).
#include "handgrad/core/error.h"
#include "layers/layers.h"

namespace handgrad {

template <class T>
Dims Linear<T>::configure(const Dims& in) {
  if (in.size() != 1) {
    throw UsageError("needs a flat input, got " + dims_str(in) + " (put 'flatten' before it)");
  }
  this->in_ = in;
  this->out_ = {o_};
  return this->out_;
}

template <class T>
std::vector<ParamShape> Linear<T>::param_shapes() const {
  return {{"weight", {o_, this->in_[0]}}, {"bias", {o_}}};
}

template <class T>
void Linear<T>::init(T* params, Rng& rng, Init scheme) const {
  const int i = this->in_[0];
  init_weight_bias(params, static_cast<size_t>(o_) * i, static_cast<size_t>(o_), i, o_, rng,
                   scheme);
}

// in: (n, I), weight: (O, I), bias: (O), out: (n, O); out = in W^T + b
template <class T>
void Linear<T>::forward(const T* params, const T* in, T* out, int n) const {
  const int I = this->in_[0], O = o_;
  const T* w = params;
  const T* bias = params + static_cast<size_t>(O) * I;
  for (int b = 0; b < n; ++b) {
    const T* x = in + static_cast<size_t>(b) * I;
    for (int o = 0; o < O; ++o) {
      T acc = bias[o];
      for (int i = 0; i < I; ++i) acc += w[static_cast<size_t>(o) * I + i] * x[i];
      out[static_cast<size_t>(b) * O + o] = acc;
    }
  }
}

// dout: (n, O)
// dW += dout^T in   (eqs. 15, 20: delta a^T, summed over the batch)
// db += sum_b dout  (eqs. 16, 21)
// din = dout W      (eqs. 19, 23: W^T delta per sample; the report's eq. 23
//                    writes W_2 delta_2, which has the transpose missing)
template <class T>
void Linear<T>::backward(const T* params, const T* in, const T*, const T* dout, T* din,
                         T* dparams, int n) const {
  const int I = this->in_[0], O = o_;
  const T* w = params;
  T* dw = dparams;
  T* db = dparams + static_cast<size_t>(O) * I;
  for (int b = 0; b < n; ++b) {
    const T* x = in + static_cast<size_t>(b) * I;
    const T* dy = dout + static_cast<size_t>(b) * O;
    for (int o = 0; o < O; ++o) {
      db[o] += dy[o];
      for (int i = 0; i < I; ++i) dw[static_cast<size_t>(o) * I + i] += dy[o] * x[i];
    }
    if (din) {
      T* dx = din + static_cast<size_t>(b) * I;
      for (int i = 0; i < I; ++i) dx[i] = T(0);
      for (int o = 0; o < O; ++o) {
        for (int i = 0; i < I; ++i) dx[i] += dy[o] * w[static_cast<size_t>(o) * I + i];
      }
    }
  }
}

template class Linear<float>;
template class Linear<double>;

}  // namespace handgrad
