#pragma once
// How many samples one forward pass should take at once. Evaluation, the
// eval command's --logits and the boundary grid pass fixed chunks (500,
// 4096 samples); a network near the activation cap (network.cpp: 2^24
// values, 64 MiB of float per sample) would then need 500 x 64 MiB. The
// chunk is cut so that every layer's output for the chunk fits in `budget`.
#include <cstddef>

#include "handgrad/model/network.h"

namespace handgrad {

inline constexpr size_t kPassBudgetBytes = size_t(256) << 20;

// min(most, budget / (bytes of all activations of one sample)), at least 1.
template <class T>
int samples_per_pass(const Network<T>& net, int most, size_t budget = kPassBudgetBytes);

}  // namespace handgrad
