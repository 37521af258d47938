#pragma once
// Class probabilities of a loaded model on raw inputs, applying the
// standardisation stored in its metadata (if any) first: what `boundary`
// and the trainer's boundary.png both draw.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "handgrad/boundary_plot.h"
#include "handgrad/network.h"
#include "handgrad/safetensors.h"

namespace handgrad {

// The per-feature standardisation a model was trained with, read from its
// metadata; both empty when it has none. Throws Error naming the path when
// the stored values are malformed or do not match the input size.
// Metadata keys: comma-separated per-feature values.
inline constexpr const char* kMetaStandardizeMean = "standardize_mean";
inline constexpr const char* kMetaStandardizeStd = "standardize_std";
struct InputScaling {
  std::vector<float> mean, std;
};
InputScaling input_scaling_from_metadata(const std::map<std::string, std::string>& meta,
                                         size_t features, const std::string& path);

// `net` must outlive the returned function. mean/std: per-feature (empty:
// no standardisation), applied as (x - mean) / std.
ProbaFn network_proba(const Network<float>& net, std::vector<float> mean = {},
                      std::vector<float> std = {});

}  // namespace handgrad
