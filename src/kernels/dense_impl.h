#pragma once
// GEMM (for linear layers), max-pooling, ReLU, adding gradients and the
// optimizer steps.
// Included by kernels_<isa>.cpp after simd.h.
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/simd.h"
#include "kernels/update_rules.h"

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

// Up to 2*VL floats of a row as two vectors (lanes past n zero, not read).
inline void load2(const float* p, int n, V& a, V& b) {
  a = n >= VL ? load(p) : n > 0 ? load_n(p, n) : zero();
  n -= VL;
  b = n >= VL ? load(p + VL) : n > 0 ? load_n(p + VL, n) : zero();
}
inline void store2(float* p, int n, V a, V b) {
  if (n >= VL) {
    store(p, a);
  } else if (n > 0) {
    store_n(p, a, n);
  }
  n -= VL;
  if (n >= VL) {
    store(p + VL, b);
  } else if (n > 0) {
    store_n(p + VL, b, n);
  }
}

// {0, 2, 4, ...} and {1, 3, 5, ...} over the 2*VL lanes of (a, b).
inline V evens(V a, V b) {
  VI m;
  for (int i = 0; i < VL; ++i) m[i] = 2 * i;
  return shuffle2(a, b, m);
}
inline V odds(V a, V b) {
  VI m;
  for (int i = 0; i < VL; ++i) m[i] = 2 * i + 1;
  return shuffle2(a, b, m);
}
// Interleaves: (a0 b0 a1 b1 ...) as two vectors.
inline void interleave(V a, V b, V& lo, V& hi) {
  VI ml, mh;
  for (int i = 0; i < VL; ++i) {
    ml[i] = i % 2 ? VL + i / 2 : i / 2;
    mh[i] = i % 2 ? VL + (VL + i) / 2 : (VL + i) / 2;
  }
  lo = shuffle2(a, b, ml);
  hi = shuffle2(a, b, mh);
}

// 2x2 windows, stride 2: VL outputs of a row per step. The winner is the
// first maximum in (0,0) (0,1) (1,0) (1,1) order, as the reference.
inline void maxpool2_fwd(const float* in, int planes, int W, int in_stride, bool relu, float* out,
                         int* arg, int Ho, int Wo) {
  VI lane;
  for (int i = 0; i < VL; ++i) lane[i] = 2 * i;
  for (int pl = 0; pl < planes; ++pl) {
    const float* x = in + static_cast<size_t>(pl) * in_stride;
    for (int oy = 0; oy < Ho; ++oy) {
      const float* r0 = x + 2 * oy * W;
      const float* r1 = r0 + W;
      float* y = out + (static_cast<size_t>(pl) * Ho + oy) * Wo;
      int* ar = arg + (static_cast<size_t>(pl) * Ho + oy) * Wo;
      for (int ox = 0; ox < Wo; ox += VL) {
        const int cnt = Wo - ox < VL ? Wo - ox : VL;
        V a0, a1, b0, b1;
        load2(r0 + 2 * ox, 2 * cnt, a0, a1);
        load2(r1 + 2 * ox, 2 * cnt, b0, b1);
        const V ae = evens(a0, a1), ao = odds(a0, a1), be = evens(b0, b1), bo = odds(b0, b1);
        const V m = vmax(vmax(ae, ao), vmax(be, bo));
        const VI base = lane + (2 * oy * W + 2 * ox);
        const VI idx = ae == m ? base : ao == m ? base + 1 : be == m ? base + W : base + (W + 1);
        const V res = relu ? vmax(m, zero()) : m;
        if (cnt == VL) {
          store(y + ox, res);
          *reinterpret_cast<VIU*>(ar + ox) = idx;
        } else {
          store_n(y + ox, res, cnt);
          store_n(ar + ox, idx, cnt);
        }
      }
    }
  }
}

// Writes every position of every window (zeros included) and nothing else:
// positions outside all windows keep whatever the caller left there (zero).
inline void maxpool2_bwd(const float* dout, int dout_stride, const float* out, const int* arg,
                         int planes, int W, int Ho, int Wo, bool relu, float* din, int din_stride) {
  VI lane;
  for (int i = 0; i < VL; ++i) lane[i] = 2 * i;
  for (int pl = 0; pl < planes; ++pl) {
    float* dx = din + static_cast<size_t>(pl) * din_stride;
    for (int oy = 0; oy < Ho; ++oy) {
      const size_t at = (static_cast<size_t>(pl) * Ho + oy) * Wo;
      const float* dy = dout + static_cast<size_t>(pl) * dout_stride + oy * Wo;
      for (int ox = 0; ox < Wo; ox += VL) {
        const int cnt = Wo - ox < VL ? Wo - ox : VL;
        V g = cnt == VL ? load(dy + ox) : load_n(dy + ox, cnt);
        if (relu) {
          const V o = cnt == VL ? load(out + at + ox) : load_n(out + at + ox, cnt);
          g = o > zero() ? g : zero();
        }
        const VI a =
            cnt == VL ? *reinterpret_cast<const VIU*>(arg + at + ox) : load_n(arg + at + ox, cnt);
        const VI sel = a - (lane + (2 * oy * W + 2 * ox));
        const V z = zero();
        const V ge = sel == 0 ? g : z, go = sel == 1 ? g : z;
        const V he = sel == W ? g : z, ho = sel == W + 1 ? g : z;
        V lo, hi;
        interleave(ge, go, lo, hi);
        store2(dx + 2 * oy * W + 2 * ox, 2 * cnt, lo, hi);
        interleave(he, ho, lo, hi);
        store2(dx + (2 * oy + 1) * W + 2 * ox, 2 * cnt, lo, hi);
      }
    }
  }
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

// Planes are in_stride apart, rows W apart; outputs dense (planes, Ho, Wo).
inline void maxpool_fwd(const float* in, int planes, int /*H*/, int W, int in_stride, int k, int s,
                        bool relu, float* out, int* arg, int Ho, int Wo) {
  if (k == 2 && s == 2) return maxpool2_fwd(in, planes, W, in_stride, relu, out, arg, Ho, Wo);
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
            const bool gt = x[idx] > m;  // branch-free: the winner is data-dependent
            m = gt ? x[idx] : m;
            best = gt ? idx : best;
          }
        }
        y[oy * Wo + ox] = relu && !(m > 0.0f) ? 0.0f : m;
        ar[oy * Wo + ox] = best;
      }
    }
  }
}

// dout planes dout_stride apart (rows Wo apart); din planes din_stride
// apart, rows W apart (the arg indexing). See kernels.h for what is assigned.
inline void maxpool_bwd(const float* dout, int dout_stride, const float* out, const int* arg,
                        int planes, int H, int W, int din_stride, int k, int s, int Ho, int Wo,
                        bool relu, float* din) {
  if (k == 2 && s == 2) {
    return maxpool2_bwd(dout, dout_stride, out, arg, planes, W, Ho, Wo, relu, din, din_stride);
  }
  for (int pl = 0; pl < planes; ++pl) {
    std::memset(din + static_cast<size_t>(pl) * din_stride, 0, sizeof(float) * H * W);
  }
  for (int pl = 0; pl < planes; ++pl) {
    float* dx = din + static_cast<size_t>(pl) * din_stride;
    const size_t base = static_cast<size_t>(pl) * Ho * Wo;
    const float* dy = dout + static_cast<size_t>(pl) * dout_stride;
    for (int q = 0; q < Ho * Wo; ++q) {
      const float g = dy[q];
      dx[arg[base + q]] += relu && !(out[base + q] > 0.0f) ? 0.0f : g;
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
