#pragma once
// The optimizers' update rules, written once. Each kernels_<isa>.cpp
// compiles its own copy (internal linkage: the copies are built with
// different -m flags and must never be merged by the linker), and the
// optimizers call the same code for double and for the reference path.
//
// Each rule is a plain loop in the order torch.optim (foreach=False, torch
// 1.13) computes it, with its scalars rounded to T as torch rounds a Python
// float scalar to the tensor's dtype. With -ffp-contract=off nothing is
// fused, and the compiler vectorises the loop with the IEEE vector
// instructions (sqrt and division are correctly rounded), so every copy
// gives the same bits. Derivations: docs/math.md#optimizers.
#include <cmath>
#include <cstddef>

namespace handgrad::kernels {

// One Adam / AdamW step's scalars (src/optim/adam.cpp computes them in
// double, as torch does in Python, from lr, the betas and the step count t).
template <class T>
struct AdamScalars {
  T beta1, one_minus_beta1;  // exp_avg.mul_(beta1).add_(g, alpha=1 - beta1)
  T beta2, one_minus_beta2;  // exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
  T weight_decay;            // adam: g += wd * p (0: none)
  T decay;                   // adamw: p *= 1 - lr * wd before the update (1: none)
  T eps_hat;                 // eps * sqrt(1 - beta2^t)
  T neg_step;                // -lr * sqrt(1 - beta2^t) / (1 - beta1^t)
};

// One RMSprop step's scalars.
template <class T>
struct RmspropScalars {
  T alpha, one_minus_alpha;  // square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
  T eps;
  T weight_decay;  // g += wd * p (0: none)
  T momentum;      // 0: no momentum buffer
  T neg_lr;
};

namespace {  // NOLINT(google-build-namespaces): one copy per ISA on purpose

// torch.optim.SGD (dampening 0), in the order torch computes it.
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

// torch.optim.Adam / AdamW (amsgrad off). m: exp_avg, v: exp_avg_sq.
// The moments as torch computes them; the step in the form of the Adam
// paper's "more efficient" ordering (Kingma & Ba, sec. 2):
//   p += -lr_t * m / (sqrt(v) + eps_hat),  lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t),
//   eps_hat = eps sqrt(1 - beta2^t),
// which is torch's p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// multiplied out: one division and one square root per element instead of
// two divisions and a square root (the divider bounds this loop). It rounds
// differently from torch's order by an ulp or so; docs/math.md#adam.
template <class T>
inline void adam_update(T* p, const T* grads, T* m, T* v, size_t n, const AdamScalars<T>& sc) {
  const AdamScalars<T> s = sc;  // a local copy: no store can change it, the branches hoist
  for (size_t i = 0; i < n; ++i) {
    if (s.decay != T(1)) p[i] *= s.decay;
    T g = grads[i];
    if (s.weight_decay != T(0)) g += s.weight_decay * p[i];
    // In locals, stored once: no reload of a just-stored vector.
    const T mi = m[i] * s.beta1 + s.one_minus_beta1 * g;
    const T vi = v[i] * s.beta2 + s.one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] += s.neg_step * mi / (std::sqrt(vi) + s.eps_hat);
  }
}

// torch.optim.RMSprop (centered off). sq: square_avg, buf: momentum_buffer
// (unused, may be null, when momentum is 0).
//   torch: avg = square_avg.sqrt().add_(eps)
//          momentum: buf.mul_(momentum).addcdiv_(g, avg); param.add_(buf, alpha=-lr)
//          else:     param.addcdiv_(g, avg, value=-lr)
template <class T>
inline void rmsprop_update(T* p, const T* grads, T* sq, T* buf, size_t n,
                           const RmspropScalars<T>& sc) {
  const RmspropScalars<T> s = sc;  // a local copy: no store can change it, the branches hoist
  for (size_t i = 0; i < n; ++i) {
    T g = grads[i];
    if (s.weight_decay != T(0)) g += s.weight_decay * p[i];
    const T si = sq[i] * s.alpha + s.one_minus_alpha * g * g;
    sq[i] = si;
    const T avg = std::sqrt(si) + s.eps;
    if (s.momentum != T(0)) {
      const T bi = buf[i] * s.momentum + g / avg;
      buf[i] = bi;
      p[i] += s.neg_lr * bi;
    } else {
      p[i] += s.neg_lr * g / avg;
    }
  }
}

}  // namespace
}  // namespace handgrad::kernels
