#pragma once
// The fuzz_csv harness (see harness_arch.h for why it is a header). The
// first byte picks the options the CLI may pass (bit 0: exactly 2 features,
// bit 1: 2 classes), so the column- and label-count checks are exercised.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "handgrad/data/csv.h"
#include "handgrad/core/error.h"

namespace handgrad::fuzz {

inline void run_csv(const uint8_t* data, size_t size) {
  if (size == 0) return;
  CsvOptions opt;
  if (data[0] & 1) opt.num_features = 2;
  if (data[0] & 2) opt.num_classes = 2;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const Dataset d = parse_csv(text, "fuzz.csv", opt);
    // What the trainer relies on: consistent sizes and labels in range.
    if (d.x.size() != static_cast<size_t>(d.size()) * d.sample_size()) std::abort();
    for (int y : d.y) {
      if (y < 0 || y >= d.num_classes) std::abort();
    }
  } catch (const Error&) {
  }
}

}  // namespace handgrad::fuzz
