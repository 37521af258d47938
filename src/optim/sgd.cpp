// SGD: the update rule is kernels/update_rules.h, run through the kernel
// table the optimizer is handed (the same code, vectorised) or directly.
#include "handgrad/optim/sgd.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <type_traits>

#include "handgrad/core/error.h"
#include "kernels/kernels.h"
#include "kernels/update_rules.h"

namespace handgrad {

namespace {
// The step runs in float (update_rules.h): a setting finite as a double can
// be infinite there (--lr 1e39 made every parameter NaN in one step) or
// round to zero (1e-50), and a momentum below 1 can round to 1.
float as_float(double v) {
  return static_cast<float>(v);
}
std::string shown(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

void validate(const SgdOptions& o) {
  if (!(o.lr > 0) || !std::isfinite(o.lr)) {
    throw FieldError("lr", "must be a positive number, got " + shown(o.lr));
  }
  if (!std::isfinite(as_float(o.lr)) || !(as_float(o.lr) > 0)) {
    throw FieldError("lr", shown(o.lr) +
                               " is not a positive finite float32 (the optimizer steps in "
                               "float: 1.2e-38 .. 3.4e38)");
  }
  if (!(o.momentum >= 0 && o.momentum < 1) || !(as_float(o.momentum) < 1)) {
    throw FieldError("momentum", "must be in [0, 1) as a float32, got " + shown(o.momentum));
  }
  if (!(o.weight_decay >= 0) || !std::isfinite(as_float(o.weight_decay))) {
    throw FieldError("weight_decay",
                     "must be >= 0 and a finite float32, got " + shown(o.weight_decay));
  }
  if (o.nesterov && o.momentum == 0) {
    throw FieldError("nesterov", "needs a momentum > 0 (as torch.optim.SGD)");
  }
}

template <class T>
Sgd<T>::Sgd(size_t num_params, const SgdOptions& o, const KernelTable* k)
    : o_(o), v_(num_params), k_(k) {
  validate(o);
}

template <class T>
void Sgd<T>::step(T* params, const T* grads) {
  const T lr = static_cast<T>(o_.lr), mu = static_cast<T>(o_.momentum);
  const T wd = static_cast<T>(o_.weight_decay);
  if constexpr (std::is_same_v<T, float>) {
    if (k_) return k_->sgd(params, grads, v_.data(), v_.size(), lr, mu, wd, o_.nesterov);
  }
  kernels::sgd_update(params, grads, v_.data(), v_.size(), lr, mu, wd, o_.nesterov);
}

template class Sgd<float>;
template class Sgd<double>;

}  // namespace handgrad
