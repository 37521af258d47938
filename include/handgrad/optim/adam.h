#pragma once
// Adam and AdamW with exactly torch.optim.Adam's / AdamW's semantics
// (amsgrad off). At step t (1-based), with g the gradient:
//   adamw: p <- p * (1 - lr * weight_decay)         (decoupled weight decay)
//   adam:  g <- g + weight_decay * p                (L2 added to the gradient)
//   m <- beta1 * m + (1 - beta1) * g                (exp_avg, starts at 0)
//   v <- beta2 * v + (1 - beta2) * g^2              (exp_avg_sq, starts at 0)
//   p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Derivation: docs/math.md#adam. Code: src/optim/adam.cpp.
#include <cstddef>

#include "handgrad/optim/optimizer.h"

namespace handgrad {

template <class T>
class Adam final : public Optimizer<T> {
 public:
  // decoupled: AdamW's weight decay instead of Adam's L2 term.
  Adam(size_t num_params, const OptimizerOptions& o, bool decoupled,
       const KernelTable* k = fast_kernels());
  using Optimizer<T>::step;
  void update(T* params, const T* grads, double lr, size_t begin, size_t end) override;
  size_t size() const override;
  // "exp_avg", "exp_avg_sq".
  std::vector<typename Optimizer<T>::State> state() override;

 private:
  bool decoupled_;
  Buffer<T> m_, v_;
  const KernelTable* k_;
};

}  // namespace handgrad
