#pragma once
// Convolution kernels (stride 1) over "wide" planes; see kernels.h for the
// layout. Included by kernels_<isa>.cpp after simd.h.
//
// All three directions are one pattern, a multi-channel 1-D correlation over
// flat plane positions p with taps at offsets i*di + j*dj:
//   out[a][p] = init[a] + sum_b sum_{i,j<K} coef[a*sa + b*sb + i*K + j] * src[b*ss + p + i*di +
//   j*dj]
// forward:        a = o, b = c, src = padded input,      di = +Wp, dj = +1
// input gradient: a = c, b = o, src = dout (margin M),   di = -Wp, dj = -1
// A tile keeps AB x PB vectors of `out` in registers.
#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace handgrad::kernels::HG_NS {

constexpr int kAB = 4;                    // rows (channels) per tile
constexpr int kPB = kRegs == 32 ? 6 : 2;  // vectors per row per tile
constexpr int kWO = kRegs == 32 ? 4 : 2;  // dweight tile: output channels
constexpr int kWJ = kRegs == 32 ? 5 : 4;  // dweight tile: taps j

struct Corr {
  int nb, K;
  const float* coef;
  int sa, sb;
  const float* src;
  int ss, di, dj;
  const float* init;  // (A) or nullptr for zero
  float* out;
  int os;
};

template <int AB, int PB>
inline void corr_tile(const Corr& c, int a0, int p0) {
  V acc[AB][PB];
  for (int a = 0; a < AB; ++a) {
    const V v = c.init ? bcast(c.init[a0 + a]) : zero();
    for (int k = 0; k < PB; ++k) acc[a][k] = v;
  }
  for (int b = 0; b < c.nb; ++b) {
    const float* sb = c.src + static_cast<ptrdiff_t>(b) * c.ss + p0;
    const float* wb = c.coef + static_cast<ptrdiff_t>(a0) * c.sa + static_cast<ptrdiff_t>(b) * c.sb;
    for (int i = 0; i < c.K; ++i) {
      for (int j = 0; j < c.K; ++j) {
        const float* s = sb + i * c.di + j * c.dj;
        V sv[PB];
        for (int k = 0; k < PB; ++k) sv[k] = load(s + k * VL);
        const int t = i * c.K + j;
        for (int a = 0; a < AB; ++a) {
          const V w = bcast(wb[a * c.sa + t]);
          for (int k = 0; k < PB; ++k) acc[a][k] = fmadd(w, sv[k], acc[a][k]);
        }
      }
    }
  }
  for (int a = 0; a < AB; ++a) {
    float* o = c.out + static_cast<ptrdiff_t>(a0 + a) * c.os + p0;
    for (int k = 0; k < PB; ++k) store(o + k * VL, acc[a][k]);
  }
}

// Dispatches a run-time count r in [1, N] to corr_tile<AB, r>.
template <int AB, int N>
inline void corr_tail(const Corr& c, int a0, int p0, int r) {
  if constexpr (N > 0) {
    if (r == N) return corr_tile<AB, N>(c, a0, p0);
    corr_tail<AB, N - 1>(c, a0, p0, r);
  }
}

template <int AB>
inline void corr_rows(const Corr& c, int a0, int nvec) {
  int k = 0;
  for (; k + kPB <= nvec; k += kPB) corr_tile<AB, kPB>(c, a0, k * VL);
  if (k < nvec) corr_tail<AB, kPB - 1>(c, a0, k * VL, nvec - k);
}

// rows a in [0, A), nvec vectors each.
inline void corr(const Corr& c, int A, int nvec) {
  int a = 0;
  for (; a + kAB <= A; a += kAB) corr_rows<kAB>(c, a, nvec);
  switch (A - a) {
    case 3:
      corr_rows<3>(c, a, nvec);
      break;
    case 2:
      corr_rows<2>(c, a, nvec);
      break;
    case 1:
      corr_rows<1>(c, a, nvec);
      break;
    default:
      break;
  }
}

inline int vecs(int m) { return (m + VL - 1) / VL; }

// xp: (n, C, Hp, Wp), x_stride apart; wide: (n, O, wide_plane).
inline void conv_fwd(const ConvGeom& g, const float* weight, const float* bias, const float* xp,
                     size_t x_stride, float* wide, int n) {
  const int nvec = vecs(g.Ho * g.Wp);
  for (int s = 0; s < n; ++s) {
    Corr c{g.C,
           g.K,
           weight,
           g.C * g.K * g.K,
           g.K * g.K,
           xp + s * x_stride,
           g.in_plane,
           g.Wp,
           1,
           bias,
           wide + static_cast<size_t>(s) * g.O * g.wide_plane,
           g.wide_plane};
    corr(c, g.O, nvec);
  }
}

