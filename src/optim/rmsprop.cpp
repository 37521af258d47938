// RMSprop: the rule of kernels/update_rules.h through the kernel table
// (vectorised) or directly. Derivation: docs/math.md#rmsprop.
#include "handgrad/optim/rmsprop.h"

#include <type_traits>

#include "flush_denormals.h"
#include "kernels/kernels.h"
#include "kernels/update_rules.h"

namespace handgrad {

template <class T>
RmsProp<T>::RmsProp(size_t num_params, const OptimizerOptions& o, const KernelTable* k)
    : Optimizer<T>(o), sq_(num_params), buf_(o.momentum > 0 ? num_params : 0), k_(k) {}

template <class T>
size_t RmsProp<T>::size() const {
  return sq_.size();
}

// Parameters [b, e).
template <class T>
void RmsProp<T>::update(T* params, const T* grads, double lr, size_t b, size_t e) {
  const OptimizerOptions& o = this->o_;
  kernels::RmspropScalars<T> s;
  s.alpha = static_cast<T>(o.alpha);
  s.one_minus_alpha = static_cast<T>(1 - o.alpha);
  s.eps = static_cast<T>(o.eps);
  s.weight_decay = static_cast<T>(o.weight_decay);
  s.momentum = static_cast<T>(o.momentum);
  s.neg_lr = static_cast<T>(-lr);
  T* buf = buf_.size() > 0 ? buf_.data() + b : nullptr;
  T* p = params + b;
  const T* g = grads + b;
  if constexpr (std::is_same_v<T, float>) {
    const FlushDenormals flush;  // both paths, on this thread: flush_denormals.h
    if (k_) return k_->rmsprop(p, g, sq_.data() + b, buf, e - b, s);
    return kernels::rmsprop_update(p, g, sq_.data() + b, buf, e - b, s);
  } else {
    kernels::rmsprop_update(p, g, sq_.data() + b, buf, e - b, s);
  }
}

template <class T>
std::vector<typename Optimizer<T>::State> RmsProp<T>::state() {
  std::vector<typename Optimizer<T>::State> s{{"square_avg", &sq_}};
  if (buf_.size() > 0) s.push_back({"momentum_buffer", &buf_});
  return s;
}

template class RmsProp<float>;
template class RmsProp<double>;

}  // namespace handgrad
