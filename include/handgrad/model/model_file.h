#pragma once
// A model file: a network's tensors in safetensors (core/safetensors.h),
// named as PyTorch's nn.Sequential names them, with metadata that rebuilds
// the network. Code: src/model/model_file.cpp.
//   "arch", "input" (e.g. "1x28x28"), "classes", "handgrad_version",
//   "standardize" (the input step, when the network has one),
//   and whatever the caller adds (training settings, the data's name...).
#include <map>
#include <string>

#include "handgrad/core/safetensors.h"
#include "handgrad/model/network.h"

namespace handgrad {

// Written atomically.
void save_model(const std::string& path, const Network<float>& net,
                const std::map<std::string, std::string>& extra = {});

struct LoadedModel {
  Network<float> net;
  std::map<std::string, std::string> metadata;
};
// Builds the network (input step included) from the metadata and loads
// every tensor; throws Error naming the path and the tensor for missing
// tensors or wrong shapes.
LoadedModel load_model(const std::string& path);

// The input step stored under "standardize" (empty when absent); throws
// Error naming `where` when malformed or not `features` long.
InputNorm input_norm_from_metadata(const std::map<std::string, std::string>& metadata,
                                   size_t features, const std::string& where);

// Copies every tensor of net (parameters and buffers) from st, for --init
// and checkpoints. All must be present with the right shape; extra tensors
// are an error too.
void load_params(const SafeTensors& st, Network<float>& net, const std::string& path_for_errors);

}  // namespace handgrad
