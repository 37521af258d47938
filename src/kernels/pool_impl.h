#pragma once
// Max-pooling (with an optional fused ReLU after it). Included by
// kernels_<isa>.cpp after simd.h.
//
// 2x2 windows with stride 2 are vectorised: VL outputs come from 2*VL
// inputs of each of the two rows, held as two vectors per row. Within each
// 128-bit group of lanes one shuffle (shufps) takes the even (or odd)
// columns of both vectors, which leaves the outputs in "pair order": lane
// 4g + r holds output r < 2 ? 2g + r : VL/2 + 2g + r - 2. The forward puts
// its results back in order with one permute; the backward permutes dout
// into pair order, so that unpacking (unpcklps / unpckhps) interleaves the
// gradients straight back into their input columns.
//
// When output rows are a multiple of VL/2 wide (the seed CNN's 12 and 4
// with 8-float vectors), a plane's outputs are walked VL at a time in row
// order, each vector's two halves lying within a row: no lane is wasted.
// Otherwise each row is walked VL outputs at a time, with a tail.
#include <algorithm>
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/simd.h"

namespace handgrad::kernels::HG_NS {

struct PairMasks {
  int even[VL], odd[VL], fix[VL], unfix[VL], lo[VL], hi[VL];
};
constexpr PairMasks make_pair_masks() {
  PairMasks m{};
  for (int l = 0; l < VL; ++l) {
    const int g = l / 4, r = l % 4;
    const int src = 4 * g + (r < 2 ? 2 * r : VL + 2 * (r - 2));  // lane of (a, b)
    m.even[l] = src;
    m.odd[l] = src + 1;
    const int out = r < 2 ? 2 * g + r : VL / 2 + 2 * g + r - 2;  // output in lane l
    m.unfix[l] = out;                                            // natural -> pair order
    m.fix[out] = l;                                              // pair -> natural order
    // unpcklps / unpckhps within each 128-bit group
    m.lo[l] = 4 * g + (l % 2 ? VL : 0) + r / 2;
    m.hi[l] = m.lo[l] + 2;
  }
  return m;
}
inline constexpr PairMasks kPair = make_pair_masks();

inline VI mask(const int* m) {
  return *reinterpret_cast<const VIU*>(m);
}
inline V permute(V v, const int* m) {
  return shuffle2(v, v, mask(m));
}
inline VI permute(VI v, const int* m) {
  return reinterpret_cast<VI>(permute(reinterpret_cast<V>(v), m));
}

// Up to 2*VL floats as two vectors (lanes past n zero, not read); n > VL
// means the first is full.
inline void load_split(const float* p0, const float* p1, int n, V& a, V& b) {
  a = n >= VL ? load(p0) : load_n(p0, n);
  n -= VL;
  b = n >= VL ? load(p1) : n > 0 ? load_n(p1, n) : zero();
}
inline void store_split(float* p0, float* p1, int n, V a, V b) {
  if (n >= VL) {
    store(p0, a);
  } else {
    store_n(p0, a, n);
  }
  n -= VL;
  if (n >= VL) {
    store(p1, b);
  } else if (n > 0) {
    store_n(p1, b, n);
  }
}

// Where the output chunk at ox of a row of Wo starts: a last, partial chunk
// of a row at least VL wide is moved back to end at the row's end, so that
// it needs no masked loads or stores (slow on AMD's AVX2), at the price of
// computing (and storing the same values to) a few outputs twice.
inline int chunk_start(int ox, int Wo) {
  return ox + VL > Wo && Wo >= VL ? Wo - VL : ox;
}

// One vector of outputs. Rows: the windows' top row is at t0 (first VL
// inputs) and t1 (next VL), the bottom row W further. n: valid inputs per
// row (2*VL unless a tail). The winner is the first maximum in (0,0) (0,1)
// (1,0) (1,1) order, as the reference; arg gets its offset 0, 1, W or W+1.
template <bool kRelu>
inline void pool2_vec(const float* t0, const float* t1, int W, int n, float* y, int* arg) {
  V a0, a1, b0, b1;
  load_split(t0, t1, n, a0, a1);
  load_split(t0 + W, t1 + W, n, b0, b1);
  const V ae = shuffle2(a0, a1, mask(kPair.even)), ao = shuffle2(a0, a1, mask(kPair.odd));
  const V be = shuffle2(b0, b1, mask(kPair.even)), bo = shuffle2(b0, b1, mask(kPair.odd));
  const V m = vmax(vmax(ae, ao), vmax(be, bo));
  const VI z{};
  const VI code = ae == m ? z : ao == m ? z + 1 : be == m ? z + W : z + (W + 1);
  const V res = permute(kRelu ? vmax(m, zero()) : m, kPair.fix);
  const VI idx = permute(code, kPair.fix);
  const int cnt = n / 2;
  if (cnt == VL) {
    store(y, res);
    *reinterpret_cast<VIU*>(arg) = idx;
  } else {
    store_n(y, res, cnt);
    store_n(arg, idx, cnt);
  }
}

// Walks a plane's outputs VL/2 at a time in row order, rows of Wo a
// multiple of VL/2, handing out each half's first window index in the input.
// Past a plane's last row it goes on with the next plane, stride floats on.
struct Halves {
  int W, Wo, Ho;
  size_t stride;
  size_t plane = 0;
  int oy = 0, ox = 0;
  size_t next() {
    const size_t b = plane + static_cast<size_t>(2 * oy * W + 2 * ox);
    ox += VL / 2;
    if (ox == Wo) {
      ox = 0;
      if (++oy == Ho) {
        oy = 0;
        plane += stride;
      }
    }
    return b;
  }
};

// n outputs (dense) by half vectors; f(q, b0, b1, n_inputs) per vector.
template <class F>
inline void walk_halves(Halves h, size_t n, F f) {
  size_t q = 0;
  for (; q + VL <= n; q += VL) {
    const size_t b0 = h.next(), b1 = h.next();
    f(q, b0, b1, 2 * VL);
  }
  if (q < n) {
    const size_t b0 = h.next();
    f(q, b0, b0 + VL, VL);
  }
}
inline bool by_halves(int Wo) {
  return Wo % (VL / 2) == 0;
}

template <bool kRelu>
inline void maxpool2_fwd(const float* in, int planes, int W, int in_stride, float* out, int* arg,
                         int Ho, int Wo) {
  if (by_halves(Wo)) {
    // Every vector is two half-rows, planes one after the other: no lane
    // is wasted.
    walk_halves(Halves{W, Wo, Ho, static_cast<size_t>(in_stride)},
                static_cast<size_t>(planes) * Ho * Wo, [&](size_t q, size_t b0, size_t b1, int n) {
                  pool2_vec<kRelu>(in + b0, in + b1, W, n, out + q, arg + q);
                });
    return;
  }
  for (int pl = 0; pl < planes; ++pl) {
    const float* x = in + static_cast<size_t>(pl) * in_stride;
    float* y = out + static_cast<size_t>(pl) * Ho * Wo;
    int* ar = arg + static_cast<size_t>(pl) * Ho * Wo;
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ox += VL) {
        const int o = chunk_start(ox, Wo), b = 2 * oy * W + 2 * o, cnt = std::min(Wo - o, VL);
        pool2_vec<kRelu>(x + b, x + b + VL, W, 2 * cnt, y + oy * Wo + o, ar + oy * Wo + o);
      }
    }
  }
}

