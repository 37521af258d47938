#pragma once
// --batch-order FILE (code: src/data/batch_order.cpp): one line per
// training step, each line the 0-based indices of that step's samples
// separated by spaces, tabs or commas; a final newline is allowed, an empty
// line in between is not.
#include <string>
#include <vector>

namespace handgrad {

// Throws Error naming the file and the 1-based line for an empty line, a
// token that is not a non-negative integer, or an index >= num_samples.
std::vector<std::vector<int>> read_batch_order(const std::string& path, int num_samples);

}  // namespace handgrad
