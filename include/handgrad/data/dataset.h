#pragma once
// A labelled dataset held in memory as float32, converted once at load time.
#include <string>
#include <vector>

#include "handgrad/core/tensor.h"

namespace handgrad {

struct Dataset {
  std::string name;      // "mnist/train", "moons", a CSV path...
  Dims sample_dims;      // {1, 28, 28} or {2}
  int num_classes = 0;   // labels are in [0, num_classes)
  std::vector<float> x;  // (size(), sample_dims), row-major
  std::vector<int> y;    // (size())
  // The file the samples (their labels) were read from, and for a text file
  // (CSV) each sample's line in it, so an error about a sample can point
  // there (a split shuffles them). IDX files keep their order: no lines.
  // Both empty for generated data.
  std::string source;
  std::vector<int> line;  // (size()) or empty

  int size() const { return static_cast<int>(y.size()); }
  size_t sample_size() const { return numel(sample_dims); }
  const float* sample(int i) const { return x.data() + static_cast<size_t>(i) * sample_size(); }
};

// "" or a warning when every sample has the same label: accuracy is then
// 1.0 whatever the network does.
std::string single_class_warning(const Dataset& d);

// A hash of the samples' values, labels and shape (XXH64, 16 hex digits):
// the same data loaded from anywhere hashes the same. --resume compares it.
std::string content_hash(const Dataset& d);

// Copies the samples idx[0..n) into contiguous batch buffers.
// xb: (n, sample_dims), yb: (n).
void gather_batch(const Dataset& d, const int* idx, int n, float* xb, int* yb);

}  // namespace handgrad
