#pragma once
// GEMM and dot products (for linear layers), ReLU, adding gradients and the
// optimizer steps.
// Included by kernels_<isa>.cpp after simd.h.

#include <algorithm>

#include "kernels/kernels.h"
#include "kernels/simd.h"
#include "kernels/update_rules.h"

namespace handgrad::kernels::HG_NS {

constexpr int kGM = kRegs == 32 ? 6 : 4;             // GEMM tile: rows of C
constexpr int kGN = kRegs == 32 ? 4 : kFma ? 3 : 2;  // GEMM tile: vectors per row

// C[m][n0 .. n0 + NB*VL) for m in [m0, m0+MB); with kPartial the last vector
// holds `last` valid lanes (a template flag, so that full tiles' loads
// compile without a test in the loop over K).
template <int MB, int NB, bool kPartial>
inline void gemm_tile_impl(int K, const float* a, int am, int ak, const float* b, int ldb,
                           const float* bias, float* c, int ldc, bool accumulate, int m0, int n0,
                           int last) {
  V acc[MB][NB];
  auto ld = [&](const float* p, int k) {
    return (kPartial && k == NB - 1 && last < VL) ? load_n(p, last) : load(p);
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
      if (kPartial && k == NB - 1 && last < VL) {
        store_n(cr + k * VL, acc[m][k], last);
      } else {
        store(cr + k * VL, acc[m][k]);
      }
    }
  }
}

template <int MB, int NB>
inline void gemm_tile(int K, const float* a, int am, int ak, const float* b, int ldb,
                      const float* bias, float* c, int ldc, bool accumulate, int m0, int n0,
                      int last) {
  // (SSE2's code came out 16% longer with two variants: one, testing.)
  if (!kFma || last < VL) {
    return gemm_tile_impl<MB, NB, true>(K, a, am, ak, b, ldb, bias, c, ldc, accumulate, m0, n0,
                                        last);
  }
  gemm_tile_impl<MB, NB, false>(K, a, am, ak, b, ldb, bias, c, ldc, accumulate, m0, n0, VL);
}

// Dispatches a run-time count r in [1, N] of vectors to gemm_tile<MB, r>.
template <int MB, int N>
inline void gemm_ntail(int r, int K, const float* a, int am, int ak, const float* b, int ldb,
                       const float* bias, float* c, int ldc, bool acc, int m0, int n0, int last) {
  if constexpr (N > 0) {
    if (r == N) return gemm_tile<MB, N>(K, a, am, ak, b, ldb, bias, c, ldc, acc, m0, n0, last);
    gemm_ntail<MB, N - 1>(r, K, a, am, ak, b, ldb, bias, c, ldc, acc, m0, n0, last);
  }
}

template <int MB, int GN>
inline void gemm_rows(int N, int K, const float* a, int am, int ak, const float* b, int ldb,
                      const float* bias, float* c, int ldc, bool acc, int m0) {
  const int nvec = (N + VL - 1) / VL, nfull = N / VL, rem = N % VL;
  // Full tiles of GN vectors (a literal VL: their loads compile without
  // masks); with GN >= 3 the last GN + 1 vectors go as two tiles rather
  // than leave a one-vector tile (which loads almost as much as it
  // multiplies).
  int k = 0;
  for (; k + GN <= nfull && !(GN >= 3 && nvec - k == GN + 1); k += GN) {
    gemm_tile<MB, GN>(K, a, am, ak, b, ldb, bias, c, ldc, acc, m0, k * VL, VL);
  }
  while (k < nvec) {
    const int left = nvec - k;
    const int take = GN >= 3 && left == GN + 1 ? (GN + 1) / 2 : std::min(left, GN);
    const int last = rem && take == left ? rem : VL;
    gemm_ntail<MB, GN>(take, K, a, am, ak, b, ldb, bias, c, ldc, acc, m0, k * VL, last);
    k += take;
  }
}

template <int N, int GN>
inline void gemm_mtail(int r, int Nn, int K, const float* a, int am, int ak, const float* b,
                       int ldb, const float* bias, float* c, int ldc, bool acc, int m0) {
  if constexpr (N > 0) {
    if (r == N) return gemm_rows<N, GN>(Nn, K, a, am, ak, b, ldb, bias, c, ldc, acc, m0);
    gemm_mtail<N - 1, GN>(r, Nn, K, a, am, ak, b, ldb, bias, c, ldc, acc, m0);
  }
}

