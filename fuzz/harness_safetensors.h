#pragma once
// The fuzz_safetensors harness (see harness_arch.h for why it is a header):
// the bytes go through parse_safetensors and then load_model, which also
// builds the network its metadata names and loads every tensor, as eval and
// predict do. A small model that loads also runs one forward pass.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "handgrad/core/error.h"
#include "handgrad/model/model_file.h"
#include "memfile.h"

namespace handgrad::fuzz {

inline void run_safetensors(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    (void)parse_safetensors(bytes, "fuzz.safetensors");
  } catch (const Error&) {
  }
  const MemFile f(bytes);
  try {
    LoadedModel m = load_model(f.path());
    if (m.net.num_params() > (1u << 16) || numel(m.net.input_dims()) > (1u << 14)) return;
    std::vector<float> x(numel(m.net.input_dims()), 0.25f);
    Workspace<float> ws;
    (void)m.net.forward(x.data(), 1, ws);
  } catch (const Error&) {
  }
}

}  // namespace handgrad::fuzz
