#pragma once
// The layer contract. A layer is a pair of pure functions over raw buffers
// (llm.c style) plus the shape bookkeeping that lets networks be built from a
// string at run time. A layer owns no parameters and no activations: the
// network passes it pointers into its one flat parameter block, so saving,
// zeroing and the optimizer step are one loop each, and several threads can
// run the same layer on different parts of a batch.
//
// Contract (precise words, as in dlib's layers_abstract.h):
//   forward(params, in, out, n):
//     in:  (n, in_dims)   out: (n, out_dims), assigned.
//   backward(params, in, out, dout, din, dparams, n):
//     uses the in/out of the matching forward call;
//     *assigns* dL/d(in) to din (skipped when din == nullptr),
//     *adds* dL/d(params) to dparams (the caller zeroes once per step).
#include <memory>
#include <string>
#include <vector>

#include "handgrad/core/rng.h"
#include "handgrad/core/tensor.h"

namespace handgrad {

// Weight initialisation schemes.
//   torch:  PyTorch's default for Conv2d/Linear: W, b ~ U(±1/sqrt(fan_in)).
//   he:     W ~ N(0, 2/fan_in) (Kaiming normal, ReLU gain), b = 0.
//   xavier: W ~ U(±sqrt(6/(fan_in+fan_out))), b = 0.
enum class Init { torch, he, xavier };
Init parse_init(const std::string& s);  // throws UsageError
const char* init_name(Init i);

struct ParamShape {
  std::string name;  // "weight" or "bias"
  Dims dims;         // PyTorch layout: conv (out, in, k, k), linear (out, in)
};

template <class T>
class Layer {
 public:
  virtual ~Layer() = default;
  // The layer as written in an architecture string, e.g. "conv(4,5)".
  virtual std::string spec() const = 0;
  // Validates the per-sample input shape, remembers it, returns the output
  // shape. Throws UsageError with a message naming the problem.
  virtual Dims configure(const Dims& in) = 0;
  virtual std::vector<ParamShape> param_shapes() const { return {}; }
  // Fills this layer's parameters (laid out as param_shapes(), back to back).
  virtual void init(T* /*params*/, Rng& /*rng*/, Init /*scheme*/) const {}
  virtual void forward(const T* params, const T* in, T* out, int n) const = 0;
  virtual void backward(const T* params, const T* in, const T* out, const T* dout, T* din,
                        T* dparams, int n) const = 0;

  const Dims& in_dims() const { return in_; }
  const Dims& out_dims() const { return out_; }

 protected:
  Dims in_, out_;
};

// Creates a layer from its name and integer arguments, e.g. ("conv", {4, 5}).
// Throws UsageError for an unknown name or bad arguments.
template <class T>
std::unique_ptr<Layer<T>> make_layer(const std::string& name, const std::vector<int>& args);

}  // namespace handgrad
