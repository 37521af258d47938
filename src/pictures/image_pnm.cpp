// Netpbm gray and colour maps (P2/P5 PGM, P3/P6 PPM), 8 or 16 bits.
#include <algorithm>
#include <cctype>
#include <vector>

#include "handgrad/core/error.h"
#include "pictures/image_formats.h"

namespace handgrad::image_detail {
namespace {

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

}  // namespace

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
  // Compare the claim with the file before allocating: a binary sample is 1
  // or 2 bytes, an ASCII one at least a digit and a separator. (A binary
  // file that ends right after maxval is reported below as a truncated header.)
  const size_t left = b.size() - std::min(b.size(), h.pos());
  const size_t need = binary ? values * (maxval < 256 ? 1 : 2) + 1 : 2 * values - 1;
  if (left < need && (left > 0 || !binary)) {
    throw Error(path + (binary ? ": truncated: " : ": truncated, no pixel value: ") +
                std::to_string(w) + "x" + std::to_string(ht) + " needs at least " +
                std::to_string(need) + " more bytes, found " + std::to_string(left));
  }
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

}  // namespace handgrad::image_detail
