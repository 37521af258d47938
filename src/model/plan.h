#pragma once
// The one engine: a network compiled into a list of ops (layer lowerings,
// or the layers' reference passes where a layer has no fast lowering or no
// kernel table is given), with neighbours fused through the ops' hooks
// (op.h). The plan knows no layer by name. Ops are const while it runs; all
// mutable state is in a Workspace, one per thread.
#include <memory>
#include <vector>

#include "handgrad/layers/loss.h"
#include "handgrad/model/network.h"
#include "layers/op.h"

namespace handgrad {

struct PlanOptions {
  const KernelTable* kernels = nullptr;  // nullptr: every layer's reference pass
  bool fuse = true;                      // fold activations into neighbours, hand planes on
  bool all_input_grads = false;          // dL/d(input) at every op, not only where needed
};

template <class T>
class Plan {
 public:
  // Thread CPU seconds per op, summed over calls (the bench's breakdown).
  struct Times {
    std::vector<double> fwd, bwd;
  };

  Plan(const Network<T>& net, PlanOptions o);

  // x: (n, input_dims) raw; returns the logits (n, classes) inside ws.
  // Train mode may update `buffers` (running statistics).
  const T* forward(const T* params, T* buffers, const T* x, int n, const RunInfo& run,
                   Workspace<T>& ws, Times* t = nullptr) const;
  // After forward(): *adds* dL/d(params) to grads; assigns dL/dx (raw x) to
  // dinput when given.
  void backward(const T* params, T* buffers, const T* x, const T* dlogits, int n,
                const RunInfo& run, Workspace<T>& ws, T* grads, T* dinput = nullptr,
                Times* t = nullptr) const;
  // Forward, the loss (its batch mean over batch_total samples), backward.
  // Returns the summed loss of these n samples.
  //
  // With run.team, every member of the team calls it with the same
  // arguments (one shared Workspace, sized by an earlier call with this n
  // without a team, and one grads) and each computes its share of each op
  // (core/team.h): the grads are bit-identical to one thread's. The lead
  // (rank 0) computes the loss and gets the sum; dinput must be nullptr.
  double loss_and_grad(const T* params, T* buffers, const T* x, const int* labels, int n,
                       int batch_total, const LossDef& loss, const RunInfo& run, Workspace<T>& ws,
                       T* grads, T* dinput = nullptr, Times* t = nullptr) const;

  const std::vector<std::unique_ptr<Op<T>>>& ops() const { return ops_; }
  const KernelTable* kernels() const { return k_; }
  const Network<T>& network() const { return net_; }

 private:
  void fuse();
  void connect();
  const T* team_forward(const T* params, T* buffers, const T* x, int n, const RunInfo& run,
                        Workspace<T>& ws) const;
  void team_backward(const T* params, T* buffers, const T* x, const T* dlogits, int n,
                     const RunInfo& run, Workspace<T>& ws, T* grads) const;
  const T* team_input(const T* x, int n, const Team& team, Workspace<T>& ws) const;
  Pass<T> pass(size_t i, const T* params, T* buffers, const RunInfo& run, int n,
               Workspace<T>& ws) const;
  const T* network_input(const T* x, int n, Workspace<T>& ws) const;

  const Network<T>& net_;
  const KernelTable* k_;
  std::vector<std::unique_ptr<Op<T>>> ops_;
  std::vector<bool> planes_in_;  // op i reads op i-1's strided output
};

}  // namespace handgrad
