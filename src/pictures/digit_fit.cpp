// Fit::mnist: a drawing of any size and position becomes an input like
// MNIST's digits (LeCun et al.: each digit's bounding box scaled into 20x20,
// aspect kept, then translated so its centre of mass is at the centre of
// the 28x28 field). Models trained on MNIST expect exactly this framing; a
// digit filling the whole picture, or drawn in a corner, is far off it.
#include <algorithm>
#include <cmath>

#include "handgrad/pictures/image.h"

namespace handgrad {

namespace {
// Ink threshold for the bounding box: antialiasing fringes and paper noise
// stay out of it, so a faint speck far away does not shrink the digit.
constexpr float kInk = 0.2f;
}  // namespace

// src: (H, W), foreground bright. Returns (h, w), or {} when nothing is drawn.
std::vector<float> fit_like_mnist(const std::vector<float>& src, int H, int W, int h, int w) {
  int top = H, bottom = -1, left = W, right = -1;
  for (int y = 0; y < H; ++y) {
    for (int x = 0; x < W; ++x) {
      if (src[static_cast<size_t>(y) * W + x] > kInk) {
        top = std::min(top, y), bottom = std::max(bottom, y);
        left = std::min(left, x), right = std::max(right, x);
      }
    }
  }
  if (bottom < 0) return {};
  const int bh = bottom - top + 1, bw = right - left + 1;
  std::vector<float> crop(static_cast<size_t>(bh) * bw);
  for (int y = 0; y < bh; ++y) {
    std::copy_n(src.begin() + static_cast<long>(top + y) * W + left, bw,
                crop.begin() + static_cast<long>(y) * bw);
  }
  // The longer side becomes 20/28 of the input's shorter side.
  const double box = std::max(1.0, std::round(20.0 * std::min(h, w) / 28.0));
  const double scale = box / std::max(bh, bw);
  const int sh = std::max(1, static_cast<int>(std::lround(bh * scale)));
  const int sw = std::max(1, static_cast<int>(std::lround(bw * scale)));
  const std::vector<float> digit = resize_area(crop, bh, bw, sh, sw);

  // Centre of mass of the scaled digit, in pixel-centre coordinates.
  double mass = 0, my = 0, mx = 0;
  for (int y = 0; y < sh; ++y) {
    for (int x = 0; x < sw; ++x) {
      const double v = digit[static_cast<size_t>(y) * sw + x];
      mass += v, my += v * (y + 0.5), mx += v * (x + 0.5);
    }
  }
  // mass > 0: the box holds a pixel above kInk and area weights are > 0.
  const double cy = mass > 0 ? my / mass : sh / 2.0, cx = mass > 0 ? mx / mass : sw / 2.0;
  const int oy = static_cast<int>(std::lround(h / 2.0 - cy));
  const int ox = static_cast<int>(std::lround(w / 2.0 - cx));

  // Place it; a lopsided digit may shift part of itself off the field.
  std::vector<float> out(static_cast<size_t>(h) * w, 0.0f);
  for (int y = 0; y < sh; ++y) {
    const int ty = y + oy;
    if (ty < 0 || ty >= h) continue;
    for (int x = 0; x < sw; ++x) {
      const int tx = x + ox;
      if (tx < 0 || tx >= w) continue;
      out[static_cast<size_t>(ty) * w + tx] = digit[static_cast<size_t>(y) * sw + x];
    }
  }
  return out;
}

}  // namespace handgrad
