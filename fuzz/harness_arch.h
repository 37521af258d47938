#pragma once
// The fuzz_arch harness, shared by the libFuzzer target and the regression
// test that replays every input it ever crashed on (tests/fuzz/fuzz_arch/).
// Input "SHAPE|ARCH" (SHAPE as for --input, e.g. "1x28x28"; without '|' the
// whole input is ARCH on 1x28x28). Small networks also run one forward and
// backward pass, on the reference layers and on the fast plan, so a shape
// that construction accepts but a kernel indexes wrongly shows up under ASan.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "handgrad/core/error.h"
#include "handgrad/layers/arch.h"
#include "handgrad/model/network.h"
#include "handgrad/train/step_runner.h"

namespace handgrad::fuzz {

inline void run_arch(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const size_t bar = text.find('|');
  const std::string shape = bar == std::string::npos ? "1x28x28" : text.substr(0, bar);
  const std::string arch = bar == std::string::npos ? text : text.substr(bar + 1);
  try {
    (void)parse_arch(arch);
    const Dims input = parse_dims(shape, "--input");
    Network<float> net(arch, input);
    const int k = net.num_classes();
    // Keep one pass cheap: a fuzzer wants thousands of inputs per second.
    size_t biggest = numel(input);
    for (size_t i = 0; i < net.num_layers(); ++i) {
      biggest = std::max(biggest, numel(net.layer(i).out_dims()));
    }
    if (net.num_params() > (1u << 16) || biggest > (1u << 14)) return;
    net.init(1);
    std::vector<float> x(numel(input), 0.5f);
    std::vector<float> grads(net.num_params(), 0.0f);
    std::vector<float> dx(x.size());
    int label = k - 1;
    Workspace<float> ws;
    net.loss_and_grad(x.data(), &label, 1, 1, ws, grads.data(), dx.data());
    // The fast plan too: its lowerings and fusions see the same shapes.
    StepRunner fast(net, 1);
    fast.loss_and_grad(x.data(), &label, 1);
  } catch (const Error&) {
    // A clear refusal is the expected outcome for bad input.
  }
}

}  // namespace handgrad::fuzz
