#pragma once
// One training step's worth of computation on a float32 network: the part
// that the speed work optimises (threads, fast kernels), behind a small
// interface the trainer, the benchmark and the parity replay all use.
// Code: src/train/step_runner.cpp.
//
// Determinism: for a fixed thread count the result is bit-identical from run
// to run (each thread owns a fixed slice of the batch and the per-thread
// gradients are summed in thread order).
#include <memory>

#include "handgrad/model/network.h"

namespace handgrad {

class StepRunner {
 public:
  // adapt: use fewer threads than given when a batch is too small to be
  // worth splitting (see step.cpp); the choice depends only on the
  // network, the batch size and `threads`, so results stay bit-identical
  // for the same settings. Tests of the threaded path pass false.
  StepRunner(Network<float>& net, int threads, bool adapt = true);
  ~StepRunner();
  StepRunner(const StepRunner&) = delete;
  StepRunner& operator=(const StepRunner&) = delete;

  // x: (n, input_dims), labels: (n). Assigns the gradient of the mean
  // softmax cross-entropy over the n samples to grads(); returns that mean.
  double loss_and_grad(const float* x, const int* labels, int n);
  const float* grads() const;
  float* grads();

  // logits: (n, classes), assigned.
  void predict(const float* x, int n, float* logits);

  int threads() const;
  // The kernels its plan runs on (nullptr: the reference path); the
  // optimizer steps with the same.
  const KernelTable* kernels() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace handgrad
