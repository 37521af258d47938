// gelu: y = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, the exact (erf) form,
// PyTorch's default GELU; any shape; docs/math.md#gelu.
//   backward: din = dout (Phi(x) + x phi(x)), phi(x) = e^{-x^2/2} / sqrt(2 pi)
// The derivative needs x (it is not a function of y: gelu is not
// monotone), so no max-pool absorbs it. The fast kernel writes Phi through
// erfc, Phi(x) = erfc(-x / sqrt 2) / 2, with approx::erfc_pos on |x| / sqrt 2
// (absolute error ~1.5e-7), which keeps the negative side free of
// cancellation.
#include <cmath>

#include "kernels/isa_variants.h"
#include "layers/approx.h"
#include "layers/pointwise_op.h"

namespace handgrad {

namespace {

constexpr double kSqrt1_2 = 0.70710678118654752440;     // 1 / sqrt 2
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)

template <class T>
class Gelu final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  std::string torch() const override { return "nn.GELU()"; }
  // Opsets 13..17 have no Gelu: 0.5 x (1 + Erf(x / sqrt 2)).
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    const std::string r2 = ctx.fresh(ctx.output + ".sqrt2"), one = ctx.fresh(ctx.output + ".one"),
                      half = ctx.fresh(ctx.output + ".half"), s = ctx.fresh(ctx.output + ".scaled"),
                      e = ctx.fresh(ctx.output + ".erf"), p = ctx.fresh(ctx.output + ".erf1"),
                      xp = ctx.fresh(ctx.output + ".xerf1");
    return {{"Constant", {}, {r2}, {attr_float("value_float", static_cast<float>(std::sqrt(2.0)))}},
            {"Constant", {}, {one}, {attr_float("value_float", 1.0f)}},
            {"Constant", {}, {half}, {attr_float("value_float", 0.5f)}},
            {"Div", {ctx.input, r2}, {s}},
            {"Erf", {s}, {e}},
            {"Add", {e, one}, {p}},
            {"Mul", {ctx.input, p}, {xp}},
            {"Mul", {xp, half}, {ctx.output}}};
  }
  // in, out: (n, ...)
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) out[i] = in[i] * T(0.5) * (T(1) + std::erf(in[i] * T(kSqrt1_2)));
  }
  void backward(const Pass<T>& p, const T* in, const T*, const T* dout, T* din, T*) const override {
    if (!din) return;
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) {
      const T x = in[i];
      const T cdf = T(0.5) * (T(1) + std::erf(x * T(kSqrt1_2)));
      const T pdf = std::exp(T(-0.5) * x * x) * T(kInvSqrt2Pi);
      din[i] = dout[i] * (cdf + x * pdf);
    }
  }
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override { return in; }
};

// Phi(x) = 1 - erfc(z)/2 for x >= 0, erfc(-z)/2 below, z = x / sqrt 2.
inline float normal_cdf(float x) {
  const float h = 0.5f * approx::erfc_pos(std::fabs(x) * static_cast<float>(kSqrt1_2));
  return x >= 0.0f ? 1.0f - h : h;
}

HANDGRAD_ISA_VARIANTS(gelu_fwd, (const float* x, float* y, size_t m), {
  for (size_t i = 0; i < m; ++i) y[i] = x[i] * normal_cdf(x[i]);
})
HANDGRAD_ISA_VARIANTS(gelu_bwd, (const float* x, const float* dout, float* din, size_t m), {
  for (size_t i = 0; i < m; ++i) {
    const float pdf = approx::exp(-0.5f * x[i] * x[i]) * static_cast<float>(kInvSqrt2Pi);
    din[i] = dout[i] * (normal_cdf(x[i]) + x[i] * pdf);
  }
})

template <class T>
std::unique_ptr<Op<T>> Gelu<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    Pointwise pw;
    pw.name = "gelu";
    pw.fwd = kernels::pick_isa(k, gelu_fwd_generic, gelu_fwd_avx2, gelu_fwd_avx512);
    // pw.bwd stays empty: f' needs x.
    return std::make_unique<PointwiseOp>(
        std::move(pw), kernels::pick_isa(k, gelu_bwd_generic, gelu_bwd_avx2, gelu_bwd_avx512));
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

// clang-format off: the token stays on this line (cmake/layer_table.cmake reads it)
HANDGRAD_LAYER(gelu, Gelu,
               {.name = "gelu",
                .category = "activation",
                .summary = "x Phi(x), the exact erf form (smooth, not monotone below -0.75)",
                .torch = "nn.GELU()",
                .math = "docs/math.md#gelu"})
// clang-format on
