#pragma once
// GEMM (for linear layers), max-pooling, ReLU, sums and the SGD step.
// Included by kernels_<isa>.cpp after simd.h.
#include <cstring>

#include "handgrad/kernels.h"

namespace handgrad::kernels::HG_NS {

constexpr int kGM = kRegs == 32 ? 6 : 4;  // GEMM tile: rows of C
constexpr int kGN = kRegs == 32 ? 4 : 2;  // GEMM tile: vectors per row

// C[m][n0 .. n0 + NB*VL) for m in [m0, m0+MB); the last vector holds `last`
// valid lanes (VL when full).
template <int MB, int NB>
inline void gemm_tile(int K, const float* a, int am, int ak, const float* b, int ldb,
                      const float* bias, float* c, int ldc, bool accumulate, int m0, int n0,
                      int last) {
  V acc[MB][NB];
  auto ld = [&](const float* p, int k) {
    return (k == NB - 1 && last < VL) ? load_n(p, last) : load(p);
  };
  for (int m = 0; m < MB; ++m) {
    for (int k = 0; k < NB; ++k) {
      const size_t at = static_cast<size_t>(m0 + m) * ldc + n0 + k * VL;
      acc[m][k] = accumulate ? ld(c + at, k) : bias ? ld(bias + n0 + k * VL, k) : zero();
    }
  }
  const float* ar = a + static_cast<ptrdiff_t>(m0) * am;
  for (int kk = 0; kk < K; ++kk) {
    V bv[NB];
    const float* br = b + static_cast<size_t>(kk) * ldb + n0;
    for (int k = 0; k < NB; ++k) bv[k] = ld(br + k * VL, k);
    for (int m = 0; m < MB; ++m) {
      const V av = bcast(ar[m * am + kk * ak]);
      for (int k = 0; k < NB; ++k) acc[m][k] = fmadd(av, bv[k], acc[m][k]);
    }
  }
  for (int m = 0; m < MB; ++m) {
    float* cr = c + static_cast<size_t>(m0 + m) * ldc + n0;
    for (int k = 0; k < NB; ++k) {
      if (k == NB - 1 && last < VL) {
        store_n(cr + k * VL, acc[m][k], last);
      } else {
        store(cr + k * VL, acc[m][k]);
      }
    }
  }
}

template <int MB>
inline void gemm_rows(int N, int K, const float* a, int am, int ak, const float* b, int ldb,
                      const float* bias, float* c, int ldc, bool acc, int m0) {
  const int nfull = N / VL, rem = N % VL;
  int k = 0;
  for (; k + kGN <= nfull; k += kGN) {
    gemm_tile<MB, kGN>(K, a, am, ak, b, ldb, bias, c, ldc, acc, m0, k * VL, VL);
  }
  // Remaining full vectors plus a partial one, one or two vectors at a time.
  int left = nfull - k + (rem ? 1 : 0);
  while (left > 0) {
    const int take = left >= 2 ? 2 : 1;
    const bool has_partial = rem && left == take;
    const int last = has_partial ? rem : VL;
    if (take == 2) {
      gemm_tile<MB, 2>(K, a, am, ak, b, ldb, bias, c, ldc, acc, m0, k * VL, last);
    } else {
      gemm_tile<MB, 1>(K, a, am, ak, b, ldb, bias, c, ldc, acc, m0, k * VL, last);
    }
    k += take;
    left -= take;
  }
}

template <int N>
inline void gemm_mtail(int r, int Nn, int K, const float* a, int am, int ak, const float* b,
                       int ldb, const float* bias, float* c, int ldc, bool acc, int m0) {
  if constexpr (N > 0) {
    if (r == N) return gemm_rows<N>(Nn, K, a, am, ak, b, ldb, bias, c, ldc, acc, m0);
    gemm_mtail<N - 1>(r, Nn, K, a, am, ak, b, ldb, bias, c, ldc, acc, m0);
  }
}

inline void gemm(int M, int N, int K, const float* a, int am, int ak, const float* b, int ldb,
                 const float* bias, float* c, int ldc, bool accumulate) {
  int m = 0;
  for (; m + kGM <= M; m += kGM) {
    gemm_rows<kGM>(N, K, a, am, ak, b, ldb, bias, c, ldc, accumulate, m);
  }
  if (m < M) gemm_mtail<kGM - 1>(M - m, N, K, a, am, ak, b, ldb, bias, c, ldc, accumulate, m);
}

// Planes are in_stride apart, rows W apart; outputs dense (planes, Ho, Wo).
inline void maxpool_fwd(const float* in, int planes, int /*H*/, int W, int in_stride, int k, int s,
                        bool relu, float* out, int* arg, int Ho, int Wo) {
  for (int pl = 0; pl < planes; ++pl) {
    const float* x = in + static_cast<size_t>(pl) * in_stride;
    float* y = out + static_cast<size_t>(pl) * Ho * Wo;
    int* ar = arg + static_cast<size_t>(pl) * Ho * Wo;
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ++ox) {
        int best = oy * s * W + ox * s;
        float m = x[best];
        for (int i = 0; i < k; ++i) {
          for (int j = 0; j < k; ++j) {
            const int idx = (oy * s + i) * W + ox * s + j;
            if (x[idx] > m) {
              m = x[idx];
              best = idx;
            }
          }
        }
        y[oy * Wo + ox] = relu && !(m > 0.0f) ? 0.0f : m;
        ar[oy * Wo + ox] = best;
      }
    }
  }
}

// din planes din_stride apart; the first H*W floats of each (rows W apart,
// the arg indexing) are assigned.
inline void maxpool_bwd(const float* dout, const float* out, const int* arg, int planes, int H,
                        int W, int din_stride, int Ho, int Wo, bool relu, float* din) {
  for (int pl = 0; pl < planes; ++pl) {
    float* dx = din + static_cast<size_t>(pl) * din_stride;
    std::memset(dx, 0, sizeof(float) * H * W);
    const size_t base = static_cast<size_t>(pl) * Ho * Wo;
    for (int q = 0; q < Ho * Wo; ++q) {
      if (relu && !(out[base + q] > 0.0f)) continue;
      dx[arg[base + q]] += dout[base + q];
    }
  }
}

inline void relu_fwd(const float* in, float* out, size_t m) {
  for (size_t i = 0; i < m; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

inline void relu_bwd(const float* y, const float* dout, float* din, size_t m) {
  for (size_t i = 0; i < m; ++i) din[i] = y[i] > 0.0f ? dout[i] : 0.0f;
}

inline float sum(const float* x, size_t m) {
  V acc = zero();
  size_t i = 0;
  for (; i + VL <= m; i += VL) acc += load(x + i);
  float s = hsum(acc);
  for (; i < m; ++i) s += x[i];
  return s;
}

// Same operations, in the same order, as Sgd<float>::step (no contraction).
inline void sgd(float* p, const float* grads, float* v, size_t m, float lr, float mu, float wd,
                bool nesterov) {
  for (size_t i = 0; i < m; ++i) {
    float g = grads[i];
    if (wd != 0.0f) g += wd * p[i];
    if (mu != 0.0f) {
      v[i] = mu * v[i] + g;
      g = nesterov ? g + mu * v[i] : v[i];
    }
    p[i] -= lr * g;
  }
}

}  // namespace handgrad::kernels::HG_NS
