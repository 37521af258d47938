// identity: y = x, the seed's "linear activation" (eq. 11, a_3 = z_3);
// docs/math.md#identity. It has no fast lowering: the plan runs the copies
// below.
#include <algorithm>

#include "handgrad/layers/layer.h"

namespace handgrad {

namespace {

template <class T>
class Identity final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  std::string torch() const override { return "nn.Identity()"; }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"Identity", {ctx.input}, {ctx.output}}};
  }
  void forward(const Pass<T>& p, const T* in, T* out) const override {
    std::copy(in, in + static_cast<size_t>(p.n) * numel(this->in_dims()), out);
  }
  void backward(const Pass<T>& p, const T*, const T*, const T* dout, T* din, T*) const override {
    if (din) std::copy(dout, dout + static_cast<size_t>(p.n) * numel(this->in_dims()), din);
  }

 protected:
  Dims shape(const Dims& in) const override { return in; }
};

}  // namespace

}  // namespace handgrad

HANDGRAD_LAYER(identity, Identity,
               {.name = "identity",
                .category = "activation",
                .summary = "y = x (no activation: the network stays linear)",
                .torch = "nn.Identity()",
                .math = "docs/math.md#identity"})
