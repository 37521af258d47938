// conv(out_channels, kernel[, stride[, padding]]): a 2-D convolution (cross-correlation, as
// PyTorch's Conv2d). The seed's eqs. 1 and 4 (forward), 27-28, 31 and 34-35
// (backward); derived in docs/math.md#conv.
//   (C, H, W) -> (O, Ho, Wo), Ho = (H + 2 pad - k) / stride + 1
//   params: weight (O, C, k, k), bias (O)
// The reference forward/backward are written for clarity, not speed; the
// fast lowering (stride 1) runs the kernels over "wide" planes (kernels.h).
#include <cstdint>
#include <cstring>

#include "handgrad/core/error.h"
#include "kernels/kernels.h"
#include "layers/op.h"

namespace handgrad {

namespace {

template <class T>
class Conv final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  int O() const { return this->iarg(0); }
  int K() const { return this->iarg(1); }
  int S() const { return this->iarg(2); }
  int P() const { return this->iarg(3); }

  std::vector<TensorDef> tensors() const override {
    return {{"weight", {O(), this->in_dims()[0], K(), K()}}, {"bias", {O()}}};
  }
  void init(T* params, T*, Rng& rng, Init scheme) const override {
    const int c = this->in_dims()[0];
    init_weight_bias(params, static_cast<size_t>(O()) * c * K() * K(), static_cast<size_t>(O()),
                     c * K() * K(), O() * K() * K(), rng, scheme);
  }
  // weight elements x output positions
  double flops() const override {
    const Dims& o = this->out_dims();
    return 2.0 * O() * this->in_dims()[0] * K() * K() * o[1] * o[2];
  }
  std::string torch() const override {
    return "nn.Conv2d(" + std::to_string(this->in_dims()[0]) + ", " + std::to_string(O()) + ", " +
           std::to_string(K()) + ", stride=" + std::to_string(S()) +
           ", padding=" + std::to_string(P()) + ")";
  }
  // Same padding on all four sides, floor division as ONNX's default.
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    const int64_t k = K(), s = S(), p = P();
    return {{"Conv",
             {ctx.input, ctx.params.at(0), ctx.params.at(1)},
             {ctx.output},
             {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s, s}),
              attr_ints("pads", {p, p, p, p}), attr_ints("dilations", {1, 1}),
              attr_int("group", 1)}}};
  }
  void forward(const Pass<T>& p, const T* in, T* out) const override;
  void backward(const Pass<T>& p, const T* in, const T* out, const T* dout, T* din,
                T* dparams) const override;
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override {
    if (in.size() != 3) throw UsageError("needs an image input CxHxW, got " + dims_str(in));
    // 64-bit: a padding near INT_MAX must be refused, not overflow.
    const int64_t h64 = int64_t{in[1]} + 2 * int64_t{P()}, w64 = int64_t{in[2]} + 2 * int64_t{P()};
    if (h64 > (1 << 24) || w64 > (1 << 24)) {
      throw UsageError("padding " + std::to_string(P()) + " is too large for its input " +
                       dims_str(in));
    }
    const int h = static_cast<int>(h64), w = static_cast<int>(w64);
    if (K() > h || K() > w) {
      throw UsageError("kernel " + std::to_string(K()) + "x" + std::to_string(K()) +
                       " is larger than its input " + dims_str(in) +
                       (P() ? " (padded by " + std::to_string(P()) + ")" : ""));
    }
    return {O(), (h - K()) / S() + 1, (w - K()) / S() + 1};
  }
};

// in: (n, C, H, W), weight: (O, C, K, K), bias: (O), out: (n, O, Ho, Wo)
// out[b,o,y,x] = bias[o] + sum_{c,i,j} weight[o,c,i,j] * in[b,c,y*S+i-P,x*S+j-P]
template <class T>
void Conv<T>::forward(const Pass<T>& pass, const T* in, T* out) const {
  const int C = this->in_dims()[0], H = this->in_dims()[1], W = this->in_dims()[2];
  const int O = this->O(), Ho = this->out_dims()[1], Wo = this->out_dims()[2], K = this->K();
  const int S = this->S(), P = this->P();
  const T* weight = pass.params;
  const T* bias = pass.params + static_cast<size_t>(O) * C * K * K;
  for (int b = 0; b < pass.n; ++b) {
    const T* x = in + static_cast<size_t>(b) * C * H * W;
    T* y = out + static_cast<size_t>(b) * O * Ho * Wo;
    for (int o = 0; o < O; ++o) {
      for (int oy = 0; oy < Ho; ++oy) {
        for (int ox = 0; ox < Wo; ++ox) {
          T acc = bias[o];
          for (int c = 0; c < C; ++c) {
            for (int i = 0; i < K; ++i) {
              const int iy = oy * S + i - P;
              if (iy < 0 || iy >= H) continue;
              for (int j = 0; j < K; ++j) {
                const int ix = ox * S + j - P;
                if (ix < 0 || ix >= W) continue;
                acc += weight[((o * C + c) * K + i) * K + j] * x[(c * H + iy) * W + ix];
              }
            }
          }
          y[(o * Ho + oy) * Wo + ox] = acc;
        }
      }
    }
  }
}

