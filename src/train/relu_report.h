#pragma once
// Dead ReLU units: units (features of a flat activation, channels of a
// (C, H, W) one) that are never positive on any of the given samples.
#include <vector>

#include "handgrad/data/dataset.h"
#include "handgrad/model/network.h"
#include "handgrad/train/trainer.h"

namespace handgrad {

// Scans the first `limit` samples of d (all if limit <= 0).
std::vector<ReluReport> dead_relu_report(const Network<float>& net, const Dataset& d, int limit);

}  // namespace handgrad
