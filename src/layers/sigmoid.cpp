// sigmoid: y = 1 / (1 + e^-x), any shape; docs/math.md#sigmoid.
//   backward: din = dout * (1 - y) y (PyTorch's order of the products)
// The fast kernel is approx::exp (relative error ~1e-7) vectorised for each
// SIMD level; sigmoid is increasing, so a max-pool next to it absorbs it.
#include <cmath>

#include "kernels/isa_variants.h"
#include "layers/approx.h"
#include "layers/pointwise_op.h"

namespace handgrad {

namespace {

template <class T>
class Sigmoid final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  std::string torch() const override { return "nn.Sigmoid()"; }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"Sigmoid", {ctx.input}, {ctx.output}}};
  }
  // in, out: (n, ...); e^-|x| never overflows
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) {
      const T e = std::exp(-std::fabs(in[i]));
      out[i] = in[i] >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
    }
  }
  void backward(const Pass<T>& p, const T*, const T* out, const T* dout, T* din,
                T*) const override {
    if (!din) return;
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) din[i] = dout[i] * (T(1) - out[i]) * out[i];
  }
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override { return in; }
};

HANDGRAD_ISA_VARIANTS(sigmoid_fwd, (const float* x, float* y, size_t m), {
  for (size_t i = 0; i < m; ++i) y[i] = 1.0f / (1.0f + approx::exp(-x[i]));
})
HANDGRAD_ISA_VARIANTS(sigmoid_bwd, (const float* y, const float* dout, float* din, size_t m), {
  for (size_t i = 0; i < m; ++i) din[i] = dout[i] * (1.0f - y[i]) * y[i];
})

template <class T>
std::unique_ptr<Op<T>> Sigmoid<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    Pointwise pw;
    pw.name = "sigmoid";
    pw.monotone = true;
    pw.fwd = kernels::pick_isa(k, sigmoid_fwd_generic, sigmoid_fwd_avx2, sigmoid_fwd_avx512);
    pw.bwd = kernels::pick_isa(k, sigmoid_bwd_generic, sigmoid_bwd_avx2, sigmoid_bwd_avx512);
    return std::make_unique<PointwiseOp>(std::move(pw));
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

// clang-format off: the token stays on this line (cmake/layer_table.cmake reads it)
HANDGRAD_LAYER(sigmoid, Sigmoid,
               {.name = "sigmoid",
                .category = "activation",
                .summary = "logistic function, squashes to (0, 1)",
                .torch = "nn.Sigmoid()",
                .math = "docs/math.md#sigmoid"})
// clang-format on
