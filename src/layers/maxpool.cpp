// maxpool(kernel[, stride]): max over k x k windows (PyTorch's MaxPool2d, floor
// mode). The seed's eqs. 3 and 6 (forward), 25 and 32 (backward: the
// gradient goes to the position that won the max, "upsampling" dout);
// derived in docs/math.md#maxpool.
//   (C, H, W) -> (C, Ho, Wo), Ho = (H - k) / stride + 1; stride defaults to k
// The fast lowering folds a ReLU before or after it into the same pass
// (max commutes with ReLU) and reads a convolution's wide planes directly.
#include "handgrad/core/error.h"
#include "kernels/kernels.h"
#include "layers/pool_window.h"
#include "layers/op.h"

namespace handgrad {

namespace {

template <class T>
class MaxPool final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  int K() const { return this->iarg(0); }
  int S() const { return this->iarg(1); }

  std::string torch() const override {
    return "nn.MaxPool2d(" + std::to_string(K()) + ", stride=" + std::to_string(S()) + ")";
  }
  // No padding, floor mode (ceil_mode 0); windows may overlap.
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    const int64_t k = K(), s = S();
    return {{"MaxPool",
             {ctx.input},
             {ctx.output},
             {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s, s}),
              attr_ints("pads", {0, 0, 0, 0}), attr_int("ceil_mode", 0)}}};
  }
  void forward(const Pass<T>& p, const T* in, T* out) const override;
  void backward(const Pass<T>& p, const T* in, const T* out, const T* dout, T* din,
                T* dparams) const override;
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override { return pooled_shape(in, K(), S()); }
};

