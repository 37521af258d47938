#pragma once
// The layer contract and the layer table. Code: src/layers/ (one file per
// layer, src/layers/table.cpp for the table).
//
// A layer kind is defined once, in src/layers/<name>.cpp: its token and
// argument grammar (a LayerDef), its shapes, tensors, flops, the plain
// reference forward and backward (a Layer<T>, T = float to train, double to
// gradient-check), its PyTorch equivalent and, optionally, its lowering to
// the fast float32 kernels. Everything else that needs to know the layers
// (the architecture parser, flops, gradcheck, safetensors names, the fast
// planner, `handgrad layers`, the PyTorch mirror) asks the table.
//
// Execution contract (as dlib's layers_abstract.h, in words):
//   forward(p, in, out):  in (n, in_dims) -> out (n, out_dims), assigned.
//   backward(p, in, out, dout, din, dparams): after the matching forward;
//     *assigns* dL/d(in) to din (skipped when din == nullptr) and *adds*
//     dL/d(params) to dparams (the caller zeroes once per step).
// A layer owns no parameters and no activations: the network hands it views
// into its flat blocks (llm.c style), so several threads can run one layer on
// different parts of a batch.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "handgrad/core/rng.h"
#include "handgrad/core/tensor.h"
#include "handgrad/layers/onnx_node.h"

namespace handgrad {

struct KernelTable;  // the fast kernels (internal)
template <class T>
class Op;  // one step of an execution plan (internal)

// Weight initialisation schemes.
//   torch:  PyTorch's default for Conv2d/Linear: W, b ~ U(±1/sqrt(fan_in)).
//   he:     W ~ N(0, 2/fan_in) (Kaiming normal, ReLU gain), b = 0.
//   xavier: W ~ U(±sqrt(6/(fan_in+fan_out))), b = 0.
enum class Init { torch, he, xavier };
Init parse_init(const std::string& s);  // throws FieldError("init", ...)
const char* init_name(Init i);

// Training uses batch statistics and random masks; evaluation does not.
enum class Mode { train, eval };

// A tensor a layer owns, in PyTorch's layout, named as in its state_dict.
struct TensorDef {
  std::string name;          // "weight", "bias", "running_mean"
  Dims dims;                 // conv weight (O, C, K, K), linear weight (O, I), bias (O)
  bool trainable = true;     // false: a buffer, saved but not trained (running statistics)
  DType dtype = DType::f32;  // in a model file; i64: a count (num_batches_tracked)
};

// What one forward or backward call of a layer sees besides its data.
class Team;

template <class T>
struct Pass {
  const T* params = nullptr;   // this layer's trainable tensors, back to back in tensors() order
  T* buffers = nullptr;        // its buffers (trainable == false), in tensors() order
  Buffer<T>* saved = nullptr;  // scratch kept from forward to backward (a mask, statistics)
  Mode mode = Mode::train;
  // This layer's key for the step (layer_key(step key, layer index), see
  // core/rng.h): train-mode randomness is a function of it and of the
  // sample's index in the whole batch, first_sample + b.
  uint64_t seed = 0;
  long first_sample = 0;  // index in the whole batch of the first of these n samples
  int n = 0;              // samples in this call
  // A team pass (src/core/team.h): every member runs this op on the same
  // Pass, each computing its share; nullptr: this thread alone. Only fast
  // ops that say so (Op::team_forward/backward) are run by a team.
  const Team* team = nullptr;
};

// One argument of a layer token, e.g. conv's stride.
struct ArgDef {
  std::string name = {};                      // "stride"
  bool integer = true;                        // else any real number
  std::optional<double> dflt = std::nullopt;  // absent: required
  double min = 1, max = 1 << 26;              // the range, inclusive unless said otherwise
  bool min_exclusive = false, max_exclusive = false;
  int same_as = -1;  // >= 0: the default is that argument's value (maxpool's stride = k)
  std::string help = {};
};

template <class T>
class Layer;

// A layer kind: the only place its name and grammar are written.
struct LayerDef {
  std::string name = {};      // the token: "conv"
  std::string category = {};  // conv, pooling, activation, dense, shape, normalization, ...
  std::string summary = {};   // one line for `handgrad layers`
  std::vector<ArgDef> args = {};
  std::string torch = {};  // its torch.nn equivalent, in words: "nn.Conv2d(C, out, k, ...)"
  std::string math = {};   // where docs/math.md derives it: "docs/math.md#conv"
  std::unique_ptr<Layer<float>> (*make_float)(const std::vector<double>& args) = nullptr;
  std::unique_ptr<Layer<double>> (*make_double)(const std::vector<double>& args) = nullptr;
};

// Every layer kind, sorted by name.
const std::vector<const LayerDef*>& layer_table();
// nullptr when unknown.
const LayerDef* find_layer(const std::string& name);
// "conv(out_channels, kernel[, stride[, padding]])"
std::string layer_grammar(const LayerDef& d);
// The table as a JSON array, one object per layer kind: name, grammar,
// category, summary, args (name, default or default_same_as, required,
// range, integer, help), torch, math. `handgrad layers --json` prints it and
// the lab serves it (src/layers/table_json.cpp).
std::string layer_table_json();
// A real argument as a Python literal that reads back as the same double
// ("0.01" -> "0.01000000000000000021"), for torch() expressions.
std::string python_float(double v);

template <class T>
class Layer {
 public:
  Layer(const LayerDef& def, std::vector<double> args) : def_(&def), args_(std::move(args)) {}
  virtual ~Layer() = default;

