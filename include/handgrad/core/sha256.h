#pragma once
// SHA-256 (FIPS 180-4), to verify downloaded data against known sums.
#include <array>
#include <cstdint>
#include <string>

namespace handgrad {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  // Lower-case hex of the digest; the object is spent afterwards.
  std::string hex();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  uint8_t buf_[64];
  size_t used_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(const std::string& bytes);
// Streams the file; throws Error naming it if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace handgrad
