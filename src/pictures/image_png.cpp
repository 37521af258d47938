// PNG through cairo: the size in IHDR is checked first, then cairo decodes
// and the result is painted onto one ARGB32 surface whatever the colour type.
#include <cairo.h>

#include <algorithm>
#include <cstring>

#include "handgrad/core/error.h"
#include "pictures/image_formats.h"

namespace handgrad::image_detail {
namespace {

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

}  // namespace

GrayImage read_png(const std::string& bytes, const std::string& path) {
  // The IHDR chunk comes first: check the claimed size before cairo
  // allocates a surface for it.
  if (bytes.size() < 33 || bytes.compare(12, 4, "IHDR") != 0) {
    throw Error(path + ": truncated PNG (no IHDR header)");
  }
  const uint64_t w = be32(bytes, 16), h = be32(bytes, 20);
  check_size(w, h, path);
  // Compare the claim with the file before cairo allocates w*h*4 bytes:
  // deflate expands at most 1032:1, so a file of S bytes holds at most
  // ~1032*S bytes of scanlines (a filter byte + ceil(w*channels*depth/8) a row).
  static constexpr int kChannels[7] = {1, 0, 3, 1, 2, 0, 4};  // by colour type
  const uint64_t depth = uint8_t(bytes[24]), type = uint8_t(bytes[25]);
  const uint64_t channels = type < 7 ? kChannels[type] : 1;
  const uint64_t raw = h * (1 + (w * std::max<uint64_t>(channels, 1) * depth + 7) / 8);
  if (raw > 1100 * uint64_t(bytes.size())) {
    throw Error(path + ": PNG header claims " + std::to_string(w) + "x" + std::to_string(h) +
                " pixels, more than its " + std::to_string(bytes.size()) +
                " bytes can hold (truncated or corrupt)");
  }
  PngStream stream{&bytes, 0};
  cairo_surface_t* src = cairo_image_surface_create_from_png_stream(read_png_bytes, &stream);
  const cairo_status_t status = cairo_surface_status(src);
  if (status != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(src);
    // cairo reports every libpng error (bad CRC, bad colour type...) as
    // "out of memory"; the size was checked above, so say what it means.
    const std::string why = status == CAIRO_STATUS_NO_MEMORY ? "corrupt or unsupported PNG data"
                                                             : cairo_status_to_string(status);
    throw Error(path + ": unreadable PNG (" + why + ")");
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

}  // namespace handgrad::image_detail
