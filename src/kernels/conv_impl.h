#pragma once
// Convolution kernels (stride 1) over "wide" planes; see kernels.h for the
// layout. Included by kernels_<isa>.cpp after simd.h.
//
// Forward and input gradient are one pattern, a multi-channel 1-D
// correlation over flat plane positions p with taps at offsets i*di + j*dj:
//   out[a][p] = init[a] + sum_{b, i,j<K} coef[a*sa + b*sb + i*K + j] * src[b*ss + p + i*di + j*dj]
// forward:        a = o, b = c, src = padded input,      di = +Wp, dj = +1
// input gradient: a = c, b = o, src = dout (margin M),   di = -Wp, dj = -1
// A tile keeps AB x PB vectors of `out` in registers: per tap, PB loads and
// AB broadcasts feed AB*PB multiply-adds.
//
// Which vectors of a plane are computed (Pos): every VL floats of the flat
// span, or, when that wastes more lanes (rows much shorter than Wp, as the
// seed CNN's 24 of 28 and 8 of 12 columns with 8-float vectors), only the
// vectors that start each valid row. The weight gradient reduces over the
// same positions.
#include <algorithm>

#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace handgrad::kernels::HG_NS {

constexpr int kAB = 4;                               // correlation tile: rows (channels)
constexpr int kPB = kRegs == 32 ? 6 : kFma ? 3 : 2;  // correlation tile: vectors per row
constexpr int kWO = 4;                               // dweight tile: output channels
constexpr int kWT = kRegs == 32 ? 6 : 3;             // dweight tile: taps (c, i, j)

inline int vecs(int m) {
  return (m + VL - 1) / VL;
}

// The vectors of a plane: `rows` rows `stride` floats apart, `per_row`
// vectors each, VL floats apart; flat = one row of every vector.
struct Pos {
  int rows, per_row, stride;
  int count() const { return rows * per_row; }
};

// Vectors covering `width` floats of `rows` rows, `stride` apart.
inline Pos positions(int rows, int width, int stride) {
  const Pos flat{1, vecs((rows - 1) * stride + width), 0};
  const Pos by_row{rows, vecs(width), stride};
  // (A row's vectors must not reach into the next row.)
  if (by_row.per_row * VL <= stride && by_row.count() < flat.count()) return by_row;
  return flat;
}

// Walks a Pos in order, handing out each vector's offset.
struct Cursor {
  const Pos& p;
  int r = 0, k = 0;
  int next() {
    const int o = r * p.stride + k * VL;
    if (++k == p.per_row) {
      k = 0;
      ++r;
    }
    return o;
  }
};

struct Corr {
  int nb, K;
  const float* coef;
  int sa, sb;
  const float* src;
  int ss, di, dj;
  const float* init;  // (A) or nullptr for zero
  float* out;
  int os;
  // Input gradient only (clip): taps (i, j) that read no valid dout lane of
  // a tile are skipped. dout is (Ho, Wo) inside a plane of rows Wp apart;
  // the output plane covers `span` positions.
  bool clip;
  int Wp, Ho, Wo, span;
};

// Taps [i0, i1] x [j0, j1] that can reach a valid dout from output positions
// [p0, p1] (inclusive): out (y, x) reads dout (y - i, x - j).
inline void clip_taps(const Corr& c, int p0, int p1, int& i0, int& i1, int& j0, int& j1) {
  const int y0 = p0 / c.Wp, x0 = p0 % c.Wp, y1 = p1 / c.Wp, x1 = p1 % c.Wp;
  i0 = std::max(0, y0 - (c.Ho - 1));
  i1 = std::min(c.K - 1, y1);
  if (y0 == y1) {
    j0 = std::max(0, x0 - (c.Wo - 1));
    j1 = std::min(c.K - 1, x1);
  } else {
    j0 = 0;
    j1 = c.K - 1;
  }
}

