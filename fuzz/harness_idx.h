#pragma once
// The fuzz_idx harness (see harness_arch.h for why it is a header).
// Input: byte 0 = flags (bit 0: gzip the images, bit 1: gzip the labels,
// bit 2: 2 classes instead of 10), bytes 1-2 = L (u16 little-endian), then L
// bytes of labels file, then the images file. Gzipping here lets the fuzzer
// reach the IDX checks behind a valid .gz; seeds that are themselves .gz
// bytes (flags 0) fuzz zlib's framing and the truncation paths.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/data/idx.h"
#include "memfile.h"

namespace handgrad::fuzz {

inline std::string gzip(const std::string& raw) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&z, raw.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline void run_idx(const uint8_t* data, size_t size) {
  if (size < 3) return;
  const uint8_t flags = data[0];
  const size_t l = std::min<size_t>(size - 3, data[1] | size_t(data[2]) << 8);
  std::string labels(reinterpret_cast<const char*>(data) + 3, l);
  std::string images(reinterpret_cast<const char*>(data) + 3 + l, size - 3 - l);
  if (flags & 1) images = gzip(images);
  if (flags & 2) labels = gzip(labels);
  const int classes = (flags & 4) ? 2 : 10;
  const MemFile img(images), lab(labels);
  try {
    const Dataset d = load_idx(img.path(), lab.path(), classes);
    // What the trainer relies on: consistent sizes, labels in range, pixels in [0, 1].
    if (d.sample_dims.size() != 3 || d.x.size() != size_t(d.size()) * d.sample_size()) {
      std::abort();
    }
    for (int y : d.y) {
      if (y < 0 || y >= classes) std::abort();
    }
    for (float v : d.x) {
      if (!(v >= 0.0f && v <= 1.0f)) std::abort();
    }
  } catch (const Error&) {
  }
}

}  // namespace handgrad::fuzz
