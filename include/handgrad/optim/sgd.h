#pragma once
// SGD with momentum, with exactly torch.optim.SGD's semantics (dampening 0):
//   g <- grad + weight_decay * p
//   v <- momentum * v + g          (v starts at 0, so the first v is g)
//   g <- g + momentum * v if nesterov, else v
//   p <- p - lr * g
// Derivation: docs/math.md#sgd. Code: src/optim/sgd.cpp.
#include <cstddef>

#include "handgrad/optim/optimizer.h"

namespace handgrad {

template <class T>
class Sgd final : public Optimizer<T> {
 public:
  // k: the kernels to step with (the float path; nullptr: the plain loop).
  Sgd(size_t num_params, const OptimizerOptions& o, const KernelTable* k = fast_kernels());
  using Optimizer<T>::step;
  void update(T* params, const T* grads, double lr, size_t begin, size_t end) override;
  size_t size() const override;
  // "momentum_buffer", always (also at momentum 0: the checkpoint format).
  std::vector<typename Optimizer<T>::State> state() override;
  bool keeps_step() const override { return false; }
  // Momentum buffers, saved in checkpoints so --resume is exact.
  Buffer<T>& velocity() { return v_; }

 private:
  Buffer<T> v_;
  const KernelTable* k_;
};

}  // namespace handgrad
