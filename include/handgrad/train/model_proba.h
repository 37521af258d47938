#pragma once
// Class probabilities of a network on raw inputs, standardising them first
// when the model was trained so: what `boundary` and the trainer's
// boundary.png both draw.

#include "handgrad/pictures/boundary_plot.h"
#include "handgrad/model/network.h"
#include "handgrad/data/standardize.h"

namespace handgrad {

// The per-feature standardisation a model was trained with, read from its
// metadata; both empty when it has none. Throws Error naming the path when
// the stored values are malformed or do not match the input size.
// `net` must outlive the returned function. `stdz` (may be empty) is
// applied to the inputs first, as in training.
ProbaFn network_proba(const Network<float>& net, Standardizer stdz = {});

}  // namespace handgrad
