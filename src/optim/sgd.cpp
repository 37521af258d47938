// SGD: the update rule is kernels/update_rules.h, run through the kernel
// table the optimizer is handed (the same code, vectorised) or directly.
// Derivation: docs/math.md#sgd.
#include "handgrad/optim/sgd.h"

#include <type_traits>

#include "kernels/kernels.h"
#include "kernels/update_rules.h"

namespace handgrad {

template <class T>
Sgd<T>::Sgd(size_t num_params, const OptimizerOptions& o, const KernelTable* k)
    : Optimizer<T>(o), v_(num_params), k_(k) {}

template <class T>
size_t Sgd<T>::size() const {
  return v_.size();
}

// Parameters [b, e).
template <class T>
void Sgd<T>::update(T* params, const T* grads, double lr, size_t b, size_t e) {
  const OptimizerOptions& o = this->o_;
  const T a = static_cast<T>(lr), mu = static_cast<T>(o.momentum);
  const T wd = static_cast<T>(o.weight_decay);
  T* p = params + b;
  const T* g = grads + b;
  T* v = v_.data() + b;
  if constexpr (std::is_same_v<T, float>) {
    if (k_) return k_->sgd(p, g, v, e - b, a, mu, wd, o.nesterov);
  }
  kernels::sgd_update(p, g, v, e - b, a, mu, wd, o.nesterov);
}

template <class T>
std::vector<typename Optimizer<T>::State> Sgd<T>::state() {
  return {{"momentum_buffer", &v_}};
}

template class Sgd<float>;
template class Sgd<double>;

}  // namespace handgrad
