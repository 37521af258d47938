// SGD: the update rule is kernels/update_rules.h, run through the kernel
// table the optimizer is handed (the same code, vectorised) or directly.
#include "handgrad/optim/sgd.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "handgrad/core/error.h"
#include "kernels/kernels.h"
#include "kernels/update_rules.h"

namespace handgrad {

void validate(const SgdOptions& o) {
  if (!(o.lr > 0) || !std::isfinite(o.lr)) {
    throw FieldError("lr", "must be a positive number, got " + std::to_string(o.lr));
  }
  if (!(o.momentum >= 0 && o.momentum < 1)) {
    throw FieldError("momentum", "must be in [0, 1), got " + std::to_string(o.momentum));
  }
  if (!(o.weight_decay >= 0) || !std::isfinite(o.weight_decay)) {
    throw FieldError("weight_decay", "must be >= 0, got " + std::to_string(o.weight_decay));
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
