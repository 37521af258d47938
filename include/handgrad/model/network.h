#pragma once
// A sequential network built at run time from an architecture string, with
// all parameters in one flat block named as PyTorch's nn.Sequential names
// them in its state_dict ("<layer index>.weight", the index counting every
// layer, activations included).
#include <memory>
#include <string>
#include <vector>

#include "handgrad/layers/layer.h"

namespace handgrad {

struct ParamInfo {
  std::string name;  // "0.weight"
  Dims dims;         // (O, C, K, K), (O, I) or (O)
  size_t offset;     // into the flat parameter block
  size_t size;
  int layer;
};

// Activations of one forward/backward pass. Sized on first use and reused:
// a training step allocates nothing once the batch size has been seen.
template <class T>
struct Workspace {
  std::vector<Buffer<T>> acts;  // acts[i]: output of layer i, (n, out_dims(i))
  Buffer<T> grad_a, grad_b;     // ping-pong buffers for dL/d(activation)
  Buffer<T> dlogits;            // (n, classes)
};

template <class T>
class Network {
 public:
  // Builds and shape-checks. Throws UsageError naming the layer, its index
  // and the shapes when something does not fit.
  Network(const std::string& arch, const Dims& input);

  // Canonical architecture string (layer specs joined by spaces).
  std::string arch() const;
  const Dims& input_dims() const { return input_; }
  const Dims& output_dims() const { return layers_.back()->out_dims(); }
  // Classes = output features; throws if the output is not flat.
  int num_classes() const;
  size_t num_layers() const { return layers_.size(); }
  const Layer<T>& layer(size_t i) const { return *layers_[i]; }
  const std::vector<ParamInfo>& param_info() const { return params_info_; }
  // Throws Error naming the tensor if absent.
  const ParamInfo& find_param(const std::string& name) const;
  size_t num_params() const { return params_.size(); }
  T* params() { return params_.data(); }
  const T* params() const { return params_.data(); }
  // Offset of layer i's parameters in the flat block.
  size_t param_offset(size_t i) const { return layer_offset_[i]; }

  void init(uint64_t seed, Init scheme = Init::torch);

  // x: (n, input_dims). Returns the logits (n, num_classes) inside ws.
  const T* forward(const T* x, int n, Workspace<T>& ws) const;

  // Forward, softmax cross-entropy, backward. *Adds* dL/d(params) into
  // grads (num_params values) where L is the mean loss over batch_total
  // samples (these n may be one thread's share). If dinput is given it is
  // assigned dL/dx. Returns the summed loss over these n samples.
  double loss_and_grad(const T* x, const int* labels, int n, int batch_total, Workspace<T>& ws,
                       T* grads, T* dinput = nullptr) const;

  // Backward from a given dL/d(logits) (n, num_classes), after forward().
  void backward(const T* x, const T* dlogits, int n, Workspace<T>& ws, T* grads,
                T* dinput = nullptr) const;

 private:
  Dims input_;
  std::vector<std::unique_ptr<Layer<T>>> layers_;
  std::vector<ParamInfo> params_info_;
  std::vector<size_t> layer_offset_;
  Buffer<T> params_;
};

}  // namespace handgrad