// dout: (n, O, Ho, Wo)
// dbias[o]         += sum_{b,y,x} dout[b,o,y,x]                       (eqs. 28, 35)
// dweight[o,c,i,j] += sum_{b,y,x} dout[b,o,y,x] * in[b,c,yS+i-P,xS+j-P] (eqs. 27, 34)
// din[b,c,u,v]      = sum_{o,i,j: u=yS+i-P, v=xS+j-P} dout[b,o,y,x] * weight[o,c,i,j]
//                     (eq. 31: a "full" correlation of dout with the flipped kernel)
template <class T>
void Conv<T>::backward(const Pass<T>& pass, const T* in, const T*, const T* dout, T* din,
                       T* dparams) const {
  const int C = this->in_dims()[0], H = this->in_dims()[1], W = this->in_dims()[2];
  const int O = this->O(), Ho = this->out_dims()[1], Wo = this->out_dims()[2], K = this->K();
  const int S = this->S(), P = this->P();
  const T* weight = pass.params;
  T* dweight = dparams;
  T* dbias = dparams + static_cast<size_t>(O) * C * K * K;
  for (int b = 0; b < pass.n; ++b) {
    const T* x = in + static_cast<size_t>(b) * C * H * W;
    const T* dy = dout + static_cast<size_t>(b) * O * Ho * Wo;
    T* dx = din ? din + static_cast<size_t>(b) * C * H * W : nullptr;
    if (dx) {
      for (int i = 0; i < C * H * W; ++i) dx[i] = T(0);
    }
    for (int o = 0; o < O; ++o) {
      for (int oy = 0; oy < Ho; ++oy) {
        for (int ox = 0; ox < Wo; ++ox) {
          const T g = dy[(o * Ho + oy) * Wo + ox];
          dbias[o] += g;
          for (int c = 0; c < C; ++c) {
            for (int i = 0; i < K; ++i) {
              const int iy = oy * S + i - P;
              if (iy < 0 || iy >= H) continue;
              for (int j = 0; j < K; ++j) {
                const int ix = ox * S + j - P;
                if (ix < 0 || ix >= W) continue;
                const int wi = ((o * C + c) * K + i) * K + j;
                const int xi = (c * H + iy) * W + ix;
                dweight[wi] += g * x[xi];
                if (dx) dx[xi] += g * weight[wi];
              }
            }
          }
        }
      }
    }
  }
}

// ---- The fast lowering (stride 1): correlations over "wide" planes.
// Buffers: scratch[0] xp (n, C, Hp, Wp) padded input copy; scratch[1] wide
// (n, O, wide_plane) output before compaction; scratch[2] dpad (n, O,
// dpad_plane) dout with its zero margin; scratch[3] dxw (n, C, din_plane)
// dL/d(padded input).
class ConvOp final : public Op<float> {
 public:
  ConvOp(const KernelTable& k, const ConvGeom& g) : k_(k), g_(g) {
    xs_ = static_cast<size_t>(g.C) * g.in_plane + round_up(g.K + kSlack, 16);
  }
  std::optional<Planes> strided_output() const override {
    return Planes{static_cast<size_t>(g_.wide_plane), g_.Wp};
  }
  void use_strided_output() override { wide_out_ = true; }
  DinTarget<float> dout_target(OpBuffers<float>& w, int n) const override {
    w.scratch[2].resize(static_cast<size_t>(n) * g_.O * g_.dpad_plane + kSlack);
    return {w.scratch[2].data() + g_.dpad_margin, Planes{static_cast<size_t>(g_.dpad_plane), g_.Wp}};
  }
  // Without padding the wide dL/d(input) planes have the input's rows.
  std::optional<Planes> strided_din() const override {
    if (g_.pad != 0) return std::nullopt;
    return Planes{static_cast<size_t>(g_.din_plane), g_.W};
  }
  void use_strided_din() override { strided_din_ = true; }
  // A team of two shares the samples, each half of the batch its own part
  // of the weight gradient (backward_params).
  // Reading the previous op's output in place, the last vectors of a
  // sample's rows run a few floats into the next sample's (lanes that are
  // then dropped): the other thread may be writing those, so the team waits
  // for the whole input first (ThreadSanitizer found it).
  TeamUse team_forward() const override {
    return direct_input() ? TeamUse::whole : TeamUse::local;
  }
  TeamUse team_backward() const override { return TeamUse::local; }