// The backward of pool2_vec: dout (and, with relu, the output) of VL
// outputs in natural order, scattered to the windows' four positions.
template <bool kRelu>
inline void pool2_bwd_vec(const float* dy, const float* o, const int* a, int W, int n, float* t0,
                          float* t1) {
  const int cnt = n / 2;
  V g = cnt == VL ? load(dy) : load_n(dy, cnt);
  if (kRelu) {
    const V ov = cnt == VL ? load(o) : load_n(o, cnt);
    g = ov > zero() ? g : zero();
  }
  const VI av = cnt == VL ? *reinterpret_cast<const VIU*>(a) : load_n(a, cnt);
  g = permute(g, kPair.unfix);
  const VI sel = permute(av, kPair.unfix);
  const V z = zero();
  const V ge = sel == 0 ? g : z, go = sel == 1 ? g : z;
  const V he = sel == W ? g : z, ho = sel == W + 1 ? g : z;
  store_split(t0, t1, n, shuffle2(ge, go, mask(kPair.lo)), shuffle2(ge, go, mask(kPair.hi)));
  store_split(t0 + W, t1 + W, n, shuffle2(he, ho, mask(kPair.lo)),
              shuffle2(he, ho, mask(kPair.hi)));
}

// Writes every position of every window (zeros included) and nothing else:
// positions outside all windows keep whatever the caller left there (zero).
template <bool kRelu>
inline void maxpool2_bwd(const float* dout, int dout_stride, const float* out, const int* arg,
                         int planes, int W, int Ho, int Wo, float* din, int din_stride) {
  const int HW = Ho * Wo;
  if (by_halves(Wo) && dout_stride == HW) {
    walk_halves(Halves{W, Wo, Ho, static_cast<size_t>(din_stride)},
                static_cast<size_t>(planes) * HW, [&](size_t q, size_t b0, size_t b1, int n) {
                  pool2_bwd_vec<kRelu>(dout + q, out + q, arg + q, W, n, din + b0, din + b1);
                });
    return;
  }
  for (int pl = 0; pl < planes; ++pl) {
    float* dx = din + static_cast<size_t>(pl) * din_stride;
    const float* o = out + static_cast<size_t>(pl) * HW;
    const int* ar = arg + static_cast<size_t>(pl) * HW;
    const float* dy = dout + static_cast<size_t>(pl) * dout_stride;
    if (by_halves(Wo)) {  // dout planes apart: plane by plane
      walk_halves(Halves{W, Wo, Ho, 0}, HW, [&](size_t q, size_t b0, size_t b1, int n) {
        pool2_bwd_vec<kRelu>(dy + q, o + q, ar + q, W, n, dx + b0, dx + b1);
      });
      continue;
    }
    // (Masked tails here: the last chunk moved back, as the forward does,
    // would store more than it saves.)
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ox += VL) {
        const int b = 2 * oy * W + 2 * ox, q = oy * Wo + ox, cnt = std::min(Wo - ox, VL);
        pool2_bwd_vec<kRelu>(dy + q, o + q, ar + q, W, 2 * cnt, dx + b, dx + b + VL);
      }
    }
  }
}

