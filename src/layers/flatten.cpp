// flatten: (C, H, W) -> (C*H*W), row-major, as torch.nn.Flatten. The seed's
// eq. 7; its backward (eq. 24) is the inverse reshape; docs/math.md#flatten.
// The memory layout is already (n, C*H*W): the reference copies, the fast
// plan passes the same buffer on.
#include <algorithm>

#include "layers/op.h"

namespace handgrad {

namespace {

template <class T>
class Flatten final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  std::string torch() const override { return "nn.Flatten()"; }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"Flatten", {ctx.input}, {ctx.output}, {attr_int("axis", 1)}}};
  }
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    std::copy(in, in + static_cast<size_t>(p.n) * numel(this->in_dims()), out);
  }
  void backward(const Pass<T>& p, const T*, const T*, const T* dout, T* din, T*) const override {
    if (din) std::copy(dout, dout + static_cast<size_t>(p.n) * numel(this->in_dims()), din);
  }
  std::unique_ptr<Op<T>> lower(const KernelTable&) const override;

 protected:
  Dims shape(const Dims& in) const override { return {static_cast<int>(numel(in))}; }
};

// Output = input; dout passes through to the op before unchanged.
class FlattenOp final : public Op<float> {
 public:
  bool alias() const override { return true; }
  TeamUse team_forward() const override { return TeamUse::local; }
  TeamUse team_backward() const override { return TeamUse::local; }
  void forward(const Pass<float>&, const float* in, OpBuffers<float>& w) const override {
    w.out_ptr = in;
  }
  void backward(const Pass<float>&, const float*, const float*, size_t, OpBuffers<float>&, float*,
                DinTarget<float>) const override {}
};

template <class T>
std::unique_ptr<Op<T>> Flatten<T>::lower(const KernelTable&) const {
  if constexpr (std::is_same_v<T, float>) {
    return std::make_unique<FlattenOp>();
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

HANDGRAD_LAYER(flatten, Flatten,
               {.name = "flatten",
                .category = "shape",
                .summary = "(C, H, W) -> (C*H*W), row-major",
                .torch = "nn.Flatten()",
                .math = "docs/math.md#flatten"})
