#pragma once
// Reading user images for `handgrad predict`.
#include <string>
#include <vector>

namespace handgrad {

struct GrayImage {
  int width = 0, height = 0;
  std::vector<float> pixels;  // (height, width), in [0, 1], 1 = white
};

// PNG (any colour type cairo reads) or PGM (P2/P5). Throws Error naming the
// file for unreadable, truncated or oversized images.
GrayImage read_gray_image(const std::string& path);

// Resizes to (h, w) with area averaging; optionally inverts (black-on-white
// drawings become white-on-black, like MNIST).
std::vector<float> to_model_input(const GrayImage& img, int h, int w, bool invert);

}  // namespace handgrad
