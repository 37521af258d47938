// avgpool(kernel[, stride]): the mean of k x k windows (PyTorch's AvgPool2d,
// no padding, floor mode); docs/math.md#avgpool.
//   (C, H, W) -> (C, Ho, Wo), Ho = (H - k) / stride + 1; stride defaults to k
//   forward:  y[c,v,u] = (1/k^2) sum_{i,j<k} x[c, vS+i, uS+j]
//   backward: dx[c,p,q] = (1/k^2) sum over the windows holding (p,q) of dy
// As PyTorch, the window is summed in row-major order and the sum divided
// by k^2. The fast lowering reads a convolution's wide planes in place and
// hands its gradient back in them, as the max-pool does.
#include "handgrad/core/error.h"
#include "kernels/isa_variants.h"
#include "layers/pool_window.h"
#include "layers/op.h"

namespace handgrad {

namespace {

template <class T>
class AvgPool final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  int K() const { return this->iarg(0); }
  int S() const { return this->iarg(1); }

  std::string torch() const override {
    return "nn.AvgPool2d(" + std::to_string(K()) + ", stride=" + std::to_string(S()) + ")";
  }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    const int64_t k = K(), s = S();
    return {{"AveragePool",
             {ctx.input},
             {ctx.output},
             {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s, s}),
              attr_ints("pads", {0, 0, 0, 0}), attr_int("ceil_mode", 0),
              attr_int("count_include_pad", 0)}}};
  }
  void forward(const Pass<T>& p, const T* in, T* out) const override;
  void backward(const Pass<T>& p, const T* in, const T* out, const T* dout, T* din,
                T* dparams) const override;
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override { return pooled_shape(in, K(), S()); }
};

// in: (n, C, H, W), out: (n, C, Ho, Wo)
template <class T>
void AvgPool<T>::forward(const Pass<T>& p, const T* in, T* out) const {
  const int C = this->in_dims()[0], H = this->in_dims()[1], W = this->in_dims()[2];
  const int Ho = this->out_dims()[1], Wo = this->out_dims()[2], k = K(), s = S();
  for (int pl = 0; pl < p.n * C; ++pl) {
    const T* x = in + static_cast<size_t>(pl) * H * W;
    T* y = out + static_cast<size_t>(pl) * Ho * Wo;
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ++ox) {
        T sum = 0;
        for (int i = 0; i < k; ++i) {
          for (int j = 0; j < k; ++j) sum += x[(oy * s + i) * W + ox * s + j];
        }
        y[oy * Wo + ox] = sum / T(k * k);
      }
    }
  }
}

// dout: (n, C, Ho, Wo) -> din: (n, C, H, W); overlapping windows add.
template <class T>
void AvgPool<T>::backward(const Pass<T>& p, const T*, const T*, const T* dout, T* din, T*) const {
  if (!din) return;
  const int C = this->in_dims()[0], H = this->in_dims()[1], W = this->in_dims()[2];
  const int Ho = this->out_dims()[1], Wo = this->out_dims()[2], k = K(), s = S();
  for (int pl = 0; pl < p.n * C; ++pl) {
    const T* dy = dout + static_cast<size_t>(pl) * Ho * Wo;
    T* dx = din + static_cast<size_t>(pl) * H * W;
    for (int i = 0; i < H * W; ++i) dx[i] = T(0);
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ++ox) {
        const T g = dy[oy * Wo + ox] / T(k * k);
        for (int i = 0; i < k; ++i) {
          for (int j = 0; j < k; ++j) dx[(oy * s + i) * W + ox * s + j] += g;
        }
      }
    }
  }
}

// ---- The fast lowering: planes `plane` floats apart, rows `row` apart (a
// convolution's wide planes, or dense ones).
struct PoolGeom {
  int H, W, k, s, Ho, Wo;
};

