#pragma once
// SGD with momentum, with exactly torch.optim.SGD's semantics (dampening 0):
//   g <- grad + weight_decay * p
//   v <- momentum * v + g          (v starts at 0, so the first v is g)
//   g <- g + momentum * v if nesterov, else v
//   p <- p - lr * g
// Code: src/optim/sgd.cpp.
#include <cstddef>

#include "handgrad/core/tensor.h"
#include "handgrad/kernels/path.h"

namespace handgrad {

struct SgdOptions {
  double lr = 0.01;
  double momentum = 0.9;
  double weight_decay = 0.0;
  bool nesterov = false;
};

// Throws FieldError naming the setting when a value is out of range
// (lr <= 0, momentum outside [0, 1), weight decay < 0, nesterov without momentum).
void validate(const SgdOptions& o);

template <class T>
class Sgd {
 public:
  // k: the kernels to step with (the float path; nullptr: the plain loop).
  Sgd(size_t num_params, const SgdOptions& o, const KernelTable* k = fast_kernels());
  void step(T* params, const T* grads);
  const SgdOptions& options() const { return o_; }
  // Momentum buffers, saved in checkpoints so --resume is exact.
  Buffer<T>& velocity() { return v_; }

 private:
  SgdOptions o_;
  Buffer<T> v_;
  const KernelTable* k_;
};

}  // namespace handgrad
