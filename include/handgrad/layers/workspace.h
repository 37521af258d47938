#pragma once
// The buffers a network's forward and backward passes use in one thread.
// Code: sized and filled by the plan (src/model/plan.cpp) and its ops.
// Sized on first use and reused: once a batch size has been seen, a
// training step allocates nothing.
#include <cstddef>
#include <vector>

#include "handgrad/core/relaxed.h"
#include "handgrad/core/tensor.h"

namespace handgrad {

// Image planes `plane` floats apart whose rows are `row` floats apart
// (plane == 0: dense). The fast convolution's "wide" planes are handed to
// its neighbours this way instead of being copied.
struct Planes {
  size_t plane = 0;
  int row = 0;
};

// One op of the plan (one layer, or a few fused).
template <class T>
struct OpBuffers {
  Buffer<T> out;         // (n, out_dims), dense unless the plan hands planes on
  Buffer<T> din;         // (n, in_dims) dL/d(input)
  Buffer<T> scratch[4];  // what each op keeps besides (padded copies, wide planes)
  Buffer<int> idx;       // max-pool winners
  Buffer<T> saved;       // the layer's Pass::saved (masks, batch statistics)
  Buffer<T> halves;      // a weight gradient's sums over each half of the batch (conv)
  // Set by the op as it runs (by every member of a team, to the same value).
  Relaxed<const T*> out_ptr = nullptr;  // the output (may alias the input)
  Relaxed<const T*> din_ptr = nullptr;  // dL/d(input): planes din_plane apart (0 = dense)
  Relaxed<size_t> din_plane = 0;
};

template <class T>
struct Workspace {
  std::vector<OpBuffers<T>> ops;
  Buffer<T> input;    // (n, input) after the network's input normalisation
  Buffer<T> dlogits;  // (n, classes) dL/d(logits)
};

}  // namespace handgrad