  void forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const override;
  void backward(const Pass<float>& p, const float* in, const float* dout, size_t,
                OpBuffers<float>& w, float* dparams, DinTarget<float>) const override;

 private:
  static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }
  // An unpadded conv reads the previous op's output in place: planes are
  // contiguous and every op output has kSlack readable floats after it.
  bool direct_input() const { return g_.pad == 0 && !first_op; }
  size_t x_stride() const {
    return direct_input() ? static_cast<size_t>(g_.C) * g_.in_plane : xs_;
  }
  // Each over samples [b, e) of the n in the buffers.
  const float* padded_input(const float* in, int n, int b, int e, OpBuffers<float>& w) const;
  void compact_output(int n, int b, int e, OpBuffers<float>& w) const;
  void place_dout(const float* dout, int n, int b, int e, OpBuffers<float>& w) const;
  void unpad_din(int n, int b, int e, OpBuffers<float>& w) const;
  void backward_params(const Pass<float>& p, const float* xp, OpBuffers<float>& w,
                       float* dparams) const;

  const KernelTable& k_;
  ConvGeom g_;
  size_t xs_;  // floats per sample of the padded input copy
  bool wide_out_ = false, strided_din_ = false;
};

const float* ConvOp::padded_input(const float* in, int n, int b, int e,
                                  OpBuffers<float>& w) const {
  if (direct_input()) return in;
  Buffer<float>& xp = w.scratch[0];
  xp.resize(xs_ * n);
  // Copy into the zero-padded planes (the borders stay zero from resize).
  for (int s = b; s < e; ++s) {
    float* dst = xp.data() + s * xs_;
    const float* src = in + static_cast<size_t>(s) * g_.C * g_.H * g_.W;
    if (g_.pad == 0) {
      std::memcpy(dst, src, sizeof(float) * g_.C * g_.H * g_.W);
      continue;
    }
    for (int c = 0; c < g_.C; ++c) {
      for (int y = 0; y < g_.H; ++y) {
        std::memcpy(dst + static_cast<size_t>(c) * g_.in_plane +
                        static_cast<size_t>(y + g_.pad) * g_.Wp + g_.pad,
                    src + (static_cast<size_t>(c) * g_.H + y) * g_.W, sizeof(float) * g_.W);
      }
    }
  }
  return xp.data();
}

// wide (n, O, wide_plane) -> out (n, O, Ho, Wo)
void ConvOp::compact_output(int n, int b, int e, OpBuffers<float>& w) const {
  w.out.resize(out_size * n + kSlack);
  for (int pl = b * g_.O; pl < e * g_.O; ++pl) {
    for (int y = 0; y < g_.Ho; ++y) {
      std::memcpy(w.out.data() + (static_cast<size_t>(pl) * g_.Ho + y) * g_.Wo,
                  w.scratch[1].data() + static_cast<size_t>(pl) * g_.wide_plane + y * g_.Wp,
                  sizeof(float) * g_.Wo);
    }
  }
}

void ConvOp::forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const {
  const auto [b, e] = my_samples(p);
  const float* xp = padded_input(in, p.n, b, e, w);
  Buffer<float>& dst = wide_out_ ? w.out : w.scratch[1];
  const size_t wide = static_cast<size_t>(g_.O) * g_.wide_plane;  // per sample
  dst.resize(p.n * wide + kSlack);
  k_.conv_fwd(g_, p.params, p.params + static_cast<size_t>(g_.O) * g_.C * g_.K * g_.K,
              xp + b * x_stride(), x_stride(), dst.data() + b * wide, e - b);
  if (!wide_out_) compact_output(p.n, b, e, w);
  w.out_ptr = w.out.data();
}

// dout (n, O, Ho, Wo) -> dpad; only the valid positions are written, the
// margins stay zero.
void ConvOp::place_dout(const float* dout, int n, int b, int e, OpBuffers<float>& w) const {
  Buffer<float>& dpad = w.scratch[2];
  dpad.resize(static_cast<size_t>(n) * g_.O * g_.dpad_plane + kSlack);
  for (int pl = b * g_.O; pl < e * g_.O; ++pl) {
    for (int y = 0; y < g_.Ho; ++y) {
      std::memcpy(dpad.data() + static_cast<size_t>(pl) * g_.dpad_plane + g_.dpad_margin + y * g_.Wp,
                  dout + (static_cast<size_t>(pl) * g_.Ho + y) * g_.Wo, sizeof(float) * g_.Wo);
    }
  }
}

