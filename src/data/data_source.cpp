// --data NAME -> train and test sets. The IDX datasets live here; the 2-D
// generators and CSV files are added beside them (see data_source.h).
#include "handgrad/data/data_source.h"

#include "handgrad/core/error.h"
#include "handgrad/data/idx.h"
#include "handgrad/data/points_source.h"

namespace handgrad {

namespace {

bool is_idx_dataset(const std::string& name) { return name == "mnist" || name == "fashion-mnist"; }

TrainTest load_idx_dataset(const DataArgs& a) {
  if (!a.test_data.empty()) {
    throw FieldError("test_data", "only for CSV data; " + a.data + " has its own test split");
  }
  const std::string dir = find_dataset_dir(a.data, a.data_dir);
  TrainTest tt{load_mnist_split(dir, "train"), load_mnist_split(dir, "test")};
  tt.train.name = a.data + "/train";
  tt.test.name = a.data + "/test";
  if (tt.train.sample_dims != tt.test.sample_dims) {
    throw Error(dir + ": train images are " + dims_str(tt.train.sample_dims) +
                " but test images are " + dims_str(tt.test.sample_dims));
  }
  return tt;
}

}  // namespace

TrainTest load_data(const DataArgs& args) {
  if (args.data.empty()) throw FieldError("data", "give a dataset name or a .csv file");
  if (is_idx_dataset(args.data)) return load_idx_dataset(args);
  if (!args.data_dir.empty()) {
    throw FieldError("data_dir", "only for mnist and fashion-mnist, not '" + args.data + "'");
  }
  if (is_points_data(args.data)) return load_points(args);
  throw FieldError("data", "unknown dataset '" + args.data +
                   "' (known: mnist, fashion-mnist, moons, circles, spirals, xor, blobs, or a "
                   "FILE.csv with rows x1,...,xF,label)");
}

}  // namespace handgrad