// off: the tile's PB vector offsets; kContig: they are off[0] + k*VL (one
// register instead of PB, which matters with 32 registers' PB = 6).
template <int AB, int PB, bool kContig>
inline void corr_tile(const Corr& c, int a0, const int* off) {
  // Vector k sits at base + rel[k]; with kContig rel[] are constants.
  const ptrdiff_t base = kContig ? off[0] : 0;
  ptrdiff_t rel[PB];
  for (int k = 0; k < PB; ++k) rel[k] = kContig ? k * VL : off[k];
  V acc[AB][PB];
  for (int a = 0; a < AB; ++a) {
    const V v = c.init ? bcast(c.init[a0 + a]) : zero();
    for (int k = 0; k < PB; ++k) acc[a][k] = v;
  }
  int i0 = 0, i1 = c.K - 1, j0 = 0, j1 = c.K - 1;
  if (c.clip) {
    const int last = static_cast<int>(base + rel[PB - 1]) + VL;
    clip_taps(c, static_cast<int>(base + rel[0]), std::min(last, c.span) - 1, i0, i1, j0, j1);
  }
  const int ni = i1 - i0 + 1, nj = j1 - j0 + 1;
  const ptrdiff_t di = c.di, dj = c.dj;
  for (int b = 0; b < c.nb; ++b) {
    const float* si = c.src + static_cast<ptrdiff_t>(b) * c.ss + base + i0 * di + j0 * dj;
    const float* wi = c.coef + static_cast<ptrdiff_t>(a0) * c.sa +
                      static_cast<ptrdiff_t>(b) * c.sb + i0 * c.K + j0;
    for (int i = 0; i < ni; ++i, si += di, wi += c.K) {
      const float* s = si;
      const float* w = wi;
      for (int j = 0; j < nj; ++j, s += dj, ++w) {
        V sv[PB];
        for (int k = 0; k < PB; ++k) sv[k] = load(s + rel[k]);
        for (int a = 0; a < AB; ++a) {
          const V wv = bcast(w[a * c.sa]);
          for (int k = 0; k < PB; ++k) acc[a][k] = fmadd(wv, sv[k], acc[a][k]);
        }
      }
    }
  }
  for (int a = 0; a < AB; ++a) {
    float* out = c.out + static_cast<ptrdiff_t>(a0 + a) * c.os + base;
    for (int k = 0; k < PB; ++k) store(out + rel[k], acc[a][k]);
  }
}

// Dispatches a run-time count r in [1, N] to corr_tile<AB, r>.
template <int AB, int N, bool kContig>
inline void corr_tail(const Corr& c, int a0, const int* off, int r) {
  if constexpr (N > 0) {
    if (r == N) return corr_tile<AB, N, kContig>(c, a0, off);
    corr_tail<AB, N - 1, kContig>(c, a0, off, r);
  }
}

template <int AB, bool kContig>
inline void corr_rows(const Corr& c, int a0, const Pos& pos) {
  Cursor cur{pos};
  int off[kPB];
  const int n = pos.count();
  int v = 0;
  for (; v + kPB <= n; v += kPB) {
    for (int k = 0; k < kPB; ++k) off[k] = cur.next();
    corr_tile<AB, kPB, kContig>(c, a0, off);
  }
  if (v < n) {
    for (int k = 0; k < n - v; ++k) off[k] = cur.next();
    corr_tail<AB, kPB - 1, kContig>(c, a0, off, n - v);
  }
}

// rows a in [0, A) at the vectors of pos.
template <bool kContig>
inline void corr_blocks(const Corr& c, int A, const Pos& pos) {
  int a = 0;
  for (; a + kAB <= A; a += kAB) corr_rows<kAB, kContig>(c, a, pos);
  switch (A - a) {
    case 3:
      corr_rows<3, kContig>(c, a, pos);
      break;
    case 2:
      corr_rows<2, kContig>(c, a, pos);
      break;
    case 1:
      corr_rows<1, kContig>(c, a, pos);
      break;
    default:
      break;
  }
}

