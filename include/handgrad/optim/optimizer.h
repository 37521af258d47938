#pragma once
// The optimizers: one interface and one table of kinds (sgd, adam, adamw,
// rmsprop) with torch.optim's semantics and defaults. Each update rule is
// written once (src/kernels/update_rules.h) and runs through the kernel
// table the optimizer is handed (float32, vectorised; the same code) or as
// the plain loop (double, the reference path). Derivations:
// docs/math.md#optimizers. Code: src/optim/optimizer.cpp and one file per kind.
//
//   auto opt = make_optimizer<float>(net.num_params(), optimizer_defaults("adam"),
//                                    runner.kernels());
//   opt->step(net.params(), runner.grads(), lr);  // lr: a schedule's rate
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "handgrad/core/tensor.h"
#include "handgrad/kernels/path.h"

namespace handgrad {

// Every optimizer's settings in one struct (the CLI's flags; field names =
// flag names). The defaults are sgd's: the seed's lr 0.01 and momentum 0.9.
// Start another kind from optimizer_defaults(name), which holds torch's.
struct OptimizerOptions {
  std::string optimizer = "sgd";  // sgd | adam | adamw | rmsprop
  double lr = 0.01;
  double momentum = 0.9;      // sgd (seed 0.9), rmsprop (torch: 0)
  double weight_decay = 0.0;  // L2 added to the gradient; adamw: decoupled (torch: 0.01)
  bool nesterov = false;      // sgd
  double beta1 = 0.9;         // adam, adamw
  double beta2 = 0.999;       // adam, adamw
  double eps = 1e-8;          // adam, adamw, rmsprop
  double alpha = 0.99;        // rmsprop
};
// The name from before there were other optimizers.
using SgdOptions = OptimizerOptions;

template <class T>
class Optimizer {
 public:
  // One state tensor, laid out as the parameters (n values), named as
  // torch.optim's state_dict names it: "momentum_buffer", "exp_avg", ...
  struct State {
    std::string name;
    Buffer<T>* values;
  };

  virtual ~Optimizer() = default;
  // One update of the n parameters with learning rate lr (a schedule's rate).
  void step(T* params, const T* grads, double lr) {
    begin_step();
    update(params, grads, lr, 0, size());
  }
  // One update with the options' lr.
  void step(T* params, const T* grads) { step(params, grads, o_.lr); }
  // The same update in parts, for threads that each update a range of the
  // parameters (StepRunner::step_optimizer): begin_step() once, then
  // update() over ranges that cover [0, size()) once each. Every rule is
  // elementwise, so the parts give the bits of step().
  void begin_step() { ++steps_; }
  virtual void update(T* params, const T* grads, double lr, size_t begin, size_t end) = 0;
  // The number of parameters it updates.
  virtual size_t size() const = 0;

  const OptimizerOptions& options() const { return o_; }
  // The state tensors in use (rmsprop's momentum_buffer only with momentum).
  virtual std::vector<State> state() = 0;
  // Steps taken (torch's per-parameter "step"); part of the saved state
  // when the update reads it (adam's bias corrections) or torch keeps it.
  long steps() const { return steps_; }
  void set_steps(long s) { steps_ = s; }
  virtual bool keeps_step() const { return true; }

 protected:
  explicit Optimizer(const OptimizerOptions& o);
  OptimizerOptions o_;
  long steps_ = 0;
};

struct KernelTable;

struct OptimizerDef {
  std::string name;                   // --optimizer token: "adam"
  std::string summary;                // one line for the help
  std::string torch;                  // "torch.optim.Adam"
  std::string math;                   // docs/math.md anchor
  std::vector<std::string> settings;  // the fields it reads besides lr
  OptimizerOptions defaults;          // torch's (sgd: the seed's momentum 0.9)
  std::unique_ptr<Optimizer<float>> (*make_float)(size_t n, const OptimizerOptions& o,
                                                  const KernelTable* k);
  std::unique_ptr<Optimizer<double>> (*make_double)(size_t n, const OptimizerOptions& o);
};

const std::vector<const OptimizerDef*>& optimizer_table();
// Throws FieldError("optimizer") naming the kinds there are.
const OptimizerDef& find_optimizer(const std::string& name);
// "sgd, adam, adamw or rmsprop".
std::string optimizer_names(const std::string& last_join = "or");
// torch's defaults for that kind (sgd: lr 0.01, momentum 0.9, the seed's).
OptimizerOptions optimizer_defaults(const std::string& name);

// Throws FieldError naming the setting when a value is out of range (lr <=
// 0, momentum outside [0, 1), betas outside [0, 1), eps or weight decay or
// alpha < 0, nesterov without momentum or with another optimizer).
void validate(const OptimizerOptions& o);

// k: the kernels to step with (float32; nullptr: the plain loop). Double
// optimizers always run the plain loop.
template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(size_t n, const OptimizerOptions& o,
                                             const KernelTable* k = fast_kernels());

}  // namespace handgrad
