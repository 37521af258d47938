#include "handgrad/data/points_source.h"

#include <algorithm>

#include "handgrad/data/csv.h"
#include "handgrad/core/error.h"
#include "handgrad/data/generators.h"

namespace handgrad {

bool is_points_data(const std::string& data) {
  return is_generator(data) || (data.size() > 4 && data.ends_with(".csv"));
}

TrainTest load_points(const DataArgs& a, int num_classes) {
  if (!is_points_data(a.data)) {
    throw FieldError("data", "'" + a.data + "' is not a generator (" +
                                 "moons, circles, spirals, xor, blobs) or a .csv file");
  }
  Dataset all;
  if (is_generator(a.data)) {
    if (!a.test_data.empty()) {
      throw FieldError("test_data",
                       "only with --data FILE.csv (generators split by --test-fraction)");
    }
    GenOptions g;
    g.n = a.n;
    g.noise = a.noise;
    g.seed = a.seed;
    if (num_classes > 0 && a.data == "blobs") g.classes = num_classes;
    all = generate(a.data, g);
  } else {
    CsvOptions o;
    o.num_classes = num_classes;
    all = read_csv(a.data, o);
  }
  if (num_classes > 0 && all.num_classes > num_classes) {
    throw FieldError("data", a.data + " has " + std::to_string(all.num_classes) +
                                 " classes but the network has " + std::to_string(num_classes) +
                                 " outputs");
  }
  if (a.test_data.empty()) return split_train_test(all, a.test_fraction, a.seed);

  CsvOptions o;
  o.num_classes = num_classes;
  o.num_features = static_cast<int>(all.sample_size());
  TrainTest tt{std::move(all), read_csv(a.test_data, o)};
  // Both sets share one class count: the larger of the two files' (or the network's).
  const int k = std::max(tt.train.num_classes, tt.test.num_classes);
  tt.train.num_classes = tt.test.num_classes = k;
  return tt;
}

}  // namespace handgrad
