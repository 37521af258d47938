// User images for `handgrad predict`: PNG through cairo, PGM/PPM parsed
// here, both checked against size limits before any pixel buffer exists.
#include "handgrad/image.h"

#include <cairo.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "handgrad/error.h"
#include "handgrad/io.h"

namespace handgrad {
namespace {

constexpr uint64_t kMaxSide = 16384;
constexpr uint64_t kMaxPixels = uint64_t(1) << 26;
constexpr size_t kMaxFileBytes = size_t(1) << 28;

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

// ---- PNG ----

struct PngStream {
  const std::string* bytes;
  size_t pos;
};

cairo_status_t read_png_bytes(void* closure, unsigned char* data, unsigned int length) {
  auto* s = static_cast<PngStream*>(closure);
  if (s->bytes->size() - s->pos < length) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(data, s->bytes->data() + s->pos, length);
  s->pos += length;
  return CAIRO_STATUS_SUCCESS;
}

uint32_t be32(const std::string& b, size_t at) {
  return uint32_t(uint8_t(b[at])) << 24 | uint32_t(uint8_t(b[at + 1])) << 16 |
         uint32_t(uint8_t(b[at + 2])) << 8 | uint32_t(uint8_t(b[at + 3]));
}

GrayImage read_png(const std::string& bytes, const std::string& path) {
  // The IHDR chunk comes first: check the claimed size before cairo
  // allocates a surface for it.
  if (bytes.size() < 33 || bytes.compare(12, 4, "IHDR") != 0) {
    throw Error(path + ": truncated PNG (no IHDR header)");
  }
  check_size(be32(bytes, 16), be32(bytes, 20), path);
  PngStream stream{&bytes, 0};
  cairo_surface_t* src = cairo_image_surface_create_from_png_stream(read_png_bytes, &stream);
  const cairo_status_t status = cairo_surface_status(src);
  if (status != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(src);
    throw Error(path + ": unreadable PNG (" + cairo_status_to_string(status) + ")");
  }
  GrayImage img;
  img.width = cairo_image_surface_get_width(src);
  img.height = cairo_image_surface_get_height(src);
  // Whatever format cairo chose (RGB24, ARGB32, A8...), paint it onto one
  // premultiplied ARGB32 surface and read that.
  cairo_surface_t* argb = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, img.width, img.height);
  cairo_t* cr = cairo_create(argb);
  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_set_source_surface(cr, src, 0, 0);
  cairo_paint(cr);
  const cairo_status_t paint_status = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_destroy(src);
  if (paint_status != CAIRO_STATUS_SUCCESS || cairo_surface_status(argb) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(argb);
    throw Error(path + ": cannot convert the PNG (" + cairo_status_to_string(paint_status) + ")");
  }
  cairo_surface_flush(argb);
  const unsigned char* data = cairo_image_surface_get_data(argb);
  const int stride = cairo_image_surface_get_stride(argb);
  const size_t n = static_cast<size_t>(img.width) * img.height;
  img.pixels.resize(n);
  img.alpha.resize(n);
  bool opaque = true;
  for (int y = 0; y < img.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<size_t>(y) * stride);
    for (int x = 0; x < img.width; ++x) {
      const uint32_t p = row[x];  // premultiplied: colour is already "over black"
      const size_t i = static_cast<size_t>(y) * img.width + x;
      img.pixels[i] =
          luminance(float((p >> 16) & 255), float((p >> 8) & 255), float(p & 255)) / 255.0f;
      img.alpha[i] = float(p >> 24) / 255.0f;
      opaque = opaque && (p >> 24) == 255;
    }
  }
  cairo_surface_destroy(argb);
  if (opaque) img.alpha.clear();
  return img;
}

// ---- PGM / PPM (netpbm) ----

class PnmHeader {
 public:
  PnmHeader(const std::string& b, const std::string& path) : b_(b), path_(path) {}

  // The next integer, skipping whitespace and # comments.
  uint64_t number(const char* what) {
    skip_space();
    if (pos_ >= b_.size()) throw Error(path_ + ": truncated header, no " + what);
    if (!std::isdigit(static_cast<unsigned char>(b_[pos_]))) {
      throw Error(path_ + ": " + what + " is not a number");
    }
    uint64_t v = 0;
    while (pos_ < b_.size() && std::isdigit(static_cast<unsigned char>(b_[pos_]))) {
      v = v * 10 + static_cast<uint64_t>(b_[pos_++] - '0');
      if (v > (uint64_t(1) << 32)) throw Error(path_ + ": " + what + " is too large");
    }
    return v;
  }
  void skip_space() {
    while (pos_ < b_.size()) {
      if (b_[pos_] == '#') {
        while (pos_ < b_.size() && b_[pos_] != '\n') ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(b_[pos_]))) {
        ++pos_;
      } else {
        break;
      }
    }
  }
  size_t& pos() { return pos_; }

 private:
  const std::string& b_;
  const std::string& path_;
  size_t pos_ = 2;
};

