#pragma once
// Class probabilities of a network on raw inputs: what `boundary` and the
// trainer's boundary.png both draw. Code: src/train/model_proba.cpp.
#include "handgrad/model/network.h"
#include "handgrad/pictures/boundary_plot.h"

namespace handgrad {

// `net` must outlive the returned function.
ProbaFn network_proba(const Network<float>& net);

}  // namespace handgrad
