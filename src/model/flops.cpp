// A network's arithmetic, summed from its layers' own counts.
#include "handgrad/model/flops.h"

namespace handgrad {

std::pair<double, double> flops_per_sample(const Network<float>& net) {
  double fwd = 0, bwd = 0;
  bool params_before = false;
  for (size_t i = 0; i < net.num_layers(); ++i) {
    const Layer<float>& l = net.layer(i);
    const double f = l.flops();
    // Backward: the weight gradient costs a forward's worth, the input
    // gradient another, but only where a parameterised layer comes before.
    fwd += f;
    bwd += params_before ? 2 * f : f;
    params_before = params_before || !l.tensors().empty();
  }
  return {fwd, bwd};
}

}  // namespace handgrad
