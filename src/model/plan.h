#pragma once
// The float32 network as the training step runs it: the layers compiled into
// a list of ops that call the fast kernels (kernels.h), with neighbouring
// layers fused where that saves a pass over memory (relu + maxpool; a conv
// hands its "wide" output straight to the pool after it). A layer without a
// fast kernel (or every layer, on the reference path) runs its reference
// forward/backward. The ops are const; all mutable state is in a Workspace,
// one per thread.
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "handgrad/model/network.h"

namespace handgrad {

class FastNet {
 public:
  enum class Kind { conv, pool, relu, flatten, linear, reference };
  struct Op {
    Kind kind;
    int first, last;  // the network layers [first, last] this op computes
    std::string name;
    size_t in_size = 0, out_size = 0;  // floats per sample, dense
    size_t param_off = 0;
    bool grad_in = false;   // an op before this one has parameters: compute dL/d(input)
    ConvGeom g{};           // conv
    size_t xs = 0;          // conv: floats per sample of the padded input copy
    bool wide_out = false;  // conv: the next op (a pool) reads the wide planes
    int k = 0, s = 0;       // pool window and stride
    bool relu = false;      // pool: relu fused in
    int C = 0, H = 0, W = 0, Ho = 0, Wo = 0;  // pool planes
    bool wide_in = false;                     // pool: reads the previous conv's wide planes
    int I = 0, O = 0;                         // linear
  };
  struct OpWs {
    Buffer<float> out, din, xp, wide, dpad, dxw;
    Buffer<int> arg;
    const float* out_ptr = nullptr;  // this op's output (may alias its input)
    const float* din_ptr = nullptr;  // if set, dL/d(input) is here, planes din_stride apart
    int din_stride = 0;
  };
  struct Workspace {
    std::vector<OpWs> ops;
    Buffer<float> dlogits;
  };
  // Thread CPU seconds per op, summed over calls (the bench's breakdown).
  struct Times {
    std::vector<double> fwd, bwd;
  };

  // k == nullptr: every layer on its reference kernel.
  FastNet(const Network<float>& net, const KernelTable* k);

  // Once per step, before any thread calls forward (a hook for packing
  // weights; the current kernels read them as stored).
  void prepare(const float* params);
  // x: (n, input_dims); returns the logits (n, classes) inside ws.
  const float* forward(const float* params, const float* x, int n, Workspace& ws,
                       Times* t = nullptr) const;
  // After forward(): *adds* dL/d(params) to grads.
  void backward(const float* params, const float* x, const float* dlogits, int n, Workspace& ws,
                float* grads, Times* t = nullptr) const;
  // As Network::loss_and_grad: returns the summed loss of these n samples.
  double loss_and_grad(const float* params, const float* x, const int* labels, int n,
                       int batch_total, Workspace& ws, float* grads, Times* t = nullptr) const;

  const std::vector<Op>& ops() const { return ops_; }
  const KernelTable* kernels() const { return k_; }

 private:
  void op_forward(size_t i, const float* params, const float* in, int n, Workspace& ws) const;
  void op_backward(size_t i, const float* params, const float* in, const float* dout,
                   int dout_stride, int n, Workspace& ws, float* grads) const;
  bool direct_input(size_t i) const;
  size_t conv_stride(size_t i) const;
  const float* conv_input(size_t i, const float* in, int n, OpWs& w) const;

  const Network<float>& net_;
  const KernelTable* k_;
  std::vector<Op> ops_;
};

}  // namespace handgrad
