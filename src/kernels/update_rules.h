#pragma once
// The optimizers' update rules, written once. Each kernels_<isa>.cpp
// compiles its own copy (internal linkage: the copies are built with
// different -m flags and must never be merged by the linker), and the
// optimizers call the same code for double and for the reference path.
#include <cstddef>

namespace handgrad::kernels {
namespace {  // NOLINT(google-build-namespaces): one copy per ISA on purpose

// torch.optim.SGD (dampening 0), in the order torch computes it; with
// -ffp-contract=off nothing is fused, so every copy rounds the same way.
template <class T>
inline void sgd_update(T* p, const T* grads, T* v, size_t m, T lr, T mu, T wd, bool nesterov) {
  for (size_t i = 0; i < m; ++i) {
    T g = grads[i];
    if (wd != T(0)) g += wd * p[i];
    if (mu != T(0)) {
      v[i] = mu * v[i] + g;
      g = nesterov ? g + mu * v[i] : v[i];
    }
    p[i] -= lr * g;
  }
}

}  // namespace
}  // namespace handgrad::kernels
