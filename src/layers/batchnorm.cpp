// batchnorm: batch normalisation per channel (PyTorch's BatchNorm2d after a
// feature map (C, H, W), BatchNorm1d after a vector (F): C = F, one value
// per channel and sample); eps 1e-5, momentum 0.1, affine;
// docs/math.md#batchnorm.
//   params:  weight (C) = gamma, bias (C) = beta
//   buffers: running_mean (C), running_var (C), num_batches_tracked () (I64)
// Training: over the M = n H W values of channel c, mu = mean, var = biased
// variance, xhat = (x - mu) / sqrt(var + eps), y = gamma xhat + beta; the
// running mean and the *unbiased* running variance (var M / (M - 1)) move
// by momentum 0.1, exactly PyTorch's update. Evaluation: the running
// statistics in place of the batch's.
//   backward (train): dbeta = sum dy, dgamma = sum dy xhat,
//     dx = gamma / sqrt(var + eps) (dy - dbeta / M - xhat dgamma / M)
//   backward (eval):  dx = gamma dy / sqrt(running_var + eps)
// The statistics span the batch (couples_batch): StepRunner trains such a
// network one slice per batch.
#include <cmath>

#include "handgrad/core/error.h"
#include "kernels/isa_variants.h"
#include "layers/op.h"

namespace handgrad {

namespace {

constexpr double kEps = 1e-5, kMomentum = 0.1;

// (n, C, S) with S = H W (1 after a vector).
struct BnGeom {
  int C;
  size_t S;
};

BnGeom bn_geom(const Dims& in) {
  return {in[0], in.size() == 3 ? static_cast<size_t>(in[1]) * in[2] : size_t(1)};
}

size_t check_count(int n, size_t S) {
  const size_t M = static_cast<size_t>(n) * S;
  if (M < 2) {
    throw Error(
        "batchnorm: training needs more than one value per channel, got a batch of 1 "
        "after a vector (PyTorch refuses it too); use a batch size of at least 2");
  }
  return M;
}

// The running statistics after a training batch with mean `mu` and biased
// variance `var` over M values, as PyTorch computes them (in double).
template <class T>
void update_running(T* buffers, int C, const double* mu, const double* var, size_t M) {
  T* rm = buffers;
  T* rv = buffers + C;
  T* tracked = buffers + 2 * C;
  for (int c = 0; c < C; ++c) {
    rm[c] = static_cast<T>(kMomentum * mu[c] + (1 - kMomentum) * static_cast<double>(rm[c]));
    const double unbiased = var[c] * static_cast<double>(M) / static_cast<double>(M - 1);
    rv[c] = static_cast<T>(kMomentum * unbiased + (1 - kMomentum) * static_cast<double>(rv[c]));
  }
  *tracked += T(1);
}

template <class T>
class BatchNorm final : public Layer<T> {
 public:
  using Layer<T>::Layer;
  int C() const { return this->in_dims()[0]; }

  std::vector<TensorDef> tensors() const override {
    return {{"weight", {C()}},
            {"bias", {C()}},
            {"running_mean", {C()}, false},
            {"running_var", {C()}, false},
            {"num_batches_tracked", {}, false, DType::i64}};
  }
  // PyTorch's reset_parameters: gamma 1, beta 0, whatever the scheme.
  void init(T* params, T* buffers, Rng&, Init) const override {
    for (int c = 0; c < C(); ++c) {
      params[c] = T(1);
      params[C() + c] = T(0);
      buffers[c] = T(0);
      buffers[C() + c] = T(1);
    }
    buffers[2 * C()] = T(0);
  }
  bool couples_batch() const override { return true; }
  std::string torch() const override {
    return std::string(this->in_dims().size() == 3 ? "nn.BatchNorm2d(" : "nn.BatchNorm1d(") +
           std::to_string(C()) + ")";
  }
  std::vector<OnnxNode> onnx(const OnnxCtx& ctx) const override {
    return {{"BatchNormalization",
             {ctx.input, ctx.params.at(0), ctx.params.at(1), ctx.buffers.at(0), ctx.buffers.at(1)},
             {ctx.output},
             {attr_float("epsilon", static_cast<float>(kEps))}}};
  }
  void forward(const Pass<T>& p, const T* in, T* out) const override;
  void backward(const Pass<T>& p, const T* in, const T* out, const T* dout, T* din,
                T* dparams) const override;
  std::unique_ptr<Op<T>> lower(const KernelTable& k) const override;

