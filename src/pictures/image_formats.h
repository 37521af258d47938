#pragma once
// The image decoders behind read_gray_image (image.h), one file each.
#include <cstdint>
#include <string>

#include "handgrad/pictures/image.h"

namespace handgrad::image_detail {

// Throws Error naming path unless 1 <= w, h <= 16384 and w * h <= 2^26.
void check_size(uint64_t w, uint64_t h, const std::string& path);
// 0.299 R + 0.587 G + 0.114 B, and exactly r when r == g == b.
float luminance(float r, float g, float b);

// `bytes` is the whole file, already known to start with the PNG signature.
GrayImage read_png(const std::string& bytes, const std::string& path);
// `bytes` starts with "P2", "P3", "P5" or "P6".
GrayImage read_pnm(const std::string& bytes, const std::string& path);

}  // namespace handgrad::image_detail
