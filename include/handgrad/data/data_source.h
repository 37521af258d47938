#pragma once
// Turns the --data / --data-dir / --test-data flags into a train and a test
// set: "mnist" and "fashion-mnist" (IDX files, see idx.h), the 2-D
// generators "moons", "circles", "spirals", "xor", "blobs" (split
// deterministically by test_fraction), or a CSV file "x1,...,xF,label".
#include <cstdint>
#include <string>

#include "handgrad/data/dataset.h"

namespace handgrad {

struct DataArgs {
  std::string data = "mnist";  // a dataset name or a .csv path
  std::string data_dir;        // --data-dir (IDX datasets)
  std::string test_data;       // --test-data FILE.csv (otherwise the split)
  int n = 1000;                // generators: number of points
  double noise = -1;           // generators: < 0 means the generator's default
  uint64_t seed = 0;           // generators and the split
  double test_fraction = 0.2;  // generators and a CSV without --test-data
};

struct TrainTest {
  Dataset train, test;
};

// Throws Error/UsageError naming the flag or file on any problem.
TrainTest load_data(const DataArgs& args);

}  // namespace handgrad