 protected:
  Dims shape(const Dims& in) const override {
    if (in.size() != 3 && in.size() != 1) {
      throw UsageError("needs a feature map CxHxW or a vector, got " + dims_str(in));
    }
    return in;
  }
};

// in, out: (n, C, S). p.saved keeps (mu, 1/sqrt(var + eps)) per channel for
// backward: the batch's in training, the running ones in evaluation.
template <class T>
void BatchNorm<T>::forward(const Pass<T>& p, const T* in, T* out) const {
  const auto [C, S] = bn_geom(this->in_dims());
  const T* gamma = p.params;
  const T* beta = p.params + C;
  p.saved->resize(2 * static_cast<size_t>(C));
  T* mu = p.saved->data();
  T* invstd = mu + C;
  if (p.mode == Mode::train) {
    const size_t M = check_count(p.n, S);
    std::vector<double> mean(C, 0.0), var(C, 0.0);
    for (int b = 0; b < p.n; ++b) {
      for (int c = 0; c < C; ++c) {
        for (size_t i = 0; i < S; ++i) mean[c] += in[(static_cast<size_t>(b) * C + c) * S + i];
      }
    }
    for (int c = 0; c < C; ++c) mean[c] /= static_cast<double>(M);
    for (int b = 0; b < p.n; ++b) {
      for (int c = 0; c < C; ++c) {
        for (size_t i = 0; i < S; ++i) {
          const double d = in[(static_cast<size_t>(b) * C + c) * S + i] - mean[c];
          var[c] += d * d;
        }
      }
    }
    for (int c = 0; c < C; ++c) {
      var[c] /= static_cast<double>(M);
      mu[c] = static_cast<T>(mean[c]);
      invstd[c] = static_cast<T>(1.0 / std::sqrt(var[c] + kEps));
    }
    update_running(p.buffers, C, mean.data(), var.data(), M);
  } else {
    for (int c = 0; c < C; ++c) {
      mu[c] = p.buffers[c];
      invstd[c] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(p.buffers[C + c]) + kEps));
    }
  }
  for (int b = 0; b < p.n; ++b) {
    for (int c = 0; c < C; ++c) {
      for (size_t i = 0; i < S; ++i) {
        const size_t at = (static_cast<size_t>(b) * C + c) * S + i;
        out[at] = (in[at] - mu[c]) * invstd[c] * gamma[c] + beta[c];
      }
    }
  }
}

// dout: (n, C, S). In training mu and var depend on every x of the channel,
// which gives the two extra terms of dx.
template <class T>
void BatchNorm<T>::backward(const Pass<T>& p, const T* in, const T*, const T* dout, T* din,
                            T* dparams) const {
  const auto [C, S] = bn_geom(this->in_dims());
  const T* gamma = p.params;
  const T* mu = p.saved->data();
  const T* invstd = mu + C;
  const double M = static_cast<double>(static_cast<size_t>(p.n) * S);
  std::vector<double> sum_dy(C, 0.0), sum_dy_xhat(C, 0.0);
  for (int b = 0; b < p.n; ++b) {
    for (int c = 0; c < C; ++c) {
      for (size_t i = 0; i < S; ++i) {
        const size_t at = (static_cast<size_t>(b) * C + c) * S + i;
        sum_dy[c] += dout[at];
        sum_dy_xhat[c] += dout[at] * (in[at] - mu[c]) * invstd[c];
      }
    }
  }
  for (int c = 0; c < C; ++c) {
    dparams[c] += static_cast<T>(sum_dy_xhat[c]);
    dparams[C + c] += static_cast<T>(sum_dy[c]);
  }
  if (!din) return;
  const bool train = p.mode == Mode::train;
  for (int b = 0; b < p.n; ++b) {
    for (int c = 0; c < C; ++c) {
      for (size_t i = 0; i < S; ++i) {
        const size_t at = (static_cast<size_t>(b) * C + c) * S + i;
        const T xhat = (in[at] - mu[c]) * invstd[c];
        const T g = train ? dout[at] - static_cast<T>(sum_dy[c] / M) -
                                xhat * static_cast<T>(sum_dy_xhat[c] / M)
                          : dout[at];
        din[at] = gamma[c] * invstd[c] * g;
      }
    }
  }
}

// ---- The fast lowering. Per-channel sums go through eight float partial
// sums per plane (vectorised) into double; after a vector (S = 1) the loops
// run along the channels instead.