template <int GN>
inline void gemm_blocks(int M, int N, int K, const float* a, int am, int ak, const float* b,
                        int ldb, const float* bias, float* c, int ldc, bool accumulate) {
  int m = 0;
  for (; m + kGM <= M; m += kGM) {
    gemm_rows<kGM, GN>(N, K, a, am, ak, b, ldb, bias, c, ldc, accumulate, m);
  }
  if (m < M) {
    gemm_mtail<kGM - 1, GN>(M - m, N, K, a, am, ak, b, ldb, bias, c, ldc, accumulate, m);
  }
}

inline void gemm(int M, int N, int K, const float* a, int am, int ak, const float* b, int ldb,
                 const float* bias, float* c, int ldc, bool accumulate) {
  // With 16 registers a tile is 4 rows x 3 vectors, but 3 vectors straddle
  // cache lines: when B does not stay in L1 (dL/dx of linear(128): B = W,
  // 64 KB), line-aligned 2-vector tiles fetch each line once per tile and
  // run faster (measured: 2.6 vs 3.3 us at batch 8).
  if (kGN == 3 && static_cast<size_t>(K) * ldb * sizeof(float) > 32 * 1024) {
    return gemm_blocks<2>(M, N, K, a, am, ak, b, ldb, bias, c, ldc, accumulate);
  }
  gemm_blocks<kGN>(M, N, K, a, am, ak, b, ldb, bias, c, ldc, accumulate);
}

// Shuffle masks of reduce_lanes, one pair per round, computed at compile time.
struct ReduceMasks {
  int lo[8][VL], hi[8][VL];
};
constexpr ReduceMasks make_reduce_masks() {
  ReduceMasks m{};
  int round = 0;
  for (int h = VL / 2; h >= 1; h /= 2, ++round) {
    for (int l = 0; l < VL; ++l) {
      const int b = l / (2 * h) * (2 * h), r = l % (2 * h);
      m.lo[round][l] = r < h ? b + r : VL + b + r - h;
      m.hi[round][l] = m.lo[round][l] + h;
    }
  }
  return m;
}
inline constexpr ReduceMasks kReduce = make_reduce_masks();

// Lane j of the result = sum of the lanes of v[bitreverse(j)]: VL vectors
// reduced together in log2(VL) shuffle+add rounds (vs one reduction each).
inline V reduce_lanes(V* v) {
  int cnt = VL, round = 0;
  for (int h = VL / 2; h >= 1; h /= 2, ++round) {
    const VI lo = *reinterpret_cast<const VIU*>(kReduce.lo[round]);
    const VI hi = *reinterpret_cast<const VIU*>(kReduce.hi[round]);
    for (int k = 0; k < cnt / 2; ++k) {
      v[k] = shuffle2(v[2 * k], v[2 * k + 1], lo) + shuffle2(v[2 * k], v[2 * k + 1], hi);
    }
    cnt /= 2;
  }
  return v[0];
}

constexpr int bitrev(int j) {
  int r = 0;
  for (int b = 1; b < VL; b *= 2) r = (r << 1) | ((j & b) ? 1 : 0);
  return r;
}

