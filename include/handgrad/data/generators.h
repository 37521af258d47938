#pragma once
// Synthetic two-dimensional classification datasets, generated from a seed
// with handgrad::Rng so the same flags give the same points on every machine.
//   moons:   two interleaved half circles (as sklearn's make_moons), noise 0.2
//   circles: a unit circle around a smaller one of radius `factor`, noise 0.1
//   spirals: two arms of an Archimedean spiral, 1.5 turns each, noise 0.05
//   xor:     uniform points in [-1, 1]^2, class 1 where x*y < 0, noise 0.1
//   blobs:   `classes` Gaussian clusters on a circle of radius 2, std 0.6
// Points are shuffled, so a split by position is a random split.
#include <cstdint>
#include <string>
#include <vector>

#include "handgrad/data/data_source.h"
#include "handgrad/data/dataset.h"

namespace handgrad {

struct GenOptions {
  int n = 1000;       // total points, split as evenly as possible between classes
  double noise = -1;  // Gaussian std added to each coordinate; < 0: the default
  uint64_t seed = 0;
  double factor = 0.5;  // circles: inner radius / outer radius, in (0, 1)
  int classes = 2;      // blobs only; every other generator has 2
};

// The generator names, in the order help texts list them.
const std::vector<std::string>& generator_names();
bool is_generator(const std::string& name);
// The noise used when GenOptions::noise < 0. Throws UsageError for an unknown name.
double default_noise(const std::string& name);

// Dataset with sample_dims {2}. Throws UsageError naming the flag for an
// unknown name, n outside [2, 10'000'000] or below the class count, a
// non-finite noise, factor outside (0, 1), classes outside [2, 100].
Dataset generate(const std::string& name, const GenOptions& o);

// Deterministic split: a permutation drawn from `seed` puts round(n *
// test_fraction) samples (at least 1) in the test set and the rest in train.
// Throws UsageError for test_fraction outside (0, 1) or fewer than 2 samples.
TrainTest split_train_test(const Dataset& d, double test_fraction, uint64_t seed);

}  // namespace handgrad
