#pragma once
// Per-feature standardisation (x - mean) / std, fitted on the training set
// and stored in a model's metadata under "standardize" so that eval, predict
// and boundary apply exactly what training saw.
#include <map>
#include <string>
#include <vector>

#include "handgrad/data/dataset.h"

namespace handgrad {

struct Standardizer {
  std::vector<float> mean, std;  // (features); std of a constant feature is 1
  bool empty() const { return mean.empty(); }
  // x: (n, features), in place.
  void apply(float* x, size_t n) const;
  // {"mean":[...],"std":[...]}
  std::string to_json() const;
  static Standardizer from_json(const std::string& s, const std::string& where);
};

Standardizer fit_standardizer(const Dataset& d);
// Empty when the metadata has no "standardize" key.
Standardizer standardizer_from_metadata(const std::map<std::string, std::string>& meta,
                                        const std::string& where);

}  // namespace handgrad