// out[c] = sum over (n, S) of (x - shift[c]), or of (x - shift[c])^2.
HANDGRAD_ISA_VARIANTS(
    bn_sums, (const float* x, int n, BnGeom g, const float* shift, bool square, double* out), {
      for (int c = 0; c < g.C; ++c) out[c] = 0.0;
      if (g.S == 1) {
        for (int b = 0; b < n; ++b) {
          const float* r = x + static_cast<size_t>(b) * g.C;
          for (int c = 0; c < g.C; ++c) {
            const float d = r[c] - shift[c];
            out[c] += square ? d * d : d;
          }
        }
        return;
      }
      for (int b = 0; b < n; ++b) {
        for (int c = 0; c < g.C; ++c) {
          const float* r = x + (static_cast<size_t>(b) * g.C + c) * g.S;
          const float s = shift[c];
          float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          size_t i = 0;
          for (; i + 8 <= g.S; i += 8) {
            for (int l = 0; l < 8; ++l) {
              const float d = r[i + l] - s;
              part[l] += square ? d * d : d;
            }
          }
          double sum = 0.0;
          for (; i < g.S; ++i) {
            const float d = r[i] - s;
            sum += square ? d * d : d;
          }
          for (int l = 0; l < 8; ++l) sum += part[l];
          out[c] += sum;
        }
      }
    })

