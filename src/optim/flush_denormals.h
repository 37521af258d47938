#pragma once
// Flush-to-zero and denormals-are-zero (the x86 MXCSR bits) while a guard
// lives, restored after. The adaptive optimizers' float32 steps run under
// it: a moment that decays towards zero (exp_avg of a unit whose gradient
// stays 0) turns denormal after some hundred steps, and every operation on
// a denormal is a slow microcoded assist (measured: the seed-mlp Adam step
// 48 us with such values, 29 us flushed). The values flushed are below
// 1.2e-38, where they move no parameter; TensorFlow's CPU kernels run the
// same way, torch.set_flush_denormal(True) does it in PyTorch. Both the
// vectorised kernels and the plain loop run under it, so they still agree
// bit for bit. SGD does not use it: its results stay exactly main's.
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace handgrad {

class FlushDenormals {
 public:
#if defined(__SSE__) || defined(__x86_64__)
  FlushDenormals() : saved_(_mm_getcsr()) {
    _mm_setcsr(saved_ | 0x8040u);
  }  // FTZ | DAZ
  ~FlushDenormals() {
    _mm_setcsr(saved_);
  }

 private:
  unsigned saved_;
#endif
 public:
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

}  // namespace handgrad