// dxw: (n, C, din_plane) = dL/d(padded input), wide layout.
inline void conv_bwd_input(const ConvGeom& g, const float* weight, const float* dpad, float* dxw,
                           int n) {
  const int nvec = vecs(g.Hp * g.Wp);
  for (int s = 0; s < n; ++s) {
    Corr c{g.O,
           g.K,
           weight,
           g.K * g.K,
           g.C * g.K * g.K,
           dpad + static_cast<size_t>(s) * g.O * g.dpad_plane + g.dpad_margin,
           g.dpad_plane,
           -g.Wp,
           -1,
           nullptr,
           dxw + static_cast<size_t>(s) * g.C * g.din_plane,
           g.din_plane};
    corr(c, g.C, nvec);
  }
}

// dweight[o][c][i][j0+jj] += sum_s sum_p dout[s][o][p] * xp[s][c][p + i*Wp + j0 + jj]
template <int OB, int JB>
inline void dw_tile(const ConvGeom& g, const float* xp, size_t x_stride, const float* dpad,
                    float* dweight, int n, int o0, int c, int i, int j0) {
  V acc[OB][JB];
  for (int a = 0; a < OB; ++a)
    for (int jj = 0; jj < JB; ++jj) acc[a][jj] = zero();
  const int nvec = vecs(g.Ho * g.Wp);
  for (int s = 0; s < n; ++s) {
    const float* x = xp + s * x_stride + static_cast<size_t>(c) * g.in_plane + i * g.Wp + j0;
    const float* d = dpad + (static_cast<size_t>(s) * g.O + o0) * g.dpad_plane + g.dpad_margin;
    for (int k = 0; k < nvec; ++k) {
      V xv[JB];
      for (int jj = 0; jj < JB; ++jj) xv[jj] = load(x + k * VL + jj);
      for (int a = 0; a < OB; ++a) {
        const V dv = load(d + a * g.dpad_plane + k * VL);
        for (int jj = 0; jj < JB; ++jj) acc[a][jj] = fmadd(dv, xv[jj], acc[a][jj]);
      }
    }
  }
  const int KK = g.K * g.K;
  for (int a = 0; a < OB; ++a) {
    float* w = dweight + (static_cast<size_t>(o0 + a) * g.C + c) * KK + i * g.K + j0;
    for (int jj = 0; jj < JB; ++jj) w[jj] += hsum(acc[a][jj]);
  }
}

template <int OB, int N>
inline void dw_jtail(const ConvGeom& g, const float* xp, size_t xs, const float* dpad, float* dw,
                     int n, int o0, int c, int i, int j0, int r) {
  if constexpr (N > 0) {
    if (r == N) return dw_tile<OB, N>(g, xp, xs, dpad, dw, n, o0, c, i, j0);
    dw_jtail<OB, N - 1>(g, xp, xs, dpad, dw, n, o0, c, i, j0, r);
  }
}

template <int OB>
inline void dw_rows(const ConvGeom& g, const float* xp, size_t xs, const float* dpad, float* dw,
                    int n, int o0) {
  for (int c = 0; c < g.C; ++c) {
    for (int i = 0; i < g.K; ++i) {
      int j = 0;
      for (; j + kWJ <= g.K; j += kWJ) dw_tile<OB, kWJ>(g, xp, xs, dpad, dw, n, o0, c, i, j);
      if (j < g.K) dw_jtail<OB, kWJ - 1>(g, xp, xs, dpad, dw, n, o0, c, i, j, g.K - j);
    }
  }
}

inline void conv_bwd_params(const ConvGeom& g, const float* xp, size_t x_stride, const float* dpad,
                            float* dweight, float* dbias, int n) {
  int o = 0;
  for (; o + kWO <= g.O; o += kWO) dw_rows<kWO>(g, xp, x_stride, dpad, dweight, n, o);
  for (; o < g.O; ++o) dw_rows<1>(g, xp, x_stride, dpad, dweight, n, o);
  // dbias[o] += sum over the wide plane (zeros outside the valid outputs).
  const int nvec = vecs(g.Ho * g.Wp);
  for (int oo = 0; oo < g.O; ++oo) {
    V acc = zero();
    for (int s = 0; s < n; ++s) {
      const float* d = dpad + (static_cast<size_t>(s) * g.O + oo) * g.dpad_plane + g.dpad_margin;
      for (int k = 0; k < nvec; ++k) acc += load(d + k * VL);
    }
    dbias[oo] += hsum(acc);
  }
}

}  // namespace handgrad::kernels::HG_NS