// dxw (n, C, din_plane) wide -> din (n, C, H, W)
void ConvOp::unpad_din(int n, int b, int e, OpBuffers<float>& w) const {
  w.din.resize(in_size * n);
  for (int pl = b * g_.C; pl < e * g_.C; ++pl) {
    for (int y = 0; y < g_.H; ++y) {
      std::memcpy(w.din.data() + (static_cast<size_t>(pl) * g_.H + y) * g_.W,
                  w.scratch[3].data() + static_cast<size_t>(pl) * g_.din_plane +
                      (y + g_.pad) * g_.Wp + g_.pad,
                  sizeof(float) * g_.W);
    }
  }
  w.din_ptr = w.din.data();
  w.din_plane = 0;
}

void ConvOp::backward(const Pass<float>& p, const float* in, const float* dout, size_t,
                      OpBuffers<float>& w, float* dparams, DinTarget<float>) const {
  const auto [b, e] = my_samples(p);
  // With a wide output the consumer already wrote dout into dpad.
  if (!wide_out_) place_dout(dout, p.n, b, e, w);
  const float* xp = direct_input() ? in : w.scratch[0].data();
  const float* dpad = w.scratch[2].data();
  backward_params(p, xp, w, dparams);
  if (!grad_in) return;
  w.scratch[3].resize(static_cast<size_t>(p.n) * g_.C * g_.din_plane + kSlack);
  const size_t dpad_sample = static_cast<size_t>(g_.O) * g_.dpad_plane;
  const size_t din_sample = static_cast<size_t>(g_.C) * g_.din_plane;
  k_.conv_bwd_input(g_, p.params, dpad + b * dpad_sample, w.scratch[3].data() + b * din_sample,
                    e - b);
  if (strided_din_) {
    w.din_ptr = w.scratch[3].data();
    w.din_plane = static_cast<size_t>(g_.din_plane);
    return;
  }
  unpad_din(p.n, b, e, w);
}

// dW and db sum over the batch in two halves, samples [0, n/2) and [n/2,
// n), each into its own partial, then dparams += half0 + half1. A team of
// two is those halves (Team::share), so each thread sums only the samples
// it computed, from its own cache, and the two threads then add their
// shares of the elements: one thread alone does the same additions.
void ConvOp::backward_params(const Pass<float>& p, const float* xp, OpBuffers<float>& w,
                             float* dparams) const {
  const size_t nw = static_cast<size_t>(g_.O) * g_.C * g_.K * g_.K, np = nw + g_.O;
  const size_t dpad_sample = static_cast<size_t>(g_.O) * g_.dpad_plane;
  w.halves.resize(2 * np);
  const Team& team = team_of(p);
  for (int h = 0; h < 2; ++h) {
    if (!team.alone() && h != team.rank()) continue;
    const int b = p.n * h / 2, e = p.n * (h + 1) / 2;
    float* part = w.halves.data() + h * np;
    std::fill(part, part + np, 0.0f);
    k_.conv_bwd_params(g_, xp + b * x_stride(), x_stride(), w.scratch[2].data() + b * dpad_sample,
                       part, part + nw, e - b);
  }
  team.sync();
  const auto [i0, i1] = team.share(np);
  const float* h0 = w.halves.data();
  const float* h1 = h0 + np;
  for (size_t i = i0; i < i1; ++i) dparams[i] += h0[i] + h1[i];
}

template <class T>
std::unique_ptr<Op<T>> Conv<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    if (S() != 1) return nullptr;  // the wide kernels are stride 1
    const Dims& d = this->in_dims();
    return std::make_unique<ConvOp>(k, conv_geom(d[0], d[1], d[2], O(), K(), P()));
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

HANDGRAD_LAYER(conv, Conv,
               {.name = "conv",
                .category = "conv",
                .summary = "2-D convolution (cross-correlation), per-channel bias",
                .args = {{.name = "out_channels", .help = "output channels"},
                         {.name = "kernel", .help = "kernel size (kernel x kernel)"},
                         {.name = "stride", .dflt = 1, .help = "step between windows"},
                         {.name = "padding", .dflt = 0, .min = 0, .help = "zeros added on each side"}},
                .torch = "nn.Conv2d(C, out_channels, kernel, stride=stride, padding=padding)",
                .math = "docs/math.md#conv"})