GrayImage read_pnm(const std::string& b, const std::string& path) {
  const char type = b[1];
  const bool binary = type == '5' || type == '6';
  const int channels = (type == '3' || type == '6') ? 3 : 1;
  PnmHeader h(b, path);
  const uint64_t w = h.number("width"), ht = h.number("height");
  check_size(w, ht, path);
  const uint64_t maxval = h.number("maxval");
  if (maxval == 0 || maxval > 65535) {
    throw Error(path + ": maxval " + std::to_string(maxval) + " is outside 1..65535");
  }
  GrayImage img;
  img.width = static_cast<int>(w);
  img.height = static_cast<int>(ht);
  const size_t n = w * ht, values = n * channels;
  std::vector<uint32_t> v(values);
  if (binary) {
    // Exactly one whitespace byte separates the header from the samples.
    size_t& pos = h.pos();
    if (pos >= b.size() || !std::isspace(static_cast<unsigned char>(b[pos]))) {
      throw Error(path + ": truncated header, no whitespace after maxval");
    }
    ++pos;
    const size_t bytes_per = maxval < 256 ? 1 : 2;
    if (b.size() - pos < values * bytes_per) {
      throw Error(path + ": truncated: " + std::to_string(w) + "x" + std::to_string(ht) +
                  " needs " + std::to_string(values * bytes_per) + " bytes of pixels, found " +
                  std::to_string(b.size() - pos));
    }
    for (size_t i = 0; i < values; ++i) {
      const auto* p = reinterpret_cast<const uint8_t*>(b.data() + pos + i * bytes_per);
      v[i] = bytes_per == 1 ? p[0] : (uint32_t(p[0]) << 8 | p[1]);
    }
  } else {
    for (size_t i = 0; i < values; ++i) {
      v[i] = static_cast<uint32_t>(h.number("pixel value"));  // truncation is caught here
    }
  }
  img.pixels.resize(n);
  for (size_t i = 0; i < values; ++i) {
    if (v[i] > maxval) {
      throw Error(path + ": pixel value " + std::to_string(v[i]) + " exceeds maxval " +
                  std::to_string(maxval));
    }
  }
  // Division, not a reciprocal multiply: an 8-bit PGM gives exactly the
  // values the IDX reader gives (b / 255).
  const float m = static_cast<float>(maxval);
  for (size_t i = 0; i < n; ++i) {
    img.pixels[i] =
        channels == 1 ? v[i] / m : luminance(v[3 * i] / m, v[3 * i + 1] / m, v[3 * i + 2] / m);
  }
  return img;
}

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
  if (b.size() >= 8 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) return read_png(b, path);
  if (b.size() >= 2 && b[0] == 'P' && (b[1] == '2' || b[1] == '5' || b[1] == '3' || b[1] == '6')) {
    return read_pnm(b, path);
  }
  throw Error(path + ": not a PNG, PGM (P2/P5) or PPM (P3/P6) image");
}

std::vector<float> to_model_input(const GrayImage& img, int h, int w, bool invert) {
  if (h < 1 || w < 1 || img.width < 1 || img.height < 1) {
    throw UsageError("cannot resize a " + std::to_string(img.width) + "x" +
                     std::to_string(img.height) + " image to " + std::to_string(w) + "x" +
                     std::to_string(h));
  }
  // Composite over the background: premultiplied gray + (1 - alpha) * bg.
  const float bg = invert ? 1.0f : 0.0f;
  const size_t n = img.pixels.size();
  std::vector<float> src(n);
  for (size_t i = 0; i < n; ++i) {
    const float a = img.alpha.empty() ? 1.0f : img.alpha[i];
    const float v = img.pixels[i] + (1.0f - a) * bg;
    src[i] = invert ? 1.0f - v : v;
  }
  // Separable area average: columns first, (H, W) -> (H, w), then rows.
  const auto wx = area_weights(img.width, w), wy = area_weights(img.height, h);
  std::vector<float> mid(static_cast<size_t>(img.height) * w);
  for (int y = 0; y < img.height; ++y) {
    const float* row = src.data() + static_cast<size_t>(y) * img.width;
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

}  // namespace handgrad
