#pragma once
// A sequential network built at run time from an architecture string.
// Code: src/model/network.cpp (the forward/backward passes run through the
// plan, src/model/plan.cpp).
//
// All trainable parameters live in one flat block, all buffers (running
// statistics) in another; per-tensor views into them are computed once, here,
// and every engine uses them. Tensors are named as PyTorch's nn.Sequential
// names them in its state_dict ("<layer index>.weight", the index counting
// every layer, activations included).
#include <memory>
#include <string>
#include <vector>

#include "handgrad/layers/layer.h"
#include "handgrad/layers/loss.h"
#include "handgrad/layers/workspace.h"
#include "handgrad/model/input_norm.h"

namespace handgrad {

template <class T>
class Plan;

struct ParamInfo {
  std::string name;  // "0.weight"
  Dims dims;         // (O, C, K, K), (O, I) or (O)
  size_t offset;     // into params() (trainable) or buffers() (not)
  size_t size;
  int layer;
  bool trainable = true;
  DType dtype = DType::f32;  // in a model file
};

// Where a pass runs: the mode, and for train-mode randomness the step's key
// (step_key(run seed, step), core/rng.h) and the index of the first of these
// samples in the whole batch. The plan hands each layer its own key,
// layer_key(seed, layer index).
class Team;
struct RunInfo {
  Mode mode = Mode::train;
  uint64_t seed = 0;
  long first_sample = 0;
  // The threads running this pass together (src/core/team.h); nullptr: the
  // calling thread alone.
  const Team* team = nullptr;
};

template <class T>
class Network {
 public:
  // Builds and shape-checks. Throws UsageError naming the layer, its index
  // and the shapes when something does not fit.
  Network(const std::string& arch, const Dims& input);
  ~Network();
  Network(Network&& o) noexcept;
  Network& operator=(Network&& o) noexcept;

  // Canonical architecture string (layer specs joined by spaces).
  std::string arch() const;
  const Dims& input_dims() const { return input_; }
  const Dims& output_dims() const { return layers_.back()->out_dims(); }
  // Classes = output features; throws if the output is not flat.
  int num_classes() const;
  size_t num_layers() const { return layers_.size(); }
  const Layer<T>& layer(size_t i) const { return *layers_[i]; }
  // Some layer's training statistics span the whole batch (batch norm).
  bool couples_batch() const;

  // Trainable tensors (views into params()), then buffers (into buffers()).
  const std::vector<ParamInfo>& param_info() const { return params_info_; }
  const std::vector<ParamInfo>& buffer_info() const { return buffers_info_; }
  // Throws Error naming the tensor if absent (trainable or buffer).
  const ParamInfo& find_param(const std::string& name) const;
  size_t num_params() const { return params_.size(); }
  T* params() { return params_.data(); }
  const T* params() const { return params_.data(); }
  size_t num_buffers() const { return buffers_.size(); }
  T* buffers() { return buffers_.data(); }
  const T* buffers() const { return buffers_.data(); }
  // Offsets of layer i's tensors in the flat blocks.
  size_t param_offset(size_t i) const { return layer_offset_[i]; }
  size_t buffer_offset(size_t i) const { return buffer_offset_[i]; }

  // The input step every forward pass applies first.
  const InputNorm& input_norm() const { return norm_; }
  // Throws UsageError when the feature count is not the input's.
  void set_input_norm(InputNorm n);

  void init(uint64_t seed, Init scheme = Init::torch);

  // x: (n, input_dims), raw (the input step is applied inside). Returns the
  // logits (n, num_classes) inside ws. The plain reference kernels, one op
  // per layer: ws.ops[i].out_ptr is layer i's output. Evaluation mode.
  const T* forward(const T* x, int n, Workspace<T>& ws) const;

  // Forward, the loss (softmax cross-entropy unless given), backward, in
  // training mode (batch statistics update the buffers). *Adds*
  // dL/d(params) into grads (num_params values) where L is the mean loss
  // over batch_total samples (these n may be one thread's share). If dinput
  // is given it is assigned dL/dx (x raw). Returns the summed loss over
  // these n samples.
  double loss_and_grad(const T* x, const int* labels, int n, int batch_total, Workspace<T>& ws,
                       T* grads, T* dinput = nullptr, const RunInfo& run = {},
                       const LossDef& loss = cross_entropy_loss());

 private:
  void add_tensors(size_t i, const std::string& where);

  Dims input_;
  std::vector<std::unique_ptr<Layer<T>>> layers_;
  std::vector<ParamInfo> params_info_, buffers_info_;
  std::vector<size_t> layer_offset_, buffer_offset_;
  Buffer<T> params_, buffers_;
  InputNorm norm_;
  std::unique_ptr<Plan<T>> plan_;  // the reference plan behind forward/loss_and_grad
};

}  // namespace handgrad
