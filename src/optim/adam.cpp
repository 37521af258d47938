// Adam / AdamW: the scalars of a step in double, as torch computes them in
// Python, then the rule of kernels/update_rules.h through the kernel table
// (vectorised) or directly. Derivation: docs/math.md#adam.
#include "handgrad/optim/adam.h"

#include <cmath>
#include <type_traits>

#include "flush_denormals.h"
#include "kernels/kernels.h"
#include "kernels/update_rules.h"

namespace handgrad {

namespace {

// torch 1.13 _single_tensor_adam(w): bias_correction1 = 1 - beta1 ** step,
// step_size = lr / bias_correction1, bias_correction2_sqrt =
// math.sqrt(1 - beta2 ** step), AdamW's param.mul_(1 - lr * weight_decay);
// folded into lr_t and eps_hat (update_rules.h).
template <class T>
kernels::AdamScalars<T> adam_scalars(const OptimizerOptions& o, bool decoupled, double lr, long t) {
  const double step = static_cast<double>(t);
  const double bc1 = 1 - std::pow(o.beta1, step), bc2 = 1 - std::pow(o.beta2, step);
  kernels::AdamScalars<T> s;
  s.beta1 = static_cast<T>(o.beta1);
  s.one_minus_beta1 = static_cast<T>(1 - o.beta1);
  s.beta2 = static_cast<T>(o.beta2);
  s.one_minus_beta2 = static_cast<T>(1 - o.beta2);
  s.weight_decay = static_cast<T>(decoupled ? 0.0 : o.weight_decay);
  s.decay = static_cast<T>(decoupled ? 1 - lr * o.weight_decay : 1.0);
  s.eps_hat = static_cast<T>(o.eps * std::sqrt(bc2));
  s.neg_step = static_cast<T>(-(lr * std::sqrt(bc2) / bc1));
  return s;
}

}  // namespace

template <class T>
Adam<T>::Adam(size_t num_params, const OptimizerOptions& o, bool decoupled, const KernelTable* k)
    : Optimizer<T>(o), decoupled_(decoupled), m_(num_params), v_(num_params), k_(k) {}

template <class T>
size_t Adam<T>::size() const {
  return m_.size();
}

// Parameters [b, e); the bias corrections read the step count, which
// begin_step() has advanced.
template <class T>
void Adam<T>::update(T* params, const T* grads, double lr, size_t b, size_t e) {
  const auto s = adam_scalars<T>(this->o_, decoupled_, lr, this->steps_);
  T* p = params + b;
  const T* g = grads + b;
  if constexpr (std::is_same_v<T, float>) {
    const FlushDenormals flush;  // both paths, on this thread: flush_denormals.h
    if (k_) return k_->adam(p, g, m_.data() + b, v_.data() + b, e - b, s);
    return kernels::adam_update(p, g, m_.data() + b, v_.data() + b, e - b, s);
  } else {
    kernels::adam_update(p, g, m_.data() + b, v_.data() + b, e - b, s);
  }
}

template <class T>
std::vector<typename Optimizer<T>::State> Adam<T>::state() {
  return {{"exp_avg", &m_}, {"exp_avg_sq", &v_}};
}

template class Adam<float>;
template class Adam<double>;

}  // namespace handgrad
