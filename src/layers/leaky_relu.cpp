// leaky_relu(a): y = x for x > 0, a x otherwise (PyTorch's LeakyReLU,
// negative_slope = a, default 0.01), any shape; docs/math.md#leaky_relu.
//   backward: din = dout for x > 0, a dout otherwise
// a is in [0, 1]: the function is then non-decreasing, y > 0 exactly where
// x > 0 (so the backward pass needs only y) and a max-pool absorbs it.
#include "kernels/isa_variants.h"
#include "layers/pointwise_op.h"

namespace handgrad {

namespace {

template <class T>
class LeakyRelu final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  T a() const { return static_cast<T>(this->args()[0]); }
  std::string torch() const override {
    return "nn.LeakyReLU(negative_slope=" + python_float(this->args()[0]) + ")";
  }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {
        {"LeakyRelu", {ctx.input}, {ctx.output}, {attr_float("alpha", static_cast<float>(a()))}}};
  }
  // in, out: (n, ...)
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) out[i] = in[i] > T(0) ? in[i] : in[i] * a();
  }
  void backward(const Pass<T>& p, const T* in, const T*, const T* dout, T* din, T*) const override {
    if (!din) return;
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) din[i] = in[i] > T(0) ? dout[i] : dout[i] * a();
  }
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override { return in; }
};

HANDGRAD_ISA_VARIANTS(leaky_fwd, (const float* x, float* y, size_t m, float a), {
  for (size_t i = 0; i < m; ++i) y[i] = x[i] > 0.0f ? x[i] : x[i] * a;
})
HANDGRAD_ISA_VARIANTS(leaky_bwd, (const float* y, const float* dout, float* din, size_t m, float a),
                      {
                        for (size_t i = 0; i < m; ++i) din[i] = y[i] > 0.0f ? dout[i] : dout[i] * a;
                      })

template <class T>
std::unique_ptr<Op<T>> LeakyRelu<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    const float s = a();
    auto fwd = kernels::pick_isa(k, leaky_fwd_generic, leaky_fwd_avx2, leaky_fwd_avx512);
    auto bwd = kernels::pick_isa(k, leaky_bwd_generic, leaky_bwd_avx2, leaky_bwd_avx512);
    Pointwise pw;
    pw.name = "leaky_relu";
    pw.monotone = true;
    pw.fwd = [fwd, s](const float* x, float* y, size_t m) { fwd(x, y, m, s); };
    pw.bwd = [bwd, s](const float* y, const float* g, float* d, size_t m) { bwd(y, g, d, m, s); };
    return std::make_unique<PointwiseOp>(std::move(pw));
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

// clang-format off: the token stays on this line (cmake/layer_table.cmake reads it)
HANDGRAD_LAYER(leaky_relu, LeakyRelu,
               {.name = "leaky_relu",
                .category = "activation",
                .summary = "x for x > 0, a x otherwise (a small slope keeps units alive)",
                .args = {{.name = "a",
                          .integer = false,
                          .dflt = 0.01,
                          .min = 0,
                          .max = 1,
                          .help = "slope for x <= 0, in [0, 1]"}},
                .torch = "nn.LeakyReLU(negative_slope=a)",
                .math = "docs/math.md#leaky_relu"})
// clang-format on