HANDGRAD_ISA_VARIANTS(avgpool_fwd,
                      (const float* in, int planes, size_t plane, int row, PoolGeom g, float* out),
                      {
                        const float div = static_cast<float>(g.k * g.k);
                        for (int pl = 0; pl < planes; ++pl) {
                          const float* x = in + static_cast<size_t>(pl) * plane;
                          float* y = out + static_cast<size_t>(pl) * g.Ho * g.Wo;
                          for (int oy = 0; oy < g.Ho; ++oy) {
                            for (int ox = 0; ox < g.Wo; ++ox) {
                              float sum = 0.0f;
                              for (int i = 0; i < g.k; ++i) {
                                const float* r = x + (oy * g.s + i) * row + ox * g.s;
                                for (int j = 0; j < g.k; ++j) sum += r[j];
                              }
                              y[oy * g.Wo + ox] = sum / div;
                            }
                          }
                        }
                      })

// Assigns all H x W positions of each din plane (zero where no window
// reaches), nothing else: a convolution's margins stay as they are.
HANDGRAD_ISA_VARIANTS(
    avgpool_bwd, (const float* dout, int planes, PoolGeom g, size_t plane, int row, float* din), {
      const float div = static_cast<float>(g.k * g.k);
      for (int pl = 0; pl < planes; ++pl) {
        const float* dy = dout + static_cast<size_t>(pl) * g.Ho * g.Wo;
        float* dx = din + static_cast<size_t>(pl) * plane;
        for (int y = 0; y < g.H; ++y) {
          for (int x = 0; x < g.W; ++x) dx[y * row + x] = 0.0f;
        }
        for (int oy = 0; oy < g.Ho; ++oy) {
          for (int i = 0; i < g.k; ++i) {
            float* r = dx + (oy * g.s + i) * row;
            for (int ox = 0; ox < g.Wo; ++ox) {
              const float v = dy[oy * g.Wo + ox] / div;
              for (int j = 0; j < g.k; ++j) r[ox * g.s + j] += v;
            }
          }
        }
      }
    })

class AvgPoolOp final : public Op<float> {
 public:
  AvgPoolOp(const KernelTable& k, PoolGeom g, int C)
      : g_(g), C_(C), in_planes_{static_cast<size_t>(g.H) * g.W, g.W} {
    fwd_ = kernels::pick_isa(k, avgpool_fwd_generic, avgpool_fwd_avx2, avgpool_fwd_avx512);
    bwd_ = kernels::pick_isa(k, avgpool_bwd_generic, avgpool_bwd_avx2, avgpool_bwd_avx512);
  }
  bool reads_strided_input() const override { return true; }
  void set_input_planes(Planes p) override {
    in_planes_ = p;
    strided_in_ = true;
  }
  void forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const override {
    w.out.resize(out_size * p.n + kSlack);
    fwd_(in, p.n * C_, in_planes_.plane, in_planes_.row, g_, w.out.data());
    w.out_ptr = w.out.data();
  }
  // Into the convolution's planes when it handed them on, else w.din.
  void backward(const Pass<float>& p, const float*, const float* dout, size_t, OpBuffers<float>& w,
                float*, DinTarget<float> into) const override {
    if (strided_in_) {
      bwd_(dout, p.n * C_, g_, into.planes.plane, into.planes.row, into.data);
      return;
    }
    if (!grad_in) return;
    w.din.resize(in_size * p.n);
    bwd_(dout, p.n * C_, g_, static_cast<size_t>(g_.H) * g_.W, g_.W, w.din.data());
    w.din_ptr = w.din.data();
    w.din_plane = 0;
  }

 private:
  PoolGeom g_;
  int C_;
  Planes in_planes_;
  bool strided_in_ = false;
  decltype(&avgpool_fwd_generic) fwd_;
  decltype(&avgpool_bwd_generic) bwd_;
};

template <class T>
std::unique_ptr<Op<T>> AvgPool<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    const Dims& in = this->in_dims();
    const Dims& out = this->out_dims();
    return std::make_unique<AvgPoolOp>(k, PoolGeom{in[1], in[2], K(), S(), out[1], out[2]}, in[0]);
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

// clang-format off: the token stays on this line (cmake/layer_table.cmake reads it)
HANDGRAD_LAYER(avgpool, AvgPool,
               {.name = "avgpool",
                .category = "pooling",
                .summary = "mean over k x k windows",
                .args = {{.name = "kernel", .help = "window size (kernel x kernel)"},
                         {.name = "stride", .same_as = 0, .help = "step between windows (default: kernel)"}},
                .torch = "nn.AvgPool2d(kernel, stride=stride)",
                .math = "docs/math.md#avgpool"})
// clang-format on
