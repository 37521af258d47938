// Weight initialisation, shared by conv and linear.
#include <cmath>

#include "handgrad/layers/layer.h"

namespace handgrad {

template <class T>
void init_weight_bias(T* params, size_t w_count, size_t b_count, int fan_in, int fan_out, Rng& rng,
                      Init scheme) {
  T* w = params;
  T* b = params + w_count;
  switch (scheme) {
    case Init::torch: {
      // kaiming_uniform_(a=sqrt(5)) gives bound = sqrt(6/((1+5)*fan_in)) = 1/sqrt(fan_in);
      // the bias uses the same bound.
      const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
      for (size_t i = 0; i < w_count; ++i) w[i] = static_cast<T>(rng.uniform(-bound, bound));
      for (size_t i = 0; i < b_count; ++i) b[i] = static_cast<T>(rng.uniform(-bound, bound));
      return;
    }
    case Init::he: {
      const double std = std::sqrt(2.0 / fan_in);
      for (size_t i = 0; i < w_count; ++i) w[i] = static_cast<T>(std * rng.normal());
      break;
    }
    case Init::xavier: {
      const double bound = std::sqrt(6.0 / (fan_in + fan_out));
      for (size_t i = 0; i < w_count; ++i) w[i] = static_cast<T>(rng.uniform(-bound, bound));
      break;
    }
  }
  for (size_t i = 0; i < b_count; ++i) b[i] = T(0);
}

template void init_weight_bias(float*, size_t, size_t, int, int, Rng&, Init);
template void init_weight_bias(double*, size_t, size_t, int, int, Rng&, Init);

}  // namespace handgrad
