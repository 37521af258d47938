// The optimizer table: each kind's name, torch equivalent, the settings it
// reads and torch's defaults; validation of the settings; the factory.
#include "handgrad/optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "handgrad/core/error.h"
#include "handgrad/optim/adam.h"
#include "handgrad/optim/rmsprop.h"
#include "handgrad/optim/sgd.h"

namespace handgrad {

template <class T>
Optimizer<T>::Optimizer(const OptimizerOptions& o) : o_(o) {
  validate(o);
}

namespace {

OptimizerOptions with(std::string name, double lr, double momentum, double weight_decay) {
  OptimizerOptions o;
  o.optimizer = std::move(name);
  o.lr = lr;
  o.momentum = momentum;
  o.weight_decay = weight_decay;
  return o;
}

bool reads(const OptimizerDef& d, const std::string& setting) {
  return std::find(d.settings.begin(), d.settings.end(), setting) != d.settings.end();
}

void check_range(const char* field, double v, double lo, double hi, bool hi_open,
                 const std::string& range) {
  const bool ok = std::isfinite(v) && v >= lo && (hi_open ? v < hi : v <= hi);
  if (!ok) throw FieldError(field, "must be in " + range + ", got " + std::to_string(v));
}

}  // namespace

// Function-local statics: usable from any static initialiser.
const std::vector<const OptimizerDef*>& optimizer_table() {
  static const OptimizerDef kSgd{
      "sgd",
      "stochastic gradient descent with momentum (dampening 0), optionally Nesterov",
      "torch.optim.SGD",
      "sgd",
      {"momentum", "weight_decay", "nesterov"},
      with("sgd", 0.01, 0.9, 0.0),
      [](size_t n, const OptimizerOptions& o, const KernelTable* k)
          -> std::unique_ptr<Optimizer<float>> { return std::make_unique<Sgd<float>>(n, o, k); },
      [](size_t n, const OptimizerOptions& o) -> std::unique_ptr<Optimizer<double>> {
        return std::make_unique<Sgd<double>>(n, o, nullptr);
      }};

  static const OptimizerDef kAdam{
      "adam",
      "Adam; weight decay as an L2 term added to the gradient",
      "torch.optim.Adam",
      "adam",
      {"beta1", "beta2", "eps", "weight_decay"},
      with("adam", 1e-3, 0.0, 0.0),
      [](size_t n, const OptimizerOptions& o,
         const KernelTable* k) -> std::unique_ptr<Optimizer<float>> {
        return std::make_unique<Adam<float>>(n, o, false, k);
      },
      [](size_t n, const OptimizerOptions& o) -> std::unique_ptr<Optimizer<double>> {
        return std::make_unique<Adam<double>>(n, o, false, nullptr);
      }};

  static const OptimizerDef kAdamW{
      "adamw",
      "Adam with decoupled weight decay (p *= 1 - lr * weight_decay), default 0.01",
      "torch.optim.AdamW",
      "adamw",
      {"beta1", "beta2", "eps", "weight_decay"},
      with("adamw", 1e-3, 0.0, 0.01),
      [](size_t n, const OptimizerOptions& o,
         const KernelTable* k) -> std::unique_ptr<Optimizer<float>> {
        return std::make_unique<Adam<float>>(n, o, true, k);
      },
      [](size_t n, const OptimizerOptions& o) -> std::unique_ptr<Optimizer<double>> {
        return std::make_unique<Adam<double>>(n, o, true, nullptr);
      }};

  static const OptimizerDef kRmsProp{
      "rmsprop",
      "RMSprop (not centered); momentum 0 by default",
      "torch.optim.RMSprop",
      "rmsprop",
      {"alpha", "eps", "momentum", "weight_decay"},
      with("rmsprop", 1e-2, 0.0, 0.0),
      [](size_t n, const OptimizerOptions& o,
         const KernelTable* k) -> std::unique_ptr<Optimizer<float>> {
        return std::make_unique<RmsProp<float>>(n, o, k);
      },
      [](size_t n, const OptimizerOptions& o) -> std::unique_ptr<Optimizer<double>> {
        return std::make_unique<RmsProp<double>>(n, o, nullptr);
      }};
  static const std::vector<const OptimizerDef*> t{&kSgd, &kAdam, &kAdamW, &kRmsProp};
  return t;
}

std::string optimizer_names(const std::string& last_join) {
  std::string s;
  const auto& t = optimizer_table();
  for (size_t i = 0; i < t.size(); ++i) {
    s += (i == 0 ? "" : i + 1 == t.size() ? " " + last_join + " " : ", ") + t[i]->name;
  }
  return s;
}

const OptimizerDef& find_optimizer(const std::string& name) {
  for (const OptimizerDef* d : optimizer_table()) {
    if (d->name == name) return *d;
  }
  throw FieldError("optimizer", "'" + name + "' is not " + optimizer_names());
}

OptimizerOptions optimizer_defaults(const std::string& name) {
  return find_optimizer(name).defaults;
}

void validate(const OptimizerOptions& o) {
  const OptimizerDef& d = find_optimizer(o.optimizer);
  if (!(o.lr > 0) || !std::isfinite(o.lr)) {
    throw FieldError("lr", "must be a positive number, got " + std::to_string(o.lr));
  }
  check_range("weight_decay", o.weight_decay, 0, INFINITY, true, "[0, inf)");
  if (reads(d, "momentum")) check_range("momentum", o.momentum, 0, 1, true, "[0, 1)");
  if (reads(d, "beta1")) check_range("beta1", o.beta1, 0, 1, true, "[0, 1)");
  if (reads(d, "beta2")) check_range("beta2", o.beta2, 0, 1, true, "[0, 1)");
  if (reads(d, "eps")) check_range("eps", o.eps, 0, INFINITY, true, "[0, inf)");
  if (reads(d, "alpha")) check_range("alpha", o.alpha, 0, 1, false, "[0, 1]");
  if (o.nesterov && !reads(d, "nesterov")) {
    throw FieldError("nesterov", "is for sgd, not " + o.optimizer);
  }
  if (o.nesterov && o.momentum == 0) {
    throw FieldError("nesterov", "needs a momentum > 0 (as torch.optim.SGD)");
  }
}

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(size_t n, const OptimizerOptions& o,
                                             const KernelTable* k) {
  const OptimizerDef& d = find_optimizer(o.optimizer);
  if constexpr (std::is_same_v<T, float>) {
    return d.make_float(n, o, k);
  } else {
    return d.make_double(n, o);
  }
}

template std::unique_ptr<Optimizer<float>> make_optimizer(size_t, const OptimizerOptions&,
                                                          const KernelTable*);
template std::unique_ptr<Optimizer<double>> make_optimizer(size_t, const OptimizerOptions&,
                                                           const KernelTable*);
template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace handgrad
