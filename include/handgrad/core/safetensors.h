#pragma once
// The safetensors format: 8-byte little-endian header length N, N bytes of
// JSON header {"name": {"dtype": "F32", "shape": [...], "data_offsets":
// [begin, end]}, ..., "__metadata__": {string: string}}, then the data.
// Tensor names follow PyTorch's nn.Sequential state_dict, so
// `model.load_state_dict(load_file(path))` works. Code:
// src/core/safetensors.cpp. A model (a network in such a file):
// model/model_file.h.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "handgrad/core/tensor.h"

namespace handgrad {

struct NamedTensor {
  std::string name;
  Dims shape;
  std::vector<float> data;  // F32 values
  DType dtype = DType::f32;
  std::vector<int64_t> ints = {};  // I64 values (data stays empty)
  size_t count() const { return dtype == DType::i64 ? ints.size() : data.size(); }
};

struct SafeTensors {
  std::map<std::string, std::string> metadata;
  std::vector<NamedTensor> tensors;
  // nullptr if absent.
  const NamedTensor* find(const std::string& name) const;
};

// Serialises (F32 and I64). Written atomically.
void write_safetensors(const std::string& path, const SafeTensors& st);
// Validates header length, JSON, dtypes (F32 and I64), shapes, offsets
// (inside the data, not overlapping, matching shape * item size). Throws
// Error naming the path.
SafeTensors read_safetensors(const std::string& path);
SafeTensors parse_safetensors(const std::string& bytes, const std::string& path_for_errors);

}  // namespace handgrad
