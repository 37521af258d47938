#pragma once
// The fast op of a pointwise activation: its Pointwise kernels over the
// whole batch. An activation's lower() builds one from its kernels; the plan
// may then fold it into a neighbour instead (a max-pool absorbs a
// non-decreasing one, see op.h), which drops this op.
#include <utility>

#include "layers/op.h"

namespace handgrad {

// din = dout * f'(x) computed from x, for an f' that the output alone does
// not give (gelu); such an activation leaves Pointwise::bwd empty.
using PointwiseGradFromInput =
    std::function<void(const float* x, const float* dout, float* din, size_t m)>;

class PointwiseOp final : public Op<float> {
 public:
  explicit PointwiseOp(Pointwise pw, PointwiseGradFromInput bwd_x = {})
      : pw_(std::move(pw)), bwd_x_(std::move(bwd_x)) {}
  const Pointwise* pointwise() const override { return &pw_; }
  TeamUse team_forward() const override { return TeamUse::local; }
  TeamUse team_backward() const override { return TeamUse::local; }
  // in, out: (n, out_size); a team's thread computes its samples.
  void forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const override {
    w.out.resize(out_size * p.n + kSlack);
    const size_t b = out_size * my_samples(p).first, m = out_size * my_samples(p).second - b;
    pw_.fwd(in + b, w.out.data() + b, m);
    w.out_ptr = w.out.data();
  }
  // din = dout * f'(x), from the output y = f(x) (or from x itself).
  void backward(const Pass<float>& p, const float* in, const float* dout, size_t,
                OpBuffers<float>& w, float*, DinTarget<float>) const override {
    if (!grad_in) return;
    w.din.resize(in_size * p.n);
    const size_t b = in_size * my_samples(p).first, m = in_size * my_samples(p).second - b;
    if (pw_.bwd) {
      pw_.bwd(w.out.data() + b, dout + b, w.din.data() + b, m);
    } else {
      bwd_x_(in + b, dout + b, w.din.data() + b, m);
    }
    w.din_ptr = w.din.data();
    w.din_plane = 0;
  }

 private:
  Pointwise pw_;
  PointwiseGradFromInput bwd_x_;
};

}  // namespace handgrad
