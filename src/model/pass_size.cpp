#include "handgrad/model/pass_size.h"

#include <algorithm>

namespace handgrad {

template <class T>
int samples_per_pass(const Network<T>& net, int most, size_t budget) {
  // The input and every layer's output, per sample.
  size_t values = numel(net.input_dims());
  for (size_t i = 0; i < net.num_layers(); ++i) values += numel(net.layer(i).out_dims());
  const size_t fit = budget / std::max<size_t>(1, values * sizeof(T));
  return static_cast<int>(std::clamp<size_t>(fit, 1, static_cast<size_t>(std::max(1, most))));
}

template int samples_per_pass(const Network<float>&, int, size_t);
template int samples_per_pass(const Network<double>&, int, size_t);

}  // namespace handgrad
