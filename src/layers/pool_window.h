#pragma once
// The output shape of a k x k pooling window moved with stride s over a
// CxHxW input without padding (floor mode), shared by maxpool and avgpool.
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/core/tensor.h"

namespace handgrad {

// in: (C, H, W) -> (C, (H - k) / s + 1, (W - k) / s + 1); a window larger
// than its input or a non-image input is a UsageError naming it.
inline Dims pooled_shape(const Dims& in, int k, int s) {
  if (in.size() != 3) throw UsageError("needs an image input CxHxW, got " + dims_str(in));
  if (k > in[1] || k > in[2]) {
    throw UsageError("window " + std::to_string(k) + "x" + std::to_string(k) +
                     " is larger than its input " + dims_str(in));
  }
  return {in[0], (in[1] - k) / s + 1, (in[2] - k) / s + 1};
}

}  // namespace handgrad