// in: (n, C, H, W), out: (n, C, Ho, Wo); out[b,c,y,x] = max_{i,j<K} in[b,c,yS+i,xS+j]
template <class T>
void MaxPool<T>::forward(const Pass<T>& p, const T* in, T* out) const {
  const int C = this->in_dims()[0], H = this->in_dims()[1], W = this->in_dims()[2];
  const int Ho = this->out_dims()[1], Wo = this->out_dims()[2], k = K(), s = S();
  for (int pl = 0; pl < p.n * C; ++pl) {
    const T* x = in + static_cast<size_t>(pl) * H * W;
    T* y = out + static_cast<size_t>(pl) * Ho * Wo;
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ++ox) {
        T m = x[(oy * s) * W + ox * s];
        for (int i = 0; i < k; ++i) {
          for (int j = 0; j < k; ++j) {
            const T v = x[(oy * s + i) * W + ox * s + j];
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
void MaxPool<T>::backward(const Pass<T>& p, const T* in, const T*, const T* dout, T* din,
                          T*) const {
  if (!din) return;
  const int C = this->in_dims()[0], H = this->in_dims()[1], W = this->in_dims()[2];
  const int Ho = this->out_dims()[1], Wo = this->out_dims()[2], k = K(), s = S();
  for (int pl = 0; pl < p.n * C; ++pl) {
    const T* x = in + static_cast<size_t>(pl) * H * W;
    const T* dy = dout + static_cast<size_t>(pl) * Ho * Wo;
    T* dx = din + static_cast<size_t>(pl) * H * W;
    for (int i = 0; i < H * W; ++i) dx[i] = T(0);
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ++ox) {
        int best = (oy * s) * W + ox * s;
        for (int i = 0; i < k; ++i) {
          for (int j = 0; j < k; ++j) {
            const int idx = (oy * s + i) * W + ox * s + j;
            if (x[idx] > x[best]) best = idx;
          }
        }
        dx[best] += dy[oy * Wo + ox];
      }
    }
  }
}

// ---- The fast lowering. Each winner's offset from its window's first
// input (i * row + j, rows `row` apart) is kept in w.idx for backward; only
// the kernels read it.
class MaxPoolOp final : public Op<float> {
 public:
  MaxPoolOp(const KernelTable& k, int k_, int s, const Dims& in, const Dims& out)
      : k_(k), win_(k_), s_(s), C_(in[0]), H_(in[1]), W_(in[2]), Ho_(out[1]), Wo_(out[2]) {
    in_planes_ = Planes{static_cast<size_t>(H_) * W_, W_};
  }
  // A non-decreasing activation commutes with max, so either order is one
  // pass: ReLU inside the kernel, any other applied to the pooled output
  // (a quarter of the values for 2x2 windows).
  bool absorb(const Pointwise& a, bool) override {
    if (a.relu) {
      if (relu_) return false;  // a second ReLU stays its own op
      relu_ = true;
      return true;
    }
    if (!a.monotone || !a.fwd || !a.bwd || act_.fwd) return false;
    act_ = a;
    return true;
  }
  bool reads_strided_input() const override { return true; }
  void set_input_planes(Planes p) override {
    in_planes_ = p;
    strided_in_ = true;
  }
  bool reads_strided_dout() const override { return true; }
  // Windows never cross planes: a team's thread pools its own samples.
  TeamUse team_forward() const override { return TeamUse::local; }
  TeamUse team_backward() const override { return TeamUse::local; }

  void forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const override {
    w.out.resize(out_size * p.n + kSlack);
    w.idx.resize(out_size * p.n);
    const auto [b, e] = my_samples(p);
    const size_t o = out_size * b;
    k_.maxpool_fwd(in + in_planes_.plane * C_ * b, (e - b) * C_, H_, in_planes_.row,
                   static_cast<int>(in_planes_.plane), win_, s_, relu_, w.out.data() + o,
                   w.idx.data() + o, Ho_, Wo_);
    if (act_.fwd) act_.fwd(w.out.data() + o, w.out.data() + o, out_size * (e - b));
    w.out_ptr = w.out.data();
  }

  // The winners' gradient goes to `into` (the convolution before, in its
  // layout) when the plan handed its planes on, else to w.din (dense).
  void backward(const Pass<float>& p, const float*, const float* dout, size_t dout_plane,
                OpBuffers<float>& w, float*, DinTarget<float> into) const override {
    if (!strided_in_ && !grad_in) return;  // nothing before needs a gradient
    const auto [b, e] = my_samples(p);
    if (act_.bwd) {
      dout = through_activation(dout, dout_plane, p.n, b, e, w);
      dout_plane = 0;
    }
    const int dstride = dout_plane ? static_cast<int>(dout_plane) : Ho_ * Wo_;
    // Samples [b, e): planes [b*C, e*C) of dout, the winners and din.
    const float* d = dout + static_cast<size_t>(dstride) * C_ * b;
    const size_t o = out_size * b;
    if (strided_in_) {
      k_.maxpool_bwd(d, dstride, w.out.data() + o, w.idx.data() + o, (e - b) * C_, H_,
                     in_planes_.row, static_cast<int>(into.planes.plane), win_, s_, Ho_, Wo_,
                     relu_, into.data + into.planes.plane * C_ * b);
      return;
    }
    w.din.resize(in_size * p.n);
    k_.maxpool_bwd(d, dstride, w.out.data() + o, w.idx.data() + o, (e - b) * C_, H_, W_, H_ * W_,
                   win_, s_, Ho_, Wo_, relu_, w.din.data() + in_size * b);
    w.din_ptr = w.din.data();
    w.din_plane = 0;
  }

 private:
  // dout * f'(pooled input) from the pooled output, into scratch[0] (dense),
  // for samples [b, e) of n; returns the whole buffer.
  const float* through_activation(const float* dout, size_t dout_plane, int n, int b, int e,
                                  OpBuffers<float>& w) const {
    Buffer<float>& g = w.scratch[0];
    g.resize(out_size * n);
    const size_t plane = static_cast<size_t>(Ho_) * Wo_;
    if (dout_plane == 0 || dout_plane == plane) {
      const size_t o = out_size * b;
      act_.bwd(w.out.data() + o, dout + o, g.data() + o, out_size * (e - b));
      return g.data();
    }
    for (size_t pl = static_cast<size_t>(b) * C_; pl < static_cast<size_t>(e) * C_; ++pl) {
      act_.bwd(w.out.data() + pl * plane, dout + pl * dout_plane, g.data() + pl * plane, plane);
    }
    return g.data();
  }

  const KernelTable& k_;
  int win_, s_, C_, H_, W_, Ho_, Wo_;
  Planes in_planes_;
  bool relu_ = false, strided_in_ = false;
  Pointwise act_;  // a non-ReLU activation folded in (act_.fwd == nullptr: none)
};

template <class T>
std::unique_ptr<Op<T>> MaxPool<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    return std::make_unique<MaxPoolOp>(k, K(), S(), this->in_dims(), this->out_dims());
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

HANDGRAD_LAYER(maxpool, MaxPool,
               {.name = "maxpool",
                .category = "pooling",
                .summary = "maximum over k x k windows",
                .args = {{.name = "kernel", .help = "window size (kernel x kernel)"},
                         {.name = "stride", .same_as = 0, .help = "step between windows (default: kernel)"}},
                .torch = "nn.MaxPool2d(kernel, stride=stride)",
                .math = "docs/math.md#maxpool"})
