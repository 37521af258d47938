// elu(a): y = x for x > 0, a (e^x - 1) otherwise (PyTorch's ELU, alpha = a,
// default 1), any shape; docs/math.md#elu.
//   backward: din = dout for x > 0, dout a e^x = dout (y + a) otherwise
// a >= 0: y > 0 exactly where x > 0, so the backward pass needs only y, and
// the function is non-decreasing (a max-pool absorbs it). The fast kernel
// uses approx::exp (relative error ~1e-7).
#include <cmath>

#include "kernels/isa_variants.h"
#include "layers/approx.h"
#include "layers/pointwise_op.h"

namespace handgrad {

namespace {

template <class T>
class Elu final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  T a() const { return static_cast<T>(this->args()[0]); }
  std::string torch() const override {
    return "nn.ELU(alpha=" + python_float(this->args()[0]) + ")";
  }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"Elu", {ctx.input}, {ctx.output}, {attr_float("alpha", static_cast<float>(a()))}}};
  }
  // in, out: (n, ...)
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) out[i] = in[i] > T(0) ? in[i] : a() * std::expm1(in[i]);
  }
  void backward(const Pass<T>& p, const T* in, const T*, const T* dout, T* din, T*) const override {
    if (!din) return;
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i)
      din[i] = in[i] > T(0) ? dout[i] : dout[i] * a() * std::exp(in[i]);
  }
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override { return in; }
};

HANDGRAD_ISA_VARIANTS(elu_fwd, (const float* x, float* y, size_t m, float a), {
  for (size_t i = 0; i < m; ++i) {
    const float e = approx::exp(std::min(x[i], 0.0f));  // no overflow on the unused side
    y[i] = x[i] > 0.0f ? x[i] : (e - 1.0f) * a;
  }
})
HANDGRAD_ISA_VARIANTS(elu_bwd, (const float* y, const float* dout, float* din, size_t m, float a), {
  for (size_t i = 0; i < m; ++i) din[i] = y[i] > 0.0f ? dout[i] : dout[i] * (y[i] + a);
})

template <class T>
std::unique_ptr<Op<T>> Elu<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    const float s = a();
    auto fwd = kernels::pick_isa(k, elu_fwd_generic, elu_fwd_avx2, elu_fwd_avx512);
    auto bwd = kernels::pick_isa(k, elu_bwd_generic, elu_bwd_avx2, elu_bwd_avx512);
    Pointwise pw;
    pw.name = "elu";
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
HANDGRAD_LAYER(elu, Elu,
               {.name = "elu",
                .category = "activation",
                .summary = "x for x > 0, a (e^x - 1) otherwise (smooth, saturates at -a)",
                .args = {{.name = "a",
                          .integer = false,
                          .dflt = 1.0,
                          .min = 0,
                          .max = 100,
                          .help = "the value -a it saturates to for x -> -inf, in [0, 100]"}},
                .torch = "nn.ELU(alpha=a)",
                .math = "docs/math.md#elu"})
// clang-format on
