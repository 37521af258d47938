#pragma once
// The fuzz_image harness (see harness_arch.h for why it is a header): PNG
// (through cairo) and PGM/PPM bytes go through read_gray_image and the
// resize predict applies (28x28; the file size's low bit picks --invert,
// its next bit --fit mnist over stretch).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/pictures/image.h"
#include "memfile.h"

namespace handgrad::fuzz {

inline void run_image(const uint8_t* data, size_t size) {
  const MemFile f(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const GrayImage img = read_gray_image(f.path());
    if (img.pixels.size() != size_t(img.width) * img.height) std::abort();
    const Fit fit = size % 4 >= 2 ? Fit::mnist : Fit::stretch;
    const std::vector<float> x = to_model_input(img, 28, 28, size % 2 == 1, fit);
    if (x.size() != 28 * 28) std::abort();
    for (float v : x) {
      if (!(v >= -1e-4f && v <= 1.0001f)) std::abort();
    }
  } catch (const Error&) {
  }
}

}  // namespace handgrad::fuzz
