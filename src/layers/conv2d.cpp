// Conv2d: the seed's eqs. 1 and 4 (forward), 27-28, 31 and 34-35 (backward).
// This is the plain reference; it is written for clarity, not speed.
#include <cstdint>

#include "handgrad/core/error.h"
#include "layers/layers.h"

namespace handgrad {

template <class T>
std::string Conv2d<T>::spec() const {
  std::string s = "conv(" + std::to_string(o_) + "," + std::to_string(k_);
  if (s_ != 1 || p_ != 0) s += "," + std::to_string(s_);
  if (p_ != 0) s += "," + std::to_string(p_);
  return s + ")";
}

template <class T>
Dims Conv2d<T>::configure(const Dims& in) {
  if (in.size() != 3) {
    throw UsageError("needs an image input CxHxW, got " + dims_str(in));
  }
  // 64-bit: a padding near INT_MAX must be refused, not overflow.
  const int64_t h64 = int64_t{in[1]} + 2 * int64_t{p_}, w64 = int64_t{in[2]} + 2 * int64_t{p_};
  if (h64 > (1 << 24) || w64 > (1 << 24)) {
    throw UsageError("padding " + std::to_string(p_) + " is too large for its input " +
                     dims_str(in));
  }
  const int h = static_cast<int>(h64), w = static_cast<int>(w64);
  if (k_ > h || k_ > w) {
    throw UsageError("kernel " + std::to_string(k_) + "x" + std::to_string(k_) +
                     " is larger than its input " + dims_str(in) +
                     (p_ ? " (padded by " + std::to_string(p_) + ")" : ""));
  }
  this->in_ = in;
  this->out_ = {o_, (h - k_) / s_ + 1, (w - k_) / s_ + 1};
  return this->out_;
}

template <class T>
std::vector<ParamShape> Conv2d<T>::param_shapes() const {
  return {{"weight", {o_, this->in_[0], k_, k_}}, {"bias", {o_}}};
}

template <class T>
void Conv2d<T>::init(T* params, Rng& rng, Init scheme) const {
  const int c = this->in_[0];
  init_weight_bias(params, static_cast<size_t>(o_) * c * k_ * k_, static_cast<size_t>(o_),
                   c * k_ * k_, o_ * k_ * k_, rng, scheme);
}

// in: (n, C, H, W), weight: (O, C, K, K), bias: (O), out: (n, O, Ho, Wo)
// out[b,o,y,x] = bias[o] + sum_{c,i,j} weight[o,c,i,j] * in[b,c,y*S+i-P,x*S+j-P]
template <class T>
void Conv2d<T>::forward(const T* params, const T* in, T* out, int n) const {
  const int C = this->in_[0], H = this->in_[1], W = this->in_[2];
  const int O = o_, Ho = this->out_[1], Wo = this->out_[2], K = k_;
  const T* weight = params;
  const T* bias = params + static_cast<size_t>(O) * C * K * K;
  for (int b = 0; b < n; ++b) {
    const T* x = in + static_cast<size_t>(b) * C * H * W;
    T* y = out + static_cast<size_t>(b) * O * Ho * Wo;
    for (int o = 0; o < O; ++o) {
      for (int oy = 0; oy < Ho; ++oy) {
        for (int ox = 0; ox < Wo; ++ox) {
          T acc = bias[o];
          for (int c = 0; c < C; ++c) {
            for (int i = 0; i < K; ++i) {
              const int iy = oy * s_ + i - p_;
              if (iy < 0 || iy >= H) continue;
              for (int j = 0; j < K; ++j) {
                const int ix = ox * s_ + j - p_;
                if (ix < 0 || ix >= W) continue;
                acc += weight[((o * C + c) * K + i) * K + j] * x[(c * H + iy) * W + ix];
              }
            }
          }
          y[(o * Ho + oy) * Wo + ox] = acc;
        }
      }
    }
  }
}

// dout: (n, O, Ho, Wo)
// dbias[o]         += sum_{b,y,x} dout[b,o,y,x]                       (eqs. 28, 35)
// dweight[o,c,i,j] += sum_{b,y,x} dout[b,o,y,x] * in[b,c,yS+i-P,xS+j-P] (eqs. 27, 34)
// din[b,c,u,v]      = sum_{o,i,j: u=yS+i-P, v=xS+j-P} dout[b,o,y,x] * weight[o,c,i,j]
//                     (eq. 31: a "full" correlation of dout with the flipped kernel)
template <class T>
void Conv2d<T>::backward(const T* params, const T* in, const T* /*out*/, const T* dout, T* din,
                         T* dparams, int n) const {
  const int C = this->in_[0], H = this->in_[1], W = this->in_[2];
  const int O = o_, Ho = this->out_[1], Wo = this->out_[2], K = k_;
  const T* weight = params;
  T* dweight = dparams;
  T* dbias = dparams + static_cast<size_t>(O) * C * K * K;
  for (int b = 0; b < n; ++b) {
    const T* x = in + static_cast<size_t>(b) * C * H * W;
    const T* dy = dout + static_cast<size_t>(b) * O * Ho * Wo;
    T* dx = din ? din + static_cast<size_t>(b) * C * H * W : nullptr;
    if (dx) {
      for (int i = 0; i < C * H * W; ++i) dx[i] = T(0);
    }
    for (int o = 0; o < O; ++o) {
      for (int oy = 0; oy < Ho; ++oy) {
        for (int ox = 0; ox < Wo; ++ox) {
          const T g = dy[(o * Ho + oy) * Wo + ox];
          dbias[o] += g;
          for (int c = 0; c < C; ++c) {
            for (int i = 0; i < K; ++i) {
              const int iy = oy * s_ + i - p_;
              if (iy < 0 || iy >= H) continue;
              for (int j = 0; j < K; ++j) {
                const int ix = ox * s_ + j - p_;
                if (ix < 0 || ix >= W) continue;
                const int wi = ((o * C + c) * K + i) * K + j;
                const int xi = (c * H + iy) * W + ix;
                dweight[wi] += g * x[xi];
                if (dx) dx[xi] += g * weight[wi];
              }
            }
          }
        }
      }
    }
  }
}

template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace handgrad
