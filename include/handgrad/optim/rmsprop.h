#pragma once
// RMSprop with exactly torch.optim.RMSprop's semantics (centered off):
//   g <- g + weight_decay * p
//   s <- alpha * s + (1 - alpha) * g^2              (square_avg, starts at 0)
//   momentum > 0: b <- momentum * b + g / (sqrt(s) + eps);  p <- p - lr * b
//   otherwise:    p <- p - lr * g / (sqrt(s) + eps)
// Derivation: docs/math.md#rmsprop. Code: src/optim/rmsprop.cpp.
#include <cstddef>

#include "handgrad/optim/optimizer.h"

namespace handgrad {

template <class T>
class RmsProp final : public Optimizer<T> {
 public:
  RmsProp(size_t num_params, const OptimizerOptions& o, const KernelTable* k = fast_kernels());
  using Optimizer<T>::step;
  void update(T* params, const T* grads, double lr, size_t begin, size_t end) override;
  size_t size() const override;
  // "square_avg", and "momentum_buffer" when momentum > 0 (as torch).
  std::vector<typename Optimizer<T>::State> state() override;

 private:
  Buffer<T> sq_, buf_;
  const KernelTable* k_;
};

}  // namespace handgrad
