#pragma once
// One training step's worth of computation on a float32 network: the part
// that the speed work optimises (threads, fast kernels), behind a small
// interface the trainer, the benchmark and the parity replay all use.
// Code: src/train/step_runner.cpp.
//
// Determinism: for a fixed thread count the result is bit-identical from run
// to run (each thread owns a fixed slice of the batch and the per-thread
// gradients are summed in thread order). Dropout masks do not depend on the
// slices at all (core/rng.h). A network whose training statistics span the
// batch (batch norm, Network::couples_batch) trains each batch as one
// slice: its statistics are those of the whole batch, as in PyTorch;
// predict() still splits, evaluation mode couples nothing.
#include <memory>

#include "handgrad/layers/loss.h"
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
  // loss over the n samples to grads(); returns that mean.
  // Training mode: batch statistics, dropout masks keyed by step_key().
  double loss_and_grad(const float* x, const int* labels, int n);
  // The key of the following training steps' randomness, step_key(run
  // seed, step) (core/rng.h); the Session sets it before every step.
  void set_step_key(uint64_t key);
  uint64_t step_key() const;
  // The loss it trains and evaluates with: softmax cross-entropy unless set.
  void set_loss(const LossDef& loss);
  const LossDef& loss() const;
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
