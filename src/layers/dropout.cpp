// dropout(p): inverted dropout (PyTorch's Dropout semantics), any shape;
// docs/math.md#dropout.
//   training:   y = x m, m = 1/(1-p) where the element is kept, 0 where
//               dropped (each dropped with probability p)
//   evaluation: y = x
//   backward:   din = dout m (the same mask), or dout in evaluation
// The mask is a pure function of the layer's step key (Pass::seed), the
// sample's index in the whole batch and the element's index in the sample
// (core/rng.h): element e of sample b is dropped when the top 24 of
// element_bits(sample_key(key, b), e) are below ceil(p 2^24). So a mask
// does not depend on the thread split, a run is reproducible, and
// reference/hg_modules.py computes the same masks for PyTorch.
#include <cmath>
#include <cstring>

#include "kernels/isa_variants.h"
#include "layers/op.h"

namespace handgrad {

namespace {

// Elements whose 24-bit draw is below this are dropped.
uint32_t drop_threshold(double p) {
  return static_cast<uint32_t>(std::ceil(p * 16777216.0));
}

// mask (m): keep ? scale : 0 for the elements of one sample.
template <class T>
void sample_mask(uint64_t key, uint32_t threshold, T scale, T* mask, size_t m) {
  for (size_t e = 0; e < m; ++e) {
    mask[e] = (element_bits(key, static_cast<uint32_t>(e)) >> 8) >= threshold ? scale : T(0);
  }
}

template <class T>
class Dropout final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  double P() const { return this->args()[0]; }
  std::string torch() const override { return "hg.Dropout(" + python_float(P()) + ")"; }
  // Evaluation mode: the identity.
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"Identity", {ctx.input}, {ctx.output}}};
  }
  // in, out: (n, ...); p.saved keeps the mask (n, ...) for backward.
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    const size_t F = numel(this->in_dims()), m = static_cast<size_t>(p.n) * F;
    if (p.mode == Mode::eval) {
      std::copy(in, in + m, out);
      return;
    }
    p.saved->resize(m);
    T* mask = p.saved->data();
    const T scale = static_cast<T>(1.0 / (1.0 - P()));
    for (int b = 0; b < p.n; ++b) {
      const uint64_t key = sample_key(p.seed, static_cast<uint64_t>(p.first_sample + b));
      sample_mask(key, drop_threshold(P()), scale, mask + b * F, F);
    }
    for (size_t i = 0; i < m; ++i) out[i] = in[i] * mask[i];
  }
  void backward(const Pass<T>& p, const T*, const T*, const T* dout, T* din, T*) const override {
    if (!din) return;
    const size_t m = static_cast<size_t>(p.n) * numel(this->in_dims());
    if (p.mode == Mode::eval) {
      std::copy(dout, dout + m, din);
      return;
    }
    const T* mask = p.saved->data();
    for (size_t i = 0; i < m; ++i) din[i] = dout[i] * mask[i];
  }
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override { return in; }
};

// ---- The fast lowering: the same mask (bit for bit), vectorised.
HANDGRAD_ISA_VARIANTS(dropout_mask,
                      (uint64_t key, uint32_t threshold, float scale, float* mask, size_t m),
                      { sample_mask(key, threshold, scale, mask, m); })
HANDGRAD_ISA_VARIANTS(dropout_mul, (const float* x, const float* mask, float* y, size_t m), {
  for (size_t i = 0; i < m; ++i) y[i] = x[i] * mask[i];
})

class DropoutOp final : public Op<float> {
 public:
  DropoutOp(const KernelTable& k, double p)
      : threshold_(drop_threshold(p)), scale_(static_cast<float>(1.0 / (1.0 - p))) {
    mask_ = kernels::pick_isa(k, dropout_mask_generic, dropout_mask_avx2, dropout_mask_avx512);
    mul_ = kernels::pick_isa(k, dropout_mul_generic, dropout_mul_avx2, dropout_mul_avx512);
  }
  void forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const override {
    const size_t F = in_size, m = F * p.n;
    w.out.resize(m + kSlack);
    w.out_ptr = w.out.data();
    if (p.mode == Mode::eval) {  // a copy: the next op may read slack after it
      std::memcpy(w.out.data(), in, sizeof(float) * m);
      return;
    }
    w.saved.resize(m);
    for (int b = 0; b < p.n; ++b) {
      mask_(sample_key(p.seed, static_cast<uint64_t>(p.first_sample + b)), threshold_, scale_,
            w.saved.data() + b * F, F);
    }
    mul_(in, w.saved.data(), w.out.data(), m);
  }
  void backward(const Pass<float>& p, const float*, const float* dout, size_t, OpBuffers<float>& w,
                float*, DinTarget<float>) const override {
    if (!grad_in) return;
    const size_t m = in_size * p.n;
    w.din.resize(m);
    if (p.mode == Mode::eval) {
      std::memcpy(w.din.data(), dout, sizeof(float) * m);
    } else {
      mul_(dout, w.saved.data(), w.din.data(), m);
    }
    w.din_ptr = w.din.data();
    w.din_plane = 0;
  }

 private:
  uint32_t threshold_;
  float scale_;
  decltype(&dropout_mask_generic) mask_;
  decltype(&dropout_mul_generic) mul_;
};

template <class T>
std::unique_ptr<Op<T>> Dropout<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    return std::make_unique<DropoutOp>(k, P());
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

// clang-format off: the token stays on this line (cmake/layer_table.cmake reads it)
HANDGRAD_LAYER(dropout, Dropout,
               {.name = "dropout",
                .category = "regularization",
                .summary = "zeroes values with probability p in training (the rest times 1/(1-p))",
                .args = {{.name = "p",
                          .integer = false,
                          .dflt = 0.5,
                          .min = 0,
                          .max = 1,
                          .max_exclusive = true,
                          .help = "drop probability, in [0, 1)"}},
                .torch = "hg.Dropout(p): nn.Dropout with handgrad's masks",
                .math = "docs/math.md#dropout"})
// clang-format on
