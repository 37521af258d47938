// The MNIST lab's per-layer forward and backward pass (lab_probe.h).
#include <gtest/gtest.h>

#include <numeric>

#include "handgrad/core/rng.h"
#include "handgrad/data/standardize.h"
#include "handgrad/model/network.h"
#include "lab_probe.h"


namespace handgrad {
namespace {

// The probe's backward pass, layer by layer, gives the network's own
// gradient of -log softmax(logits)[target] (Network::loss_and_grad), with
// the network's input step included (dL/dx is for the raw input).
TEST(LabRuns, ProbeGradientsAreTheNetworksOwn) {
  Network<float> net("conv(3,5) relu maxpool(2) flatten linear(16) relu linear(10)", {1, 28, 28});
  net.init(7);
  net.set_input_norm(mnist_normalization(784));
  Rng rng(3);
  std::vector<float> x(784);
  for (float& v : x) v = rng.uniform01();
  for (int target : {2, 7}) {
    const lab::Probe p = lab::run_probe(net, x, target);
    Workspace<float> ws;
    std::vector<float> g(net.num_params(), 0.0f), dx(784);
    net.loss_and_grad(x.data(), &target, 1, 1, ws, g.data(), dx.data());
    for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(p.grads[i], g[i], 1e-6) << "param " << i;
    for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(p.dinput[i], dx[i], 1e-6) << "input " << i;
    EXPECT_EQ(p.target, target);
    EXPECT_NEAR(std::accumulate(p.probs.begin(), p.probs.end(), 0.0), 1.0, 1e-5);
  }
}

}  // namespace
}  // namespace handgrad
