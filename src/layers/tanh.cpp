// tanh: y = tanh(x), any shape; docs/math.md#tanh.
//   backward: din = dout * (1 - y^2)
// The fast lowering runs a rational approximation (|error| < 1e-6, see the
// test) vectorised for each SIMD level; a max-pool next to it absorbs it,
// since tanh is increasing.
#include <algorithm>
#include <cmath>

#include "kernels/isa_variants.h"
#include "layers/pointwise_op.h"

namespace handgrad {

namespace {

template <class T>
class Tanh final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  std::string torch() const override { return "nn.Tanh()"; }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"Tanh", {ctx.input}, {ctx.output}}};
  }
  // in, out: (n, ...)
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) out[i] = std::tanh(in[i]);
  }
  void backward(const Pass<T>& p, const T*, const T* out, const T* dout, T* din,
                T*) const override {
    if (!din) return;
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    for (size_t i = 0; i < m; ++i) din[i] = dout[i] * (T(1) - out[i] * out[i]);
  }
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override { return in; }
};

// Odd rational approximation on [-7.9, 7.9] (tanh is +-1 in float beyond),
// x itself below 4e-4 where tanh(x) = x in float.
inline float tanh_approx(float x) {
  const float c = std::min(std::max(x, -7.90531110763549805f), 7.90531110763549805f);
  const float x2 = c * c;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * c;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return std::fabs(x) < 0.0004f ? x : p / q;
}

HANDGRAD_ISA_VARIANTS(tanh_fwd, (const float* x, float* y, size_t m), {
  for (size_t i = 0; i < m; ++i) y[i] = tanh_approx(x[i]);
})
HANDGRAD_ISA_VARIANTS(tanh_bwd, (const float* y, const float* dout, float* din, size_t m), {
  for (size_t i = 0; i < m; ++i) din[i] = dout[i] * (1.0f - y[i] * y[i]);
})

template <class T>
std::unique_ptr<Op<T>> Tanh<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    Pointwise pw;
    pw.name = "tanh";
    pw.monotone = true;
    pw.fwd = kernels::pick_isa(k, tanh_fwd_generic, tanh_fwd_avx2, tanh_fwd_avx512);
    pw.bwd = kernels::pick_isa(k, tanh_bwd_generic, tanh_bwd_avx2, tanh_bwd_avx512);
    return std::make_unique<PointwiseOp>(std::move(pw));
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

HANDGRAD_LAYER(tanh, Tanh,
               {.name = "tanh",
                .category = "activation",
                .summary = "hyperbolic tangent, squashes to (-1, 1)",
                .torch = "nn.Tanh()",
                .math = "docs/math.md#tanh"})