inline void corr(const Corr& c, int A, const Pos& pos) {
  // Every tile's vectors are consecutive if a row holds whole tiles.
  if (pos.rows == 1 || pos.per_row % kPB == 0) return corr_blocks<true>(c, A, pos);
  corr_blocks<false>(c, A, pos);
}

// The output vectors of a forward / weight gradient: Ho rows of Wo, Wp apart.
inline Pos out_positions(const ConvGeom& g) {
  return positions(g.Ho, g.Wo, g.Wp);
}

// xp: (n, C, Hp, Wp), x_stride apart; wide: (n, O, wide_plane).
inline void conv_fwd(const ConvGeom& g, const float* weight, const float* bias, const float* xp,
                     size_t x_stride, float* wide, int n) {
  const Pos pos = out_positions(g);
  const int KK = g.K * g.K;
  for (int s = 0; s < n; ++s) {
    const Corr c{.nb = g.C,
                 .K = g.K,
                 .coef = weight,
                 .sa = g.C * KK,
                 .sb = KK,
                 .src = xp + s * x_stride,
                 .ss = g.in_plane,
                 .di = g.Wp,
                 .dj = 1,
                 .init = bias,
                 .out = wide + static_cast<size_t>(s) * g.O * g.wide_plane,
                 .os = g.wide_plane,
                 .clip = false,
                 .Wp = g.Wp,
                 .Ho = g.Ho,
                 .Wo = g.Wo,
                 .span = 0};
    corr(c, g.O, pos);
  }
}

// dxw: (n, C, din_plane) = dL/d(padded input), wide layout.
inline void conv_bwd_input(const ConvGeom& g, const float* weight, const float* dpad, float* dxw,
                           int n) {
  const int span = g.Hp * g.Wp;
  const Pos pos{1, vecs(span), 0};
  const int KK = g.K * g.K;
  for (int s = 0; s < n; ++s) {
    const Corr c{.nb = g.O,
                 .K = g.K,
                 .coef = weight,
                 .sa = KK,
                 .sb = g.C * KK,
                 .src = dpad + static_cast<size_t>(s) * g.O * g.dpad_plane + g.dpad_margin,
                 .ss = g.dpad_plane,
                 .di = -g.Wp,
                 .dj = -1,
                 .init = nullptr,
                 .out = dxw + static_cast<size_t>(s) * g.C * g.din_plane,
                 .os = g.din_plane,
                 .clip = true,
                 .Wp = g.Wp,
                 .Ho = g.Ho,
                 .Wo = g.Wo,
                 .span = span};
    corr(c, g.C, pos);
  }
}

// The weight gradient as outer products: a tile holds OB output channels x
// TB taps t = (c, i, j) as vectors, and at every output vector p of every
// sample adds dout[o][p] * xp[c][p + i*Wp + j]: OB + TB loads for OB*TB
// multiply-adds, no broadcasts. Lanes are summed once, at the end.
// dweight[o][t] += sum_s sum_p dout[s][o][p] * xp[s][tap_off[t] + p]
template <int OB, int TB>
inline void dw_tile(const ConvGeom& g, const Pos& pos, const float* xp, size_t x_stride,
                    const float* dpad, float* dweight, int n, int o0, int t0) {
  const int KK = g.K * g.K;
  int toff[TB];
  for (int t = 0; t < TB; ++t) {
    const int c = (t0 + t) / KK, ij = (t0 + t) % KK;
    toff[t] = c * g.in_plane + ij / g.K * g.Wp + ij % g.K;
  }
  V acc[OB][TB];
  for (int a = 0; a < OB; ++a)
    for (int t = 0; t < TB; ++t) acc[a][t] = zero();
  for (int s = 0; s < n; ++s) {
    const float* x[TB];
    const float* d[OB];
    for (int t = 0; t < TB; ++t) x[t] = xp + s * x_stride + toff[t];
    for (int a = 0; a < OB; ++a) {
      d[a] = dpad + (static_cast<size_t>(s) * g.O + o0 + a) * g.dpad_plane + g.dpad_margin;
    }
    for (int r = 0; r < pos.rows; ++r) {
      const ptrdiff_t row = static_cast<ptrdiff_t>(r) * pos.stride;
      for (ptrdiff_t p = row; p < row + pos.per_row * VL; p += VL) {
        V xv[TB];
        for (int t = 0; t < TB; ++t) xv[t] = load(x[t] + p);
        for (int a = 0; a < OB; ++a) {
          const V dv = load(d[a] + p);
          for (int t = 0; t < TB; ++t) acc[a][t] = fmadd(dv, xv[t], acc[a][t]);
        }
      }
    }
  }
  const int CKK = g.C * KK;
  for (int a = 0; a < OB; ++a) {
    float* w = dweight + static_cast<size_t>(o0 + a) * CKK + t0;
    for (int t = 0; t < TB; ++t) w[t] += hsum(acc[a][t]);
  }
}