  const LayerDef& def() const { return *def_; }
  // The arguments, defaults filled in.
  const std::vector<double>& args() const { return args_; }
  // The layer as written in a canonical architecture string: "conv(4,5)";
  // trailing arguments equal to their defaults are left out.
  std::string spec() const;

  // Validates the per-sample input shape, remembers it, returns the output
  // shape. Throws UsageError with a message naming the problem.
  Dims configure(const Dims& in);
  const Dims& in_dims() const { return in_; }
  const Dims& out_dims() const { return out_; }

  virtual std::vector<TensorDef> tensors() const { return {}; }
  // Fills the trainable tensors (back to back, tensors() order) and buffers.
  virtual void init(T* /*params*/, T* /*buffers*/, Rng& /*rng*/, Init /*scheme*/) const {}
  // Multiply-adds of one sample's forward pass, as 2 flops each.
  virtual double flops() const { return 0; }
  // The statistics of a train-mode forward pass span the whole batch (batch
  // norm): the batch cannot be cut into independent slices.
  virtual bool couples_batch() const { return false; }
  // Its units can die: output exactly zero for every input (ReLU). The
  // trainer's dead-unit report scans these layers' outputs.
  virtual bool can_die() const { return false; }

  virtual void forward(const Pass<T>& p, const T* in, T* out) const = 0;
  virtual void backward(const Pass<T>& p, const T* in, const T* out, const T* dout, T* din,
                        T* dparams) const = 0;

  // The same layer in PyTorch, as a Python expression over `nn`, e.g.
  // "nn.Conv2d(1, 4, 5, stride=1, padding=0)" (reference/arch.py builds it).
  virtual std::string torch() const = 0;

  // The ONNX nodes computing ctx.output from ctx.input in evaluation mode;
  // empty: the layer has no ONNX form (export refuses it by name).
  virtual std::vector<OnnxNode> onnx(const OnnxCtx& /*ctx*/) const { return {}; }

  // The fast float32 lowering, or nullptr to run forward/backward above.
  virtual std::unique_ptr<Op<T>> lower(const KernelTable& k) const;

 protected:
  // Output shape for input `in`; throws UsageError naming the problem.
  virtual Dims shape(const Dims& in) const = 0;
  int iarg(size_t i) const { return static_cast<int>(args_[i]); }

 private:
  const LayerDef* def_;
  std::vector<double> args_;
  Dims in_, out_;
};

// Creates a layer from its token name and arguments, e.g. ("conv", {4, 5}):
// fills defaults, checks count, integers and ranges. Throws UsageError
// naming the layer for an unknown name or a bad argument.
template <class T>
std::unique_ptr<Layer<T>> make_layer(const std::string& name, const std::vector<double>& args);

// Fills weight (w_count values) and bias (b_count values, right after the
// weight) for a layer with the given fans, following `scheme`.
template <class T>
void init_weight_bias(T* params, size_t w_count, size_t b_count, int fan_in, int fan_out, Rng& rng,
                      Init scheme);

}  // namespace handgrad

// Registers a layer kind: HANDGRAD_LAYER(conv, Conv, {...LayerDef fields but the makers...})
// in src/layers/conv.cpp. CMake collects these lines into the table.
#define HANDGRAD_LAYER(token, Class, ...)                                                    \
  namespace handgrad::layer_defs {                                                           \
  const LayerDef& token() {                                                                  \
    static const LayerDef d = [] {                                                           \
      LayerDef def __VA_ARGS__;                                                              \
      def.make_float = [](const std::vector<double>& a) -> std::unique_ptr<Layer<float>> {   \
        return std::make_unique<Class<float>>(token(), a);                                   \
      };                                                                                     \
      def.make_double = [](const std::vector<double>& a) -> std::unique_ptr<Layer<double>> { \
        return std::make_unique<Class<double>>(token(), a);                                  \
      };                                                                                     \
      return def;                                                                            \
    }();                                                                                     \
    return d;                                                                                \
  }                                                                                          \
  }
