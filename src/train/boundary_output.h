#pragma once
// boundary.png in a run folder whose network takes 2-D points.
#include <string>

#include "handgrad/data/data_source.h"
#include "handgrad/model/network.h"

namespace handgrad {

// data: the train and test sets, raw (the network normalises its own
// input). Does nothing unless the network takes input {2}.
void write_run_boundary(const std::string& dir, const Network<float>& net, const TrainTest& data,
                        const std::string& title);

}  // namespace handgrad
