#pragma once
// One loop body compiled for every SIMD level, for the elementwise fast
// paths that live in layer files (an activation's own kernel beside its
// reference). The compiler vectorises the plain loop for each target; with
// -std=c++20 nothing is contracted into FMAs, so every level computes the
// same bits.
//
//   HANDGRAD_ISA_VARIANTS(tanh_fwd, (const float* x, float* y, size_t m), { loop })
//   ... pick_isa(k, tanh_fwd_generic, tanh_fwd_avx2, tanh_fwd_avx512)
#include <cstring>

#include "kernels/kernels.h"

// The body is variadic: commas in it (an initializer list) are fine.
#define HANDGRAD_ISA_VARIANTS(name, params, ...)                                    \
  [[maybe_unused]] void name##_generic params __VA_ARGS__                           \
      [[maybe_unused, gnu::target("avx2,fma")]] void name##_avx2 params __VA_ARGS__ \
      [[maybe_unused,                                                               \
        gnu::target(                                                                \
            "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]] void name##_avx512 params __VA_ARGS__

namespace handgrad::kernels {

// The variant for the kernel table's level.
template <class F>
F pick_isa(const KernelTable& k, F generic, F avx2, F avx512) {
  if (std::strcmp(k.name, "avx512") == 0) return avx512;
  if (std::strcmp(k.name, "avx2") == 0) return avx2;
  return generic;
}

}  // namespace handgrad::kernels