// Planes are in_stride apart, rows W apart; outputs dense (planes, Ho, Wo).
inline void maxpool_fwd(const float* in, int planes, int /*H*/, int W, int in_stride, int k, int s,
                        bool relu, float* out, int* arg, int Ho, int Wo) {
  if (k == 2 && s == 2) {
    if (relu) return maxpool2_fwd<true>(in, planes, W, in_stride, out, arg, Ho, Wo);
    return maxpool2_fwd<false>(in, planes, W, in_stride, out, arg, Ho, Wo);
  }
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
        ar[oy * Wo + ox] = best - (oy * s * W + ox * s);
      }
    }
  }
}

// dout: planes dout_stride apart (rows Wo apart); din planes din_stride
// apart, rows W apart (the arg indexing). See kernels.h for what is assigned.
inline void maxpool_bwd(const float* dout, int dout_stride, const float* out, const int* arg,
                        int planes, int H, int W, int din_stride, int k, int s, int Ho, int Wo,
                        bool relu, float* din) {
  if (k == 2 && s == 2) {
    if (relu)
      return maxpool2_bwd<true>(dout, dout_stride, out, arg, planes, W, Ho, Wo, din, din_stride);
    return maxpool2_bwd<false>(dout, dout_stride, out, arg, planes, W, Ho, Wo, din, din_stride);
  }
  for (int pl = 0; pl < planes; ++pl) {
    std::memset(din + static_cast<size_t>(pl) * din_stride, 0, sizeof(float) * H * W);
  }
  for (int pl = 0; pl < planes; ++pl) {
    float* dx = din + static_cast<size_t>(pl) * din_stride;
    const size_t base = static_cast<size_t>(pl) * Ho * Wo;
    const float* dy = dout + static_cast<size_t>(pl) * dout_stride;
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ++ox) {
        const int q = oy * Wo + ox;
        const float g = dy[q];
        dx[oy * s * W + ox * s + arg[base + q]] += relu && !(out[base + q] > 0.0f) ? 0.0f : g;
      }
    }
  }
}

}  // namespace handgrad::kernels::HG_NS
