// relu: y = max(0, x), any shape. The seed's eqs. 2, 5, 9 (forward) and the
// masks of 19, 26, 33 (backward); docs/math.md#relu. A pool next to it
// absorbs it in the fast plan (Pointwise::relu).
#include "kernels/kernels.h"
#include "layers/op.h"

namespace handgrad {

namespace {

template <class T>
class ReLU final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  std::string torch() const override { return "nn.ReLU()"; }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"Relu", {ctx.input}, {ctx.output}}};
  }
  bool can_die() const override { return true; }

  // in, out: (n, ...); out = max(0, in)
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) out[i] = in[i] > T(0) ? in[i] : T(0);
  }
  // din = dout * 1[in > 0]  (the derivative at 0 is taken as 0, as PyTorch does)
  void backward(const Pass<T>& p, const T* in, const T*, const T* dout, T* din,
                T*) const override {
    if (!din) return;
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) din[i] = in[i] > T(0) ? dout[i] : T(0);
  }
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override { return in; }
};

class ReluOp final : public Op<float> {
 public:
  explicit ReluOp(const KernelTable& k) : k_(k) {
    pw_.name = "relu";
    pw_.relu = pw_.monotone = true;
    pw_.fwd = k.relu_fwd;
    pw_.bwd = k.relu_bwd;
  }
  const Pointwise* pointwise() const override { return &pw_; }
  TeamUse team_forward() const override { return TeamUse::local; }
  TeamUse team_backward() const override { return TeamUse::local; }
  // Each thread of a team its own samples [b, e).
  void forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const override {
    w.out.resize(out_size * p.n + kSlack);
    const auto [b, e] = my_samples(p);
    k_.relu_fwd(in + out_size * b, w.out.data() + out_size * b, out_size * (e - b));
    w.out_ptr = w.out.data();
  }
  // The output's sign is the input's: the mask needs no copy of the input.
  void backward(const Pass<float>& p, const float*, const float* dout, size_t,
                OpBuffers<float>& w, float*, DinTarget<float>) const override {
    if (!grad_in) return;
    w.din.resize(in_size * p.n);
    const size_t b = in_size * my_samples(p).first, m = in_size * my_samples(p).second - b;
    k_.relu_bwd(w.out.data() + b, dout + b, w.din.data() + b, m);
    w.din_ptr = w.din.data();
    w.din_plane = 0;
  }

 private:
  const KernelTable& k_;
  Pointwise pw_;
};

template <class T>
std::unique_ptr<Op<T>> ReLU<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    return std::make_unique<ReluOp>(k);
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

HANDGRAD_LAYER(relu, ReLU,
               {.name = "relu",
                .category = "activation",
                .summary = "rectified linear unit, max(0, x)",
                .torch = "nn.ReLU()",
                .math = "docs/math.md#relu"})
