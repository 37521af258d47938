// linear(out_features): (I) -> (O), y = W x + b (PyTorch's Linear). The seed's eqs. 8
// and 10 (forward), 15-16, 19-21, 23 (backward); docs/math.md#linear.
//   params: weight (O, I), bias (O)
#include "handgrad/core/error.h"
#include "kernels/kernels.h"
#include "layers/op.h"

namespace handgrad {

namespace {

template <class T>
class Linear final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  int O() const { return this->iarg(0); }
  int I() const { return this->in_dims()[0]; }

  std::vector<TensorDef> tensors() const override {
    return {{"weight", {O(), I()}}, {"bias", {O()}}};
  }
  void init(T* params, T*, Rng& rng, Init scheme) const override {
    init_weight_bias(params, static_cast<size_t>(O()) * I(), static_cast<size_t>(O()), I(), O(),
                     rng, scheme);
  }
  double flops() const override { return 2.0 * O() * I(); }
  std::string torch() const override {
    return "nn.Linear(" + std::to_string(I()) + ", " + std::to_string(O()) + ")";
  }
  // x W^T + b: Gemm with the weight as stored, (O, I), transposed.
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"Gemm",
             {ctx.input, ctx.params.at(0), ctx.params.at(1)},
             {ctx.output},
             {attr_float("alpha", 1.0f), attr_float("beta", 1.0f), attr_int("transA", 0),
              attr_int("transB", 1)}}};
  }
  void forward(const Pass<T>& p, const T* in, T* out) const override;
  void backward(const Pass<T>& p, const T* in, const T* out, const T* dout, T* din,
                T* dparams) const override;
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override {
    if (in.size() != 1) {
      throw UsageError("needs a flat input, got " + dims_str(in) + " (put 'flatten' before it)");
    }
    return {O()};
  }
};

// in: (n, I), weight: (O, I), bias: (O), out: (n, O); out = in W^T + b
template <class T>
void Linear<T>::forward(const Pass<T>& p, const T* in, T* out) const {
  const int I = this->I(), O = this->O();
  const T* w = p.params;
  const T* bias = p.params + static_cast<size_t>(O) * I;
  for (int b = 0; b < p.n; ++b) {
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
void Linear<T>::backward(const Pass<T>& p, const T* in, const T*, const T* dout, T* din,
                         T* dparams) const {
  const int I = this->I(), O = this->O();
  const T* w = p.params;
  T* dw = dparams;
  T* db = dparams + static_cast<size_t>(O) * I;
  for (int b = 0; b < p.n; ++b) {
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

// ---- The fast lowering: the forward as dot products along I (no
// transposed weight copy), both backward products as GEMMs.
class LinearOp final : public Op<float> {
 public:
  LinearOp(const KernelTable& k, int I, int O) : k_(k), I_(I), O_(O) {}
  // A team shares the samples of the forward and of dL/d(input), and the
  // rows of dW (which sum over every sample).
  TeamUse team_forward() const override { return TeamUse::local; }
  TeamUse team_backward() const override { return TeamUse::whole; }
  void forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const override {
    w.out.resize(out_size * p.n + kSlack);
    const auto [b, e] = my_samples(p);
    k_.linear_fwd(e - b, O_, I_, in + static_cast<size_t>(b) * I_, p.params,
                  p.params + static_cast<size_t>(O_) * I_, w.out.data() + static_cast<size_t>(b) * O_);
    w.out_ptr = w.out.data();
  }
  void backward(const Pass<float>& p, const float* in, const float* dout, size_t,
                OpBuffers<float>& w, float* gp, DinTarget<float>) const override {
    const size_t wsize = static_cast<size_t>(O_) * I_;
    // dW rows [o0, o1) (O, I) += dout^T (O, n) x (n, I); db += column sums of dout.
    const auto [o0, o1] = team_of(p).share(O_);
    k_.gemm(o1 - o0, I_, p.n, dout + o0, 1, O_, in, I_, nullptr, gp + static_cast<size_t>(o0) * I_,
            I_, true);
    for (int b = 0; b < p.n; ++b) {
      for (int o = o0; o < o1; ++o) gp[wsize + o] += dout[static_cast<size_t>(b) * O_ + o];
    }
    if (!grad_in) return;
    w.din.resize(in_size * p.n);
    // din (n, I) = dout (n, O) W (O, I), for samples [b, e)
    const auto [b, e] = my_samples(p);
    k_.gemm(e - b, I_, O_, dout + static_cast<size_t>(b) * O_, O_, 1, p.params, I_, nullptr,
            w.din.data() + static_cast<size_t>(b) * I_, I_, false);
    w.din_ptr = w.din.data();
    w.din_plane = 0;
  }

 private:
  const KernelTable& k_;
  int I_, O_;
};

template <class T>
std::unique_ptr<Op<T>> Linear<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    return std::make_unique<LinearOp>(k, I(), O());
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

HANDGRAD_LAYER(linear, Linear,
               {.name = "linear",
                .category = "dense",
                .summary = "fully connected, y = W x + b",
                .args = {{.name = "out_features", .help = "output features"}},
                .torch = "nn.Linear(I, out_features)",
                .math = "docs/math.md#linear"})