template <int OB, int N>
inline void dw_ttail(const ConvGeom& g, const Pos& pos, const float* xp, size_t xs,
                     const float* dpad, float* dw, int n, int o0, int t0, int r) {
  if constexpr (N > 0) {
    if (r == N) return dw_tile<OB, N>(g, pos, xp, xs, dpad, dw, n, o0, t0);
    dw_ttail<OB, N - 1>(g, pos, xp, xs, dpad, dw, n, o0, t0, r);
  }
}

// All C*K*K taps of output channels [o0, o0 + OB), in tiles of kWT taps; a
// last tile of one tap is avoided (it would load more than it multiplies)
// by splitting the last kWT + 1 taps in two.
template <int OB>
inline void dw_rows(const ConvGeom& g, const Pos& pos, const float* xp, size_t xs,
                    const float* dpad, float* dw, int n, int o0) {
  const int T = g.C * g.K * g.K;
  int t = 0;
  while (t < T) {
    int take = std::min(kWT, T - t);
    if (T - t == kWT + 1) take = (kWT + 1) / 2;
    if (take == kWT) {
      dw_tile<OB, kWT>(g, pos, xp, xs, dpad, dw, n, o0, t);
    } else {
      dw_ttail<OB, kWT - 1>(g, pos, xp, xs, dpad, dw, n, o0, t, take);
    }
    t += take;
  }
}

inline void conv_bwd_params(const ConvGeom& g, const float* xp, size_t x_stride, const float* dpad,
                            float* dweight, float* dbias, int n) {
  const Pos pos = out_positions(g);
  int o = 0;
  for (; o + kWO <= g.O; o += kWO) dw_rows<kWO>(g, pos, xp, x_stride, dpad, dweight, n, o);
  switch (g.O - o) {
    case 3:
      dw_rows<3>(g, pos, xp, x_stride, dpad, dweight, n, o);
      break;
    case 2:
      dw_rows<2>(g, pos, xp, x_stride, dpad, dweight, n, o);
      break;
    case 1:
      dw_rows<1>(g, pos, xp, x_stride, dpad, dweight, n, o);
      break;
    default:
      break;
  }
  // dbias[o] += sum over the output vectors (zeros outside the valid outputs).
  for (int oo = 0; oo < g.O; ++oo) {
    V acc = zero();
    for (int s = 0; s < n; ++s) {
      const float* d = dpad + (static_cast<size_t>(s) * g.O + oo) * g.dpad_plane + g.dpad_margin;
      for (int r = 0; r < pos.rows; ++r, d += pos.stride) {
        for (int k = 0; k < pos.per_row; ++k) acc += load(d + k * VL);
      }
    }
    dbias[oo] += hsum(acc);
  }
}

}  // namespace handgrad::kernels::HG_NS
