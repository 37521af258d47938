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

// Counter-based randomness for training-mode layers (dropout masks): every
// value is a pure function of its key and index, so it does not depend on
// how a batch is cut into thread slices or in which order they run.
// reference/hg_modules.py ports these exactly (PyTorch parity).
//   key of a step:          step_key(run seed, optimizer step)
//   key of a layer:         layer_key(step key, layer index)
//   key of a sample:        sample_key(layer key, index in the whole batch)
//   32 bits of an element:  element_bits(sample key, index in the sample)
// mix64 is splitmix64's output function (with its increment), mix32 the
// "lowbias32" integer hash (C. Wellons); both are bijections.
inline uint64_t mix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
inline uint64_t step_key(uint64_t run_seed, uint64_t step) {
  return mix64(mix64(run_seed) ^ step);
}
inline uint64_t layer_key(uint64_t step, uint64_t layer) {
  return mix64(step ^ (0x632be59bd9b4e019ULL * (layer + 1)));
}
inline uint64_t sample_key(uint64_t layer, uint64_t sample) {
  return mix64(layer + sample);
}
inline uint32_t element_bits(uint64_t sample, uint32_t e) {
  return mix32(mix32(e ^ static_cast<uint32_t>(sample)) + static_cast<uint32_t>(sample >> 32));
}

}  // namespace handgrad
