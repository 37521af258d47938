#pragma once
// The safetensors format: 8-byte little-endian header length N, N bytes of
// JSON header {"name": {"dtype": "F32", "shape": [...], "data_offsets":
// [begin, end]}, ..., "__metadata__": {string: string}}, then the data.
// Tensor names follow PyTorch's nn.Sequential state_dict, so
// `model.load_state_dict(load_file(path))` works. Code:
// src/core/safetensors.cpp. A model (a network in such a file):
// model/model_file.h.
#include <map>
#include <string>
#include <vector>

#include "handgrad/core/tensor.h"

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

}  // namespace handgrad
