#include <cmath>
#include <type_traits>

#include "handgrad/core/error.h"
#include "kernels/kernels.h"
#include "handgrad/optim/sgd.h"

namespace handgrad {

void validate(const SgdOptions& o) {
  if (!(o.lr > 0) || !std::isfinite(o.lr)) {
    throw UsageError("--lr: must be a positive number, got " + std::to_string(o.lr));
  }
  if (!(o.momentum >= 0 && o.momentum < 1)) {
    throw UsageError("--momentum: must be in [0, 1), got " + std::to_string(o.momentum));
  }
  if (!(o.weight_decay >= 0) || !std::isfinite(o.weight_decay)) {
    throw UsageError("--weight-decay: must be >= 0, got " + std::to_string(o.weight_decay));
  }
  if (o.nesterov && o.momentum == 0) {
    throw UsageError("--nesterov: needs a momentum > 0 (as torch.optim.SGD)");
  }
}

template <class T>
Sgd<T>::Sgd(size_t num_params, const SgdOptions& o) : o_(o), v_(num_params) {
  validate(o);
}

template <class T>
void Sgd<T>::step(T* params, const T* grads) {
  if constexpr (std::is_same_v<T, float>) {
    // The vectorised kernel does the same operations in the same order.
    if (const KernelTable* k = fast_kernels()) {
      k->sgd(params, grads, v_.data(), v_.size(), static_cast<float>(o_.lr),
             static_cast<float>(o_.momentum), static_cast<float>(o_.weight_decay), o_.nesterov);
      return;
    }
  }
  const T lr = static_cast<T>(o_.lr), mu = static_cast<T>(o_.momentum);
  const T wd = static_cast<T>(o_.weight_decay);
  T* v = v_.data();
  const size_t n = v_.size();
  for (size_t i = 0; i < n; ++i) {
    T g = grads[i];
    if (wd != T(0)) g += wd * params[i];
    if (mu != T(0)) {
      v[i] = mu * v[i] + g;
      g = o_.nesterov ? g + mu * v[i] : v[i];
    }
    params[i] -= lr * g;
  }
}

template class Sgd<float>;
template class Sgd<double>;

}  // namespace handgrad
