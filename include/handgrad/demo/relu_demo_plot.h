#pragma once
// The picture for `handgrad relu-demo --out FILE.png`.
#include <string>

#include "handgrad/demo/relu_demo.h"

namespace handgrad {

// Top: the seed's X5(x) and the two-unit tent h(x) with the 0.5 threshold;
// bottom: the trained network's p(class 1 | x). Points in class colours.
// Written atomically; throws Error naming the path.
void write_relu_demo_plot(const std::string& path, const TrainedDemo& t);

}  // namespace handgrad
