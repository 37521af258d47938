// User images for `handgrad predict`: format detection, and the resize to
// the model's input. Decoders: image_png.cpp, image_pnm.cpp.
#include "handgrad/pictures/image.h"

#include <algorithm>
#include <cmath>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "pictures/image_formats.h"

namespace handgrad {
namespace image_detail {

constexpr uint64_t kMaxSide = 16384;
constexpr uint64_t kMaxPixels = uint64_t(1) << 26;

void check_size(uint64_t w, uint64_t h, const std::string& path) {
  if (w == 0 || h == 0 || w > kMaxSide || h > kMaxSide || w * h > kMaxPixels) {
    throw Error(path + ": image size " + std::to_string(w) + "x" + std::to_string(h) +
                " is outside the supported 1..16384 pixels a side (at most 2^26 pixels)");
  }
}

// Gray stays exactly gray (the weights' float sum is not exactly 1).
float luminance(float r, float g, float b) {
  return r == g && g == b ? r : 0.299f * r + 0.587f * g + 0.114f * b;
}

}  // namespace image_detail

namespace {

constexpr size_t kMaxFileBytes = size_t(1) << 28;

// Weights of source cells [0, n_in) covering each output cell of an area
// resize from n_in to n_out: out[o] = sum w * in[first + k].
struct Span {
  int first;
  std::vector<float> w;
};
std::vector<Span> area_weights(int n_in, int n_out) {
  std::vector<Span> spans(static_cast<size_t>(n_out));
  const double scale = static_cast<double>(n_in) / n_out;
  for (int o = 0; o < n_out; ++o) {
    const double lo = o * scale, hi = (o + 1) * scale;
    Span& s = spans[static_cast<size_t>(o)];
    s.first = static_cast<int>(std::floor(lo));
    const int last = std::min(n_in - 1, static_cast<int>(std::ceil(hi)) - 1);
    for (int i = s.first; i <= last; ++i) {
      const double overlap = std::min(hi, i + 1.0) - std::max(lo, static_cast<double>(i));
      s.w.push_back(static_cast<float>(std::max(0.0, overlap) / scale));
    }
  }
  return spans;
}

}  // namespace

GrayImage read_gray_image(const std::string& path) {
  const std::string b = read_file(path, kMaxFileBytes);
  if (b.empty()) throw Error(path + ": empty file, not an image");
  if (b.size() >= 8 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0)
    return image_detail::read_png(b, path);
  if (b.size() >= 2 && b[0] == 'P' && (b[1] == '2' || b[1] == '5' || b[1] == '3' || b[1] == '6')) {
    return image_detail::read_pnm(b, path);
  }
  throw Error(path + ": not a PNG, PGM (P2/P5) or PPM (P3/P6) image");
}

std::vector<float> composite(const GrayImage& img, bool invert) {
  // Composite over the background: premultiplied gray + (1 - alpha) * bg.
  const float bg = invert ? 1.0f : 0.0f;
  const size_t n = img.pixels.size();
  std::vector<float> src(n);
  for (size_t i = 0; i < n; ++i) {
    const float a = img.alpha.empty() ? 1.0f : img.alpha[i];
    const float v = img.pixels[i] + (1.0f - a) * bg;
    src[i] = invert ? 1.0f - v : v;
  }
  return src;
}

// src: (H, W) -> (h, w), each output the mean of the source area it covers.
std::vector<float> resize_area(const std::vector<float>& src, int H, int W, int h, int w) {
  // Separable: columns first, (H, W) -> (H, w), then rows.
  const auto wx = area_weights(W, w), wy = area_weights(H, h);
  std::vector<float> mid(static_cast<size_t>(H) * w);
  for (int y = 0; y < H; ++y) {
    const float* row = src.data() + static_cast<size_t>(y) * W;
    for (int x = 0; x < w; ++x) {
      const Span& s = wx[static_cast<size_t>(x)];
      float acc = 0;
      for (size_t k = 0; k < s.w.size(); ++k) acc += s.w[k] * row[s.first + static_cast<int>(k)];
      mid[static_cast<size_t>(y) * w + x] = acc;
    }
  }
  std::vector<float> out(static_cast<size_t>(h) * w);
  for (int y = 0; y < h; ++y) {
    const Span& s = wy[static_cast<size_t>(y)];
    for (int x = 0; x < w; ++x) {
      float acc = 0;
      for (size_t k = 0; k < s.w.size(); ++k) {
        acc += s.w[k] * mid[static_cast<size_t>(s.first + static_cast<int>(k)) * w + x];
      }
      out[static_cast<size_t>(y) * w + x] = std::clamp(acc, 0.0f, 1.0f);
    }
  }
  return out;
}

std::vector<float> to_model_input(const GrayImage& img, int h, int w, bool invert, Fit fit) {
  if (h < 1 || w < 1 || img.width < 1 || img.height < 1) {
    throw UsageError("cannot resize a " + std::to_string(img.width) + "x" +
                     std::to_string(img.height) + " image to " + std::to_string(w) + "x" +
                     std::to_string(h));
  }
  const std::vector<float> src = composite(img, invert);
  if (fit == Fit::mnist) {
    std::vector<float> out = fit_like_mnist(src, img.height, img.width, h, w);
    if (!out.empty()) return out;  // empty: nothing drawn, stretch the blank page
  }
  return resize_area(src, img.height, img.width, h, w);
}

}  // namespace handgrad
