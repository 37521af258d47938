// MaxPool2d: the seed's eqs. 3 and 6 (forward), 25 and 32 (backward: the
// gradient goes to the position that won the max, "upsampling" dout).
#include "handgrad/core/error.h"
#include "layers/layers.h"

namespace handgrad {

template <class T>
std::string MaxPool2d<T>::spec() const {
  std::string s = "maxpool(" + std::to_string(k_);
  if (s_ != k_) s += "," + std::to_string(s_);
  return s + ")";
}

template <class T>
Dims MaxPool2d<T>::configure(const Dims& in) {
  if (in.size() != 3) throw UsageError("needs an image input CxHxW, got " + dims_str(in));
  if (k_ > in[1] || k_ > in[2]) {
    throw UsageError("window " + std::to_string(k_) + "x" + std::to_string(k_) +
                     " is larger than its input " + dims_str(in));
  }
  this->in_ = in;
  this->out_ = {in[0], (in[1] - k_) / s_ + 1, (in[2] - k_) / s_ + 1};
  return this->out_;
}

// in: (n, C, H, W), out: (n, C, Ho, Wo); out[b,c,y,x] = max_{i,j<K} in[b,c,yS+i,xS+j]
template <class T>
void MaxPool2d<T>::forward(const T*, const T* in, T* out, int n) const {
  const int C = this->in_[0], H = this->in_[1], W = this->in_[2];
  const int Ho = this->out_[1], Wo = this->out_[2];
  for (int p = 0; p < n * C; ++p) {
    const T* x = in + static_cast<size_t>(p) * H * W;
    T* y = out + static_cast<size_t>(p) * Ho * Wo;
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ++ox) {
        T m = x[(oy * s_) * W + ox * s_];
        for (int i = 0; i < k_; ++i) {
          for (int j = 0; j < k_; ++j) {
            const T v = x[(oy * s_ + i) * W + ox * s_ + j];
            if (v > m) m = v;
          }
        }
        y[oy * Wo + ox] = m;
      }
    }
  }
}

// din[b,c,u,v] = sum over windows whose max sits at (u,v) of dout[b,c,y,x].
// Ties go to the first maximum in row-major order, as PyTorch's CPU kernel.
template <class T>
void MaxPool2d<T>::backward(const T*, const T* in, const T*, const T* dout, T* din, T*,
                            int n) const {
  if (!din) return;
  const int C = this->in_[0], H = this->in_[1], W = this->in_[2];
  const int Ho = this->out_[1], Wo = this->out_[2];
  for (int p = 0; p < n * C; ++p) {
    const T* x = in + static_cast<size_t>(p) * H * W;
    const T* dy = dout + static_cast<size_t>(p) * Ho * Wo;
    T* dx = din + static_cast<size_t>(p) * H * W;
    for (int i = 0; i < H * W; ++i) dx[i] = T(0);
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ++ox) {
        int best = (oy * s_) * W + ox * s_;
        for (int i = 0; i < k_; ++i) {
          for (int j = 0; j < k_; ++j) {
            const int idx = (oy * s_ + i) * W + ox * s_ + j;
            if (x[idx] > x[best]) best = idx;
          }
        }
        dx[best] += dy[oy * Wo + ox];
      }
    }
  }
}

template class MaxPool2d<float>;
template class MaxPool2d<double>;

}  // namespace handgrad
