#include "handgrad/train/model_proba.h"

#include <algorithm>

#include "handgrad/core/error.h"
#include "handgrad/layers/loss.h"

namespace handgrad {

ProbaFn network_proba(const Network<float>& net, Standardizer stdz) {
  const size_t f = numel(net.input_dims());
  if (!stdz.empty() && stdz.mean.size() != f) {
    throw Error("the model's standardisation has " + std::to_string(stdz.mean.size()) +
                " features but the network takes " + std::to_string(f));
  }
  auto ws = std::make_shared<Workspace<float>>();
  return [&net, ws, stdz = std::move(stdz), f](const float* x, int n, float* probs) {
    const int k = net.num_classes();
    // Chunks keep the workspace small however many grid points are asked for.
    constexpr int kChunk = 4096;
    std::vector<float> z;
    for (int s = 0; s < n; s += kChunk) {
      const int m = std::min(kChunk, n - s);
      const float* in = x + static_cast<size_t>(s) * f;
      if (!stdz.empty()) {
        z.assign(in, in + static_cast<size_t>(m) * f);
        stdz.apply(z.data(), static_cast<size_t>(m));
        in = z.data();
      }
      const float* logits = net.forward(in, m, *ws);
      softmax(logits, m, k, probs + static_cast<size_t>(s) * k);
    }
  };
}

}  // namespace handgrad
