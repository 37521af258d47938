#pragma once
// Branch-free float approximations of exp and erfc for the activations'
// fast kernels (sigmoid, elu, gelu): plain arithmetic and selects that the
// compiler vectorises inside HANDGRAD_ISA_VARIANTS loops. Their accuracy is
// checked against the double reference on a dense grid
// (FastKernels.ActivationsMatchReferenceOnAGrid, 2e-6).
#include <algorithm>
#include <bit>
#include <cstdint>

namespace handgrad::approx {

// e^x, relative error ~1e-7 on [-87.3, 88.3] (clamped outside): x = n ln 2 + r
// with |r| <= ln 2 / 2 (Cody-Waite: ln 2 in two parts), e^r by its degree-7
// Taylor polynomial (error < 3e-8 there), times 2^n built in the exponent bits.
inline float exp(float x) {
  x = std::min(std::max(x, -87.3f), 88.3f);  // min/max vectorise, fmin/fmax do not
  // round(x / ln 2) with the 1.5 * 2^23 trick (exact for |v| < 2^22).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.98412698e-4f;  // 1/7!
  p = p * r + 1.38888889e-3f;
  p = p * r + 8.33333333e-3f;
  p = p * r + 4.16666667e-2f;
  p = p * r + 1.66666667e-1f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

// erfc(z) for z >= 0: t P(t) e^{-z^2} with t = 1/(1 + p z) (Abramowitz and
// Stegun 7.1.26, absolute error <= 1.5e-7); small where erf is near 1, so
// 1 - erf loses nothing to cancellation.
inline float erfc_pos(float z) {
  const float t = 1.0f / (1.0f + 0.3275911f * z);
  float q = 1.061405429f;
  q = q * t + -1.453152027f;
  q = q * t + 1.421413741f;
  q = q * t + -0.284496736f;
  q = q * t + 0.254829592f;
  return q * t * approx::exp(-z * z);
}

}  // namespace handgrad::approx
