#pragma once
// A small, portable random generator (xoshiro256**, seeded through
// splitmix64). The standard library's distributions differ between
// implementations; these do not, so a seed means the same weights and the same
// batch order on every compiler.
#include <cstdint>
#include <vector>

namespace handgrad {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);
  uint64_t next_u64();
  // Uniform in [0, 1) with 24 random bits (every float in that grid).
  float uniform01();
  // Uniform in [lo, hi).
  double uniform(double lo, double hi);
  // Standard normal (Box-Muller, one value per call).
  double normal();
  // Uniform integer in [0, n), unbiased (Lemire's method).
  uint64_t below(uint64_t n);
  // Fisher-Yates shuffle of 0..n-1.
  std::vector<int> permutation(int n);

  // The full state, for checkpoints that must resume bit-identically.
  std::vector<uint64_t> state() const { return {s_[0], s_[1], s_[2], s_[3]}; }
  void set_state(const std::vector<uint64_t>& s);

 private:
  uint64_t s_[4];
};

}  // namespace handgrad
