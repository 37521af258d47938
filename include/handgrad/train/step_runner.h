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
#include "handgrad/optim/optimizer.h"

namespace handgrad {

// How a step of one slice uses the threads (set_team below).
enum class TeamMode {
  automatic,  // a team or one thread, whichever the clock says is faster
  on,         // always a team (tests; bench --team on)
  off,        // always one thread
};

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

  // The data-parallel pieces loss_and_grad is made of, for a caller that
  // spreads the slices of one batch over several processes (src/dist).
  //
  // How many slices `workers` workers cut a batch of n samples into:
  // min(workers, n), lowered by the adapt rule. loss_and_grad uses
  // slices_for(n, threads()); so a run that computes slices_for(n, S)
  // slices anywhere and sums them as below is bit-identical to one process
  // with S threads.
  int slices_for(int n, int workers) const;
  // Slices [first, first + count) of the `used` slices of the batch x: (n,
  // input_dims), labels: (n). Slice s covers samples [n*s/used,
  // n*(s+1)/used); its gradient of the *batch* mean (its per-sample
  // gradients summed and divided by n) is assigned to out[s - first]
  // (num_params floats each) and its loss summed over its samples (not
  // divided) to losses[s - first]. The slices run on this runner's threads.
  // loss_and_grad(x, labels, n) is: compute all `used` slices, then
  // g = out[0]; g += out[1]; ... with add_grads, loss = (l0 + l1 + ...) / n.
  void slice_grads(const float* x, const int* labels, int n, int used, int first, int count,
                   float* const* out, double* losses);
  // y += x over m floats: the addition loss_and_grad sums slices with (the
  // kernel table's add, or the plain loop on the reference path). Each
  // element is one float addition, so any split of the m elements gives
  // the same bits.
  void add_grads(float* y, const float* x, size_t m) const;

  // logits: (n, classes), assigned.
  void predict(const float* x, int n, float* logits);

  int threads() const;

  // A batch too small to split into slices (slices_for == 1) runs, with
  // more than one thread, on a team of two: both threads share each op of
  // the one slice (core/team.h), bit-identical to one thread (a
  // convolution's weight gradient is summed in two halves of the batch on
  // one thread too, layers/conv.cpp). Whether a team or one
  // thread is faster is measured while training (train/team_choice.h);
  // set_team(on / off) overrides that.
  void set_team(TeamMode mode);
  // Steps of one slice currently run as a team.
  bool team_chosen() const;
  // opt.step(params, grads(), lr), on the team when the last step ran on
  // one: each thread updates the parameters whose gradient rows it is
  // likeliest to have computed, so they stay in its cache (same bits).
  void step_optimizer(Optimizer<float>& opt, double lr);
  // The kernels its plan runs on (nullptr: the reference path); the
  // optimizer steps with the same.
  const KernelTable* kernels() const;

 private:
  double one_slice_step(const float* x, const int* labels, int n);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace handgrad
