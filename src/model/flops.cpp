#include "handgrad/model/flops.h"

#include "layers/layers.h"

namespace handgrad {

std::pair<double, double> flops_per_sample(const Network<float>& net) {
  double fwd = 0, bwd = 0;
  bool params_before = false;
  for (size_t i = 0; i < net.num_layers(); ++i) {
    const Layer<float>& l = net.layer(i);
    double f = 0;
    if (dynamic_cast<const Conv2d<float>*>(&l) || dynamic_cast<const Linear<float>*>(&l)) {
      const auto ps = l.param_shapes();
      // weight elements x output positions per channel
      f = 2.0 * static_cast<double>(numel(ps[0].dims)) *
          (static_cast<double>(numel(l.out_dims())) / l.out_dims()[0]);
    }
    fwd += f;
    bwd += params_before ? 2 * f : f;
    params_before = params_before || f > 0;
  }
  return {fwd, bwd};
}

}  // namespace handgrad