// sdy[c] = sum dy, dot[c] = sum dy (x - mu[c]).
HANDGRAD_ISA_VARIANTS(bn_dots,
                      (const float* dy, const float* x, int n, BnGeom g, const float* mu,
                       double* sdy, double* dot),
                      {
                        for (int c = 0; c < g.C; ++c) sdy[c] = dot[c] = 0.0;
                        if (g.S == 1) {
                          for (int b = 0; b < n; ++b) {
                            const size_t o = static_cast<size_t>(b) * g.C;
                            for (int c = 0; c < g.C; ++c) {
                              sdy[c] += dy[o + c];
                              dot[c] += dy[o + c] * (x[o + c] - mu[c]);
                            }
                          }
                          return;
                        }
                        for (int b = 0; b < n; ++b) {
                          for (int c = 0; c < g.C; ++c) {
                            const size_t o = (static_cast<size_t>(b) * g.C + c) * g.S;
                            const float m = mu[c];
                            float ps[8] = {0, 0, 0, 0, 0, 0, 0, 0},
                                  pd[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                            size_t i = 0;
                            for (; i + 8 <= g.S; i += 8) {
                              for (int l = 0; l < 8; ++l) {
                                ps[l] += dy[o + i + l];
                                pd[l] += dy[o + i + l] * (x[o + i + l] - m);
                              }
                            }
                            double s = 0.0, d = 0.0;
                            for (; i < g.S; ++i) {
                              s += dy[o + i];
                              d += dy[o + i] * (x[o + i] - m);
                            }
                            for (int l = 0; l < 8; ++l) s += ps[l], d += pd[l];
                            sdy[c] += s;
                            dot[c] += d;
                          }
                        }
                      })

// y = x a[c] + b[c]
HANDGRAD_ISA_VARIANTS(bn_affine,
                      (const float* x, int n, BnGeom g, const float* a, const float* b, float* y), {
                        for (int s = 0; s < n; ++s) {
                          for (int c = 0; c < g.C; ++c) {
                            const size_t o = (static_cast<size_t>(s) * g.C + c) * g.S;
                            for (size_t i = 0; i < g.S; ++i) y[o + i] = x[o + i] * a[c] + b[c];
                          }
                        }
                      })

// dx = (dy - gm[c] - (x - mu[c]) ps[c]) q[c]
HANDGRAD_ISA_VARIANTS(bn_dx,
                      (const float* dy, const float* x, int n, BnGeom g, const float* mu,
                       const float* gm, const float* ps, const float* q, float* dx),
                      {
                        for (int s = 0; s < n; ++s) {
                          for (int c = 0; c < g.C; ++c) {
                            const size_t o = (static_cast<size_t>(s) * g.C + c) * g.S;
                            for (size_t i = 0; i < g.S; ++i) {
                              dx[o + i] = (dy[o + i] - gm[c] - (x[o + i] - mu[c]) * ps[c]) * q[c];
                            }
                          }
                        }
                      })

// w.saved: mu, invstd, then scratch rows a, b (forward) / gm, ps, q (backward).
class BatchNormOp final : public Op<float> {
 public:
  BatchNormOp(const KernelTable& k, BnGeom g) : g_(g) {
    sums_ = kernels::pick_isa(k, bn_sums_generic, bn_sums_avx2, bn_sums_avx512);
    dots_ = kernels::pick_isa(k, bn_dots_generic, bn_dots_avx2, bn_dots_avx512);
    affine_ = kernels::pick_isa(k, bn_affine_generic, bn_affine_avx2, bn_affine_avx512);
    dx_ = kernels::pick_isa(k, bn_dx_generic, bn_dx_avx2, bn_dx_avx512);
  }
  void forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const override;
  void backward(const Pass<float>& p, const float* in, const float* dout, size_t,
                OpBuffers<float>& w, float* dparams, DinTarget<float>) const override;

 private:
  BnGeom g_;
  decltype(&bn_sums_generic) sums_;
  decltype(&bn_dots_generic) dots_;
  decltype(&bn_affine_generic) affine_;
  decltype(&bn_dx_generic) dx_;
};

void BatchNormOp::forward(const Pass<float>& p, const float* in, OpBuffers<float>& w) const {
  const int C = g_.C;
  w.saved.resize(5 * static_cast<size_t>(C));
  float* mu = w.saved.data();
  float* invstd = mu + C;
  float* a = mu + 2 * C;
  float* b = mu + 3 * C;
  const float* gamma = p.params;
  const float* beta = p.params + C;
  std::vector<double> mean(C), var(C);
  if (p.mode == Mode::train) {
    const size_t M = check_count(p.n, g_.S);
    std::vector<float> zero(C, 0.0f);
    sums_(in, p.n, g_, zero.data(), false, mean.data());
    for (int c = 0; c < C; ++c) mu[c] = static_cast<float>(mean[c] /= static_cast<double>(M));
    // Two passes: the squares are of x - mu, not x (no cancellation).
    sums_(in, p.n, g_, mu, true, var.data());
    for (int c = 0; c < C; ++c) var[c] /= static_cast<double>(M);
    update_running(p.buffers, C, mean.data(), var.data(), M);
  } else {
    for (int c = 0; c < C; ++c) {
      mean[c] = mu[c] = p.buffers[c];
      var[c] = p.buffers[C + c];
    }
  }
  for (int c = 0; c < C; ++c) {
    const double is = 1.0 / std::sqrt(var[c] + kEps);
    invstd[c] = static_cast<float>(is);
    // As PyTorch's CPU kernel: y = x alpha + beta', alpha = invstd gamma.
    a[c] = static_cast<float>(is * gamma[c]);
    b[c] = static_cast<float>(beta[c] - mean[c] * is * gamma[c]);
  }
  w.out.resize(out_size * p.n + kSlack);
  affine_(in, p.n, g_, a, b, w.out.data());
  w.out_ptr = w.out.data();
}

void BatchNormOp::backward(const Pass<float>& p, const float* in, const float* dout, size_t,
                           OpBuffers<float>& w, float* dparams, DinTarget<float>) const {
  const int C = g_.C;
  float* mu = w.saved.data();
  const float* invstd = mu + C;
  float* gm = mu + 2 * C;
  float* ps = mu + 3 * C;
  float* q = mu + 4 * C;
  std::vector<double> sdy(C), dot(C);
  dots_(dout, in, p.n, g_, mu, sdy.data(), dot.data());
  const bool train = p.mode == Mode::train;
  const double M = static_cast<double>(static_cast<size_t>(p.n) * g_.S);
  for (int c = 0; c < C; ++c) {
    const double is = invstd[c];
    dparams[c] += static_cast<float>(dot[c] * is);  // dgamma = sum dy xhat
    dparams[C + c] += static_cast<float>(sdy[c]);   // dbeta
    gm[c] = train ? static_cast<float>(sdy[c] / M) : 0.0f;
    ps[c] = train ? static_cast<float>(dot[c] * is * is / M) : 0.0f;
    q[c] = static_cast<float>(is * p.params[c]);
  }
  if (!grad_in) return;
  w.din.resize(in_size * p.n);
  dx_(dout, in, p.n, g_, mu, gm, ps, q, w.din.data());
  w.din_ptr = w.din.data();
  w.din_plane = 0;
}

template <class T>
std::unique_ptr<Op<T>> BatchNorm<T>::lower(const KernelTable& k) const {
  if constexpr (std::is_same_v<T, float>) {
    return std::make_unique<BatchNormOp>(k, bn_geom(this->in_dims()));
  } else {
    return nullptr;
  }
}

}  // namespace

}  // namespace handgrad

// clang-format off: the token stays on this line (cmake/layer_table.cmake reads it)
HANDGRAD_LAYER(batchnorm, BatchNorm,
               {.name = "batchnorm",
                .category = "normalization",
                .summary = "per-channel normalisation: batch statistics in training, running ones in evaluation",
                .torch = "nn.BatchNorm2d(C) / nn.BatchNorm1d(F)",
                .math = "docs/math.md#batchnorm"})
// clang-format on
