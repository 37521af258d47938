#pragma once
// The safetensors format: 8-byte little-endian header length N, N bytes of
// JSON header {"name": {"dtype": "F32", "shape": [...], "data_offsets":
// [begin, end]}, ..., "__metadata__": {string: string}}, then the data.
// Tensor names follow PyTorch's nn.Sequential state_dict, so
// `model.load_state_dict(load_file(path))` works.
#include <map>
#include <string>
#include <vector>

#include "handgrad/model/network.h"

namespace handgrad {

struct NamedTensor {
  std::string name;
  Dims shape;
  std::vector<float> data;
};

struct SafeTensors {
  std::map<std::string, std::string> metadata;
  std::vector<NamedTensor> tensors;
  // nullptr if absent.
  const NamedTensor* find(const std::string& name) const;
};

// Serialises (F32 only). Written atomically.
void write_safetensors(const std::string& path, const SafeTensors& st);
// Validates header length, JSON, dtypes (F32 only), shapes, offsets (inside
// the data, not overlapping, matching shape*4). Throws Error naming the path.
SafeTensors read_safetensors(const std::string& path);
SafeTensors parse_safetensors(const std::string& bytes, const std::string& path_for_errors);

// A model file: parameters plus metadata keys "arch", "input" (e.g.
// "1x28x28"), "classes", "handgrad_version", and whatever `extra` adds
// (training settings, standardisation...).
void save_model(const std::string& path, const Network<float>& net,
                const std::map<std::string, std::string>& extra = {});

struct LoadedModel {
  Network<float> net;
  std::map<std::string, std::string> metadata;
};
// Builds the network from the metadata and loads every tensor; throws Error
// naming the path and the tensor for missing tensors or wrong shapes.
LoadedModel load_model(const std::string& path);

// Copies parameters from st into net (for --init). Every parameter of net
// must be present with the right shape; extra tensors are an error too.
void load_params(const SafeTensors& st, Network<float>& net, const std::string& path_for_errors);

}  // namespace handgrad
