#pragma once
// Helpers for the training tests: a small synthetic IDX dataset written to a
// temporary folder, so the tests need no MNIST.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "handgrad/core/rng.h"
#include "handgrad/core/safetensors.h"
#include "support/test_util.h"

namespace handgrad::test {

namespace fs = std::filesystem;

inline void put_be32(std::ofstream& f, uint32_t v) {
  const unsigned char b[4] = {static_cast<unsigned char>(v >> 24),
                              static_cast<unsigned char>(v >> 16),
                              static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
  f.write(reinterpret_cast<const char*>(b), 4);
}

// Writes images (magic 2051) and labels (magic 2049). Class c is a bright
// horizontal bar at rows 2c+4..2c+5 over uniform noise: learnable in a few
// steps, yet not trivially identical samples.
inline void write_idx_pair(const std::string& images, const std::string& labels, int n,
                           uint64_t seed, int classes = 10) {
  handgrad::Rng rng(seed);
  std::ofstream fi(images, std::ios::binary), fl(labels, std::ios::binary);
  put_be32(fi, 2051);
  put_be32(fi, static_cast<uint32_t>(n));
  put_be32(fi, 28);
  put_be32(fi, 28);
  put_be32(fl, 2049);
  put_be32(fl, static_cast<uint32_t>(n));
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng.below(static_cast<uint64_t>(classes)));
    for (int r = 0; r < 28; ++r) {
      for (int col = 0; col < 28; ++col) {
        int v = static_cast<int>(rng.below(90));
        if (r == 2 * c + 4 || r == 2 * c + 5) v = 160 + static_cast<int>(rng.below(96));
        fi.put(static_cast<char>(v));
      }
    }
    fl.put(static_cast<char>(c));
  }
}

// A folder with the four standard MNIST file names, raw (not gzipped).
inline std::string synthetic_mnist(const std::string& name, int n_train = 600, int n_test = 200) {
  const std::string d = temp_dir(name);
  write_idx_pair(d + "/train-images-idx3-ubyte", d + "/train-labels-idx1-ubyte", n_train, 1);
  write_idx_pair(d + "/t10k-images-idx3-ubyte", d + "/t10k-labels-idx1-ubyte", n_test, 2);
  return d;
}

// Every tensor of DIR_A/model.safetensors and DIR_B/model.safetensors, bit
// for bit: "" when equal, else the first tensor that differs.
inline std::string model_difference(const std::string& a, const std::string& b) {
  const SafeTensors x = read_safetensors(a + "/model.safetensors");
  const SafeTensors y = read_safetensors(b + "/model.safetensors");
  if (x.tensors.size() != y.tensors.size()) return "tensor counts differ";
  for (const auto& t : x.tensors) {
    const NamedTensor* u = y.find(t.name);
    if (!u || u->data.size() != t.data.size()) return t.name + ": missing or resized";
    if (std::memcmp(t.data.data(), u->data.data(), sizeof(float) * t.data.size()) != 0) {
      return t.name + ": values differ";
    }
  }
  return "";
}

}  // namespace handgrad::test
