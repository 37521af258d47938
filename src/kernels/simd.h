#pragma once
// A portable float vector of HG_VLEN lanes (GCC vector extensions), compiled
// once per SIMD level: 16 lanes = one zmm register (AVX-512), 8 = ymm (AVX2),
// 4 = xmm (SSE2). Multiply-adds are explicit (fmadd) because the project
// compiles with -ffp-contract=off, which keeps the SGD step's rounding equal
// to the reference's.
#include <immintrin.h>

#ifndef HG_VLEN
#error "define HG_VLEN before including simd.h"
#endif

namespace handgrad::kernels::HG_NS {

constexpr int VL = HG_VLEN;
// Vector registers: 32 with AVX-512 (zmm0-31), else 16.
constexpr int kRegs = VL == 16 ? 32 : 16;
// SSE2 has no fused multiply-add: a*b + c needs a register for the product,
// so its tiles keep one vector fewer per row.
constexpr bool kFma = VL != 4;
typedef float V __attribute__((vector_size(VL * 4)));
typedef float VU __attribute__((vector_size(VL * 4), aligned(4), may_alias));

inline V load(const float* p) {
  return *reinterpret_cast<const VU*>(p);
}
inline void store(float* p, V v) {
  *reinterpret_cast<VU*>(p) = v;
}
// (Not V{} + x: without -ffast-math that is a real addition, as 0 + -0 = +0.)
inline V bcast(float x) {
#if HG_VLEN == 16
  return _mm512_set1_ps(x);
#elif HG_VLEN == 8
  return _mm256_set1_ps(x);
#else
  return _mm_set1_ps(x);
#endif
}
inline V zero() {
  return V{};
}

inline V fmadd(V a, V b, V c) {
#if HG_VLEN == 16
  return _mm512_fmadd_ps(a, b, c);
#elif HG_VLEN == 8
  return _mm256_fmadd_ps(a, b, c);
#else
  return a * b + c;
#endif
}

inline V vmax(V a, V b) {
  return a > b ? a : b;
}

// The first n lanes (0 < n < VL) of p; the other lanes zero. Never touches
// memory past p + n.
inline V load_n(const float* p, int n) {
#if HG_VLEN == 16
  return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p);
#elif HG_VLEN == 8
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane));
#else
  V v{};
  for (int i = 0; i < n && i < VL; ++i) v[i] = p[i];
  return v;
#endif
}
inline void store_n(float* p, V v, int n) {
#if HG_VLEN == 16
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
#elif HG_VLEN == 8
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane), v);
#else
  for (int i = 0; i < n && i < VL; ++i) p[i] = v[i];
#endif
}

typedef int VI __attribute__((vector_size(VL * 4)));
typedef int VIU __attribute__((vector_size(VL * 4), aligned(4), may_alias));

// Lanes of (a, b) picked by m (indices into the 2*VL lanes). GCC's
// __builtin_shuffle takes a run-time mask and folds constant ones into one
// permute; clang (used only for the fuzz build) lacks it, so it gets a plain
// lane loop with the same result.
inline V shuffle2(V a, V b, VI m) {
#if defined(__clang__)
  V r;
  for (int i = 0; i < VL; ++i) {
    const int k = m[i] & (2 * VL - 1);
    r[i] = k < VL ? a[k] : b[k - VL];
  }
  return r;
#else
  return __builtin_shuffle(a, b, m);
#endif
}

// The same for int lanes.
inline VI load_n(const int* p, int n) {
#if HG_VLEN == 16
  return reinterpret_cast<VI>(_mm512_maskz_loadu_epi32(static_cast<__mmask16>((1u << n) - 1), p));
#elif HG_VLEN == 8
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return reinterpret_cast<VI>(
      _mm256_maskload_epi32(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane)));
#else
  VI v{};
  for (int i = 0; i < n && i < VL; ++i) v[i] = p[i];
  return v;
#endif
}
inline void store_n(int* p, VI v, int n) {
#if HG_VLEN == 16
  _mm512_mask_storeu_epi32(p, static_cast<__mmask16>((1u << n) - 1), reinterpret_cast<__m512i>(v));
#elif HG_VLEN == 8
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_epi32(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane),
                         reinterpret_cast<__m256i>(v));
#else
  for (int i = 0; i < n && i < VL; ++i) p[i] = v[i];
#endif
}

inline float hsum(V v) {
#if HG_VLEN == 16 || HG_VLEN == 8
#if HG_VLEN == 16
  // (_mm512_reduce_add_ps and the 512->256 casts trip a false
  // -Wuninitialized in g++ 12's headers.)
  const __m256 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                   __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
#else
  const __m256 h = v;
#endif
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
#else
  float s = 0.0f;
  for (int i = 0; i < VL; ++i) s += v[i];
  return s;
#endif
}

}  // namespace handgrad::kernels::HG_NS
