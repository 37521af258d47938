#include "handgrad/train/model_proba.h"

#include <algorithm>
#include <memory>

#include "handgrad/layers/loss.h"

namespace handgrad {

ProbaFn network_proba(const Network<float>& net) {
  auto ws = std::make_shared<Workspace<float>>();
  const size_t f = numel(net.input_dims());
  return [&net, ws, f](const float* x, int n, float* probs) {
    const int k = net.num_classes();
    // Chunks keep the workspace small however many grid points are asked for.
    constexpr int kChunk = 4096;
    for (int s = 0; s < n; s += kChunk) {
      const int m = std::min(kChunk, n - s);
      const float* logits = net.forward(x + static_cast<size_t>(s) * f, m, *ws);
      softmax(logits, m, k, probs + static_cast<size_t>(s) * k);
    }
  };
}

}  // namespace handgrad