// y (n, O) = x (n, I) w^T + bias, w (O, I): dot products along I, so the
// weight needs no transposed copy. A tile is MB samples x OB = VL/MB outputs
// = VL dot products, reduced together; MB follows the batch (1, 2 or 4
// rows), so a batch of 1 wastes no lanes.
template <int MB>
inline void linear_tiles(int n, int O, int I, const float* x, const float* w, const float* bias,
                         float* y, int b0) {
  constexpr int OB = VL / MB;
  const int nfull = I / VL, rem = I % VL;
  const int mb = n - b0 < MB ? n - b0 : MB;
  for (int o0 = 0; o0 < O; o0 += OB) {
    const int ob = O - o0 < OB ? O - o0 : OB;
    V acc[MB][OB];
    for (int m = 0; m < MB; ++m)
      for (int o = 0; o < OB; ++o) acc[m][o] = zero();
    const float* xr[MB];
    const float* wr[OB];
    // Rows past the end repeat the first row; their sums are not stored.
    for (int m = 0; m < MB; ++m) xr[m] = x + static_cast<size_t>(b0 + (m < mb ? m : 0)) * I;
    for (int o = 0; o < OB; ++o) wr[o] = w + static_cast<size_t>(o0 + (o < ob ? o : 0)) * I;
    for (int k = 0; k < nfull; ++k) {
      V xv[MB];
      for (int m = 0; m < MB; ++m) xv[m] = load(xr[m] + k * VL);
      for (int o = 0; o < OB; ++o) {
        const V wv = load(wr[o] + k * VL);
        for (int m = 0; m < MB; ++m) acc[m][o] = fmadd(xv[m], wv, acc[m][o]);
      }
    }
    if (rem) {
      V xv[MB];
      for (int m = 0; m < MB; ++m) xv[m] = load_n(xr[m] + nfull * VL, rem);
      for (int o = 0; o < OB; ++o) {
        const V wv = load_n(wr[o] + nfull * VL, rem);
        for (int m = 0; m < MB; ++m) acc[m][o] = fmadd(xv[m], wv, acc[m][o]);
      }
    }
    // Lane j of the reduction = dot product (m, o) with m*OB + o = j.
    V v[VL];
    for (int j = 0; j < VL; ++j) {
      const int q = bitrev(j);
      v[j] = acc[q / OB][q % OB];
    }
    float sums[VL];
    store(sums, reduce_lanes(v));
    for (int m = 0; m < mb; ++m) {
      for (int o = 0; o < ob; ++o) {
        y[static_cast<size_t>(b0 + m) * O + o0 + o] = bias[o0 + o] + sums[m * OB + o];
      }
    }
  }
}

inline void linear_fwd(int n, int O, int I, const float* x, const float* w, const float* bias,
                       float* y) {
  constexpr int MB = VL >= 4 ? 4 : VL;
  for (int b0 = 0; b0 < n; b0 += MB) {
    const int left = n - b0;
    if (left >= 3 || MB < 2) {
      linear_tiles<MB>(n, O, I, x, w, bias, y, b0);
    } else if (left == 2) {
      linear_tiles<2>(n, O, I, x, w, bias, y, b0);
    } else {
      linear_tiles<1>(n, O, I, x, w, bias, y, b0);
    }
  }
}

inline void relu_fwd(const float* in, float* out, size_t m) {
  for (size_t i = 0; i < m; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

inline void relu_bwd(const float* y, const float* dout, float* din, size_t m) {
  for (size_t i = 0; i < m; ++i) din[i] = y[i] > 0.0f ? dout[i] : 0.0f;
}

inline void add(float* y, const float* x, size_t m) {
  size_t i = 0;
  for (; i + VL <= m; i += VL) store(y + i, load(y + i) + load(x + i));
  for (; i < m; ++i) y[i] += x[i];
}

inline void sgd(float* p, const float* grads, float* v, size_t m, float lr, float mu, float wd,
                bool nesterov) {
  sgd_update(p, grads, v, m, lr, mu, wd, nesterov);
}

inline void adam(float* p, const float* grads, float* m, float* v, size_t n,
                 const AdamScalars<float>& s) {
  adam_update(p, grads, m, v, n, s);
}

inline void rmsprop(float* p, const float* grads, float* sq, float* buf, size_t n,
                    const RmspropScalars<float>& s) {
  rmsprop_update(p, grads, sq, buf, n, s);
}

inline double fma_peak(long iters) {
  constexpr int N = kRegs == 32 ? 24 : 12;  // independent chains: > latency x ports
  V acc[N];
#pragma GCC unroll 32
  for (int i = 0; i < N; ++i) acc[i] = bcast(0.001f * i);
  const V a = bcast(0.999999f), b = bcast(1e-7f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 32
    for (int i = 0; i < N; ++i) acc[i] = fmadd(acc[i], a, b);
  }
  V s = zero();
#pragma GCC unroll 32
  for (int i = 0; i < N; ++i) s += acc[i];
  volatile float sink = hsum(s);
  (void)sink;
  return 2.0 * VL * N * static_cast<double>(iters);
}

}  // namespace handgrad::kernels::HG_NS
