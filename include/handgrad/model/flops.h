#pragma once
// The arithmetic cost of a network (code: src/model/flops.cpp), for the benchmark's GFLOP/s and the
// step runner's choice of how many threads a batch is worth.
#include <utility>

#include "handgrad/model/network.h"

namespace handgrad {

// Multiply-adds of one training sample, counted as 2 flops each (bias and
// activation work not counted): {forward, backward}. A layer with no
// parameterised layer before it computes no input gradient.
std::pair<double, double> flops_per_sample(const Network<float>& net);

}  // namespace handgrad
