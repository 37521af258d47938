#pragma once
// The 2-D generators and CSV files behind --data / --test-data (the part of
// load_data() that is not MNIST): a generator is split by test_fraction; a
// CSV is split the same way unless --test-data names a second CSV.
#include "handgrad/data/data_source.h"

namespace handgrad {

// True for a generator name or a path ending in ".csv".
bool is_points_data(const std::string& data);

// Throws UsageError/Error naming the flag or the file. `num_classes` > 0
// bounds the CSV labels (the network's outputs); 0 means "from the file".
// The test CSV must have the train CSV's feature count.
TrainTest load_points(const DataArgs& args, int num_classes = 0);

}  // namespace handgrad
