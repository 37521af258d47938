// gap: global average pooling, (C, H, W) -> (C, 1, 1), the mean of each
// channel's plane (PyTorch's AdaptiveAvgPool2d(1)); docs/math.md#gap.
//   forward:  y[c] = (1/HW) sum_{p,q} x[c,p,q]
//   backward: dx[c,p,q] = dy[c] / HW
#include "handgrad/core/error.h"
#include "kernels/isa_variants.h"
#include "layers/op.h"

namespace handgrad {

namespace {

template <class T>
class Gap final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  std::string torch() const override { return "nn.AdaptiveAvgPool2d(1)"; }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"GlobalAveragePool", {ctx.input}, {ctx.output}}};
  }
  // in: (n, C, H, W), out: (n, C, 1, 1)
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    const size_t S = plane();
    for (size_t pl = 0; pl < planes(p.n); ++pl) {
      T sum = 0;
      for (size_t i = 0; i < S; ++i) sum += in[pl * S + i];
      out[pl] = sum / static_cast<T>(S);
    }
  }
  void backward(const Pass<T>& p, const T*, const T*, const T* dout, T* din, T*) const override {
    if (!din) return;
    const size_t S = plane();
    for (size_t pl = 0; pl < planes(p.n); ++pl) {
      const T g = dout[pl] / static_cast<T>(S);
      for (size_t i = 0; i < S; ++i) din[pl * S + i] = g;
    }
  }
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override {
    if (in.size() != 3) throw UsageError("needs an image input CxHxW, got " + dims_str(in));
    return {in[0], 1, 1};
  }

 private:
  size_t plane() const { return static_cast<size_t>(this->in_dims()[1]) * this->in_dims()[2]; }
  size_t planes(int n) const { return static_cast<size_t>(n) * this->in_dims()[0]; }
};

// Eight partial sums per plane (vectorised), then added in order.
HANDGRAD_ISA_VARIANTS(gap_fwd, (const float* in, size_t planes, size_t S, float* out), {
  for (size_t pl = 0; pl < planes; ++pl) {
    const float* x = in + pl * S;
    float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= S; i += 8) {
      for (int l = 0; l < 8; ++l) part[l] += x[i + l];
    }
    float sum = 0.0f;
    for (; i < S; ++i) sum += x[i];
    for (int l = 0; l < 8; ++l) sum += part[l];
    out[pl] = sum / static_cast<float>(S);
  }
})
HANDGRAD_ISA_VARIANTS(gap_bwd, (const float* dout, size_t planes, size_t S, float* din), {
  for (size_t pl = 0; pl < planes; ++pl) {
    const float g = dout[pl] / static_cast<float>(S);
    for (size_t i = 0; i < S; ++i) din[pl * S + i] = g;
  }
})

class GapOp final : public Op<float> {
 public:
  GapOp(const KernelTable& k, int C, size_t S) : C_(C), S_(S) {
    fwd_ = kernels::pick_isa(k, gap_fwd_generic, gap_fwd_avx2, gap_fwd_avx512);
    bwd_ = kernels::pick_isa(k, gap_bwd_generic, gap_bwd_avx2, gap_bwd_avx512);
  }
  void forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const override {
    w.out.resize(out_size * p.n + kSlack);
    fwd_(in, static_cast<size_t>(p.n) * C_, S_, w.out.data());
    w.out_ptr = w.out.data();
  }
  void backward(const Pass<float>& p, const float*, const float* dout, size_t, OpBuffers<float>& w,
                float*, DinTarget<float>) const override {
    if (!grad_in) return;
    w.din.resize(in_size * p.n);
    bwd_(dout, static_cast<size_t>(p.n) * C_, S_, w.din.data());
    w.din_ptr = w.din.data();
    w.din_plane = 0;
  }

 private:
  int C_;
  size_t S_;
  decltype(&gap_fwd_generic) fwd_;
  decltype(&gap_bwd_generic) bwd_;
};

template <class T>
std::unique_ptr<Op<T>> Gap<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    return std::make_unique<GapOp>(k, this->in_dims()[0], plane());
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

// clang-format off: the token stays on this line (cmake/layer_table.cmake reads it)
HANDGRAD_LAYER(gap, Gap,
               {.name = "gap",
                .category = "pooling",
                .summary = "global average pooling, (C, H, W) -> (C, 1, 1)",
                .torch = "nn.AdaptiveAvgPool2d(1)",
                .math = "docs/math.md#gap"})
// clang-format on
